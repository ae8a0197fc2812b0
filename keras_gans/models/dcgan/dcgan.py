"""DCGAN: the deep convolutional GAN of Radford et al. 2015."""

from __future__ import annotations

import keras

from keras_gans.models.adversarial import AdversarialModel
from keras_gans.models.blocks import (
    batch_norm,
    dense,
    downsample,
    maybe_spectral,
    upsample_to_image,
    upsampling_plan,
)
from keras_gans.validation import check_int


def build_dcgan_generator(image_shape, latent_dim, filters=64, kernel_size=4):
    """Project z, reshape, then strided transposed convolutions up to the image.

    Batch norm and ReLU after every layer but the output, which is tanh.

    Args:
        image_shape: `(H, W, C)`.
        latent_dim: size of z.
        filters: channels of the last hidden layer; doubling towards the
            input. Defaults to `64`.
        kernel_size: transposed-convolution kernel size. Defaults to `4`.
    """
    h, w, steps = upsampling_plan(image_shape)
    channels = filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="z")
    x = dense(h * w * channels, "project", use_bias=False)(z)
    x = keras.layers.Reshape((h, w, channels))(x)
    x = batch_norm("project_bn")(x)
    x = keras.layers.ReLU()(x)
    image = upsample_to_image(x, image_shape, channels, steps, kernel_size)
    return keras.Model(z, image, name="generator")


def build_dcgan_discriminator(
    image_shape, filters=64, kernel_size=4, spectral_norm=False
):
    """Strided convolutions down to a small grid, then one logit.

    LeakyReLU(0.2) throughout; batch norm on every layer but the input one.

    Args:
        image_shape: `(H, W, C)`.
        filters: channels of the first layer, doubling with each stride.
            Defaults to `64`.
        kernel_size: convolution kernel size. Defaults to `4`.
        spectral_norm: wrap every layer in `SpectralNorm`, without batch
            norm. Defaults to `False`.
    """
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    x = downsample(image, filters, steps, kernel_size, 0.2, spectral_norm)
    x = keras.layers.Flatten(name="features")(x)
    logit = maybe_spectral(dense(1, "logit"), spectral_norm)(x)
    return keras.Model(image, logit, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(AdversarialModel):
    """Deep convolutional GAN (Radford et al. 2015).

    Networks follow the paper's rules: strided convolutions instead of
    pooling, transposed convolutions in G, batch norm in both networks except
    G's output and D's input layer, ReLU in G with a tanh output, LeakyReLU(0.2)
    in D, weights from N(0, 0.02). Train with Adam(2e-4, beta_1=0.5), the
    default of `compile()`.

    Args:
        image_shape: `(H, W, C)`; H and W must halve at least twice to a grid
            of at least 4x4 (28, 32, 64, 128, ...). Defaults to `(64, 64, 3)`.
        latent_dim: size of z. Defaults to `100`.
        g_filters: G's last hidden layer width (ngf). Defaults to `64`.
        d_filters: D's first layer width (ndf). Defaults to `64`.
        kernel_size: convolution kernel size. Defaults to `4`.
        latent_distribution: `"normal"` or `"uniform"`. Defaults to `"normal"`.
        d_steps: discriminator steps per generator step. Defaults to `1`.
        seed: noise seed. Defaults to `None`.
        spectral_norm: spectral normalisation of every D layer
            (`keras_gans.models.spectral_norm.SpectralNorm`, Miyato et al.
            2018); D then has no batch norm, as in their SN-DCGAN. Defaults
            to `False`.
        **kwargs: `AdversarialModel`'s (`ema_decay`, `dtype_policy`, ...).

    Example:

    ```python
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=100)
    gan.compile()  # Adam(2e-4, beta_1=0.5) for both networks
    gan.fit(keras_gans.data.load("fashion_mnist", batch_size=128), epochs=5)
    images = gan.generate(16, seed=0)  # float32 in [-1, 1]
    ```
    """

    _network_config = (
        "image_shape",
        "g_filters",
        "d_filters",
        "kernel_size",
        "spectral_norm",
    )

    def __init__(
        self,
        image_shape=(64, 64, 3),
        latent_dim=100,
        g_filters=64,
        d_filters=64,
        kernel_size=4,
        latent_distribution="normal",
        d_steps=1,
        seed=None,
        spectral_norm=False,
        **kwargs,
    ):
        latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        image_shape = tuple(int(d) for d in image_shape)
        super().__init__(
            generator=build_dcgan_generator(
                image_shape, latent_dim, g_filters, kernel_size
            ),
            discriminator=build_dcgan_discriminator(
                image_shape, d_filters, kernel_size, bool(spectral_norm)
            ),
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            d_steps=d_steps,
            seed=seed,
            **kwargs,
        )
        self.image_shape = image_shape
        self.g_filters = g_filters
        self.d_filters = d_filters
        self.kernel_size = kernel_size
        self.spectral_norm = bool(spectral_norm)

    def discriminator_features(self, images):
        """D's flattened last convolutional features, for downstream classifiers.

        The DCGAN paper uses the trained discriminator as a feature extractor.
        """
        extractor = keras.Model(
            self.discriminator.input, self.discriminator.get_layer("features").output
        )
        return keras.ops.convert_to_numpy(extractor(images, training=False))
