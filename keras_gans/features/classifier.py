"""A small Fashion-MNIST CNN: the offline feature extractor for metrics.

FID and friends need a network that knows the data. InceptionV3 knows
ImageNet, needs a 92 MB download and sees 28x28 garments blown up to 299x299;
this classifier is trained here, on Fashion-MNIST, by `train_fashion_classifier`
(`tools/train_classifier.py`), and ships inside the package. Its 128-d
penultimate layer (named `"features"`) gives the activations, its logits the
class probabilities for the Inception-style score and mode coverage. The card,
with the exact command, accuracy and file hash, is `docs/classifier.md`.

Inputs are `(n, 28, 28, 1)` floats in [-1, 1], the range GAN samples and
`keras_gans.data.load` come in; the model outputs logits.
"""

import importlib.resources
import pathlib

import keras
import numpy as np

from keras_gans import data as kg_data
from keras_gans import files
from keras_gans.features.base import FeatureExtractor, ShippedClassifierFeatures
from keras_gans.images import from_uint8

NAME = "fashion_mnist_classifier"
FILENAME = "fashion_mnist_classifier.keras"
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FEATURE_LAYER = "features"

# The recipe (docs/classifier.md). Chosen on a 5,000-image validation split
# held out of the training set; the test split was only used to report.
EPOCHS = 12
BATCH_SIZE = 128
LEARNING_RATE = 1e-3


def build_fashion_classifier(feature_dim=128, dropout=0.3):
    """Builds the (untrained) Fashion-MNIST CNN.

    Three conv-batchnorm-ReLU-maxpool blocks (32, 64, 64 filters;
    28 -> 14 -> 7 -> 3), then dropout, the `"features"` layer
    (Dense + ReLU) and a 10-way logits layer. About 131k parameters, so the
    saved file is about 0.5 MB.

    Args:
        feature_dim: Width of the `"features"` layer. Defaults to `128`.
        dropout: Dropout rate before and after the features layer.
            Defaults to `0.3`.

    Returns:
        An uncompiled `keras.Model` from `(n, 28, 28, 1)` images in [-1, 1]
        to `(n, 10)` logits.
    """
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = inputs
    for i, filters in enumerate((32, 64, 64), start=1):
        # No bias: batch norm's beta does its job.
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False, name=f"conv{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D(name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dropout1")(x)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(dropout, name="dropout2")(features)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name=NAME)


def train_fashion_classifier(
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    seed=0,
    data_dir=None,
    limit=None,
    validation_size=0,
    verbose="auto",
):
    """Trains `build_fashion_classifier()` on Fashion-MNIST: the shipped recipe.

    Adam with a cosine decay of the learning rate to 0 over all steps,
    sparse softmax cross-entropy, no augmentation (dropout is enough for a
    12-epoch run), then accuracy on the whole test split.

    Args:
        epochs: Passes over the training images. Defaults to `EPOCHS` (12).
        batch_size: Defaults to `BATCH_SIZE` (128).
        learning_rate: Adam's initial learning rate. Defaults to `1e-3`.
        seed: Seeds Keras, numpy and TensorFlow (weights, shuffling, dropout).
            Defaults to `0`.
        data_dir: Where the Fashion-MNIST files are; see
            `keras_gans.data.load_arrays`. Defaults to `None` (the usual
            places).
        limit: Train on the first `limit` training images only (for tests).
            Defaults to `None` (all 60,000).
        validation_size: Hold out the last `validation_size` training images
            and report accuracy on them every epoch (how the recipe was
            chosen without looking at the test split). Defaults to `0`.
        verbose: Passed to `fit()`. Defaults to `"auto"`.

    Returns:
        `(model, test_accuracy)`: the trained, compiled model and its
        accuracy (a float) on the test split.
    """
    keras.utils.set_random_seed(seed)
    x_train, y_train = kg_data.load_arrays("fashion_mnist", "train", data_dir)
    x_test, y_test = kg_data.load_arrays("fashion_mnist", "test", data_dir)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    validation_data = None
    if validation_size:
        if not 0 < validation_size < len(x_train):
            raise ValueError(
                f"Expected 0 <= validation_size < {len(x_train)} (the training "
                f"images), received validation_size={validation_size}."
            )
        validation_data = (
            from_uint8(x_train[-validation_size:]),
            y_train[-validation_size:],
        )
        x_train, y_train = x_train[:-validation_size], y_train[:-validation_size]
    x_train = from_uint8(x_train)

    steps = epochs * -(-len(x_train) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model = build_fashion_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        validation_data=validation_data,
        verbose=verbose,
    )
    logits = model.predict(from_uint8(x_test), batch_size=500, verbose=0)
    test_accuracy = float(np.mean(np.argmax(logits, axis=-1) == y_test))
    return model, test_accuracy


