"""A small emoji-group CNN: offline features for colour 64x64 metrics.

The Fashion-MNIST classifier sees 28x28 grey garments; InceptionV3 needs a
92 MB download. This network is trained here on the Twemoji pictures
(`tools/make_emoji_folder.py`: 4,009 72x72 PNGs in 11 emoji-group folders,
read at 64x64 on a white background), by `train_emoji_classifier`
(`tools/train_emoji_classifier.py`), and ships inside the package. Its 128-d
penultimate layer (named `"features"`) gives the activations for FID and
KID, its logits the 11 group probabilities for mode coverage. The card, with
the command, holdout accuracy and file hash, is `docs/emoji_classifier.md`.

Inputs are `(n, 64, 64, 3)` floats in [-1, 1]; the model outputs logits.
"""

import keras
import numpy as np

from keras_gans import data as kg_data
from keras_gans import files
from keras_gans.features.base import FeatureExtractor, ShippedClassifierFeatures

NAME = "emoji_classifier"
FILENAME = "emoji_classifier.keras"
IMAGE_SHAPE = (64, 64, 3)
FEATURE_LAYER = "features"
# The group folders of tools/make_emoji_folder.py, in sorted order: the
# labels `keras_gans.data.load(path, with_labels=True)` gives them.
CLASS_NAMES = (
    "activities",
    "animals-nature",
    "component",
    "flags",
    "food-drink",
    "objects",
    "other",
    "people-body",
    "smileys-emotion",
    "symbols",
    "travel-places",
)
NUM_CLASSES = len(CLASS_NAMES)

# The recipe (docs/emoji_classifier.md).
EPOCHS = 10
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
HOLDOUT = 0.1


