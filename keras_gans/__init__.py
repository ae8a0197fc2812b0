"""keras_gans: GANs, VAEs and PixelCNNs for Keras 3, trained with `model.fit()` on any backend.

The models train on Keras's TensorFlow, JAX and PyTorch backends (choose one
with `KERAS_BACKEND`, as for Keras itself; TensorFlow is Keras's default).
`tf.distribute`, `tf.data` loaders, SavedModel and TFLite export need
TensorFlow and import it only when used.
"""

from keras_gans import _startup

# The `keras-gans` command starts without TensorFlow's C++ notices.
with _startup.backend_import():
    import keras  # noqa: F401

import importlib  # noqa: E402

# Subpackages load on first use (`keras_gans.data`, `keras_gans.export`, ...):
# several need TensorFlow, which a JAX or PyTorch user need not import.
_SUBMODULES = (
    "callbacks",
    "data",
    "distribute",
    "evaluation",
    "export",
    "features",
    "images",
    "latent",
    "losses",
    "metrics",
    "models",
    "runs",
    "text",
    "validation",
    "zoo",
)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"keras_gans.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))


from keras_gans.models import (  # noqa: E402
    DCGAN,
    GAN,
    GANCLS,
    MADE,
    VAE,
    AdversarialModel,
    IndependentPixels,
    InfoGAN,
    LikelihoodModel,
    MarkovChain,
    PixelCNN,
    from_preset,
)

__version__ = "0.1.0"

__all__ = [
    "AdversarialModel",
    "DCGAN",
    "GAN",
    "GANCLS",
    "IndependentPixels",
    "InfoGAN",
    "LikelihoodModel",
    "MADE",
    "MarkovChain",
    "PixelCNN",
    "VAE",
    *_SUBMODULES,
    "from_preset",
    "__version__",
]
