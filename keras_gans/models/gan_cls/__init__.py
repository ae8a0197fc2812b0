"""GAN-CLS / GAN-INT (Reed et al. 2016): text to image."""

from keras_gans._lazy import lazy
from keras_gans.models.gan_cls.gan_cls import GANCLS
from keras_gans.models.gan_cls.networks import (
    build_gan_cls_discriminator,
    build_gan_cls_generator,
    build_style_encoder,
    wrong_indices,
)

# Run helpers and figures need tf.data: imported when first used.
__getattr__, __dir__ = lazy(
    __name__,
    {
        "PREVIEW_CAPTIONS": "keras_gans.models.gan_cls.runs",
        "save_gan_cls_figures": "keras_gans.models.gan_cls.figures",
    },
)

__all__ = [
    "GANCLS",
    "PREVIEW_CAPTIONS",
    "build_gan_cls_discriminator",
    "build_gan_cls_generator",
    "build_style_encoder",
    "save_gan_cls_figures",
    "wrong_indices",
]
