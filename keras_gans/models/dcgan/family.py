"""The DCGAN family: its run options (spectral norm, widths) and its demo tab."""

from keras_gans.demo.spec import DemoSpec
from keras_gans.models.dcgan.dcgan import DCGAN
from keras_gans.models.family import Family
from keras_gans.runs.spec import RunOption, RunSpec, spectral_norm_option


class DCGANDemo(DemoSpec):
    def views(self, target):
        from keras_gans.demo.views import ArithmeticView

        return [*super().views(target), ArithmeticView()]


FAMILY = Family(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    demo=DCGANDemo(),
    runs=RunSpec(
        options=(
            spectral_norm_option(),
            # Widths (issue 28): a colour model small enough to publish.
            RunOption.integer(
                "g_filters",
                help="G's width: filters of its last upsampling block, doubling "
                "towards the latent",
            ),
            RunOption.integer(
                "d_filters",
                help="D's width: filters of its first block, doubling with depth",
            ),
        )
    ),
)
