"""Decoded pictures kept on disk, so later epochs and later runs decode nothing.

The first pass over a folder writes each picture, decoded and resized to
the model's shape, into one file in keras_gans's cache folder
(`$KERAS_GANS_HOME/data`, else `~/.keras/keras_gans/data`); it is never
written in the user's folder or in a run folder. Later reads map that file
into memory (`numpy.memmap`): the operating system pages it in and out,
so the process's own memory does not grow with the number of pictures.

Layout of `<cache>/data/<key>/`:

    pixels.u8     N status bytes (0 not yet read, 1 decoded, 2 bad), then
                  N pictures of H x W x C uint8, in the source's sorted order
    bad.jsonl     one {"key", "reason"} line per bad file found
    source.json   what it caches: the source, file count, shape, size

`<key>` is a hash of the file list (relative paths, sizes, modification
times), the shape and every preprocessing setting, and the Pillow version
that decodes: change any and a new entry is made. An entry takes
`N * (H * W * C + 1)` bytes: 1.2 GB for 100,000 pictures at 64x64x3.
`keras-gans cache list` shows the entries and `keras-gans cache clear
data` removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import threading
import time
import warnings

import numpy as np
import PIL

from keras_gans.files import write_atomic

# Bumped whenever decode.py's output for the same file could change.
DECODER_VERSION = 1
PIXELS_FILE = "pixels.u8"
BAD_FILE = "bad.jsonl"
SOURCE_FILE = "source.json"
NOT_READ, DECODED, BAD = 0, 1, 2
# Left free on the disk after the cache file is made.
DISK_MARGIN_BYTES = 2**30


def default_cache_dir():
    """`$KERAS_GANS_HOME/data`, else `~/.keras/keras_gans/data`."""
    home = os.environ.get("KERAS_GANS_HOME")
    base = pathlib.Path(home) if home else pathlib.Path.home() / ".keras" / "keras_gans"
    return base / "data"


def cache_key(identity, settings):
    """The entry name for a file list's `identity` and the preprocessing `settings`."""
    text = json.dumps(
        {
            "files": identity,
            "settings": settings,
            "pillow": PIL.__version__,
            "decoder": DECODER_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class DecodedCache:
    """One cache entry: status bytes and pixels in one memory-mapped file.

    Status and pixels share a file so that a process that maps it sees a
    consistent pair even if another process made the entry at the same time
    (the file is made under a temporary name and renamed into place).
    Pixels are written before their status byte.

    Args:
        folder: the entry's folder.
        count: the number of pictures.
        image_shape: `(H, W, C)`.
        description: what `source.json` records.
    """

    def __init__(self, folder, count, image_shape, description):
        self.folder = pathlib.Path(folder)
        self.count = count
        self.image_shape = tuple(image_shape)
        self._lock = threading.Lock()
        path = self.folder / PIXELS_FILE
        size = count * (1 + int(np.prod(image_shape)))
        missing = not path.exists()
        if (missing or path.stat().st_size != size) and self._make(
            path, size, replace=not missing
        ):
            write_atomic(
                self.folder / SOURCE_FILE,
                json.dumps(
                    {**description, "bytes": size, "created": time.time()}, indent=2
                ).encode(),
            )
            (self.folder / BAD_FILE).unlink(missing_ok=True)
        mapped = np.memmap(path, dtype=np.uint8, mode="r+", shape=(size,))
        self.status = mapped[:count]
        self.pixels = mapped[count:].reshape((count,) + self.image_shape)

    def _make(self, path, size, replace):
        """Makes an empty pixels file at `path`; `False` if another process did first."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{PIXELS_FILE}.{os.getpid()}.part"
        with open(temporary, "wb") as file:
            file.truncate(size)  # sparse: no disk used until written
        try:
            if not replace:
                # Not os.replace: another process (a worker on this machine)
                # may have made the entry meanwhile and be filling it.
                try:
                    os.link(temporary, path)
                    return True
                except FileExistsError:
                    return False
                except OSError:  # a file system without hard links
                    pass
            os.replace(temporary, path)  # over an entry cut short
            return True
        finally:
            temporary.unlink(missing_ok=True)

    def get(self, index):
        """The decoded picture, `"bad"`, or `None` when not read yet."""
        state = self.status[index]
        if state == DECODED:
            return self.pixels[index]
        return "bad" if state == BAD else None

    def put(self, index, image):
        self.pixels[index] = image
        self.status[index] = DECODED

    def put_bad(self, index, key, reason):
        with self._lock:
            with open(self.folder / BAD_FILE, "a", encoding="utf-8") as file:
                file.write(json.dumps({"key": key, "reason": reason}) + "\n")
            self.status[index] = BAD

    def bad_reasons(self):
        """`{key: reason}` of the bad files recorded in this entry."""
        path = self.folder / BAD_FILE
        if not path.exists():
            return {}
        reasons = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
                reasons[item["key"]] = item["reason"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a killed process
        return reasons

    def done(self):
        """How many pictures are decoded or known bad."""
        return int(np.count_nonzero(self.status))


def open_cache(cache_dir, key, count, image_shape, description):
    """The entry `key`, made if missing; `None` (with a warning) if the disk is too full."""
    folder = pathlib.Path(cache_dir) / key
    size = count * (1 + int(np.prod(image_shape)))
    if not (folder / PIXELS_FILE).exists():
        parent = folder.parent
        parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(parent).free
        if free < size + DISK_MARGIN_BYTES:
            warnings.warn(
                f"Not caching decoded pictures: {size / 2**20:.0f} MiB needed in "
                f"{parent}, {free / 2**20:.0f} MiB free (keeping 1 GiB). Every "
                "epoch decodes the files again; set KERAS_GANS_HOME to a larger "
                "disk or pass cache=False to silence this.",
                stacklevel=3,
            )
            return None
    return DecodedCache(folder, count, image_shape, description)


def entries(cache_dir=None):
    """`[(key, folder, source.json dict, bytes on disk, done fraction)]`."""
    root = pathlib.Path(cache_dir) if cache_dir else default_cache_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        path = folder / PIXELS_FILE
        if folder.is_symlink() or not path.is_file():
            continue
        try:
            description = json.loads((folder / SOURCE_FILE).read_text())
        except (OSError, ValueError):
            description = {}
        count = int(description.get("files", 0)) or 1
        status = np.memmap(
            path, dtype=np.uint8, mode="r", shape=(min(count, path.stat().st_size),)
        )
        used = path.stat().st_blocks * 512
        found.append(
            (folder.name, folder, description, used, np.count_nonzero(status) / count)
        )
    return found


def clear(key=None, cache_dir=None):
    """Removes the entry `key` (all entries when `None`); returns what was removed."""
    removed = []
    for name, folder, description, used, done in entries(cache_dir):
        if key is None or name == key:
            shutil.rmtree(folder)
            removed.append((name, folder, description, used, done))
    return removed