def build_emoji_classifier(feature_dim=128, dropout=0.3):
    """Builds the (untrained) emoji-group CNN.

    A 2x2 average pooling (64 -> 32 pixels: a quarter of the cost on this
    project's 2-core machine, and enough to tell the groups apart), four
    conv-batchnorm-ReLU-maxpool blocks (32, 64, 96, 128 filters;
    32 -> 16 -> 8 -> 4 -> 2), global average pooling, dropout, the
    `"features"` layer (Dense + ReLU) and an 11-way logits layer. About
    200k parameters, so the saved file is under 1 MB.

    Args:
        feature_dim: Width of the `"features"` layer. Defaults to `128`.
        dropout: Dropout rate before and after the features layer.
            Defaults to `0.3`.

    Returns:
        An uncompiled `keras.Model` from `(n, 64, 64, 3)` images in [-1, 1]
        to `(n, 11)` logits.
    """
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = keras.layers.AveragePooling2D(2, name="downsample")(inputs)
    for i, filters in enumerate((32, 64, 96, 128), start=1):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False, name=f"conv{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D(name=f"pool{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout1")(x)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(dropout, name="dropout2")(features)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name=NAME)


def _split(path, split, holdout, batch_size, seed=None, train=False):
    return kg_data.load(
        str(path),
        split=split,
        image_shape=IMAGE_SHAPE,
        holdout=holdout,
        with_labels=True,
        batch_size=batch_size,
        shuffle=train,
        seed=seed,
        flip=train,
        drop_remainder=train,
    )


def train_emoji_classifier(
    path,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    seed=0,
    holdout=HOLDOUT,
    verbose="auto",
):
    """Trains `build_emoji_classifier()` on an emoji-group folder: the shipped recipe.

    The pictures outside a stable holdout (`holdout` of them, chosen by a
    hash of each path) train it, with random left-right flips; classes are
    weighted by inverse frequency (people-body holds 61% of the pictures,
    component 0.2%), so that every group shapes the features. Adam with a
    cosine decay to 0, sparse softmax cross-entropy.

    Args:
        path: the folder of `tools/make_emoji_folder.py` (class subfolders).
        epochs: Passes over the training pictures. Defaults to `EPOCHS` (10).
        batch_size: Defaults to `BATCH_SIZE` (64).
        learning_rate: Adam's initial learning rate. Defaults to `2e-3`.
        seed: Seeds weights, shuffling, flips and dropout. Defaults to `0`.
        holdout: Share of pictures held out for `evaluate_emoji_classifier`.
            Defaults to `0.1`.
        verbose: Passed to `fit()`. Defaults to `"auto"`.

    Returns:
        The trained, compiled `keras.Model`.
    """
    keras.utils.set_random_seed(seed)
    train = _split(path, "train", holdout, batch_size, seed=seed, train=True)
    names = train.folder.class_names
    if tuple(names) != CLASS_NAMES:
        raise ValueError(
            f"Expected the emoji group folders {list(CLASS_NAMES)} "
            f"(tools/make_emoji_folder.py), received {names} in {path}."
        )
    counts = np.bincount(train.folder.labels, minlength=NUM_CLASSES)
    weights = {
        k: float(len(train.folder.labels) / (NUM_CLASSES * max(c, 1)))
        for k, c in enumerate(counts)
    }
    steps = epochs * (len(train.folder.labels) // batch_size)
    model = build_emoji_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(train, epochs=epochs, class_weight=weights, verbose=verbose)
    return model


def evaluate_emoji_classifier(classifier, path, holdout=HOLDOUT, split="test"):
    """Accuracy of a classifier on an emoji folder's holdout, plain and balanced.

    Args:
        classifier: an `EmojiClassifierFeatures` or a classifier `keras.Model`.
        path: the emoji-group folder.
        holdout: as in training. Defaults to `0.1`.
        split: `"test"` (the holdout) or `"train"`. Defaults to `"test"`.

    Returns:
        A dict: `accuracy`, `balanced_accuracy` (the mean of the per-class
        recalls), `n`, `per_class_accuracy` (group -> accuracy, with its
        count in `per_class_n`) and `confusion` (rows = true group).
    """
    if not isinstance(classifier, FeatureExtractor):
        classifier = EmojiClassifierFeatures(model=classifier)
    dataset = _split(path, split, holdout, 256)
    # A split's labels index its own sorted group names: a holdout without
    # some group numbers the others differently.
    index = np.asarray([CLASS_NAMES.index(n) for n in dataset.folder.class_names])
    images, labels = [], []
    for batch, batch_labels in dataset:
        images.append(batch.numpy())
        labels.append(index[batch_labels.numpy()])
    labels = np.concatenate(labels)
    predicted = classifier.predict_classes(np.concatenate(images))
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    totals = confusion.sum(axis=1)
    recalls = {
        name: float(confusion[k, k] / totals[k])
        for k, name in enumerate(CLASS_NAMES)
        if totals[k]
    }
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "balanced_accuracy": float(np.mean(list(recalls.values()))),
        "n": int(len(labels)),
        "per_class_accuracy": recalls,
        "per_class_n": {name: int(totals[k]) for k, name in enumerate(CLASS_NAMES)},
        "confusion": confusion.tolist(),
    }


def _local_path(path):
    return files.local_file(path, "keras_gans.features", FILENAME)


def load_emoji_classifier(path=None):
    """Loads the trained emoji classifier (a `keras.Model` returning logits).

    Args:
        path: a `.keras` file. Defaults to `None`: the file shipped in
            `keras_gans/features/`.
    """
    with _local_path(path) as local:
        if not local.is_file():
            raise FileNotFoundError(
                f"Expected an emoji classifier .keras file, found nothing at "
                f"{local}. Train one with `python tools/train_emoji_classifier.py "
                "--data DIR`."
            )
        return keras.saving.load_model(local, compile=False)


class EmojiClassifierFeatures(ShippedClassifierFeatures):
    """The emoji-group classifier as a `FeatureExtractor`.

    `features()` are the 128-d post-ReLU activations of the `"features"`
    layer; `probabilities()` the softmax over the 11 emoji groups
    (`CLASS_NAMES`).

    Args:
        path: A `.keras` file. Defaults to `None` (the shipped file).
        model: A classifier model to use instead of a file. Defaults to `None`.

    Example:

    >>> extractor = keras_gans.features.get_extractor("emoji_classifier")
    >>> extractor.features(images).shape  # (n, 64, 64, 3) in [-1, 1]
    (n, 128)
    """

    name = NAME
    num_classes = NUM_CLASSES
    default_batch_size = 250
    expected_shape = "(n, 64, 64, 3)"
    shape_hint = "Use extractor 'inception_v3' for other sizes."

    filename = FILENAME
    image_shape = IMAGE_SHAPE
    feature_layer = FEATURE_LAYER
    input_text = "(n, 64, 64, 3) floats in [-1, 1]"

    def load(self, path):
        return load_emoji_classifier(path)

    def describe(self):
        info = super().describe()
        info["classes"] = "the 11 Twemoji groups (docs/emoji_classifier.md)"
        return info
