"""`load()`: image datasets as batched pipelines in [-1, 1].

On the TensorFlow backend `load()` returns a `tf.data.Dataset`; on JAX and
PyTorch, for the offline datasets, a `keras.utils.PyDataset` over NumPy
arrays with the same batching, per-epoch shuffling and scaling
(`keras_gans.data.arrays`), so that no TensorFlow is needed there.
tensorflow-datasets and captioned datasets stay `tf.data` pipelines, which
Keras's JAX and PyTorch `fit()` take too (with TensorFlow installed).

GAN generators end in `tanh`, so real images are scaled to the same range:
pixel value 0 becomes -1.0 and 255 becomes 1.0.

Offline datasets: `"fashion_mnist"` (28x28, local IDX files) and `"digits"`
(scikit-learn's bundled 8x8 digits upscaled to 16x16; needs scikit-learn).
Captioned, for text-to-image models: `"fashion_captions"`, Fashion-MNIST with
captions built from each image's class and measured attributes (see
`keras_gans.data.captions`), yielding `(image, caption)` pairs.
"""

import os

import keras
import numpy as np

from keras_gans._lazy import lazy_tensorflow
from keras_gans.data.local import (  # noqa: F401 - the loader's names
    _CAPTIONED,
    _LOCAL_MODULES,
    CAPTIONED_DATASETS,
    LOCAL_DATASETS,
    _cached_arrays,
    _check_image_shape,
    _check_local_name,
    _check_local_split,
    _local_name,
    _to_model_range,
    load_arrays,
    local_image_shape,
)
from keras_gans.validation import check_int, check_int_tuple

# TensorFlow is imported when a tf.data pipeline is first built.
tf = lazy_tensorflow()

SOURCES = ("auto", "local", "tfds")

# A few thousand examples mix well enough for tfds data that does not fit in
# memory (celeb_a is ~200k images of 218x178x3).
TFDS_SHUFFLE_BUFFER = 4096



def _finish(ds, batch_size, shuffle, shuffle_buffer, seed, repeat, drop_remainder):
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder)


def _load_local(
    key,
    split,
    batch_size,
    image_shape,
    shuffle,
    seed,
    with_labels,
    drop_remainder,
    data_dir,
    repeat,
    limit,
    classes=None,
):
    _check_local_split(key, split)
    images, labels = _cached_arrays(key, split, data_dir)
    if classes is not None:
        keep = np.isin(labels, classes)
        if not keep.any():
            raise ValueError(
                f"Expected classes among the labels of {key!r} split {split!r} "
                f"({sorted(set(labels.tolist()))}); received classes={classes}."
            )
        images, labels = images[keep], labels[keep]
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    n = len(images)
    if drop_remainder and not repeat and n < batch_size:
        raise ValueError(
            f"Expected batch_size <= the number of examples ({n} in {key!r} "
            f"split {split!r}"
            + (f" with limit={limit}" if limit is not None else "")
            + f"), received batch_size={batch_size}. With drop_remainder=True the "
            "dataset would be empty; lower batch_size or pass drop_remainder=False."
        )
    native = _LOCAL_MODULES[key].IMAGE_SHAPE
    target = image_shape or native
    images = images.reshape((n,) + native)
    if keras.backend.backend() != "tensorflow":
        from keras_gans.data.arrays import ArrayBatches, to_model_range

        return ArrayBatches(
            to_model_range(images, target),
            labels.astype(np.int32) if with_labels else None,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            drop_remainder=drop_remainder,
            repeat=repeat,
        )
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    ds = _finish(ds, batch_size, shuffle, max(n, 1), seed, repeat, drop_remainder)

    # Converting whole batches is much cheaper than one image at a time.
    def convert(x, y):
        x = _to_model_range(x, native, target, crop=False)
        return (x, y) if with_labels else x

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def _load_tfds(
    name,
    split,
    batch_size,
    image_shape,
    shuffle,
    seed,
    with_labels,
    drop_remainder,
    data_dir,
    repeat,
    limit,
):
    from keras_gans.data import tfds_source

    ds, source_shape = tfds_source.load_tfds(
        name,
        split=split,
        data_dir=data_dir,
        with_labels=with_labels,
        shuffle_files=shuffle,
        seed=seed,
    )
    if image_shape is None:
        if None in source_shape:
            raise ValueError(
                f"Images in tfds dataset {name!r} vary in size (feature shape "
                f"{source_shape}), so they cannot be batched as they are. "
                "Expected image_shape=(height, width, channels), received None."
            )
        image_shape = tuple(source_shape)
        if image_shape[2] not in (1, 3):
            image_shape = image_shape[:2] + (3,)
    if limit is not None:
        ds = ds.take(limit)

    def convert(x, y):
        x = _to_model_range(x, source_shape, image_shape, crop=True)
        x = tf.ensure_shape(x, image_shape)
        return (x, y) if with_labels else x

    # Per example, before batching: tfds images may differ in size.
    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    ds = _finish(
        ds, batch_size, shuffle, TFDS_SHUFFLE_BUFFER, seed, repeat, drop_remainder
    )
    return ds.prefetch(tf.data.AUTOTUNE)


