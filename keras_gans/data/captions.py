"""Captioned images for text-to-image GANs: Fashion-MNIST with captions, offline.

GAN-CLS (Reed et al. 2016) learns from (image, text) pairs. Its original data,
CUB-200 birds and Oxford-102 flowers with ten crowd-sourced sentences per
image, needs downloads. `"fashion_captions"` is a captioned dataset that
needs none: every Fashion-MNIST image gets several captions, built
deterministically from its label and from two attributes measured from its
pixels, so a caption says more than the class:

- **shade**, the mean intensity of the garment's pixels: `"dark"`,
  `"mid-grey"` or `"light"` (`SHADE_LEVELS`);
- **width**, the garment's mean width across the rows it covers: `"narrow"`,
  `"medium-width"` or `"wide"` (`WIDTH_LEVELS`).

The levels are the tertiles of each class on the training split (a "wide"
trouser and a "wide" bag are different widths), so within every class each
level holds about a third of the images, and the two attributes are nearly
independent (|correlation| <= 0.12 within each class). `measure_attributes`
is public and works on generated float images too, to check that a
generator draws what the caption asks for.

Captions name the class (one of its `CLASS_SYNONYMS`) and both attributes
(one of `SHADE_SYNONYMS` / `WIDTH_SYNONYMS` for the level), in one of several
sentence patterns, in either order:

>>> caption(9, shade_word=0, width_word=2, template=1, noun=2)
'a wide short boot in a dark tone'

Wordings: `TRAIN_TEMPLATES` (7 patterns) are for training; the
`HELD_OUT_TEMPLATES` (3 patterns) never occur in them and are for testing
whether a model understands a caption or memorised its sentences. Held-out
captions reuse the training vocabulary (every word of a held-out caption
occurs in some training caption, and all synonyms are shared): only the
sentence patterns are new, so a word-level text encoder fitted on training
captions has no unknown words, and the test measures generalisation to new
phrasing rather than to new words.

Note on "dark" and "light": Fashion-MNIST negated its product photos, so the
background is 0 (shown black) and a black garment in the photo has high
pixel values. The words describe the image as stored and shown (pixel 255 is
white): a `"light"` garment has high pixel values.

Entry points:

- `keras_gans.data.load("fashion_captions", ...)`: batched
  `(image, caption)` pairs (or `(image, caption, label)`) for `fit()`;
- `load_captioned`: the arrays (images, labels, all captions, attributes);
- `from_pairs`: the same pipeline from your own (image, text) pairs;
- `from_embeddings`: from images and precomputed text embeddings, as the
  CUB and Oxford-102 releases ship them (`(n, 10, 1024)` char-CNN-RNN).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_gans._tensorflow import tf
from keras_gans.data import fashion_mnist, local
from keras_gans.data.caption_attributes import (  # noqa: F401 - re-exported
    GARMENT_THRESHOLD,
    SHADE_LEVELS,
    SHADE_THRESHOLDS,
    WIDTH_LEVELS,
    WIDTH_THRESHOLDS,
    _check_float_range,
    _check_labels,
    compute_thresholds,
    measure_attributes,
)
from keras_gans.data.caption_text import (  # noqa: F401 - re-exported
    _TEMPLATES,
    CLASS_SYNONYMS,
    HELD_OUT_TEMPLATES,
    SHADE_SYNONYMS,
    TRAIN_TEMPLATES,
    WIDTH_SYNONYMS,
    WORDINGS,
    _check_wording,
    caption,
    captions_for,
    parse_caption,
)
from keras_gans.validation import check_int

NAME = "fashion_captions"
IMAGE_SHAPE = fashion_mnist.IMAGE_SHAPE
SPLITS = fashion_mnist.SPLITS
DEFAULT_CAPTIONS_PER_IMAGE = 5
# The extra keyword arguments `keras_gans.data.load(NAME, ...)` accepts.
DATASET_OPTIONS = ("wording", "captions_per_image")


@dataclasses.dataclass(frozen=True, eq=False)
class CaptionedData:
    """Images with their captions: what `load_captioned` returns.

    Attributes:
        images: uint8 `(n, 28, 28)` in [0, 255].
        labels: uint8 `(n,)` class indices (`keras_gans.data.CLASS_NAMES`).
        captions: `(n, k)` numpy array of str (dtype object).
        attributes: The dict of `measure_attributes(images, labels)`.
    """

    images: np.ndarray
    labels: np.ndarray
    captions: np.ndarray
    attributes: dict

    def __len__(self):
        return len(self.images)


def _check_options(captions_per_image, wording):
    _check_wording(wording)
    check_int("captions_per_image", captions_per_image, minimum=1)


def load_captioned(
    split="train",
    data_dir=None,
    captions_per_image=DEFAULT_CAPTIONS_PER_IMAGE,
    wording="train",
    caption_seed=0,
    limit=None,
):
    """Fashion-MNIST with captions and measured attributes, as numpy arrays.

    Args:
        split: `"train"` (60,000 images) or `"test"` (10,000). Defaults to
            `"train"`.
        data_dir: Where the Fashion-MNIST files are; see
            `keras_gans.data.load_arrays`. Defaults to `None`.
        captions_per_image: Captions per image. Defaults to `5`.
        wording: `"train"` or `"held_out"` sentence patterns. Defaults to
            `"train"`; use `"held_out"` with `split="test"` for evaluation.
        caption_seed: Seed of `captions_for`. Defaults to `0` (the captions
            `keras_gans.data.load("fashion_captions")` uses).
        limit: Only the first `limit` images. Their captions are those of the
            full split. Defaults to `None` (all).

    Returns:
        A `CaptionedData` with images, labels, captions and attributes.

    Raises:
        DataNotFoundError: If the Fashion-MNIST files are not found.
        ValueError: For an unknown split or wording, or bad counts.

    Example:

    >>> data = load_captioned("test", captions_per_image=2, limit=1)
    >>> data.captions
    array([['an image of an ankle boot that is slim and dark',
            'a dark slim ankle boot']], dtype=object)
    """
    _check_options(captions_per_image, wording)
    check_int("limit", limit, minimum=1, allow_none=True)
    images, labels = local.load_arrays("fashion_mnist", split, data_dir=data_dir)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    attributes = measure_attributes(images, labels)
    captions = captions_for(
        labels, attributes, captions_per_image, wording=wording, seed=caption_seed
    )
    return CaptionedData(images, labels, captions, attributes)


# --- tf.data pipelines -------------------------------------------------------


def _choice_seed(seed):
    # The per-epoch caption choice gets its own seed, so that its random
    # stream is not the shuffle's.
    return None if seed is None else (int(seed) * 2654435761 + 97) % (2**31 - 1)


def _pipeline(
    images,
    paired,
    labels,
    *,
    batch_size,
    shuffle,
    seed,
    drop_remainder,
    repeat,
    convert,
    examples,
    several,
):
    """Batched `(image, paired[, label])`; one of k entries per image per epoch.

    `paired` has one entry per image, or, when `several` is true, k per image
    along axis 1, of which one is drawn for each image each epoch.
    `examples` names the data in the error for too few examples.
    """
    n = len(images)
    if drop_remainder and not repeat and n < batch_size:
        raise ValueError(
            f"Expected batch_size <= the number of examples ({n} {examples}), "
            f"received batch_size={batch_size}. With drop_remainder=True the "
            "dataset would be empty; lower batch_size or pass drop_remainder=False."
        )
    tensors = (images, paired) if labels is None else (images, paired, labels)
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    if shuffle:
        ds = ds.shuffle(max(n, 1), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if several:
        k = int(paired.shape[1])
        choices = tf.data.Dataset.random(
            seed=_choice_seed(seed), rerandomize_each_iteration=True
        )

        def pick(example, r):
            chosen = tf.gather(example[1], tf.math.floormod(r, k))
            return (example[0], chosen) + tuple(example[2:])

        ds = tf.data.Dataset.zip((ds, choices)).map(pick)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def finish(x, *rest):
        return (convert(x),) + rest

    ds = ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _load(
    split="train",
    batch_size=128,
    image_shape=None,
    shuffle=True,
    seed=None,
    with_labels=False,
    drop_remainder=True,
    data_dir=None,
    repeat=False,
    limit=None,
    wording="train",
    captions_per_image=DEFAULT_CAPTIONS_PER_IMAGE,
):
    """`keras_gans.data.load("fashion_captions", ...)`, arguments checked there."""
    if split not in SPLITS:
        raise ValueError(
            f"Expected split in {SPLITS} for {NAME!r}, received split={split!r}."
        )
    _check_options(captions_per_image, wording)
    data = load_captioned(
        split, data_dir, captions_per_image, wording=wording, limit=limit
    )
    native = IMAGE_SHAPE
    target = image_shape or native
    images = data.images.reshape((len(data),) + native)
    labels = data.labels.astype(np.int32) if with_labels else None
    name = f"in {NAME!r} split {split!r}" + (
        f" with limit={limit}" if limit is not None else ""
    )
    return _pipeline(
        images,
        data.captions,
        labels,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        repeat=repeat,
        convert=lambda x: local._to_model_range(x, native, target, crop=False),
        examples=name,
        several=True,
    )


def _check_pipeline_args(batch_size, seed):
    check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed, allow_none=True)


def _user_images(images):
    """User images -> (array (n, H, W, C), converter to float32 [-1, 1])."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or 0 in images.shape[1:]:
        raise ValueError(
            "Expected images of shape (n, H, W) or (n, H, W, C) with C 1 or 3, "
            f"received shape {images.shape}."
        )
    if images.dtype == np.uint8:
        return images, lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            "Expected images as uint8 in [0, 255] or float in [-1, 1], received "
            f"dtype {images.dtype}."
        )
    _check_float_range(images, "images")
    images = np.clip(images.astype(np.float32), -1.0, 1.0)
    return images, lambda x: x


