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
import functools
import re

import numpy as np
import tensorflow as tf

from keras_gans.data import fashion_mnist, loader
from keras_gans.images import to_uint8

NAME = "fashion_captions"
IMAGE_SHAPE = fashion_mnist.IMAGE_SHAPE
SPLITS = fashion_mnist.SPLITS
WORDINGS = ("train", "held_out")
DEFAULT_CAPTIONS_PER_IMAGE = 5
# The extra keyword arguments `keras_gans.data.load(NAME, ...)` accepts.
DATASET_OPTIONS = ("wording", "captions_per_image")

# --- Attributes measured from pixels ----------------------------------------

# A pixel belongs to the garment when its value (0..255) is at least this.
# Fashion-MNIST backgrounds are exactly 0 with faint halos of a few units;
# 16 leaves those out (shade and width move by < 0.02 between 8 and 32).
GARMENT_THRESHOLD = 16

SHADE_LEVELS = ("dark", "mid-grey", "light")
WIDTH_LEVELS = ("narrow", "medium-width", "wide")

# Per-class tertiles of `shade` and `width` on the Fashion-MNIST TRAIN split
# (60,000 images, Debian's dataset-fashion-mnist, identical to the files
# keras.datasets downloads), rounded to 4 decimals: row c is (t1, t2) for
# class c. Level 0 below t1, level 1 in [t1, t2), level 2 from t2 on.
# Reproduce with `compute_thresholds(*load_arrays("fashion_mnist", "train"))`
# (tests/test_captions.py checks this when the files are present).
SHADE_THRESHOLDS = np.array(
    [
        [0.5150, 0.7193],  # T-shirt/top
        [0.6224, 0.7432],  # Trouser
        [0.5203, 0.7364],  # Pullover
        [0.5901, 0.7531],  # Dress
        [0.6498, 0.7653],  # Coat
        [0.4527, 0.5526],  # Sandal
        [0.4545, 0.6823],  # Shirt
        [0.5088, 0.6091],  # Sneaker
        [0.6167, 0.7223],  # Bag
        [0.6487, 0.7301],  # Ankle boot
    ]
)
WIDTH_THRESHOLDS = np.array(
    [
        [0.5293, 0.5753],  # T-shirt/top
        [0.3099, 0.3380],  # Trouser
        [0.5923, 0.6556],  # Pullover
        [0.3610, 0.4342],  # Dress
        [0.5548, 0.6122],  # Coat
        [0.4269, 0.5325],  # Sandal
        [0.5714, 0.6365],  # Shirt
        [0.6008, 0.6562],  # Sneaker
        [0.5873, 0.8067],  # Bag
        [0.5734, 0.6089],  # Ankle boot
    ]
)
SHADE_THRESHOLDS.flags.writeable = False
WIDTH_THRESHOLDS.flags.writeable = False

# Float images may overshoot [-1, 1] by this much (round-off) before clipping.
_FLOAT_TOLERANCE = 1e-3


