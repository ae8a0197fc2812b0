"""The VAE family: its run options."""

from keras_gans.models.family import Family
from keras_gans.models.likelihood.family import LikelihoodRuns, LikelihoodZoo
from keras_gans.models.vae.vae import LIKELIHOODS, VAE
from keras_gans.runs.spec import RunOption, parse_int_list
from keras_gans.validation import check_choice, check_int_tuple

FAMILY = Family(
    name="vae",
    model_class=VAE,
    description="Kingma and Welling 2014: a variational autoencoder, trained on -ELBO",
    zoo=LikelihoodZoo(),
    runs=LikelihoodRuns(
        options=(
            RunOption(
                "likelihood",
                check=lambda v: check_choice("likelihood", v, tuple(LIKELIHOODS)),
                choices=tuple(LIKELIHOODS),
                help="p(x|z): bernoulli (binarised images) or logistic (8-bit)",
            ),
            RunOption(
                "vae_filters",
                check=lambda v: check_int_tuple("vae_filters", v, example="(32, 64)"),
                parse=parse_int_list,
                model_argument="filters",
                help="encoder convolution widths, each halving the image",
            ),
            RunOption.integer(
                "vae_hidden",
                model_argument="hidden",
                help="dense units between the convolutions and z",
            ),
        )
    ),
)
