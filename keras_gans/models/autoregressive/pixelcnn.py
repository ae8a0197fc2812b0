"""PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks").

A stack of masked convolutions models each pixel given the pixels above it
and to its left: one `CausalConv2D` with mask A (7x7: the pixel's own value
is hidden), residual blocks of a masked 3x3 and a 1x1 convolution with
mask B, and two 1x1 layers to the output: one logit per pixel for
`levels=2`, or a softmax over `levels` values (256: 8-bit images). Training
and the likelihood take one pass over whole images; sampling takes one pass
per pixel and channel, each over only the rows that row's outputs read
(`window_network`).

Not built: the gated blocks with vertical and horizontal stacks of the
same authors' later paper (Gated PixelCNN), which remove the blind spot of
plain masked convolutions (pixels up and to the right fall out of the
receptive field as the stack deepens).
"""

from __future__ import annotations

import keras

from keras_gans.models.autoregressive.layers import CausalConv2D
from keras_gans.models.autoregressive.model import AutoregressiveModel
from keras_gans.validation import check_int


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelCNN(AutoregressiveModel):
    """An autoregressive model of images with masked convolutions.

    Args:
        image_shape: `(H, W, C)`; colour channels are modelled in order
            (R given the pixels before it, G given R, ...). Defaults to
            `(28, 28, 1)`.
        levels: values a pixel takes: `2` (binarised images, Bernoulli) or
            `256` (8-bit, a 256-way softmax). Defaults to `2`.
        filters: channels of the hidden layers (at least C). Defaults to
            `64`.
        blocks: residual blocks. Defaults to `5`.
        first_kernel: the mask-A convolution's size. Defaults to `7`.
        kernel: the blocks' convolution size. Defaults to `3`.
        seed: seed of the model's noise. Defaults to `None`.
        dtype_policy: see `LikelihoodModel`. Defaults to `None`.

    Example:

    ```python
    pixelcnn = keras_gans.PixelCNN(image_shape=(28, 28, 1), levels=2)
    pixelcnn.compile()
    pixelcnn.fit(keras_gans.data.load("fashion_mnist", batch_size=128), epochs=5)
    nats = -pixelcnn.log_prob(test_images)   # exact, per image
    samples = pixelcnn.generate(16, seed=0)  # one pass per pixel
    ```
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        levels=2,
        filters=64,
        blocks=5,
        first_kernel=7,
        kernel=3,
        seed=None,
        dtype_policy=None,
        **kwargs,
    ):
        super().__init__(
            image_shape, levels, seed=seed, dtype_policy=dtype_policy, **kwargs
        )
        channels = self.image_shape[-1]
        self.filters = check_int("filters", filters, minimum=channels)
        self.blocks = check_int("blocks", blocks, minimum=0)
        self.first_kernel = check_int("first_kernel", first_kernel)
        self.kernel = check_int("kernel", kernel)
        per_channel = 1 if self.levels == 2 else self.levels
        parts = {
            "conv_a": CausalConv2D(filters, first_kernel, "A", channels, name="conv_a"),
            **{
                name: layer
                for b in range(self.blocks)
                for name, layer in (
                    (f"block{b}_relu", keras.layers.ReLU(name=f"block{b}_relu")),
                    (
                        f"block{b}_conv",
                        CausalConv2D(
                            filters,
                            kernel,
                            "B",
                            channels,
                            activation="relu",
                            name=f"block{b}_conv",
                        ),
                    ),
                    (
                        f"block{b}_proj",
                        CausalConv2D(filters, 1, "B", channels, name=f"block{b}_proj"),
                    ),
                )
            },
            "head_relu": keras.layers.ReLU(name="head_relu"),
            "head": CausalConv2D(
                filters, 1, "B", channels, activation="relu", name="head"
            ),
            "logits": CausalConv2D(
                channels * per_channel, 1, "B", channels, name="logits"
            ),
        }
        images = keras.Input(self.image_shape, name="images")
        self.network = keras.Model(
            images, self._stack(parts, images, window=False), name="pixelcnn"
        )
        self._finish_networks(self.network)

    _network_config = ("levels", "filters", "blocks", "first_kernel", "kernel")

    def _stack(self, layer, x, window):
        """The graph of `layer` (`{name: layer}`) on `x`; `window=True` drops rows."""
        h = layer["conv_a"](x, window=window)
        for b in range(self.blocks):
            y = layer[f"block{b}_relu"](h)
            y = layer[f"block{b}_conv"](y, window=window)
            y = layer[f"block{b}_proj"](y, window=window)
            if window:  # the block's convolution dropped `kernel // 2` rows
                h = keras.layers.Cropping2D(((self.kernel // 2, 0), (0, 0)))(h)
            h = keras.layers.Add()([h, y])
        h = layer["head"](layer["head_relu"](h), window=window)
        logits = layer["logits"](h, window=window)
        if self.levels == 2:
            return logits
        rows = logits.shape[1]
        return keras.layers.Reshape((rows, *self.image_shape[1:], self.levels))(logits)

    @property
    def reach(self):
        return self.first_kernel // 2 + self.blocks * (self.kernel // 2)

    def sampling_networks(self):
        rows = self.reach + 1
        if rows >= self.image_shape[0]:
            return super().sampling_networks()
        cached = self.__dict__.get("_sampling_cache")
        if cached is None:
            # The trained network's layers on `rows` rows: with the image's
            # own zero padding on top (the first rows), and without padding
            # (each layer drops the rows it reaches up, leaving the last).
            # Only inside the image are the two the same: the padding of a
            # hidden layer is zeros, not the layer's output on zeros.
            parts = {
                layer.name: layer
                for layer in self.network.layers
                if not isinstance(layer, keras.layers.InputLayer)
            }
            networks = []
            for window in (False, True):
                x = keras.Input((rows, *self.image_shape[1:]), name="rows")
                networks.append(keras.Model(x, self._stack(parts, x, window=window)))
            cached = (*networks, rows)
            object.__setattr__(self, "_sampling_cache", cached)
        return cached
