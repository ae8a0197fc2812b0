"""The autoregressive family: the notes' ladder and PixelCNN."""

from keras_gans.models.autoregressive.ladder import MADE, IndependentPixels, MarkovChain
from keras_gans.models.autoregressive.model import AutoregressiveModel
from keras_gans.models.autoregressive.pixelcnn import PixelCNN

__all__ = [
    "MADE",
    "AutoregressiveModel",
    "IndependentPixels",
    "MarkovChain",
    "PixelCNN",
]
