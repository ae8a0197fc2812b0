"""The offline datasets as NumPy arrays, and their scaling to [-1, 1].

`load_arrays()` decodes Fashion-MNIST (Debian's IDX files) or scikit-learn's
digits once per file version; `_to_model_range` scales and resizes a batch
of them for a model. The loader (`keras_gans.data.loader`), the captioned
datasets (`keras_gans.data.captions`) and tensorflow-datasets' source all
build on it, so none of them imports another.
"""

import os

from keras_gans._lazy import lazy_tensorflow
from keras_gans.data import digits, fashion_mnist
from keras_gans.validation import is_int

# Offline datasets: name -> module with SPLITS, IMAGE_SHAPE and
# load_split(split, data_dir) returning uint8 (images (N, H, W), labels (N,)).
# File-based ones (with FILES and find_data_dir()) are cached per file version.
# TensorFlow is imported when a tf.data pipeline is first built.
tf = lazy_tensorflow()

_LOCAL_MODULES = {"fashion_mnist": fashion_mnist, "digits": digits}
LOCAL_DATASETS = tuple(_LOCAL_MODULES)
"""The image datasets `load` reads from local files, never downloading them."""
# Captioned datasets: name -> the offline image dataset they caption. Their
# images and labels (`load_arrays`, `local_image_shape`) are that dataset's;
# `load()` yields (image, caption) pairs (keras_gans.data.captions). Kept out
# of LOCAL_DATASETS, whose `load()` yields images alone.
_CAPTIONED = {"fashion_captions": "fashion_mnist"}
CAPTIONED_DATASETS = tuple(_CAPTIONED)
"""The datasets `load` yields as (image, caption) pairs (`"fashion_captions"`)."""

# Decoded local arrays, keyed by (name, split, directory, file mtimes), so that
# repeated `load()` calls (one per epoch loop, per test, ...) skip gunzip+parse.
_ARRAY_CACHE = {}


def _local_name(name):
    # "fashion-mnist" and "Fashion_MNIST" are the same dataset.
    return name.strip().lower().replace("-", "_")


def _check_local_name(name):
    key = _local_name(name)
    key = _CAPTIONED.get(key, key)
    if key not in _LOCAL_MODULES:
        raise ValueError(
            f"Expected one of the offline datasets {LOCAL_DATASETS} or the "
            f"captioned datasets {CAPTIONED_DATASETS}, received {name!r}. "
            "tensorflow-datasets names are loaded with `load(name, source='tfds')`."
        )
    return key


def local_image_shape(name):
    """The native `(H, W, C)` of an offline dataset, or `None` for other names.

    Args:
        name: a dataset name (`"fashion_mnist"`, `"Fashion-MNIST"`, `"digits"`,
            `"fashion_captions"`, or any tfds name).

    Returns:
        `(28, 28, 1)` for Fashion-MNIST (and `"fashion_captions"`),
        `(16, 16, 1)` for digits, `None` for names that are not in
        `LOCAL_DATASETS` or `CAPTIONED_DATASETS`.
    """
    key = _local_name(name)
    module = _LOCAL_MODULES.get(_CAPTIONED.get(key, key))
    return None if module is None else tuple(module.IMAGE_SHAPE)


def _check_local_split(key, split):
    splits = _LOCAL_MODULES[key].SPLITS
    if split not in splits:
        raise ValueError(
            f"Expected split in {splits} for {key!r}, received split={split!r}."
        )


def _cached_arrays(key, split, data_dir):
    module = _LOCAL_MODULES[key]
    if hasattr(module, "find_data_dir"):
        directory = module.find_data_dir(data_dir)
        files = [directory / f for f in module.FILES[split]]
        stamp = tuple(os.stat(f).st_mtime_ns for f in files)
        cache_key = (key, split, str(directory.resolve()), stamp)
        source = directory
    else:
        # Data bundled with a package (digits): nothing to find or stamp.
        cache_key = (key, split)
        source = data_dir
    if cache_key not in _ARRAY_CACHE:
        images, labels = module.load_split(split, source)
        # Read-only so that no caller can corrupt the cached copy.
        images.flags.writeable = False
        labels.flags.writeable = False
        _ARRAY_CACHE[cache_key] = (images, labels)
    return _ARRAY_CACHE[cache_key]


