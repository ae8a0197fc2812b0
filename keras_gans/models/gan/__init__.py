"""GAN (Goodfellow et al. 2014): an MLP generator and a maxout discriminator."""

from keras_gans.models.gan.gan import (
    GAN,
    Maxout,
    build_maxout_discriminator,
    build_mlp_generator,
)

__all__ = ["GAN", "Maxout", "build_maxout_discriminator", "build_mlp_generator"]
