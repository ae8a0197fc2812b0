"""What a Fashion-MNIST caption describes, measured from the pixels: shade and width.

- **shade**, the mean intensity of the garment's pixels: `"dark"`,
  `"mid-grey"` or `"light"` (`SHADE_LEVELS`);
- **width**, the garment's mean width across the rows it covers: `"narrow"`,
  `"medium-width"` or `"wide"` (`WIDTH_LEVELS`).

The levels are the tertiles of each class on the training split
(`SHADE_THRESHOLDS`, `WIDTH_THRESHOLDS`). `measure_attributes` works on
generated float images too, to check that a generator draws what the caption
asks for. Part of `keras_gans.data.captions`, which re-exports these names.
"""

from __future__ import annotations

import numpy as np

from keras_gans.data import fashion_mnist
from keras_gans.images import to_uint8

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