def load(
    name,
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
    source="auto",
    classes=None,
    **dataset_options,
):
    """Loads an image dataset, or your own pictures, as batches in [-1, 1].

    `name` is a path when it contains a path separator, starts with `.` or
    `~`, ends in `.zip` / `.tar`, or is a `pathlib.Path` or a list of files:
    then a folder (searched recursively), glob, list of files or archive of
    JPEG, PNG, WebP, BMP and GIF pictures is read, streamed from disk and
    cached decoded (`keras_gans.data.folders.load_folder`, whose options
    `crop_box`, `background`, `flip`, `holdout`, `captions`, `cache`,
    `cache_dir` and `strategy` are taken here as keyword arguments; the
    image shape defaults to 64x64x3, `split="test"` is the holdout). On
    TensorFlow that is a `tf.data.Dataset`, elsewhere a `PyDataset`; its
    `folder` attribute names the files skipped.

    Offline datasets (`LOCAL_DATASETS`: Fashion-MNIST, read from local files,
    and scikit-learn's digits, bundled with scikit-learn) are held in memory. Any other name is a tensorflow-datasets image
    dataset (`pip install "keras-gans[tfds]"`); tfds downloads and prepares it
    on first use, so that needs network access once.

    Images are float32 with shape `(batch, H, W, C)`; pixel 0 maps to -1.0
    and 255 to 1.0, matching a `tanh` generator. When `image_shape` differs
    from the native shape, images are centre-cropped to its aspect ratio
    (tfds data only), resized bilinearly (with antialiasing), and converted
    between grey and RGB (grey is tiled; RGB becomes grey by luminance).

    `"fashion_captions"` (`CAPTIONED_DATASETS`) yields `(images, captions)`
    instead: Fashion-MNIST images with one of each image's captions, drawn
    at random each epoch (see `keras_gans.data.captions`).

    Args:
        name: Dataset name: one of `LOCAL_DATASETS` or `CAPTIONED_DATASETS`,
            or a tfds name such as `"celeb_a"`, `"cifar10"`, `"mnist"`,
            `"caltech_birds2011"`.
        split: `"train"` or `"test"` for local data; any tfds split string
            (`"train[:10%]"`) for tfds data. Defaults to `"train"`.
        batch_size: Examples per batch. Defaults to `128`.
        image_shape: Output `(height, width, channels)`, channels 1 or 3.
            Defaults to `None`: the native shape (`(28, 28, 1)` for
            Fashion-MNIST, `(16, 16, 1)` for digits); an error for tfds data
            whose images vary in size.
        shuffle: Whether to shuffle examples (all of them for local data, a
            buffer of `TFDS_SHUFFLE_BUFFER` for tfds data), in a new order
            each epoch. Defaults to `True`.
        seed: Integer seed making the shuffle order reproducible. Defaults to
            `None` (a different order each run).
        with_labels: Whether to yield `(images, labels)` with int32 labels
            instead of images alone. Defaults to `False`.
        drop_remainder: Whether to drop a last, smaller batch, so every batch
            has `batch_size` examples. Defaults to `True`.
        data_dir: For local data, the directory holding the files (see
            `keras_gans.data.fashion_mnist`; ignored for digits); for tfds
            data, tfds's `data_dir`. Defaults to `None`.
        repeat: Whether to repeat forever (then pass `steps_per_epoch` to
            `fit()`). Defaults to `False`.
        limit: Use only the first `limit` examples (before shuffling), for
            quick runs and tests. For tfds data read with `shuffle=True`,
            "first" is in the seeded order of tfds's shuffled files.
            Defaults to `None` (all).
        source: `"local"`, `"tfds"`, or `"auto"` (local for names in
            `LOCAL_DATASETS` and `CAPTIONED_DATASETS`, tfds otherwise).
            Defaults to `"auto"`.
        classes: Keep only the examples of these labels (an int or a list of
            ints; Fashion-MNIST's are in `CLASS_NAMES`), e.g. to fine-tune
            on one class; local datasets only. `limit` counts the kept
            examples. Defaults to `None` (all).
        **dataset_options: For a path, the folder options above. For
            `"fashion_captions"`: `wording` (`"train"`, the default, or `"held_out"`: sentence
            patterns kept out of training, for evaluation on
            `split="test"`) and `captions_per_image` (default `5`).

    Returns:
        A prefetched `tf.data.Dataset` of float32 image batches, or of
        `(images, labels)` tuples when `with_labels=True`. For
        `"fashion_captions"`: `(images, captions)` with `tf.string`
        captions `(batch,)`, or `(images, captions, labels)`.

    Raises:
        DataNotFoundError: If local data is not found; the message lists the
            places searched and how to get the data.
        ImportError: If tfds data is asked for and tensorflow-datasets is not
            installed, or digits and scikit-learn is not installed.
        ValueError: If an argument is invalid or the name is unknown.
        TypeError: If `dataset_options` are given for a dataset without
            options, or are not among its options.

    Example:

    >>> ds = keras_gans.data.load("fashion_mnist", batch_size=64, seed=0)
    >>> images = next(iter(ds))
    >>> images.shape, images.dtype
    (TensorShape([64, 28, 28, 1]), tf.float32)
    >>> ds = keras_gans.data.load("fashion_captions", batch_size=2, seed=0)
    >>> images, captions = next(iter(ds))
    >>> captions.dtype
    tf.string
    """
    from keras_gans.data import folders

    if folders.is_path_source(name):
        return _load_path(
            name,
            source=source,
            classes=classes,
            data_dir=data_dir,
            split=split,
            batch_size=batch_size,
            image_shape=_check_image_shape(image_shape),
            shuffle=shuffle,
            seed=seed,
            with_labels=with_labels,
            drop_remainder=drop_remainder,
            repeat=repeat,
            limit=limit,
            **dataset_options,
        )
    if not isinstance(name, str) or not name:
        raise ValueError(
            "Expected a dataset name or the path of a folder, glob, archive or "
            f"list of image files, received name={name!r}."
        )
    _check_not_a_folder(name)
    if source not in SOURCES:
        raise ValueError(f"Expected source in {SOURCES}, received source={source!r}.")
    check_int("batch_size", batch_size, minimum=1)
    check_int("limit", limit, minimum=1, allow_none=True)
    check_int("seed", seed, allow_none=True)
    image_shape = _check_image_shape(image_shape)
    classes = _check_classes(classes)

    options = dict(
        split=split,
        batch_size=batch_size,
        image_shape=image_shape,
        shuffle=shuffle,
        seed=seed,
        with_labels=with_labels,
        drop_remainder=drop_remainder,
        data_dir=data_dir,
        repeat=repeat,
        limit=limit,
    )
    key = _local_name(name)
    if key in _CAPTIONED and source != "tfds":
        from keras_gans.data import captions  # it imports this module

        if classes is not None:
            raise ValueError(
                f"classes= applies to image datasets; {name!r} pairs every class "
                "with captions. Filter its labels with with_labels=True instead."
            )
        unknown = sorted(set(dataset_options) - set(captions.DATASET_OPTIONS))
        if unknown:
            raise TypeError(
                f"load() got unexpected keyword arguments {unknown} for dataset "
                f"{name!r}; its options are {captions.DATASET_OPTIONS}."
            )
        return captions._load(**options, **dataset_options)
    if dataset_options:
        raise TypeError(
            f"load() got unexpected keyword arguments {sorted(dataset_options)} "
            f"for dataset {name!r}; dataset options apply only to "
            f"{CAPTIONED_DATASETS}."
        )
    if source == "local" or (source == "auto" and key in _LOCAL_MODULES):
        return _load_local(_check_local_name(name), classes=classes, **options)
    if classes is not None:
        raise ValueError(
            f"classes= applies to the local datasets {sorted(_LOCAL_MODULES)}; "
            f"received classes={classes!r} for {name!r}."
        )
    return _load_tfds(name, **options)


