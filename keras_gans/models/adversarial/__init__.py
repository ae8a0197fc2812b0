"""The shared alternating D/G step (`AdversarialModel`) and its replica helpers."""

from keras_gans.models.adversarial.model import AdversarialModel
from keras_gans.models.adversarial.replicas import STEP_STATE as _STEP_STATE  # noqa: F401 - the step hooks' side channel, read by tests

__all__ = ["AdversarialModel"]
