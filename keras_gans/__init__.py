"""keras_gans: GANs for Keras 3 / TensorFlow, trained with `model.fit()`."""

import os

# keras_gans is built on tf.distribute, tf.data and SavedModel: Keras must
# run on its TensorFlow backend.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

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
    text,
    zoo,
)
from keras_gans.models import (  # noqa: E402
    DCGAN,
    GAN,
    GANCLS,
    AdversarialModel,
    InfoGAN,
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
    "text",
    "zoo",
    "__version__",
]
