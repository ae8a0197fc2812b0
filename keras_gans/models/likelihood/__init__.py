"""The shared step of the likelihood families (`LikelihoodModel`) and their distributions."""

from keras_gans.models.likelihood.model import LikelihoodModel

__all__ = ["LikelihoodModel"]
