"""InfoGAN's networks (Chen et al. 2016, Table 1), generalised over image sizes.

The width arguments have no defaults here: `InfoGAN`'s constructor states
them once.
"""

from __future__ import annotations

import keras

from keras_gans.models.blocks import (
    batch_norm,
    dcgan_initializer,
    downsample,
    normalized,
    upsample_to_image,
    upsampling_plan,
)


def build_infogan_generator(image_shape, latent_dim, filters, hidden):
    """InfoGAN's generator (Chen et al. 2016, Table 1), generalised over sizes.

    FC hidden - BN - ReLU, FC to a small grid - BN - ReLU, then stride-2
    transposed convolutions (BN, ReLU) halving the channels, and a tanh
    output. For 28x28 with the defaults this is the paper's MNIST network:
    FC 1024, FC 7x7x128, 4x4 upconv 64, 4x4 upconv 1.
    """
    h, w, steps = upsampling_plan(image_shape)
    channels = filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="latent")
    x = keras.layers.Dense(
        hidden, use_bias=False, kernel_initializer=dcgan_initializer(), name="fc"
    )(z)
    x = keras.layers.ReLU()(batch_norm("fc_bn")(x))
    x = keras.layers.Dense(
        h * w * channels,
        use_bias=False,
        kernel_initializer=dcgan_initializer(),
        name="project",
    )(x)
    x = keras.layers.ReLU()(batch_norm("project_bn")(x))
    x = keras.layers.Reshape((h, w, channels))(x)
    image = upsample_to_image(x, image_shape, channels, steps)
    return keras.Model(z, image, name="generator")


def build_infogan_trunk(image_shape, filters, hidden, spectral_norm=False):
    """The trunk D and Q share: stride-2 convolutions, then FC hidden.

    LeakyReLU(0.1) throughout (the paper's value), batch norm on all but
    the first layer. For 28x28: 4x4 conv 64, 4x4 conv 128, FC 1024, as in
    the paper's MNIST discriminator. With `spectral_norm`, every layer is
    spectrally normalised and there is no batch norm.
    """
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    # The paper's LeakyReLU slope is 0.1 (DCGAN's 0.2).
    x = downsample(image, filters, steps, slope=0.1, spectral_norm=spectral_norm)
    x = keras.layers.Flatten()(x)
    fc = keras.layers.Dense(
        hidden,
        use_bias=spectral_norm,
        kernel_initializer=dcgan_initializer(),
        name="fc",
    )
    x = normalized(fc, x, "fc_bn", spectral_norm)
    features = keras.layers.LeakyReLU(0.1, name="features")(x)
    return keras.Model(image, features, name="trunk")


def build_q_head(feature_dim, spec, hidden=128, learn_std=False):
    """Q's own layers: FC hidden - BN - LeakyReLU, then the code parameters.

    Outputs a dict: `"categorical_<i>"` logits `(n, K_i)` for each
    categorical code, `"continuous_mean"` `(n, c)` and, with `learn_std`,
    `"continuous_log_std"` `(n, c)`.
    """
    features = keras.Input((feature_dim,), name="features")
    x = keras.layers.Dense(
        hidden, use_bias=False, kernel_initializer=dcgan_initializer(), name="q_fc"
    )(features)
    x = keras.layers.LeakyReLU(0.1)(batch_norm("q_fc_bn")(x))
    outputs = {}
    for i, k in enumerate(spec.categorical):
        outputs[f"categorical_{i}"] = keras.layers.Dense(
            k, kernel_initializer=dcgan_initializer(), name=f"categorical_{i}"
        )(x)
    if spec.continuous:
        outputs["continuous_mean"] = keras.layers.Dense(
            spec.continuous,
            kernel_initializer=dcgan_initializer(),
            name="continuous_mean",
        )(x)
        if learn_std:
            outputs["continuous_log_std"] = keras.layers.Dense(
                spec.continuous,
                kernel_initializer=dcgan_initializer(),
                name="continuous_log_std",
            )(x)
    return keras.Model(features, outputs, name="q_head")
