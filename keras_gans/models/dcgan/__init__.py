"""DCGAN (Radford et al. 2015): the deep convolutional GAN."""

from keras_gans.models.blocks import downsample, upsample_to_image, upsampling_plan
from keras_gans.models.dcgan.dcgan import (
    DCGAN,
    build_dcgan_discriminator,
    build_dcgan_generator,
)

__all__ = [
    "DCGAN",
    "build_dcgan_discriminator",
    "build_dcgan_generator",
    "downsample",
    "upsample_to_image",
    "upsampling_plan",
]
