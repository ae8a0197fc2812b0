"""Turning generated batches into pictures: uint8 conversion, grids, PNG files."""

from __future__ import annotations

import math

import numpy as np

from keras_gans.files import write_atomic
from keras_gans.outputs import PNG_MARK

__all__ = [
    "from_uint8",
    "image_grid",
    "save_captioned_grid",
    "save_image_grid",
    "save_png",
    "to_uint8",
]


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


def check_model_images(images, image_shape):
    """`images` as a NumPy array after checking they are what a model reads.

    Float images `(n, *image_shape)` scaled to [-1, 1]; integer pixels get an
    error pointing to `from_uint8`. Used by the calls that read real images
    (InfoGAN's `infer_codes`, GAN-CLS's `infer_style`).

    Args:
        images: the batch.
        image_shape: the model's `(H, W, C)`.
    """
    images = np.asarray(images)
    if images.dtype.kind in "iu":
        raise ValueError(
            "Expected float images scaled to [-1, 1]; received dtype "
            f"{images.dtype}. Use keras_gans.images.from_uint8(images)."
        )
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(image_shape):
        raise ValueError(
            f"Expected images of shape (n, {', '.join(map(str, image_shape))}); "
            f"received shape {images.shape}."
        )
    return images


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
    import io

    from PIL import Image  # Pillow comes with matplotlib
    from PIL.PngImagePlugin import PngInfo

    # The mark lets a later command rewrite this file without --overwrite
    # (keras_gans.outputs), and no other file.
    info = PngInfo()
    for key, value in PNG_MARK.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(
        buffer, format="PNG", pnginfo=info
    )
    return write_atomic(path, buffer.getvalue())


def save_image_grid(images, path, ncols=None, padding=2):
    """Saves a batch of images as one PNG grid. See `image_grid`."""
    return save_png(path, image_grid(images, ncols=ncols, padding=padding))


def save_captioned_grid(
    images, captions, path, ncols=None, title=None, column_labels=None, scale=0.9
):
    """Saves a grid with one row per caption, the caption written on its left.

    For text-to-image figures, where a reader needs to see what each row
    was asked for.

    Args:
        images: `(rows * ncols, H, W, C)` uint8 or float in [-1, 1], row-major.
        captions: one string per row.
        path: the PNG file; parent folders are created.
        ncols: images per row. Defaults to `len(images) // len(captions)`.
        title: optional figure title. Defaults to `None`.
        column_labels: optional strings above the columns. Defaults to `None`.
        scale: inches per image. Defaults to `0.9`.

    Returns:
        The path written.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    captions = [str(c) for c in captions]
    rows = len(captions)
    if rows == 0:
        raise ValueError("Expected at least one caption; received none.")
    ncols = ncols or len(images) // rows
    if ncols < 1 or rows * ncols != len(images):
        raise ValueError(
            f"Expected {rows} captions x {ncols} images per row = {rows * ncols} "
            f"images; received {len(images)}."
        )
    if column_labels is not None and len(column_labels) != ncols:
        raise ValueError(
            f"Expected {ncols} column labels; received {len(column_labels)}."
        )
    pictures = images if images.dtype == np.uint8 else to_uint8(images)
    text_width = 0.065 * max(len(c) for c in captions) + 0.3
    fig = plt.figure(
        figsize=(text_width + ncols * scale, rows * scale + (0.5 if title else 0.1))
    )
    grid = fig.add_gridspec(
        rows,
        ncols + 1,
        width_ratios=[text_width / scale] + [1] * ncols,
        wspace=0.05,
        hspace=0.05,
    )
    for r, caption in enumerate(captions):
        ax = fig.add_subplot(grid[r, 0])
        ax.axis("off")
        ax.text(1.0, 0.5, caption, ha="right", va="center", fontsize=8)
        for c in range(ncols):
            ax = fig.add_subplot(grid[r, c + 1])
            picture = pictures[r * ncols + c]
            ax.imshow(
                picture[..., 0] if picture.shape[-1] == 1 else picture,
                cmap="gray",
                vmin=0,
                vmax=255,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and column_labels is not None:
                ax.set_title(str(column_labels[c]), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata=PNG_MARK)
    plt.close(fig)
    return write_atomic(path, buffer.getvalue())
