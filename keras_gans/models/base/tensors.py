"""Small facts about tensors that every model's step asks, on every backend."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def _rank(x):
    """The number of dimensions of `x`, or None where TensorFlow does not know it."""
    shape = x.shape
    return shape.rank if hasattr(shape, "rank") else len(shape)


def _is_integer(x):
    dtype = keras.backend.standardize_dtype(x.dtype)
    return dtype.startswith(("int", "uint")) or dtype == "bool"


def _as_tensors(data):
    """NumPy arrays of numbers as backend tensors (eager JAX passes them as they are)."""
    return keras.tree.map_structure(
        lambda x: (
            ops.convert_to_tensor(x)
            if isinstance(x, np.ndarray) and x.dtype.kind in "fiub"
            else x
        ),
        data,
    )
