"""The model families and their registry.

Each family lives in its own folder (`gan/`, `dcgan/`, `infogan/`,
`gan_cls/`, `vae/`, `autoregressive/`): its model class, networks,
export signatures, TFLite programs, run options and figures, and zoo
presets. `registry` maps a family's name to
its `Family` object; `from_preset` loads any family's preset.
"""

from keras_gans.models.adversarial import AdversarialModel
from keras_gans.models.autoregressive import (
    MADE,
    IndependentPixels,
    MarkovChain,
    PixelCNN,
)
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.family import Family
from keras_gans.models.gan import GAN
from keras_gans.models.gan_cls import GANCLS
from keras_gans.models.infogan import InfoGAN
from keras_gans.models.likelihood import LikelihoodModel
from keras_gans.models.registry import (
    families,
    family_of,
    get_family,
    register_family,
    unregister_family,
)
from keras_gans.models.vae import VAE


def from_preset(preset, cache_dir=None, progress=True, safe_mode=True):
    """The trained model of a preset, whatever its family.

    A preset is a zoo name, a preset folder or archive, or a URL (see
    `AdversarialModel.from_preset`). `keras_gans.DCGAN.from_preset(...)`
    also checks the family. `safe_mode=False` loads a file that would run
    code (a SavedModel text encoder): only for a preset you trust.
    """
    from keras_gans.zoo import presets

    return presets.load_preset(
        preset, cache_dir=cache_dir, progress=progress, safe_mode=safe_mode
    )


__all__ = [
    "AdversarialModel",
    "DCGAN",
    "Family",
    "GAN",
    "GANCLS",
    "IndependentPixels",
    "InfoGAN",
    "LikelihoodModel",
    "MADE",
    "MarkovChain",
    "PixelCNN",
    "VAE",
    "families",
    "family_of",
    "from_preset",
    "get_family",
    "register_family",
    "unregister_family",
]
