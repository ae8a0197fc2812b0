"""GAN-CLS's networks (Reed et al. 2016, Fig. 2) and its wrong-text draw.

The width arguments have no defaults here: `GANCLS`'s constructor states
them once.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_gans.models.blocks import (
    batch_norm,
    dcgan_initializer,
    downsample,
    maybe_spectral,
    normalized,
    upsample_to_image,
    upsampling_plan,
)


def build_gan_cls_generator(image_shape, latent_dim, text_dim, projection_dim, filters):
    """G(z, phi): phi projected (Dense + LeakyReLU 0.2), concatenated to z, then DCGAN."""
    h, w, steps = upsampling_plan(image_shape)
    channels = filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="z")
    phi = keras.Input((text_dim,), name="text_embedding")
    projected = keras.layers.Dense(
        projection_dim, kernel_initializer=dcgan_initializer(), name="text_projection"
    )(phi)
    projected = keras.layers.LeakyReLU(0.2)(projected)
    x = keras.layers.Concatenate()([z, projected])
    x = keras.layers.Dense(
        h * w * channels,
        use_bias=False,
        kernel_initializer=dcgan_initializer(),
        name="project",
    )(x)
    x = keras.layers.Reshape((h, w, channels))(x)
    x = keras.layers.ReLU()(batch_norm("project_bn")(x))
    image = upsample_to_image(x, image_shape, channels, steps)
    return keras.Model([z, phi], image, name="generator")


def build_gan_cls_discriminator(
    image_shape, text_dim, projection_dim, filters, spectral_norm=False
):
    """D(x, phi): DCGAN convolutions to a small grid, phi projected and tiled over
    it, a 1x1 convolution over both, then one logit (Reed et al. 2016, Fig. 2).

    With `spectral_norm`, every layer is spectrally normalised and there is
    no batch norm."""
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    phi = keras.Input((text_dim,), name="text_embedding")
    x = downsample(image, filters, steps, spectral_norm=spectral_norm)
    gh, gw = x.shape[1], x.shape[2]
    projection = keras.layers.Dense(
        projection_dim, kernel_initializer=dcgan_initializer(), name="text_projection"
    )
    projected = maybe_spectral(projection, spectral_norm)(phi)
    projected = keras.layers.LeakyReLU(0.2)(projected)
    tiled = keras.layers.Reshape((1, 1, projection_dim))(projected)
    tiled = keras.layers.UpSampling2D((gh, gw), name="tile")(tiled)
    x = keras.layers.Concatenate()([x, tiled])
    joint = keras.layers.Conv2D(
        filters * 2 ** (steps - 1),
        1,
        use_bias=spectral_norm,
        kernel_initializer=dcgan_initializer(),
        name="joint",
    )
    x = keras.layers.LeakyReLU(0.2)(normalized(joint, x, "joint_bn", spectral_norm))
    x = keras.layers.Flatten(name="features")(x)
    logit = keras.layers.Dense(1, kernel_initializer=dcgan_initializer(), name="logit")
    logit = maybe_spectral(logit, spectral_norm)(x)
    return keras.Model([image, phi], logit, name="discriminator")


def build_style_encoder(image_shape, latent_dim, filters):
    """S(x) -> z: DCGAN convolutions and a linear read-out of z."""
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    x = keras.layers.Flatten()(downsample(image, filters, steps))
    z = keras.layers.Dense(
        latent_dim, kernel_initializer=dcgan_initializer(), name="z"
    )(x)
    return keras.Model(image, z, name="style_encoder")


def wrong_indices(labels, seed=None, scores=None):
    """For each example, the index of another example of a *different* class.

    Drawn uniformly among the batch's examples whose label differs. An
    example whose class fills the whole batch has no valid partner: it gets
    -1 (callers leave such examples out of the wrong-text term).

    Args:
        labels: `(b,)` int labels.
        seed: an int or a `keras.random.SeedGenerator`.
        scores: optional `(b, b)` uniform draws in [0, 1) to use instead of
            drawing them from `seed`.

    Returns:
        `(b,)` int32 indices into the batch (or -1).
    """
    labels = ops.convert_to_tensor(labels)
    same = ops.equal(labels[:, None], labels[None, :])
    if scores is None:
        b = ops.shape(labels)[0]
        scores = keras.random.uniform((b, b), seed=seed)
    scores = ops.where(same, -ops.ones_like(scores), scores)
    index = ops.cast(ops.argmax(scores, axis=1), "int32")
    valid = ops.any(ops.logical_not(same), axis=1)
    return ops.where(valid, index, -ops.ones_like(index))
