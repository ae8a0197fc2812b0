"""Image datasets from tensorflow-datasets (celeb_a, cifar10, mnist, ...).

tensorflow-datasets is an optional dependency (`pip install "keras-gans[tfds]"`),
imported only when a tfds dataset is asked for.
"""

from keras_gans._tensorflow import tf
from keras_gans.data.local import LOCAL_DATASETS


def _local_datasets():
    return LOCAL_DATASETS


def import_tfds():
    """Imports tensorflow_datasets, with an install hint if it is missing."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise ImportError(
            "Loading a tensorflow-datasets dataset needs the `tensorflow-datasets` "
            'package: pip install "keras-gans[tfds]". Datasets that work '
            f"without it: {_local_datasets()}."
        ) from e
    return tfds


def _find_image_key(features, name):
    if "image" in features:
        return "image"
    tfds = import_tfds()
    for key, feature in features.items():
        if isinstance(feature, tfds.features.Image):
            return key
    raise ValueError(
        f"Expected an image feature in tfds dataset {name!r}, received features "
        f"{sorted(features.keys())} with no `tfds.features.Image` among them."
    )


def load_tfds(
    name,
    split="train",
    data_dir=None,
    with_labels=False,
    shuffle_files=False,
    seed=None,
    download=True,
):
    """Loads a tensorflow-datasets image dataset as `(image, label)` examples.

    The image is the feature named `"image"`, or else the first
    `tfds.features.Image` feature; the label is the feature named `"label"`.

    Args:
        name: A tfds name, optionally with config and version
            (`"celeb_a"`, `"cifar10:3.0.2"`).
        split: A tfds split string (`"train"`, `"test[:10%]"`, ...).
            Defaults to `"train"`.
        data_dir: Where tfds keeps prepared data. Defaults to `None` (tfds's
            own default, `~/tensorflow_datasets`).
        with_labels: Whether to return labels; an error if there is no
            `"label"` feature. Defaults to `False`.
        shuffle_files: Whether tfds reads its shards in random order.
            Defaults to `False`.
        seed: Seed for the shard order. Defaults to `None`.
        download: Whether tfds may download and prepare the data when it is
            not in `data_dir` yet. Defaults to `True`.

    Returns:
        A tuple `(dataset, image_shape)`: an unbatched `tf.data.Dataset` of
        `(uint8 image (H, W, C), int32 label)` pairs (the label is `-1` when
        `with_labels=False`), and the image feature's static shape, whose
        height and width are `None` when images vary in size.

    Raises:
        ImportError: If tensorflow-datasets is not installed.
        ValueError: If `name` is not a tfds dataset, or has no image (or label,
            when asked for) feature.
    """
    tfds = import_tfds()
    read_config = tfds.ReadConfig(shuffle_seed=seed)
    try:
        ds, info = tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            download=download,
            shuffle_files=shuffle_files,
            read_config=read_config,
            with_info=True,
        )
    except tfds.core.DatasetNotFoundError as e:
        raise ValueError(
            f"Unknown dataset {name!r}: expected one of the offline datasets "
            f"{_local_datasets()} or a tensorflow-datasets name (see "
            "`tfds.list_builders()`), but it is not a tfds dataset either."
        ) from e

    features = info.features
    image_key = _find_image_key(features, name)
    image_feature = features[image_key]
    # `tf_dtype` is the current name; older tfds only has `dtype`.
    dtype = tf.as_dtype(getattr(image_feature, "tf_dtype", None) or image_feature.dtype)
    if dtype != tf.uint8:
        raise ValueError(
            f"Expected uint8 images in tfds dataset {name!r}, received "
            f"{dtype.name} in feature {image_key!r}."
        )
    if with_labels and "label" not in features:
        raise ValueError(
            f"with_labels=True expects a 'label' feature in tfds dataset {name!r}, "
            f"received features {sorted(features.keys())}."
        )

    def select(example):
        image = example[image_key]
        if with_labels:
            label = tf.cast(example["label"], tf.int32)
        else:
            label = tf.constant(-1, tf.int32)
        return image, label

    ds = ds.map(select, num_parallel_calls=tf.data.AUTOTUNE)
    return ds, tuple(image_feature.shape)
