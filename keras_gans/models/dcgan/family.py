"""The DCGAN family: its presets (DCGAN needs no run options of its own)."""

from keras_gans.models.dcgan.dcgan import DCGAN
from keras_gans.models.dcgan.presets import PRESETS
from keras_gans.models.family import Family

FAMILY = Family(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    presets=PRESETS,
)
