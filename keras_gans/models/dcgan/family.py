"""The DCGAN family: its presets and its one run option, spectral normalisation."""

from keras_gans.models.dcgan.dcgan import DCGAN
from keras_gans.models.dcgan.presets import PRESETS
from keras_gans.models.family import Family, spectral_norm_option


class DCGANFamily(Family):
    def demo_views(self, target):
        from keras_gans.demo.views import ArithmeticView

        return [*super().demo_views(target), ArithmeticView()]


FAMILY = DCGANFamily(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    presets=PRESETS,
    options=(spectral_norm_option(),),
)
