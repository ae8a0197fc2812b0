"""The shared alternating D/G step (`AdversarialModel`) and its replica helpers."""

from keras_gans.models.adversarial.model import AdversarialModel

__all__ = ["AdversarialModel"]