def _pixel_levels(images, arg="images"):
    """Validated images -> uint8 `(n, H, W)` pixel levels in [0, 255]."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or 0 in images.shape[1:]:
        raise ValueError(
            f"Expected {arg} of shape (n, H, W) or (n, H, W, 1) (greyscale, e.g. "
            f"(n, 28, 28) for Fashion-MNIST), received shape {images.shape}."
        )
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            f"Expected {arg} as uint8 in [0, 255] or float in [-1, 1], received "
            f"dtype {images.dtype}."
        )
    _check_float_range(images, arg)
    # The uint8 level each float is closest to, so that a uint8 image and its
    # `from_uint8` float copy measure exactly the same.
    return to_uint8(images)


def _check_float_range(images, arg):
    if images.size == 0:
        return
    low, high = float(np.min(images)), float(np.max(images))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"Expected finite {arg}, received NaN or infinite values.")
    if low < -1.0 - _FLOAT_TOLERANCE or high > 1.0 + _FLOAT_TOLERANCE:
        raise ValueError(
            f"Expected float {arg} in [-1, 1], received values in [{low:g}, "
            f"{high:g}]. Pass pixel values in [0, 255] as uint8."
        )


def _check_labels(labels, n=None, arg="labels"):
    """`(n,)` class indices in [0, 10) as int64; any length when `n` is None."""
    labels = np.asarray(labels)
    if n is None and labels.ndim == 1:
        n = len(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        count = "a 1-D array of" if n is None else f"{n}"
        raise ValueError(
            f"Expected {arg} as {count} integers (one per image), received "
            f"{labels.dtype} of shape {labels.shape}."
        )
    if n and (labels.min() < 0 or labels.max() >= len(fashion_mnist.CLASS_NAMES)):
        raise ValueError(
            f"Expected {arg} in [0, {len(fashion_mnist.CLASS_NAMES)}), received "
            f"values in [{labels.min()}, {labels.max()}]."
        )
    return labels.astype(np.int64)


def measure_attributes(images, labels=None):
    """Measures shade, width and size of each garment, and their levels.

    A pixel belongs to the garment when its value is at least
    `GARMENT_THRESHOLD` (16 of 255; float images are first rounded to the
    nearest of the 256 levels, so a uint8 image and its float copy from
    `keras_gans.images.from_uint8` measure exactly the same).

    Args:
        images: uint8 in [0, 255] or float in [-1, 1] (e.g. generator
            output), shape `(n, H, W)` or `(n, H, W, 1)`. The thresholds were
            set on 28x28 Fashion-MNIST.
        labels: Optional `(n,)` class indices in [0, 10). The levels are
            relative to the image's class, so they need it; for generated
            images pass the class the caption asked for.

    Returns:
        A dict of `(n,)` arrays:

        - `"shade"`: mean value of the garment's pixels in [0, 1]
          (0 = black, 1 = white);
        - `"width"`: the garment's mean width across the rows it covers, as
          a fraction of the image width (garment pixels / garment rows / W);
        - `"size"`: fraction of the image's pixels that are garment;
        - with `labels` only, `"shade_word"` and `"width_word"`: int64
          levels 0, 1, 2 indexing `SHADE_LEVELS` ("dark", "mid-grey",
          "light") and `WIDTH_LEVELS` ("narrow", "medium-width", "wide"),
          from the class's tertiles in `SHADE_THRESHOLDS` and
          `WIDTH_THRESHOLDS`.

        An image with no garment pixel measures 0 everywhere (dark, narrow).

    Raises:
        ValueError: For images of another shape or dtype, float images
            outside [-1, 1], or labels that are not one class per image.

    Example:

    >>> images, labels = keras_gans.data.load_arrays("fashion_mnist", "test")
    >>> measured = measure_attributes(images[:3], labels[:3])
    >>> [SHADE_LEVELS[i] for i in measured["shade_word"]]
    ['dark', 'light', 'light']
    """
    levels = _pixel_levels(images)
    n, height, width = levels.shape
    garment = levels >= GARMENT_THRESHOLD
    count = garment.sum(axis=(1, 2), dtype=np.int64)
    total = np.where(garment, levels, 0).sum(axis=(1, 2), dtype=np.int64)
    rows = garment.any(axis=2).sum(axis=1, dtype=np.int64)
    some = np.maximum(count, 1)
    result = {
        "shade": np.where(count > 0, total / (255.0 * some), 0.0),
        "width": np.where(rows > 0, count / (np.maximum(rows, 1) * width), 0.0),
        "size": count / float(height * width),
    }
    if labels is not None:
        labels = _check_labels(labels, n)
        result["shade_word"] = _level(result["shade"], SHADE_THRESHOLDS[labels])
        result["width_word"] = _level(result["width"], WIDTH_THRESHOLDS[labels])
    return result


def _level(values, thresholds):
    # 0 below t1, 1 in [t1, t2), 2 from t2 on.
    return (values >= thresholds[:, 0]).astype(np.int64) + (
        values >= thresholds[:, 1]
    ).astype(np.int64)


def compute_thresholds(images, labels):
    """Per-class tertiles of `shade` and `width`: how the constants were set.

    Args:
        images: Images as for `measure_attributes`; the constants come from
            the 60,000 Fashion-MNIST training images.
        labels: `(n,)` class indices in [0, 10); every class must occur.

    Returns:
        `{"shade": (10, 2), "width": (10, 2)}` float arrays: row c holds the
        1/3 and 2/3 quantiles (numpy's default, linear interpolation) of
        class c, rounded to 4 decimals. On the training split they equal
        `SHADE_THRESHOLDS` and `WIDTH_THRESHOLDS`.

    Raises:
        ValueError: For invalid images or labels, or a class with no image.
    """
    measured = measure_attributes(images)
    labels = _check_labels(labels, len(measured["shade"]))
    result = {}
    for key in ("shade", "width"):
        table = np.zeros((len(fashion_mnist.CLASS_NAMES), 2))
        for c in range(len(table)):
            values = measured[key][labels == c]
            if not len(values):
                raise ValueError(
                    f"Expected images of every class, received none of class {c} "
                    f"({fashion_mnist.CLASS_NAMES[c]!r})."
                )
            table[c] = [round(float(q), 4) for q in np.quantile(values, [1 / 3, 2 / 3])]
        result[key] = table
    return result


# --- Caption grammar ---------------------------------------------------------

# Ways to name each class, in CLASS_NAMES order. Singular, so that "a {noun}"
# and "this {noun} is" read well ("a pair of trousers").
CLASS_SYNONYMS = (
    ("t-shirt", "tee", "short-sleeved top"),
    ("pair of trousers", "pair of pants", "pair of slacks"),
    ("pullover", "sweater", "jumper"),
    ("dress", "frock", "gown"),
    ("coat", "jacket", "overcoat"),
    ("sandal", "open-toed shoe", "strappy sandal"),
    ("shirt", "button-up shirt", "blouse"),
    ("sneaker", "trainer", "running shoe"),
    ("bag", "handbag", "purse"),
    ("ankle boot", "boot", "short boot"),
)
# Ways to say each level, in SHADE_LEVELS / WIDTH_LEVELS order.
SHADE_SYNONYMS = (
    ("dark", "dim", "dusky"),
    ("mid-grey", "grey", "greyish"),
    ("light", "pale", "bright"),
)
WIDTH_SYNONYMS = (
    ("narrow", "slim", "thin"),
    ("medium-width", "regular-width", "average-width"),
    ("wide", "broad", "roomy"),
)

# Sentence patterns. "a" becomes "an" before a vowel ("an ankle boot").
TRAIN_TEMPLATES = (
    "a {shade} {width} {noun}",
    "a {width} {noun} in a {shade} tone",
    "this {noun} is {shade} and {width}",
    "a photo of a {width}, {shade} {noun}",
    "the {noun} looks {width} and {shade}",
    "a {shade} {noun} with a {width} shape",
    "an image of a {noun} that is {width} and {shade}",
)
# Never used for training captions; new orders and combinations of the
# training words (no word here is missing from TRAIN_TEMPLATES).
HELD_OUT_TEMPLATES = (
    "a photo of a {noun} that is {shade} and {width}",
    "this {width} {noun} looks {shade}",
    "a {noun} in a {shade} tone with a {width} shape",
)
_TEMPLATES = {"train": TRAIN_TEMPLATES, "held_out": HELD_OUT_TEMPLATES}
_ARTICLE = re.compile(r"\ba (?=[aeiou])")


def _check_wording(wording):
    if wording not in _TEMPLATES:
        raise ValueError(
            f"Expected wording in {WORDINGS}, received wording={wording!r}."
        )
    return _TEMPLATES[wording]


def _check_index(value, size, arg):
    if not loader._is_int(value) or not 0 <= value < size:
        raise ValueError(
            f"Expected {arg} to be an integer in [0, {size}), received {arg}={value!r}."
        )
    return int(value)


def caption(
    label,
    shade_word,
    width_word,
    template=0,
    noun=0,
    shade_synonym=0,
    width_synonym=0,
    wording="train",
):
    """One caption: the class and both attribute levels in one sentence pattern.

    Args:
        label: Class index in [0, 10) (`keras_gans.data.CLASS_NAMES`).
        shade_word: Shade level in [0, 3) (`SHADE_LEVELS`).
        width_word: Width level in [0, 3) (`WIDTH_LEVELS`).
        template: Index into the wording's templates (`TRAIN_TEMPLATES` or
            `HELD_OUT_TEMPLATES`). Defaults to `0`.
        noun: Index into `CLASS_SYNONYMS[label]`. Defaults to `0`.
        shade_synonym: Index into `SHADE_SYNONYMS[shade_word]`. Defaults to `0`.
        width_synonym: Index into `WIDTH_SYNONYMS[width_word]`. Defaults to `0`.
        wording: `"train"` or `"held_out"`. Defaults to `"train"`.

    Returns:
        The caption, lower case without final punctuation.

    Raises:
        ValueError: If an index is out of range or `wording` is unknown.

    Example:

    >>> caption(1, 2, 0)
    'a light narrow pair of trousers'
    >>> caption(1, 2, 0, template=2, wording="held_out", width_synonym=1)
    'a pair of trousers in a light tone with a slim shape'
    """
    templates = _check_wording(wording)
    label = _check_index(label, len(CLASS_SYNONYMS), "label")
    shade_word = _check_index(shade_word, len(SHADE_LEVELS), "shade_word")
    width_word = _check_index(width_word, len(WIDTH_LEVELS), "width_word")
    return _caption(
        wording,
        _check_index(template, len(templates), "template"),
        _check_index(noun, len(CLASS_SYNONYMS[label]), "noun"),
        label,
        _check_index(shade_synonym, len(SHADE_SYNONYMS[shade_word]), "shade_synonym"),
        shade_word,
        _check_index(width_synonym, len(WIDTH_SYNONYMS[width_word]), "width_synonym"),
        width_word,
    )


@functools.cache
def _caption(wording, template, noun, label, shade_syn, shade, width_syn, width):
    text = _TEMPLATES[wording][template].format(
        noun=CLASS_SYNONYMS[label][noun],
        shade=SHADE_SYNONYMS[shade][shade_syn],
        width=WIDTH_SYNONYMS[width][width_syn],
    )
    return _ARTICLE.sub("an ", text)


def _phrase_pattern(groups):
    # Whole phrases only: "shirt" must not match inside "t-shirt", nor "grey"
    # inside "mid-grey". Longer phrases first, so that the regex prefers them.
    phrases = sorted({p for group in groups for p in group}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


_PARSE = {
    "label": (CLASS_SYNONYMS, _phrase_pattern(CLASS_SYNONYMS)),
    "shade_word": (SHADE_SYNONYMS, _phrase_pattern(SHADE_SYNONYMS)),
    "width_word": (WIDTH_SYNONYMS, _phrase_pattern(WIDTH_SYNONYMS)),
}


def parse_caption(text):
    """Reads the class and attribute levels back from a caption.

    Works on any text that names exactly one class and one level of each
    attribute with the synonyms of this module (case-insensitive), e.g. a
    prompt written by hand, so that a generated image can be checked
    against what its text asked for.

    Args:
        text: A caption string.

    Returns:
        A dict with int `"label"`, `"shade_word"` and `"width_word"`.

    Raises:
        ValueError: If the text names no class or level of an attribute, or
            several different ones.

    Example:

    >>> parse_caption("a photo of a pale, slim sneaker")
    {'label': 7, 'shade_word': 2, 'width_word': 0}
    """
    if not isinstance(text, str):
        raise ValueError(f"Expected a caption string, received {text!r}.")
    lowered = text.lower()
    result = {}
    for key, (groups, pattern) in _PARSE.items():
        found = pattern.findall(lowered)
        values = sorted(
            {i for i, group in enumerate(groups) for p in found if p in group}
        )
        if len(values) != 1:
            what = (
                "nothing" if not values else f"{len(values)} different ones ({found})"
            )
            raise ValueError(
                f"Expected a caption naming exactly one {key} with the words in "
                f"keras_gans.data.captions, found {what} in {text!r}."
            )
        result[key] = values[0]
    return result


# --- Deterministic choice of captions ----------------------------------------


def _mix(x):
    """splitmix64's finaliser, elementwise on uint64 arrays (wrapping)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(seed, *keys):
    """Uniform [0, 1) floats, one per broadcast combination of integer keys.

    A hash of (seed, *keys) rather than a sequential generator, so that an
    image's captions depend only on its index, not on which others are made.
    """
    h = _mix(np.full((1,), seed, dtype=np.uint64))
    for key in keys:
        h = _mix(h ^ np.asarray(key).astype(np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _choose(u, counts):
    return np.minimum((u * counts).astype(np.int64), counts - 1)


def captions_for(
    labels, attributes, n_per_image=5, wording="train", seed=0, index=None
):
    """Several captions per image, the same every time for the same image.

    For image i, caption j: the sentence patterns are a per-image random
    permutation of the wording's templates (so an image's captions use
    different patterns while `n_per_image` <= the number of templates), and
    the class and level synonyms are drawn uniformly. Every choice is a hash
    of `(seed, index[i], j)`, independent of the other images.

    Args:
        labels: `(n,)` class indices in [0, 10).
        attributes: The dict of `measure_attributes(images, labels)` (only
            its `"shade_word"` and `"width_word"` are used), or any dict with
            those two `(n,)` int arrays of levels in [0, 3).
        n_per_image: Captions per image. Defaults to `5`.
        wording: `"train"` (`TRAIN_TEMPLATES`) or `"held_out"`
            (`HELD_OUT_TEMPLATES`). Defaults to `"train"`.
        seed: Non-negative integer; another seed gives other captions.
            Defaults to `0`.
        index: `(n,)` non-negative integer ids of the images (their positions
            in the split). Defaults to `None`: `0, 1, ..., n - 1`.

    Returns:
        `(n, n_per_image)` numpy array of Python strings (dtype object).

    Raises:
        ValueError: For an unknown wording, a bad count or seed, or labels,
            levels or index that are not one valid value per image.
    """
    templates = _check_wording(wording)
    loader._check_positive_int(n_per_image, "n_per_image")
    if not loader._is_int(seed) or seed < 0:
        raise ValueError(
            f"Expected seed to be a non-negative integer, received seed={seed!r}."
        )
    labels = _check_labels(labels)
    n = len(labels)
    if not isinstance(attributes, dict) or not {"shade_word", "width_word"} <= set(
        attributes
    ):
        raise ValueError(
            "Expected attributes as the dict of measure_attributes(images, labels), "
            "with 'shade_word' and 'width_word' arrays; received "
            + (
                f"keys {sorted(attributes)}"
                if isinstance(attributes, dict)
                else repr(type(attributes))
            )
            + "."
        )
    levels = []
    for key in ("shade_word", "width_word"):
        values = np.asarray(attributes[key])
        if (
            values.shape != (n,)
            or not np.issubdtype(values.dtype, np.integer)
            or (n and (values.min() < 0 or values.max() > 2))
        ):
            raise ValueError(
                f"Expected attributes[{key!r}] as {n} levels in [0, 3), received "
                f"{values.dtype} of shape {values.shape}."
            )
        levels.append(values.astype(np.int64))
    shade, width = levels
    if index is None:
        index = np.arange(n, dtype=np.int64)
    index = np.asarray(index)
    if (
        index.shape != (n,)
        or not np.issubdtype(index.dtype, np.integer)
        or (n and index.min() < 0)
    ):
        raise ValueError(
            f"Expected index as {n} non-negative integers, received {index.dtype} "
            f"of shape {index.shape}."
        )

    k, t = n_per_image, len(templates)
    ids = index.astype(np.uint64)[:, None]
    # Field 0: the template permutation; 1-3: noun, shade and width synonyms.
    order = np.argsort(_uniform(seed, ids, np.arange(t)[None, :], 0), axis=1)
    chosen_template = order[:, np.arange(k) % t]
    j = np.arange(k)[None, :]
    noun_counts = np.array([len(s) for s in CLASS_SYNONYMS])[labels][:, None]
    noun = _choose(_uniform(seed, ids, j, 1), noun_counts)
    shade_counts = np.array([len(s) for s in SHADE_SYNONYMS])[shade][:, None]
    shade_syn = _choose(_uniform(seed, ids, j, 2), shade_counts)
    width_counts = np.array([len(s) for s in WIDTH_SYNONYMS])[width][:, None]
    width_syn = _choose(_uniform(seed, ids, j, 3), width_counts)

    out = np.empty((n, k), dtype=object)
    for i in range(n):
        label_i, shade_i, width_i = int(labels[i]), int(shade[i]), int(width[i])
        for c in range(k):
            out[i, c] = _caption(
                wording,
                int(chosen_template[i, c]),
                int(noun[i, c]),
                label_i,
                int(shade_syn[i, c]),
                shade_i,
                int(width_syn[i, c]),
                width_i,
            )
    return out


# --- The captioned Fashion-MNIST arrays --------------------------------------


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
    loader._check_positive_int(captions_per_image, "captions_per_image")


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
    loader._check_positive_int(limit, "limit", allow_none=True)
    images, labels = loader.load_arrays("fashion_mnist", split, data_dir=data_dir)
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
        convert=lambda x: loader._to_model_range(x, native, target, crop=False),
        examples=name,
        several=True,
    )


def _check_pipeline_args(batch_size, seed):
    loader._check_positive_int(batch_size, "batch_size")
    if seed is not None and not loader._is_int(seed):
        raise ValueError(
            f"Expected seed to be an integer or None, received seed={seed!r}."
        )


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
