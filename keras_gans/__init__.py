"""keras_gans: GANs for Keras 3 / TensorFlow, trained with `model.fit()`."""

import os

from keras_gans import _startup

# keras_gans is built on tf.distribute, tf.data and SavedModel: Keras must
# run on its TensorFlow backend.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# The `keras-gans` command starts without TensorFlow's C++ notices.
with _startup.backend_import():
    import keras

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "keras_gans needs the TensorFlow Keras backend; received "
        f"KERAS_BACKEND={keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow."
    )

from keras_gans import (  # noqa: E402
    callbacks,
    data,
    evaluation,
    export,
    features,
    images,
    latent,
    losses,
    metrics,
    models,
    runs,
    text,
    validation,
    zoo,
)
from keras_gans.models import (  # noqa: E402
    DCGAN,
    GAN,
    GANCLS,
    AdversarialModel,
    InfoGAN,
    from_preset,
)

__version__ = "0.1.0"

__all__ = [
    "AdversarialModel",
    "DCGAN",
    "GAN",
    "GANCLS",
    "InfoGAN",
    "callbacks",
    "data",
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
    "from_preset",
    "__version__",
]
