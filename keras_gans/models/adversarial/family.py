"""The adversarial model with user networks as a family.

It cannot be trained from a run config (it needs the user's networks), but
it exports, converts to TFLite and publishes like any family, and so does an
export or zoo entry of a family that is not installed here.
"""

from keras_gans.models.adversarial.model import AdversarialModel
from keras_gans.models.family import Family

FAMILY = Family(
    name="adversarial",
    model_class=AdversarialModel,
    description="any generator and discriminator you build",
    trainable=False,
)
