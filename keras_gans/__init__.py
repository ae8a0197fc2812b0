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

# The public surface, declared once: the classes and `from_preset` below, and
# these modules with the names of their `__all__`. Everything else in the
# package is private: it may move or change in any release without a
# CHANGELOG line. The API reference (`mkdocs.yml`), the API snapshot
# (`tools/api_snapshot.py`) and its test read this declaration.
#
# They load on first use (`keras_gans.data`, `keras_gans.export`, ...):
# several need TensorFlow, which a JAX or PyTorch user need not import.
PUBLIC_MODULES = (
    "callbacks",
    "data",
    "demo",
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
    "sources",
    "testing",
    "text",
    "zoo",
)


def __getattr__(name):
    if name in PUBLIC_MODULES:
        module = importlib.import_module(f"keras_gans.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__))


from keras_gans.models import services as _services  # noqa: E402

# The model layer's convenience methods (`export`, `from_preset`,
# `save_to_preset`, `presets`) call these consumers by name; wiring them here,
# at the package's root, keeps the model layer from importing export/ or zoo/.
# A model's `family_name` and `presets` ask the registry, which imports the
# model classes, the same way; the presets code knows no model and is told.
for _name, _target in {
    "export_saved_model": "keras_gans.export.saved_model:export_saved_model",
    "export_onnx": "keras_gans.export.onnx:export_model",
    "load_preset": "keras_gans.zoo.presets:load_preset",
    "save_preset": "keras_gans.zoo.presets:save_preset",
    "presets_of": "keras_gans.zoo.presets:presets_of",
    "family_of": "keras_gans.models.registry:family_of",
    "families": "keras_gans.models.registry:families",
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
    "from_preset",
    *PUBLIC_MODULES,
    "__version__",
]
