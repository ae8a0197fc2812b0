"""The GAN family: run options (`g_units`) and presets."""

from keras_gans.models.family import Family, RunOption
from keras_gans.models.gan.gan import GAN
from keras_gans.models.gan.presets import PRESETS
from keras_gans.validation import check_int_tuple


def _units(text):
    """`--g-units 512,512` -> (512, 512)."""
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        return text


FAMILY = Family(
    name="gan",
    model_class=GAN,
    description="Goodfellow et al. 2014: MLP generator, maxout discriminator",
    options=(
        RunOption(
            "g_units",
            check=lambda v: check_int_tuple("g_units", v, example="(1200, 1200)"),
            parse=_units,
            help="widths of G's hidden layers, comma-separated; the default is "
            "the paper's",
            # Left out of a run's identity while default: older GAN run
            # folders (made before the option existed) still resume.
            omit_default=True,
        ),
    ),
    presets=PRESETS,
    shape_argument="data_shape",
)
