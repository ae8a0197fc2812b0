"""`ImageFolder`: the pictures of a source, decoded on demand, in batches.

Only the file list is held in memory. An epoch's order is a permutation of
file indices drawn from `(seed, epoch)` with NumPy, so every backend reads
the same files in the same order; a batch decodes its pictures in a thread
pool (Pillow releases the GIL while it decodes and resizes), or reads them
from the cache (`keras_gans.data.folders.cache`) once a pass has written
them there.

A file that fails to decode (truncated, corrupt, not a picture, too small)
is skipped and named in `skipped`; its place in the batch goes to the next
good picture in that epoch's order, so batches keep their size and no epoch
stops half-way. Only when no picture at all can be read is it an error.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading

import numpy as np

from keras_gans.data.folders import cache as cache_lib
from keras_gans.data.folders import captions as captions_lib
from keras_gans.data.folders.decode import (
    DEFAULT_BACKGROUND,
    BadImageError,
    check_background,
    check_crop_box,
    decode,
)
from keras_gans.data.folders.sources import (
    NoImagesError,
    class_folders,
    describe_skipped,
    holdout_share,
    list_images,
)

SPLITS = ("train", "test")


class ImageFolder:
    """The pictures a path names, ready to batch.

    Args:
        source: a folder, glob, list of files, `.zip` or `.tar`
            (`keras_gans.data.folders.list_images`).
        image_shape: `(height, width, channels)` of every picture; channels
            1 or 3.
        split: `"train"` (the pictures outside the holdout) or `"test"`
            (the holdout). Defaults to `"train"`.
        holdout: the share of pictures set aside for `split="test"`, chosen
            by a hash of each relative path (the same files whatever else
            the folder holds). Defaults to `0.0`.
        limit: keep the first `limit` pictures in sorted path order.
            Defaults to `None` (all).
        crop_box: `(left, top, right, bottom)` to crop from every picture,
            or `None` for the largest centred window of the target's
            aspect. Defaults to `None`.
        background: `(r, g, b)` under transparent pixels. Defaults to white.
        with_labels: labels from class subfolders (sorted names). Defaults
            to `False`.
        captions: `None`, or where captions come from (`"auto"`, `"txt"`,
            `"jsonl"` or a caption tree; `keras_gans.data.folders.captions`).
            Defaults to `None`.
        cache: keep decoded pictures in the cache folder. Defaults to `True`.
        cache_dir: the cache folder. Defaults to `None`:
            `$KERAS_GANS_HOME/data`, else `~/.keras/keras_gans/data`.
        decode_threads: threads decoding one batch. Defaults to `None`: the
            number of CPUs.
    """

    def __init__(
        self,
        source,
        image_shape,
        split="train",
        holdout=0.0,
        limit=None,
        crop_box=None,
        background=DEFAULT_BACKGROUND,
        with_labels=False,
        captions=None,
        cache=True,
        cache_dir=None,
        decode_threads=None,
    ):
        if split not in SPLITS:
            raise ValueError(
                f"Expected split in {SPLITS} for a folder (train: all but the "
                f"holdout; test: the holdout), received split={split!r}."
            )
        if not isinstance(holdout, (int, float)) or not 0.0 <= holdout < 1.0:
            raise ValueError(
                f"Expected holdout as a fraction in [0, 1), received holdout={holdout!r}."
            )
        if split == "test" and holdout == 0.0:
            raise ValueError(
                "Expected holdout > 0 with split='test': a folder's test split "
                "is its holdout (for example holdout=0.05)."
            )
        self.image_shape = tuple(int(d) for d in image_shape)
        self.crop_box = check_crop_box(crop_box)
        self.background = check_background(background)
        self.split = split
        self.holdout = float(holdout)
        listed = list_images(source)
        self.source = listed.source
        self.kind = listed.kind
        self.root = listed.root
        self.listed_count = len(listed) + len(listed.skipped)
        self.fingerprint = listed.fingerprint()
        self._skipped = dict(listed.skipped)
        self._lock = threading.Lock()

        keep = range(len(listed))
        if holdout:
            shares = [holdout_share(key) for key in listed.keys]
            keep = [i for i in keep if (shares[i] < holdout) == (split == "test")]
        keep = list(keep)[:limit] if limit is not None else list(keep)
        images = listed if len(keep) == len(listed) else listed.subset(keep)
        self.labels = self.class_names = self.captions = None
        if with_labels:
            self.class_names, labels = class_folders(images.keys)
            self.labels = np.asarray(labels, np.int32)
        if captions is not None:
            if images.kind not in ("folder", "glob", "files"):
                raise ValueError(
                    f"Captions are read from folders; {images.source} is a "
                    f"{images.kind} archive: unpack it and pass the folder."
                )
            found = captions_lib.read_captions(images.root, images.keys, captions)
            missing = [i for i, key in enumerate(images.keys) if key not in found]
            for i in missing:
                self._skipped[images.keys[i]] = "no caption"
            if missing:
                present = [i for i, key in enumerate(images.keys) if key in found]
                if self.labels is not None:
                    self.labels = self.labels[present]
                images = images.subset(present)
            self.captions = [found[key] for key in images.keys]
        if not len(images):
            raise NoImagesError(
                f"Expected pictures in {self.source} for split={split!r}"
                + (f" (holdout={holdout})" if holdout else "")
                + ", found none"
                + (
                    f"; set aside: {describe_skipped(self._skipped)}"
                    if self._skipped
                    else ""
                )
                + "."
            )
        self.files = images
        self.count = len(images)
        self._threads = decode_threads or os.cpu_count() or 1
        self._pool = None
        self._cache = None
        self._keys_set = None
        if cache:
            settings = {
                "shape": self.image_shape,
                "crop_box": self.crop_box,
                "background": self.background,
            }
            key = cache_lib.cache_key(images.identity(), settings)
            self._cache = cache_lib.open_cache(
                cache_dir or cache_lib.default_cache_dir(),
                key,
                self.count,
                self.image_shape,
                {
                    "source": self.source,
                    "kind": self.kind,
                    "split": split,
                    "files": self.count,
                    **settings,
                },
            )
            if self._cache is not None:
                # Bad files an earlier pass found are named from the start.
                known = self._cache.bad_reasons()
                if known:
                    keys = frozenset(images.keys)
                    self._skipped.update((k, r) for k, r in known.items() if k in keys)

    # --- Reading --------------------------------------------------------------------

    @property
    def skipped(self):
        """`{relative path: reason}` of every file left out so far."""
        with self._lock:
            return dict(self._skipped)

    @property
    def cache_path(self):
        """The cache entry's folder, or `None` without a cache."""
        return None if self._cache is None else self._cache.folder

    def _mark_bad(self, index, reason):
        key = self.files.keys[index]
        with self._lock:
            self._skipped[key] = reason
        if self._cache is not None:
            self._cache.put_bad(index, key, reason)

    def image(self, index):
        """Picture `index` as uint8 `image_shape`, or `None` if it is bad."""
        if self._cache is not None:
            found = self._cache.get(index)
            if isinstance(found, np.ndarray):
                return found
            if found == "bad":
                return None
        try:
            data = self.files.read(index)
            image = decode(data, self.image_shape, self.crop_box, self.background)
        except BadImageError as error:
            self._mark_bad(index, str(error))
            return None
        except OSError as error:  # removed or changed since it was listed
            self._mark_bad(index, f"cannot read ({error.strerror or error})")
            return None
        if self._cache is not None:
            self._cache.put(index, image)
        return image

    def _decode_many(self, indices):
        if self._threads == 1 or len(indices) == 1:
            return [self.image(i) for i in indices]
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        self._threads, thread_name_prefix="keras_gans_decode"
                    )
        return list(self._pool.map(self.image, indices))

    def order(self, epoch, seed, shuffle=True):
        """The file indices of one epoch, in order (the same on every backend)."""
        if not shuffle:
            return np.arange(self.count)
        return np.random.default_rng([int(seed), int(epoch)]).permutation(self.count)

    def read(self, order, start, stop):
        """`(images, indices)`: the pictures at positions `start:stop` of `order`.

        A bad picture's place goes to the next good one after `stop` in
        `order` (wrapping round), so the batch keeps its size.

        Raises:
            NoImagesError: If no picture in `order` can be read.
        """
        positions = list(range(start, stop))
        wanted = [int(order[p]) for p in positions]
        images = [None] * len(wanted)
        missing = list(range(len(wanted)))
        if self._cache is not None:
            # Cached pictures in one gather; only the rest go to the pool.
            status = self._cache.status[wanted]
            hits = np.flatnonzero(status == cache_lib.DECODED)
            if len(hits):
                gathered = self._cache.pixels[np.asarray(wanted)[hits]]
                for j, image in zip(hits, gathered, strict=True):
                    images[j] = image
            missing = np.flatnonzero(status != cache_lib.DECODED).tolist()
        if missing:
            decoded = self._decode_many([wanted[j] for j in missing])
            for j, image in zip(missing, decoded, strict=True):
                images[j] = image
        result = dict(zip(positions, images, strict=True))
        bad = [p for p in positions if result[p] is None]
        cursor = stop
        for p in bad:
            for _ in range(len(order)):
                q = cursor % len(order)
                cursor += 1
                image = self.image(int(order[q]))
                if image is not None:
                    result[p] = image
                    wanted[p - start] = int(order[q])
                    break
            else:
                raise NoImagesError(
                    f"Expected at least one readable picture in {self.source}; "
                    f"none of {self.count} could be decoded: "
                    f"{describe_skipped(self.skipped, limit=5)}."
                )
        return np.stack([result[p] for p in positions]), np.asarray(wanted)

    def caption_batch(self, indices, epoch, seed):
        """One caption of each picture, drawn anew each epoch."""
        rng = np.random.default_rng([int(seed), int(epoch), 1])
        texts = [self.captions[i] for i in indices]
        return np.asarray([t[rng.integers(len(t))] for t in texts], dtype=object)

    def _bad_count(self, skipped):
        """How many of the listed pictures proved bad (of `skipped`)."""
        if self._keys_set is None:
            self._keys_set = frozenset(self.files.keys)
        return sum(key in self._keys_set for key in skipped)

    def summary(self):
        """A line for the run's output: what was found and what was skipped."""
        skipped = self.skipped
        text = f"{self.count - self._bad_count(skipped)} pictures from {self.source}"
        if self.holdout:
            text += f" ({self.split} split, holdout={self.holdout})"
        if skipped:
            text += f"; skipped {len(skipped)}: {describe_skipped(skipped)}"
        return text

    def record(self):
        """What a run keeps in `run.json` under `data`."""
        skipped = self.skipped
        return {
            "path": self.source,
            "kind": self.kind,
            **self.fingerprint,
            "used": self.count - self._bad_count(skipped),
            "skipped": dict(sorted(skipped.items())),
        }
