"""What `fit()` checks before training: data that exists and is in G's range.

A GAN fed images in [0, 255] trains without an error and learns nothing
(D separates real from tanh's [-1, 1] at once); an empty dataset ends
`fit()` with no logs and the run's files half written. Both are caught on
the first batch, before the first step.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from keras_gans.models.base import precision

# Resizing with an antialiasing filter overshoots [-1, 1] by a little.
TOLERANCE = 0.05


def output_bound(generator):
    """1.0 when `generator`'s outputs come from tanh (values in [-1, 1]), else None."""
    layers = [
        layer
        for layer in precision.output_layers(generator)
        if not isinstance(layer, precision.SHAPE_LAYERS)
    ]
    tanh = keras.activations.tanh
    if layers and all(getattr(layer, "activation", None) is tanh for layer in layers):
        return 1.0
    return None


def is_tf_dataset(x):
    """Whether `x` is a tf.data dataset (without importing TensorFlow)."""
    return hasattr(x, "take") and hasattr(x, "element_spec")


def first_batch(x):
    """The first batch of what `fit()` takes, as NumPy; None where it can't be read.

    A tf.data dataset is read for one element (its shuffle buffer fills
    once); a Python generator is never read, since that would consume it.

    Raises:
        ValueError: the data has no examples.
    """
    peek = getattr(x, "peek_batch", None)
    if callable(peek):
        # A folder's batches (keras_gans.data.folders) read one batch
        # directly: no pass over the dataset begins, so none is used up.
        return peek()
    if is_tf_dataset(x):
        element = next(iter(x.take(1)), None)
        if element is None:
            raise ValueError(
                _EMPTY.format(what="a tf.data.Dataset that yields nothing")
            )
        return keras.tree.map_structure(np.asarray, element)
    if isinstance(x, keras.utils.PyDataset):
        if x.num_batches == 0:
            raise ValueError(_EMPTY.format(what="a PyDataset of 0 batches"))
        return x[0] if x.num_batches is not None else None
    if isinstance(x, np.ndarray):
        if len(x) == 0:
            raise ValueError(_EMPTY.format(what=f"an array of shape {x.shape}"))
        return x[:256]
    return None


_EMPTY = (
    "fit() received {what}: expected at least one batch of examples. Check "
    "the dataset's path, split and limit."
)


def check_first_batch(model, x):
    """Raises a clear error for empty data or examples outside G's range.

    Returns:
        The examples of the first batch (a NumPy array; for NumPy input, up
        to its first 256), or None where they can't be read.
    """
    batch = first_batch(x)
    if batch is None:
        return None
    real = model.unpack_data(batch)[0]
    real = np.asarray(keras.ops.convert_to_numpy(real))
    if real.size == 0:
        raise ValueError(_EMPTY.format(what="a first batch with no examples"))
    _check_range(model, real)
    return real


def _check_range(model, real):
    bound = model._data_bound()
    if bound is None or real.dtype.kind not in "f":
        return  # integer examples get their own error in the step
    low, high = float(np.min(real)), float(np.max(real))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(
            f"The first batch of the data holds NaN or infinite values (range "
            f"[{low}, {high}]); expected finite examples in [-1, 1]."
        )
    if low < -bound - TOLERANCE or high > bound + TOLERANCE:
        raise ValueError(
            f"{type(model).__name__} models examples in [-1, 1]; the first batch of the data is in [{low:.4g}, "
            f"{high:.4g}]. Scale images with x / 127.5 - 1 (from [0, 255]) or "
            "2 * x - 1 (from [0, 1]), or load them with keras_gans.data.load(...)."
        )
    if low >= 0 and high > 0.5:
        warnings.warn(
            f"The first batch of the data is in [{low:.4g}, {high:.4g}], with no "
            f"negative value, while {type(model).__name__} makes examples in "
            "[-1, 1]: images scaled to [0, 1]? Use 2 * x - 1.",
            stacklevel=3,
        )
