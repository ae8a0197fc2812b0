"""Building blocks the convolutional families share (DCGAN, InfoGAN, GAN-CLS).

Radford et al. 2015's rules, each written once: weights from N(0, 0.02),
batch norm with a fast-moving average, stride-2 (transposed) convolutions
that halve (double) height and width, ReLU in G with a tanh image, and
LeakyReLU in D.
"""

from __future__ import annotations

import keras
from keras import ops


def dcgan_initializer():
    """N(0, 0.02), a new initializer per layer.

    Radford et al. 2015: "All weights were initialized from a zero-centered
    Normal distribution with standard deviation 0.02." One shared instance
    would be wrong: a Keras initializer made without a seed fixes one at
    construction, so every layer (and every model in the process) would get
    the same draw whatever `keras.utils.set_random_seed` says.
    """
    return keras.initializers.RandomNormal(0.0, 0.02)


@keras.saving.register_keras_serializable(package="keras_gans")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras's batch norm, with batch moments differentiable to any order.

    On TensorFlow, Keras takes the batch moments with `tf.nn.moments`, whose
    variance stops the gradient through the mean. First derivatives come out
    exact, but second derivatives do not, and WGAN-GP's update of a
    batch-normalised critic needs them: its D step then differed from JAX's
    and PyTorch's by up to a few percent (measured; `tests/test_backends.py`).
    Here the variance is the mean of `(x - mean)^2` with gradients through
    both, as JAX and PyTorch compute it, so the step is the same on every
    backend. The outputs are Keras's (the same formula). Masked inputs and
    `synchronized=True` keep Keras's own moments.
    """

    def _moments(self, inputs, mask):
        if mask is not None or self.synchronized:
            return super()._moments(inputs, mask)
        axes = tuple(self._reduction_axes)
        mean = ops.mean(inputs, axis=axes, keepdims=True)
        variance = ops.mean(ops.square(inputs - mean), axis=axes)
        return ops.reshape(mean, ops.shape(variance)), variance


def batch_norm(name):
    """Batch norm as DCGAN uses it: momentum 0.9, epsilon 1e-5, gamma ~ N(1, 0.02).

    Momentum 0.9 (PyTorch's 0.1) keeps the moving statistics, used when
    sampling with training=False, close to the fast-changing batch ones.
    """
    return BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        name=name,
    )


def upsampling_plan(image_shape):
    """The generator's starting grid and number of stride-2 upsamplings.

    Halves height and width together while both stay even and >= 4, so
    28 -> 7 (2 steps), 32 -> 4 (3 steps), 64 -> 4 (4 steps).

    Returns:
        `(start_height, start_width, steps)`.
    """
    if len(image_shape) != 3 or image_shape[-1] not in (1, 3):
        raise ValueError(
            "Expected image_shape (height, width, channels) with 1 or 3 channels; "
            f"received {tuple(image_shape)}."
        )
    h, w, _ = image_shape
    steps = 0
    while h % 2 == 0 and w % 2 == 0 and h // 2 >= 4 and w // 2 >= 4:
        h, w, steps = h // 2, w // 2, steps + 1
    if steps < 2:
        raise ValueError(
            "DCGAN needs height and width that halve at least twice to a grid "
            "of at least 4x4 (e.g. 28, 32, 64, 128); received image_shape "
            f"{tuple(image_shape)}."
        )
    return h, w, steps


def upsample_to_image(x, image_shape, channels, steps, kernel_size=4):
    """G's convolutional half: from a `channels`-deep grid up to the image.

    `steps - 1` stride-2 transposed convolutions, each halving the channels,
    with batch norm and ReLU (layers `up_<i>`, `up_<i>_bn`), then a last
    stride-2 transposed convolution to the image's channels with tanh
    (layer `image`).
    """
    for i in range(steps - 1):
        channels //= 2
        x = keras.layers.Conv2DTranspose(
            channels,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=dcgan_initializer(),
            name=f"up_{i}",
        )(x)
        x = batch_norm(f"up_{i}_bn")(x)
        x = keras.layers.ReLU()(x)
    return keras.layers.Conv2DTranspose(
        image_shape[-1],
        kernel_size,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=dcgan_initializer(),
        name="image",
    )(x)


def downsample(image, filters, steps, kernel_size=4, slope=0.2, spectral_norm=False):
    """D's convolutional half: `steps` stride-2 convolutions from the image.

    `filters * 2**i` channels at step i (layers `down_<i>`), batch norm on
    all but the first (`down_<i>_bn`), LeakyReLU(`slope`) after each. With
    `spectral_norm`, each convolution is wrapped in `SpectralNorm` and
    there is no batch norm (Miyato et al. 2018's SN-DCGAN discriminator).
    """
    x = image
    for i in range(steps):
        conv = keras.layers.Conv2D(
            filters * 2**i,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=i == 0 or spectral_norm,
            kernel_initializer=dcgan_initializer(),
            name=f"down_{i}",
        )
        bn_name = f"down_{i}_bn" if i > 0 else None
        x = keras.layers.LeakyReLU(slope)(normalized(conv, x, bn_name, spectral_norm))
    return x


def normalized(layer, x, bn_name, spectral_norm):
    """`layer(x)` as D normalises it: spectrally, or followed by batch norm.

    `bn_name=None`: no batch norm either way (D's input layer).
    """
    x = maybe_spectral(layer, spectral_norm)(x)
    if bn_name is not None and not spectral_norm:
        x = batch_norm(bn_name)(x)
    return x


def maybe_spectral(layer, spectral_norm, name=None):
    """`layer`, wrapped in `SpectralNorm` if asked (named `name`, or `<layer>_sn`)."""
    if not spectral_norm:
        return layer
    from keras_gans.models.spectral_norm import SpectralNorm

    return SpectralNorm(layer, name=name or f"{layer.name}_sn")


def dense(units, name, use_bias=True):
    """A Dense layer with the DCGAN initializer."""
    return keras.layers.Dense(
        units, use_bias=use_bias, kernel_initializer=dcgan_initializer(), name=name
    )
