"""The DCGAN family: its presets and its run options (spectral norm, widths)."""

from keras_gans.models.dcgan.dcgan import DCGAN
from keras_gans.models.dcgan.presets import PRESETS
from keras_gans.models.family import Family, RunOption, spectral_norm_option


class DCGANFamily(Family):
    def demo_views(self, target):
        from keras_gans.demo.views import ArithmeticView

        return [*super().demo_views(target), ArithmeticView()]


FAMILY = DCGANFamily(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    presets=PRESETS,
    options=(
        spectral_norm_option(),
        # Widths (issue 28): a colour model small enough to publish. Left out
        # of a run's identity at their defaults, so older runs resume.
        RunOption.integer(
            "g_filters",
            help="G's width: filters of its last upsampling block, doubling "
            "towards the latent",
            omit_default=True,
        ),
        RunOption.integer(
            "d_filters",
            help="D's width: filters of its first block, doubling with depth",
            omit_default=True,
        ),
    ),
)
