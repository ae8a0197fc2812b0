"""Turning generated batches into pictures: uint8 conversion, grids, PNG files."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from keras_gans.files import write_atomic


def to_uint8(images):
    """Maps images in [-1, 1] to uint8 in [0, 255] (values outside are clipped).

    Args:
        images: float array `(..., H, W, C)` in [-1, 1].
    """
    images = np.asarray(images, dtype="float32")
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype("uint8")


def from_uint8(images):
    """Maps uint8 pixels in [0, 255] to float32 in [-1, 1], the models' range.

    The inverse of `to_uint8`; `(n, H, W)` batches get a channel axis.

    Args:
        images: uint8 array `(n, H, W)` or `(n, H, W, C)`.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return images.astype("float32") / 127.5 - 1.0


def image_grid(images, ncols=None, padding=2, pad_value=255):
    """Tiles a batch of images into one image.

    Args:
        images: `(n, H, W, C)`; float in [-1, 1] or uint8.
        ncols: images per row. Defaults to `ceil(sqrt(n))`.
        padding: pixels between images. Defaults to `2`.
        pad_value: uint8 colour of the padding. Defaults to `255` (white).

    Returns:
        uint8 array `(rows * (H + p) + p, ncols * (W + p) + p, C)`.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "Expected a batch of images (n, H, W, C) with C in {1, 3, 4}; "
            f"received shape {images.shape}."
        )
    if images.dtype != np.uint8:
        images = to_uint8(images)
    n, h, w, c = images.shape
    ncols = int(ncols or math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    grid = np.full(
        (nrows * (h + padding) + padding, ncols * (w + padding) + padding, c),
        pad_value,
        dtype="uint8",
    )
    for i in range(n):
        r, col = divmod(i, ncols)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = images[i]
    return grid


def save_png(path, image):
    """Saves one image `(H, W, C)` (uint8, or float in [-1, 1]) as PNG.

    Args:
        path: destination file; parent folders are created.
        image: the image.

    Returns:
        The path written.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.dtype != np.uint8:
        image = to_uint8(image)
    return write_atomic(path, tf.io.encode_png(image).numpy())


def save_image_grid(images, path, ncols=None, padding=2):
    """Saves a batch of images as one PNG grid. See `image_grid`."""
    return save_png(path, image_grid(images, ncols=ncols, padding=padding))
