"""The GAN family: its run option (`g_units`) and the data shape argument."""

from keras_gans.models.family import Family
from keras_gans.models.gan.gan import GAN
from keras_gans.runs.spec import RunOption, RunSpec, parse_int_list
from keras_gans.validation import check_int_tuple

FAMILY = Family(
    name="gan",
    model_class=GAN,
    description="Goodfellow et al. 2014: MLP generator, maxout discriminator",
    runs=RunSpec(
        shape_argument="data_shape",
        options=(
            RunOption(
                "g_units",
                check=lambda v: check_int_tuple("g_units", v, example="(1200, 1200)"),
                parse=parse_int_list,
                help="widths of G's hidden layers, comma-separated; the default is "
                "the paper's",
            ),
        ),
    ),
)