def _user_labels(labels, n):
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Expected labels as {n} integers (one per image), received "
            f"{labels.dtype} of shape {labels.shape}."
        )
    return labels.astype(np.int32)


def from_pairs(
    images,
    texts,
    batch_size=128,
    shuffle=True,
    seed=None,
    labels=None,
    drop_remainder=True,
    repeat=False,
):
    """Your own (image, text) pairs as the `"fashion_captions"` pipeline.

    Args:
        images: uint8 in [0, 255] or float in [-1, 1], shape `(n, H, W)` or
            `(n, H, W, C)` with C 1 or 3.
        texts: `n` strings, one caption per image; or an `(n, k)` array (or
            list of n lists of k strings): k captions per image, one drawn
            at random for each image each epoch.
        batch_size: Pairs per batch. Defaults to `128`.
        shuffle: Whether to shuffle, in a new order each epoch. Defaults to
            `True`.
        seed: Integer seed for the order and the caption choice. Defaults to
            `None`.
        labels: Optional `(n,)` integer classes, yielded third. Defaults to
            `None`.
        drop_remainder: Whether to drop a last, smaller batch. Defaults to
            `True`.
        repeat: Whether to repeat forever. Defaults to `False`.

    Returns:
        A `tf.data.Dataset` of `(images, captions)` batches: float32
        `(batch, H, W, C)` in [-1, 1] and `tf.string` `(batch,)`; with
        `labels`, `(images, captions, labels)` with int32 labels.

    Raises:
        ValueError: For images of another shape or dtype, texts that are not
            strings or not one (row) per image, or bad arguments.

    Example:

        >>> images = np.zeros((2, 64, 64, 3), np.uint8)
        >>> ds = from_pairs(images, ["a red bird", "a blue flower"], batch_size=2)
        >>> [t.shape for t in next(iter(ds))]
        [TensorShape([2, 64, 64, 3]), TensorShape([2])]
    """
    _check_pipeline_args(batch_size, seed)
    images, convert = _user_images(images)
    n = len(images)
    texts = _user_texts(texts, n)
    return _pipeline(
        images,
        texts,
        _user_labels(labels, n),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        repeat=repeat,
        convert=convert,
        examples="pairs",
        several=texts.ndim == 2,
    )


