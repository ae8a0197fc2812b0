"""GAN: the original multilayer-perceptron GAN of Goodfellow et al. 2014."""

from __future__ import annotations

import math

import keras

from keras_gans.models.adversarial import AdversarialModel
from keras_gans.validation import check_int


@keras.saving.register_keras_serializable(package="keras_gans")
class Maxout(keras.layers.Layer):
    """Maxout units (Goodfellow et al. 2013): the max over `pieces` linear maps.

    The 2014 GAN paper's discriminator is built from these.

    Args:
        units: number of output units.
        pieces: linear pieces per unit. Defaults to `5`.
    """

    def __init__(self, units, pieces=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.pieces = pieces
        self.dense = keras.layers.Dense(units * pieces)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        x = self.dense(inputs)
        x = keras.ops.reshape(x, (-1, self.units, self.pieces))
        return keras.ops.max(x, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces}


def build_mlp_generator(data_shape, latent_dim, units, output_activation="tanh"):
    """ReLU MLP from `(latent_dim,)` to `data_shape`.

    Args:
        data_shape: shape of one example, e.g. `(28, 28, 1)` or `(1,)`.
        latent_dim: size of z.
        units: hidden layer sizes.
        output_activation: `"tanh"` for data in [-1, 1], `None` for
            unbounded data. Defaults to `"tanh"`.
    """
    z = keras.Input((latent_dim,), name="z")
    x = z
    for i, n in enumerate(units):
        x = keras.layers.Dense(n, activation="relu", name=f"dense_{i}")(x)
    x = keras.layers.Dense(
        math.prod(data_shape), activation=output_activation, name="output"
    )(x)
    x = keras.layers.Reshape(tuple(data_shape), name="sample")(x)
    return keras.Model(z, x, name="generator")


def build_maxout_discriminator(data_shape, units, pieces, dropout, input_dropout):
    """Maxout MLP with dropout from `data_shape` to one logit per example.

    Args:
        data_shape: shape of one example.
        units: maxout layer sizes.
        pieces: linear pieces per maxout unit.
        dropout: dropout rate after each hidden layer.
        input_dropout: dropout rate on the input.
    """
    x_in = keras.Input(tuple(data_shape), name="x")
    x = keras.layers.Flatten()(x_in)
    if input_dropout:
        x = keras.layers.Dropout(input_dropout)(x)
    for i, n in enumerate(units):
        x = Maxout(n, pieces, name=f"maxout_{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    logit = keras.layers.Dense(1, name="logit")(x)
    return keras.Model(x_in, logit, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(AdversarialModel):
    """The GAN of Goodfellow et al. 2014: an MLP generator and a maxout discriminator.

    The defaults follow the paper's MNIST model: z of 100 dimensions, a
    generator with two ReLU layers of 1200 units, a discriminator with two
    maxout layers of 240 units x 5 pieces and dropout (0.2 on the input, 0.5
    on hidden layers). Works on images (flattened) or flat vectors.

    Args:
        data_shape: shape of one example. Defaults to `(28, 28, 1)`.
        latent_dim: size of z. Defaults to `100`.
        g_units: generator hidden sizes. Defaults to `(1200, 1200)`.
        d_units: discriminator maxout sizes. Defaults to `(240, 240)`.
        d_pieces: pieces per maxout unit. Defaults to `5`.
        dropout: D's hidden dropout rate. Defaults to `0.5`.
        input_dropout: D's input dropout rate. Defaults to `0.2`.
        output_activation: G's output activation; `"tanh"` for data scaled to
            [-1, 1], `None` for unbounded data. Defaults to `"tanh"`.
        latent_distribution: `"uniform"` (U(-1, 1), as in the paper) or
            `"normal"`. Defaults to `"uniform"`.
        d_steps: discriminator steps per generator step (k). Defaults to `1`.
        seed: noise seed. Defaults to `None`.

    Example:

    ```python
    gan = keras_gans.GAN(data_shape=(28, 28, 1))
    gan.compile()
    gan.fit(keras_gans.data.load("fashion_mnist", batch_size=100), epochs=1)
    ```
    """

    _network_config = (
        "data_shape",
        "g_units",
        "d_units",
        "d_pieces",
        "dropout",
        "input_dropout",
        "output_activation",
    )

    def __init__(
        self,
        data_shape=(28, 28, 1),
        latent_dim=100,
        g_units=(1200, 1200),
        d_units=(240, 240),
        d_pieces=5,
        dropout=0.5,
        input_dropout=0.2,
        output_activation="tanh",
        latent_distribution="uniform",
        d_steps=1,
        seed=None,
        **kwargs,
    ):
        latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        data_shape = tuple(int(d) for d in data_shape)
        super().__init__(
            generator=build_mlp_generator(
                data_shape, latent_dim, tuple(g_units), output_activation
            ),
            discriminator=build_maxout_discriminator(
                data_shape, tuple(d_units), d_pieces, dropout, input_dropout
            ),
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            d_steps=d_steps,
            seed=seed,
            **kwargs,
        )
        self.data_shape = data_shape
        self.g_units = tuple(g_units)
        self.d_units = tuple(d_units)
        self.d_pieces = d_pieces
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.output_activation = output_activation