def load_arrays(name="fashion_mnist", split="train", data_dir=None):
    """Loads a local dataset as uint8 numpy arrays, without network access.

    Args:
        name: One of `LOCAL_DATASETS`, or of `CAPTIONED_DATASETS` for the
            images and labels it captions (`"fashion_captions"` gives
            Fashion-MNIST's; its captions come from
            `keras_gans.data.captions.load_captioned`). Defaults to
            `"fashion_mnist"`.
        split: `"train"` or `"test"`. Defaults to `"train"`.
        data_dir: Directory holding the dataset files (or a subdirectory named
            after the dataset, e.g. `fashion-mnist/`). Defaults to `None`:
            `$KERAS_GANS_DATA_DIR`, then the system and Keras-cache locations.
            Ignored for `"digits"`, which ships with scikit-learn.

    Returns:
        A tuple `(images, labels)`: uint8 arrays of shape `(N, H, W)` in
        [0, 255] and `(N,)` class indices. Fashion-MNIST: `(N, 28, 28)`,
        60000 train / 10000 test. Digits: `(N, 16, 16)` (8x8 upscaled x2),
        1497 train / 300 test (a fixed split; see `keras_gans.data.digits`).
        Fresh, writable copies.

    Raises:
        DataNotFoundError: If the files are in none of the places searched;
            the message lists them and says how to get the data.
        ImportError: For `"digits"` when scikit-learn is not installed.
        ValueError: If `name` or `split` is unknown, or a file is corrupt.

    Example:

    >>> images, labels = keras_gans.data.load_arrays("fashion_mnist", "test")
    >>> images.shape, labels.shape
    ((10000, 28, 28), (10000,))
    """
    key = _check_local_name(name)
    _check_local_split(key, split)
    images, labels = _cached_arrays(key, split, data_dir)
    return images.copy(), labels.copy()


def _check_image_shape(image_shape):
    if image_shape is None:
        return None
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
    if (
        shape is None
        or len(shape) != 3
        or not all(is_int(d) and d > 0 for d in shape)
        or shape[2] not in (1, 3)
    ):
        raise ValueError(
            "Expected image_shape=(height, width, channels) with positive "
            f"integers and channels 1 or 3, received image_shape={image_shape!r}."
        )
    return tuple(int(d) for d in shape)


def _centre_crop(image, target_hw):
    """Crops the largest centred window with the aspect ratio of `target_hw`."""
    shape = tf.shape(image)
    h, w = shape[-3], shape[-2]
    th, tw = target_hw
    # Compare h/w with th/tw in integers to avoid rounding in the common case
    # where the ratios are equal (no crop).
    crop_h = tf.minimum(h, (w * th) // tw)
    crop_w = tf.minimum(w, (h * tw) // th)
    top = (h - crop_h) // 2
    left = (w - crop_w) // 2
    return image[..., top : top + crop_h, left : left + crop_w, :]


def _luminance(images):
    # ITU-R BT.601 luma weights. tf.image.rgb_to_grayscale uses 0.2989, whose
    # weights sum to 0.9999, so white would not map to exactly 1.0.
    weights = tf.constant([0.299, 0.587, 0.114], tf.float32)
    return tf.reduce_sum(images * weights, axis=-1, keepdims=True)


def _to_model_range(images, source_shape, image_shape, crop):
    """uint8 images -> float32 in [-1, 1] with `image_shape` (H, W, C).

    Works on one image or a batch. `source_shape` is the static (H, W, C) of
    the input, with `None` for sizes that vary.
    """
    images = tf.cast(images, tf.float32)
    src_c = source_shape[2]
    if image_shape is not None:
        height, width, channels = image_shape
        if src_c == 4:  # RGBA: the GAN models take grey or RGB.
            images = images[..., :3]
            src_c = 3
        # Luminance before resizing (fewer channels to resize); tiling after.
        if src_c == 3 and channels == 1:
            images = _luminance(images)
        if tuple(source_shape[:2]) != (height, width):
            if crop:
                images = _centre_crop(images, (height, width))
            # Antialiasing matters when shrinking (celeb_a 178 -> 64); its
            # triangle kernel is non-negative, so values stay in [0, 255].
            images = tf.image.resize(
                images, (height, width), method="bilinear", antialias=True
            )
        if src_c == 1 and channels == 3:
            images = tf.tile(images, [1] * (len(images.shape) - 1) + [3])
    # 0 -> -1 and 255 -> 1 exactly; the clip guards against float round-off
    # after resizing.
    images = images / 127.5 - 1.0
    return tf.clip_by_value(images, -1.0, 1.0)
