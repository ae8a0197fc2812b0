"""The words of a Fashion-MNIST caption: synonyms, sentence patterns, parsing.

Captions name the class (one of its `CLASS_SYNONYMS`) and both attributes
(one of `SHADE_SYNONYMS` / `WIDTH_SYNONYMS` for the level), in one of several
sentence patterns: `TRAIN_TEMPLATES` for training, `HELD_OUT_TEMPLATES` for
testing whether a model understands new phrasing. `captions_for` chooses
them deterministically per image. Part of `keras_gans.data.captions`, which
re-exports these names.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from keras_gans.data.caption_attributes import (
    SHADE_LEVELS,
    WIDTH_LEVELS,
    _check_labels,
)
from keras_gans.validation import check_int, is_int

WORDINGS = ("train", "held_out")


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
    if not is_int(value) or not 0 <= value < size:
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
    check_int("n_per_image", n_per_image, minimum=1)
    check_int("seed", seed, minimum=0)
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