def default_classifier_path():
    """Returns the path of the classifier file shipped in this package."""
    return importlib.resources.files("keras_gans.features") / FILENAME


def _local_path(path):
    return files.local_file(path, "keras_gans.features", FILENAME)


def load_fashion_classifier(path=None):
    """Loads the trained classifier (a `keras.Model` returning logits).

    Args:
        path: A `.keras` file saved by `save_fashion_classifier`. Defaults to
            `None`: the file shipped in `keras_gans/features/`.

    Raises:
        FileNotFoundError: If the file does not exist.
    """
    with _local_path(path) as local:
        if not local.is_file():
            raise FileNotFoundError(
                f"Expected a Fashion-MNIST classifier .keras file, found nothing at "
                f"{local}. Train one with `python tools/train_classifier.py`."
            )
        return keras.saving.load_model(local, compile=False)


def save_fashion_classifier(model, path):
    """Saves `model` without optimizer state (a third of the size), atomically.

    Returns:
        The path written, as a `pathlib.Path`.
    """
    # An uncompiled copy, so the .keras file holds no Adam moments
    # (keras.models.clone_model would compile the copy like the original).
    clean = keras.Model.from_config(model.get_config())
    clean.set_weights(model.get_weights())
    path = pathlib.Path(path)
    with files.atomic_path(path, suffix=".keras") as tmp:
        clean.save(tmp)
    return path


class FashionClassifierFeatures(ShippedClassifierFeatures):
    """The Fashion-MNIST classifier as a `FeatureExtractor`.

    `features()` are the 128-d post-ReLU activations of the `"features"`
    layer; `probabilities()` the softmax of the logits over the 10 classes
    (`keras_gans.data.CLASS_NAMES`).

    Args:
        path: A `.keras` file. Defaults to `None` (the shipped file).
        model: A classifier model to use instead of a file (e.g. one just
            trained). Defaults to `None`.

    Example:

    >>> extractor = FashionClassifierFeatures()
    >>> images, _ = keras_gans.data.load_arrays("fashion_mnist", "test")
    >>> extractor.features(images[:100] / 127.5 - 1).shape
    (100, 128)
    """

    name = NAME
    num_classes = NUM_CLASSES
    default_batch_size = 500
    expected_shape = "(n, 28, 28, 1) or (n, 28, 28)"
    shape_hint = "Use extractor 'inception_v3' for other sizes or colour images."

    filename = FILENAME
    image_shape = IMAGE_SHAPE
    feature_layer = FEATURE_LAYER
    input_text = "(n, 28, 28, 1) floats in [-1, 1]"

    def load(self, path):
        return load_fashion_classifier(path)


def evaluate_fashion_classifier(
    classifier=None, split="test", data_dir=None, limit=None
):
    """Accuracy of a classifier on a Fashion-MNIST split, overall and per class.

    Args:
        classifier: A `FashionClassifierFeatures`, a classifier `keras.Model`
            or `None` (the shipped file). Defaults to `None`.
        split: `"train"` or `"test"`. Defaults to `"test"`.
        data_dir: See `keras_gans.data.load_arrays`. Defaults to `None`.
        limit: Only the first `limit` images. Defaults to `None` (all).

    Returns:
        A dict: `accuracy`, `n`, `per_class_accuracy` (class name -> accuracy)
        and `confusion` (10x10 nested list, rows = true class).
    """
    if not isinstance(classifier, FeatureExtractor):
        classifier = FashionClassifierFeatures(model=classifier)
    images, labels = kg_data.load_arrays("fashion_mnist", split, data_dir)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    predicted = classifier.predict_classes(from_uint8(images))
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {
        name: float(confusion[k, k] / max(confusion[k].sum(), 1))
        for k, name in enumerate(kg_data.CLASS_NAMES)
    }
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "n": int(len(labels)),
        "per_class_accuracy": per_class,
        "confusion": confusion.tolist(),
    }
