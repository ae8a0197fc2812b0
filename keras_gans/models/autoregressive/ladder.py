"""The notes' ladder of autoregressive models for n binary pixels.

The full joint of n binary pixels has 2^n - 1 free parameters. The chain
rule p(x) = prod_i p(x_i | x_<i) is exact in any order; what a model
assumes about each conditional sets its size:

- `IndependentPixels`: p(x_i | x_<i) = p(x_i): n parameters.
- `MarkovChain`: p(x_i | x_<i) = p(x_i | x_{i-1}) (order 1): 1 for the
  first pixel, then 2 for each of the others: 2n - 1.
- `MADE` (Germain et al. 2015): a fully connected autoregressive model,
  every conditional a function of all earlier pixels, computed by one
  masked network in one pass (NADE, Larochelle and Murray 2011, shares
  weights the same way, one conditional at a time).
- `PixelCNN` (`pixelcnn.py`): convolutional conditionals over a
  neighbourhood of earlier pixels, with weights shared across positions.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_gans.models.autoregressive import layers as ar_layers
from keras_gans.models.autoregressive.model import AutoregressiveModel
from keras_gans.validation import check_int_tuple


def _image_input(image_shape):
    return keras.Input(image_shape, name="images")


@keras.saving.register_keras_serializable(package="keras_gans")
class IndependentPixels(AutoregressiveModel):
    """Independent Bernoulli pixels: p(x) = prod_i p(x_i), n parameters.

    Args:
        image_shape: `(H, W, C)`. Defaults to `(28, 28, 1)`.
        seed: seed of the model's noise. Defaults to `None`.
        dtype_policy: see `LikelihoodModel`. Defaults to `None`.
    """

    independent = True

    def __init__(self, image_shape=(28, 28, 1), seed=None, dtype_policy=None, **kwargs):
        super().__init__(image_shape, 2, seed=seed, dtype_policy=dtype_policy, **kwargs)
        images = _image_input(self.image_shape)
        logits = ar_layers.PixelLogits(self.image_shape, name="logits")(images)
        self.network = keras.Model(images, logits, name="independent_pixels")
        self._finish_networks(self.network)


@keras.saving.register_keras_serializable(package="keras_gans")
class MarkovChain(AutoregressiveModel):
    """A Markov chain of order 1 over pixels in raster order: 2n - 1 parameters.

    p(x_1 = 1) = sigmoid(a_1), p(x_i = 1 | x_{i-1}) = sigmoid(a_i + b_i x_{i-1}).

    Args:
        image_shape: `(H, W, C)`. Defaults to `(28, 28, 1)`.
        seed: seed of the model's noise. Defaults to `None`.
        dtype_policy: see `LikelihoodModel`. Defaults to `None`.
    """

    def __init__(self, image_shape=(28, 28, 1), seed=None, dtype_policy=None, **kwargs):
        super().__init__(image_shape, 2, seed=seed, dtype_policy=dtype_policy, **kwargs)
        images = _image_input(self.image_shape)
        logits = ar_layers.MarkovLogits(self.image_shape, name="logits")(images)
        self.network = keras.Model(images, logits, name="markov_chain")
        self._finish_networks(self.network)


@keras.saving.register_keras_serializable(package="keras_gans")
class MADE(AutoregressiveModel):
    """A fully connected autoregressive model (MADE, Germain et al. 2015).

    A multilayer perceptron over the flattened image whose weights are
    masked so that the output for pixel d depends on pixels before d only
    (`layers.MaskedDense`): all n conditionals in one pass.

    Args:
        image_shape: `(H, W, C)`. Defaults to `(28, 28, 1)`.
        hidden: hidden layer widths. Defaults to `(500,)`.
        levels: `2` (Bernoulli pixels) or `256` (a softmax per pixel).
            Defaults to `2`.
        seed: seed of the model's noise. Defaults to `None`.
        dtype_policy: see `LikelihoodModel`. Defaults to `None`.
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        hidden=(500,),
        levels=2,
        seed=None,
        dtype_policy=None,
        **kwargs,
    ):
        super().__init__(
            image_shape, levels, seed=seed, dtype_policy=dtype_policy, **kwargs
        )
        self.hidden = check_int_tuple(
            "hidden", hidden, example="(500,)", allow_empty=True
        )
        dims = self.dims
        per_dim = 1 if self.levels == 2 else self.levels
        images = _image_input(self.image_shape)
        x = keras.layers.Flatten()(images)
        for i, units in enumerate(self.hidden):
            x = ar_layers.MaskedDense(
                units, dims, "input" if i == 0 else "hidden", activation="relu"
            )(x)
        x = ar_layers.MaskedDense(
            dims * per_dim,
            dims,
            "output" if self.hidden else "direct",
            outputs_per_dim=per_dim,
            name="logits",
        )(x)
        shape = self.image_shape if self.levels == 2 else (*self.image_shape, per_dim)
        outputs = keras.layers.Reshape(shape)(x)
        self.network = keras.Model(images, outputs, name="made")
        self._finish_networks(self.network)

    _network_config = ("hidden", "levels")

    def parameter_count(self):
        """Weights the masks keep, plus biases (the dense weights number more)."""
        return sum(
            layer.connections()
            for layer in self.network.layers
            if isinstance(layer, ar_layers.MaskedDense)
        )


def full_joint_parameters(n):
    """Free parameters of the full joint of n binary pixels: 2^n - 1 (as a float for n > 64)."""
    return 2**n - 1 if n <= 64 else float(np.exp2(n))
