"""DCGAN: the deep convolutional GAN of Radford et al. 2015."""

from __future__ import annotations

import keras

from keras_gans.models.adversarial_model import AdversarialModel


def _init():
    """N(0, 0.02), a new initializer per layer.

    Radford et al. 2015: "All weights were initialized from a zero-centered
    Normal distribution with standard deviation 0.02." One shared instance
    would be wrong: a Keras initializer made without a seed fixes one at
    construction, so every layer (and every model in the process) would get
    the same draw whatever `keras.utils.set_random_seed` says.
    """
    return keras.initializers.RandomNormal(0.0, 0.02)


def _batch_norm(name):
    # momentum 0.9 (PyTorch's 0.1) keeps the moving statistics, used when
    # sampling with training=False, close to the fast-changing batch ones.
    return keras.layers.BatchNormalization(
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
    (layer `image`). Shared by the DCGAN and InfoGAN generators.
    """
    for i in range(steps - 1):
        channels //= 2
        x = keras.layers.Conv2DTranspose(
            channels,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=_init(),
            name=f"up_{i}",
        )(x)
        x = _batch_norm(f"up_{i}_bn")(x)
        x = keras.layers.ReLU()(x)
    return keras.layers.Conv2DTranspose(
        image_shape[-1],
        kernel_size,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=_init(),
        name="image",
    )(x)


def downsample(image, filters, steps, kernel_size=4, slope=0.2):
    """D's convolutional half: `steps` stride-2 convolutions from the image.

    `filters * 2**i` channels at step i (layers `down_<i>`), batch norm on
    all but the first (`down_<i>_bn`), LeakyReLU(`slope`) after each.
    Shared by the DCGAN discriminator and InfoGAN's trunk.
    """
    x = image
    for i in range(steps):
        x = keras.layers.Conv2D(
            filters * 2**i,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=i == 0,
            kernel_initializer=_init(),
            name=f"down_{i}",
        )(x)
        if i > 0:
            x = _batch_norm(f"down_{i}_bn")(x)
        x = keras.layers.LeakyReLU(slope)(x)
    return x


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
    x = keras.layers.Dense(
        h * w * channels, use_bias=False, kernel_initializer=_init(), name="project"
    )(z)
    x = keras.layers.Reshape((h, w, channels))(x)
    x = _batch_norm("project_bn")(x)
    x = keras.layers.ReLU()(x)
    image = upsample_to_image(x, image_shape, channels, steps, kernel_size)
    return keras.Model(z, image, name="generator")


def build_dcgan_discriminator(image_shape, filters=64, kernel_size=4):
    """Strided convolutions down to a small grid, then one logit.

    LeakyReLU(0.2) throughout; batch norm on every layer but the input one.

    Args:
        image_shape: `(H, W, C)`.
        filters: channels of the first layer, doubling with each stride.
            Defaults to `64`.
        kernel_size: convolution kernel size. Defaults to `4`.
    """
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    x = downsample(image, filters, steps, kernel_size, slope=0.2)
    x = keras.layers.Flatten(name="features")(x)
    logit = keras.layers.Dense(1, kernel_initializer=_init(), name="logit")(x)
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

    Example:

    ```python
    gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=100)
    gan.compile()  # Adam(2e-4, beta_1=0.5) for both networks
    gan.fit(keras_gans.data.load("fashion_mnist", batch_size=128), epochs=5)
    images = gan.generate(16, seed=0)  # float32 in [-1, 1]
    ```
    """

    _network_config = ("image_shape", "g_filters", "d_filters", "kernel_size")

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
        **kwargs,
    ):
        image_shape = tuple(int(d) for d in image_shape)
        super().__init__(
            generator=build_dcgan_generator(
                image_shape, latent_dim, g_filters, kernel_size
            ),
            discriminator=build_dcgan_discriminator(
                image_shape, d_filters, kernel_size
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

    def discriminator_features(self, images):
        """D's flattened last convolutional features, for downstream classifiers.

        The DCGAN paper uses the trained discriminator as a feature extractor.
        """
        extractor = keras.Model(
            self.discriminator.input, self.discriminator.get_layer("features").output
        )
        return keras.ops.convert_to_numpy(extractor(images, training=False))
