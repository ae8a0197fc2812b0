"""The autoregressive families: the notes' ladder and PixelCNN.

One family per model class (`keras-gans train pixelcnn`, `... made`, ...),
all with the likelihood models' run and zoo specs, their own noise for
TFLite, and one row of samples in the demo.
"""

from keras_gans.demo.spec import DemoSpec
from keras_gans.export.spec import TFLiteSpec
from keras_gans.models.autoregressive.ladder import MADE, IndependentPixels, MarkovChain
from keras_gans.models.autoregressive.pixelcnn import PixelCNN
from keras_gans.models.family import Family
from keras_gans.models.likelihood.family import LikelihoodRuns, LikelihoodZoo
from keras_gans.models.likelihood.model import LEVELS
from keras_gans.runs.spec import RunOption, parse_int_list
from keras_gans.validation import check_choice, check_int_tuple


def _levels(**kwargs):
    return RunOption(
        "levels",
        check=lambda v: check_choice("levels", v, LEVELS),
        parse=int,
        choices=LEVELS,
        help="values a pixel takes: 2 (binarised) or 256 (8-bit)",
        **kwargs,
    )


class AutoregressiveTFLite(TFLiteSpec):
    """One uniform per pixel as the noise (ancestral sampling).

    The `.tflite` file converts the export's `sample_from_uniforms`: the
    while-loop sampler without a random number generator, so the phone
    draws the uniforms (`latent_layout`).
    """

    def __init__(self):
        super().__init__(
            signature="sample_from_uniforms",
            noise="uniforms",
            quantizations=("none", "float16", "dynamic"),
            refused=(
                "int8 calibration runs the sampler's while loop in TensorFlow "
                "2.21's converter, which crashes the process (a segmentation "
                "fault); 'dynamic' gives int8 weights"
            ),
        )

    def latent_layout(self, meta):
        return {
            "noise": {
                "shape": list(meta["image_shape"]),
                "distribution": "uniform",
                "range": [0.0, 1.0],
            }
        }

    def file_metadata(self, meta):
        return {"levels": meta["levels"], "sampling": meta["sampling"]}


class AutoregressiveDemo(DemoSpec):
    def views(self, target):
        from keras_gans.demo.views import SamplesView

        # One row: ancestral sampling draws pixel after pixel, 784 network
        # calls for Fashion-MNIST (PixelCNN: 3.3 s for 8 samples, 4.6 s for
        # 16 on 2 CPU cores), and there is no latent vector to interpolate.
        return [SamplesView(n=8)]


def _family(name, model_class, description, options=()):
    return Family(
        name=name,
        model_class=model_class,
        description=description,
        runs=LikelihoodRuns(options=options),
        tflite=AutoregressiveTFLite(),
        zoo=LikelihoodZoo(),
        demo=AutoregressiveDemo(),
    )


INDEPENDENT_PIXELS = _family(
    name="independent_pixels",
    model_class=IndependentPixels,
    description="independent binary pixels: n parameters",
)

MARKOV_CHAIN = _family(
    name="markov_chain",
    model_class=MarkovChain,
    description="a Markov chain of order 1 over binary pixels: 2n - 1 parameters",
)

MADE_FAMILY = _family(
    name="made",
    model_class=MADE,
    description="Germain et al. 2015: a fully connected autoregressive model",
    options=(
        _levels(),
        RunOption(
            "made_hidden",
            check=lambda v: check_int_tuple(
                "made_hidden", v, example="(500,)", allow_empty=True
            ),
            parse=lambda text: parse_int_list(text, none=True),
            model_argument="hidden",
            help="MADE's hidden layer widths ('none' for direct connections)",
        ),
    ),
)

PIXELCNN = _family(
    name="pixelcnn",
    model_class=PixelCNN,
    description="van den Oord et al. 2016: masked convolutions, exact likelihood",
    options=(
        _levels(),
        RunOption.integer(
            "pixelcnn_filters", model_argument="filters", help="hidden channels"
        ),
        RunOption.integer(
            "blocks", minimum=0, help="residual blocks of masked convolutions"
        ),
    ),
)
