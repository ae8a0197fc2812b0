"""The VAE's encoder and decoder: strided convolutions down, transposed up.

Each entry of `filters` halves the image (a 4x4 convolution with stride 2
and ReLU) in the encoder, and the decoder mirrors it, so height and width
must be divisible by 2 ** len(filters). A dense layer of `hidden` units
sits between the convolutions and the latent on both sides.
"""

from __future__ import annotations

import keras
from keras import layers


def check_divisible(image_shape, filters):
    factor = 2 ** len(filters)
    height, width = image_shape[:2]
    if height % factor or width % factor:
        raise ValueError(
            f"Expected image height and width divisible by {factor} (one halving "
            f"per entry of filters={tuple(filters)}); received image_shape="
            f"{tuple(image_shape)}."
        )


def encoder(image_shape, latent_dim, filters, hidden, name="encoder"):
    """Images in [-1, 1] -> `(batch, 2 * latent_dim)`: q(z|x)'s mean, then log-variance."""
    check_divisible(image_shape, filters)
    images = keras.Input(image_shape, name="images")
    x = images
    for f in filters:
        x = layers.Conv2D(f, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden, activation="relu")(x)
    stats = layers.Dense(2 * latent_dim, name="posterior")(x)
    return keras.Model(images, stats, name=name)


def decoder(image_shape, latent_dim, filters, hidden, channels_out, name="decoder"):
    """Latents -> `(batch, H, W, channels_out)`: the parameters of p(x|z) per pixel."""
    check_divisible(image_shape, filters)
    factor = 2 ** len(filters)
    height, width = image_shape[0] // factor, image_shape[1] // factor
    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(hidden, activation="relu")(latent)
    x = layers.Dense(height * width * filters[-1], activation="relu")(x)
    x = layers.Reshape((height, width, filters[-1]))(x)
    for f in reversed(filters[:-1]):
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation="relu")(
            x
        )
    params = layers.Conv2DTranspose(
        channels_out, 4, strides=2, padding="same", name="likelihood"
    )(x)
    return keras.Model(latent, params, name=name)