def _check_not_a_folder(name):
    """A bare word that names a dataset and an existing folder is ambiguous."""
    key = _local_name(name)
    if (key in _LOCAL_MODULES or key in _CAPTIONED) and os.path.isdir(name):
        raise ValueError(
            f"{name!r} is both a dataset name and a folder here. Write "
            f"'./{name}' for the folder, or run from another folder for the dataset."
        )


def _load_path(name, source, classes, data_dir, **options):
    from keras_gans.data import folders

    check_int("batch_size", options["batch_size"], minimum=1)
    check_int("limit", options["limit"], minimum=1, allow_none=True)
    check_int("seed", options["seed"], allow_none=True)
    for option, value, default in (
        ("source", source, "auto"),
        ("classes", classes, None),
        ("data_dir", data_dir, None),
    ):
        if value != default:
            raise ValueError(
                f"{option}= applies to datasets by name; received {option}={value!r} "
                f"with the path {name!r}."
            )
    unknown = sorted(set(options) - set(_PATH_OPTIONS) - set(folders.FOLDER_OPTIONS))
    if unknown:
        raise TypeError(
            f"load() got unexpected keyword arguments {unknown} for the path "
            f"{name!r}; its options are {folders.FOLDER_OPTIONS}."
        )
    return folders.load_folder(name, **options)


_PATH_OPTIONS = (
    "split",
    "batch_size",
    "image_shape",
    "shuffle",
    "seed",
    "with_labels",
    "drop_remainder",
    "repeat",
    "limit",
)


def _check_classes(classes):
    if classes is None:
        return None
    values = check_int_tuple("classes", classes, minimum=0, example="7 or (5, 7, 9)")
    return values
