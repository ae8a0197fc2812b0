"""GAN-CLS / GAN-INT (Reed et al. 2016): text to image."""

from keras_gans.models.gan_cls.figures import save_gan_cls_figures
from keras_gans.models.gan_cls.gan_cls import GANCLS
from keras_gans.models.gan_cls.networks import (
    build_gan_cls_discriminator,
    build_gan_cls_generator,
    build_style_encoder,
    wrong_indices,
)
from keras_gans.models.gan_cls.runs import PREVIEW_CAPTIONS

__all__ = [
    "GANCLS",
    "PREVIEW_CAPTIONS",
    "build_gan_cls_discriminator",
    "build_gan_cls_generator",
    "build_style_encoder",
    "save_gan_cls_figures",
    "wrong_indices",
]