def _user_texts(texts, n):
    if isinstance(texts, (str, bytes)):
        raise ValueError(
            f"Expected texts as {n} strings (one per image) or an (n, k) array of "
            "strings, received a single string."
        )
    array = np.asarray(texts, dtype=object)
    flat = array.ravel()
    if array.ndim not in (1, 2) or array.shape[0] != n or 0 in array.shape:
        raise ValueError(
            f"Expected texts as {n} strings (one per image) or an ({n}, k) array "
            f"of strings with k >= 1, received shape {array.shape}."
        )
    bad = [t for t in flat if not isinstance(t, (str, bytes))]
    if bad:
        raise ValueError(
            f"Expected every text to be a string, received {type(bad[0]).__name__} "
            f"{bad[0]!r}."
        )
    return array


def from_embeddings(
    images,
    embeddings,
    batch_size=128,
    shuffle=True,
    seed=None,
    labels=None,
    drop_remainder=True,
    repeat=False,
):
    """Images with precomputed text embeddings, e.g. the CUB char-CNN-RNN ones.

    Reed et al.'s CUB-200 and Oxford-102 releases ship, for each image, the
    1024-d char-CNN-RNN embeddings of its 10 captions: `(n, 10, 1024)`.

    Args:
        images: uint8 in [0, 255] or float in [-1, 1], shape `(n, H, W)` or
            `(n, H, W, C)` with C 1 or 3.
        embeddings: Float `(n, d)` (one embedding per image) or `(n, k, d)`
            (k per image; one drawn at random for each image each epoch).
        batch_size: Pairs per batch. Defaults to `128`.
        shuffle: Whether to shuffle, in a new order each epoch. Defaults to
            `True`.
        seed: Integer seed for the order and the embedding choice. Defaults
            to `None`.
        labels: Optional `(n,)` integer classes, yielded third. Defaults to
            `None`.
        drop_remainder: Whether to drop a last, smaller batch. Defaults to
            `True`.
        repeat: Whether to repeat forever. Defaults to `False`.

    Returns:
        A `tf.data.Dataset` of `(images, embeddings)` batches: float32
        `(batch, H, W, C)` in [-1, 1] and float32 `(batch, d)`; with
        `labels`, `(images, embeddings, labels)` with int32 labels.

    Raises:
        ValueError: For images of another shape or dtype, embeddings that are
            not finite numbers of shape `(n, d)` or `(n, k, d)`, or bad
            arguments.
    """
    _check_pipeline_args(batch_size, seed)
    images, convert = _user_images(images)
    n = len(images)
    embeddings = np.asarray(embeddings)
    if (
        embeddings.ndim not in (2, 3)
        or embeddings.shape[0] != n
        or 0 in embeddings.shape
        or not (
            np.issubdtype(embeddings.dtype, np.floating)
            or np.issubdtype(embeddings.dtype, np.integer)
        )
    ):
        raise ValueError(
            f"Expected embeddings as numbers of shape ({n}, d) or ({n}, k, d) (one "
            f"or k per image), received {embeddings.dtype} of shape "
            f"{embeddings.shape}."
        )
    embeddings = embeddings.astype(np.float32)
    if not np.isfinite(embeddings).all():
        raise ValueError("Expected finite embeddings, received NaN or infinite values.")
    return _pipeline(
        images,
        embeddings,
        _user_labels(labels, n),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        repeat=repeat,
        convert=convert,
        examples="image-embedding pairs",
        several=embeddings.ndim == 3,
    )
