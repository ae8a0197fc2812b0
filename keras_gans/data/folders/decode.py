"""One picture file -> one uint8 array of the model's shape, with Pillow.

Every backend decodes with this function, so the same file gives the same
pixels on TensorFlow, JAX and PyTorch. The steps, in order:

1. open the bytes and check the format (JPEG, PNG, WebP, BMP, GIF) and the
   pixel count (a decompression bomb is refused from its header);
2. for large JPEGs, let the decoder scale down by 1/2, 1/4 or 1/8 while
   decoding (`Image.draft`), never below the target size;
3. take the first frame (GIF, WebP), apply the EXIF orientation;
4. convert the mode: 16-bit to 8-bit, palette and grey-with-alpha to RGBA,
   alpha composited on `background`, CMYK and YCbCr to RGB, then RGB to grey
   by ITU-R 601 luma (Pillow's "L") or grey to RGB;
5. crop (`crop_box`, or the largest centred window of the target's aspect)
   and resize with Pillow's antialiased bilinear filter (a triangle kernel,
   as `tf.image.resize(..., antialias=True)`).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "BMP", "GIF")
# Pillow's own limit (about 89 megapixels; it warns above and refuses at
# twice that): larger pictures are refused before their pixels are decoded.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
DEFAULT_BACKGROUND = (255, 255, 255)


class BadImageError(ValueError):
    """A file that is not a usable picture; the message is the reason."""


def check_crop_box(crop_box):
    """`crop_box` as `(left, top, right, bottom)` ints, or `None`."""
    if crop_box is None:
        return None
    box = tuple(crop_box) if isinstance(crop_box, (list, tuple)) else ()
    if (
        len(box) != 4
        or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in box)
        or box[2] <= box[0]
        or box[3] <= box[1]
    ):
        raise ValueError(
            "Expected crop_box=(left, top, right, bottom) in pixels with "
            f"left < right and top < bottom, received crop_box={crop_box!r}."
        )
    return tuple(int(v) for v in box)


def check_background(background):
    """`background` as an `(r, g, b)` tuple of ints in [0, 255]."""
    if isinstance(background, (int, np.integer)):
        background = (background,) * 3
    values = tuple(background) if isinstance(background, (list, tuple)) else ()
    if len(values) != 3 or not all(
        isinstance(v, (int, np.integer)) and 0 <= v <= 255 for v in values
    ):
        raise ValueError(
            "Expected background=(r, g, b) with integers in [0, 255] (or one "
            f"integer for grey), received background={background!r}."
        )
    return tuple(int(v) for v in values)


def _crop_window(size, target_hw, crop_box):
    """The `(left, top, right, bottom)` window of a `size` (w, h) picture."""
    width, height = size
    if crop_box is not None:
        left, top, right, bottom = crop_box
        if right > width or bottom > height:
            raise BadImageError(
                f"smaller ({width}x{height}) than crop_box {crop_box} reaches"
            )
        return crop_box
    th, tw = target_hw
    # Integer arithmetic: equal aspects give no crop at all.
    crop_h = min(height, (width * th) // tw)
    crop_w = min(width, (height * tw) // th)
    top = (height - crop_h) // 2
    left = (width - crop_w) // 2
    return left, top, left + crop_w, top + crop_h


def _to_8bit(image):
    """16- and 32-bit grey (`I;16`, `I`, `F`) scaled to 8-bit `L`."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        scale = 255.0 if values.max(initial=0.0) <= 1.0 else 1.0
    else:
        scale = 255.0 / 65535.0  # PNG's 16-bit grey, whatever Pillow calls it
    values = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    return Image.fromarray(values, mode="L")


def _convert(image, channels, background):
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        image = _to_8bit(image)
    elif mode in ("P", "PA", "LA", "La", "RGBa"):
        has_alpha = mode != "P" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode == "1":
        image = image.convert("L")
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, background)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    target = "L" if channels == 1 else "RGB"
    return image.convert(target) if image.mode != target else image


def decode(data, image_shape, crop_box=None, background=DEFAULT_BACKGROUND):
    """A picture file's bytes as a uint8 `image_shape` array.

    Args:
        data: the file's bytes.
        image_shape: `(height, width, channels)`, channels 1 or 3.
        crop_box: `(left, top, right, bottom)` in the picture's pixels
            (after EXIF orientation), or `None` for the largest centred
            window of the target's aspect. Defaults to `None`.
        background: `(r, g, b)` under transparent pixels. Defaults to
            white.

    Returns:
        A uint8 array of shape `image_shape`.

    Raises:
        BadImageError: If the bytes are not a usable picture (not an image,
            a format not read here, truncated or corrupt, a decompression
            bomb, smaller than the target); the message says which.
    """
    height, width, channels = image_shape
    try:
        with warnings.catch_warnings():
            # Pillow warns on huge pictures before its own hard limit;
            # MAX_PIXELS below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise BadImageError("decompression bomb (too many pixels)") from None
    except (OSError, ValueError, SyntaxError):
        raise BadImageError("not an image Pillow can read") from None
    with image:
        if image.format not in FORMATS:
            raise BadImageError(
                f"format {image.format} (expected one of {', '.join(FORMATS)})"
            )
        w, h = image.size
        if w * h > MAX_PIXELS:
            raise BadImageError(
                f"decompression bomb ({w}x{h} pixels, more than {MAX_PIXELS})"
            )
        try:
            return _decode_open(image, (height, width), channels, crop_box, background)
        except BadImageError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError) as error:
            raise BadImageError(f"truncated or corrupt ({error})") from None


def _decode_open(image, target_hw, channels, crop_box, background):
    height, width = target_hw
    orientation = image.getexif().get(0x0112, 1) if image.format != "GIF" else 1
    transposed = orientation in (5, 6, 7, 8)  # width and height swap
    if image.format in ("JPEG", "MPO") and crop_box is None:
        # Decode at the smallest 1/2^k scale whose centred crop still
        # covers the target; the decoder then skips most of the work.
        w, h = image.size
        if transposed:
            w, h = h, w
        left, top, right, bottom = _crop_window((w, h), target_hw, None)
        need_w = -(-width * w // (right - left))
        need_h = -(-height * h // (bottom - top))
        if transposed:
            need_w, need_h = need_h, need_w
        image.draft(
            image.mode if image.mode in ("L", "RGB") else None, (need_w, need_h)
        )
    image.seek(0)
    image.load()
    image = ImageOps.exif_transpose(image)
    image = _convert(image, channels, background)
    box = _crop_window(image.size, target_hw, crop_box)
    if box[2] - box[0] < width or box[3] - box[1] < height:
        raise BadImageError(
            f"smaller than the target: {box[2] - box[0]}x{box[3] - box[1]} "
            f"pixels to fill {width}x{height}"
        )
    if box == (0, 0, width, height) and image.size == (width, height):
        resized = image
    else:
        resized = image.resize((width, height), Image.Resampling.BILINEAR, box=box)
    array = np.asarray(resized, dtype=np.uint8)
    return array.reshape(height, width, channels)
