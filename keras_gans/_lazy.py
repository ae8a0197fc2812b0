"""Names of a package that import their module on first use (PEP 562).

Several of keras_gans's modules need TensorFlow (tf.data pipelines, export,
TensorBoard). A package lists those names here so that importing it, on JAX
or PyTorch, imports TensorFlow only when one of them is used.
"""

from __future__ import annotations

import importlib


def lazy(package, names):
    """`(__getattr__, __dir__)` for `package` serving `names` {name: module}."""

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name]), name)
        importlib.import_module(package).__dict__[name] = value
        return value

    def __dir__():
        return sorted(set(importlib.import_module(package).__dict__) | set(names))

    return __getattr__, __dir__


class _LazyTensorFlow:
    """`tf` that imports TensorFlow when an attribute is first read."""

    def __getattr__(self, name):
        from keras_gans._tensorflow import tf

        return getattr(tf, name)


def lazy_tensorflow():
    """A stand-in for the `tensorflow` module, imported on first use."""
    return _LazyTensorFlow()
