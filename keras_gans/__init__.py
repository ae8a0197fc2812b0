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


from keras_gans.models import services as _services  # noqa: E402

# The model layer's convenience methods (`export`, `from_preset`,
# `save_to_preset`, `presets`) call these consumers by name; wiring them here,
# at the package's root, keeps the model layer from importing export/ or zoo/.
for _name, _target in {
    "export_saved_model": "keras_gans.export.saved_model:export_saved_model",
    "export_onnx": "keras_gans.export.onnx:export_model",
    "load_preset": "keras_gans.zoo.presets:load_preset",
    "save_preset": "keras_gans.zoo.presets:save_preset",
    "presets_of": "keras_gans.zoo.presets:presets_of",
}.items():
    _services.provide(_name, _target)
del _name, _target

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
