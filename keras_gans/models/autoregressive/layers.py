"""The layers of the autoregressive models: each output sees only earlier pixels.

Pixels are ordered in raster order: rows top to bottom, columns left to
right, and within a pixel its channels in order (R before G before B).

- `PixelLogits`: one logit per pixel and channel, no input (independent
  pixels: n parameters).
- `MarkovLogits`: each pixel's logit from the one before it (a Markov chain
  of order 1: 2n - 1 parameters).
- `MaskedDense`: a dense layer whose weights are masked so that output d
  sees inputs before d only (MADE, Germain et al. 2015).
- `CausalConv2D`: a masked convolution (PixelCNN, van den Oord et al.
  2016): the kernel holds the rows above and the centre row only, and on
  the centre row the pixels to the left, plus the centre pixel's earlier
  channels (mask `"A"`, the first layer) or its channels up to its own
  (mask `"B"`, every later layer).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans.validation import check_choice, check_int


def _groups(count, groups):
    """Contiguous assignment of `count` channels to `groups` (channel order)."""
    return (np.arange(count) * groups) // count


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelLogits(keras.layers.Layer):
    """A learned logit per pixel and channel, the same for every input."""

    def __init__(self, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)

    def build(self, input_shape):
        self.logits = self.add_weight(
            shape=self.image_shape, initializer="zeros", name="logits"
        )

    def call(self, images):
        return ops.zeros_like(images) + self.logits[None]

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape)}


@keras.saving.register_keras_serializable(package="keras_gans")
class MarkovLogits(keras.layers.Layer):
    """logit_1 = a_1; logit_i = a_i + b_i x_{i-1}, with x in {0, 1} (raster order)."""

    def __init__(self, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)

    def build(self, input_shape):
        n = int(np.prod(self.image_shape))
        self.bias = self.add_weight(shape=(n,), initializer="zeros", name="bias")
        self.weight = self.add_weight(
            shape=(n - 1,), initializer="zeros", name="weight"
        )

    def call(self, images):
        n = int(np.prod(self.image_shape))
        previous = (
            ops.reshape(images, (-1, n))[:, :-1] + 1.0
        ) / 2.0  # [-1, 1] -> {0, 1}
        shift = ops.pad(previous * self.weight[None], [[0, 0], [1, 0]])
        return ops.reshape(shift + self.bias[None], (-1, *self.image_shape))

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape)}


@keras.saving.register_keras_serializable(package="keras_gans")
class MaskedDense(keras.layers.Dense):
    """A dense layer of MADE: degrees give each unit the inputs it may see.

    Input d (of `dims`, in order) has degree d + 1; hidden unit k has
    degree k mod (dims - 1) + 1 (the sizes cycle through every degree); an
    output group of `outputs_per_dim` units for input d has degree d + 1.
    A hidden unit sees inputs of degree <= its own; an output sees hidden
    units (or inputs) of degree < its own, so output d depends on inputs
    before d only.

    Args:
        units: output units.
        dims: D, the number of autoregressive dimensions.
        kind: `"input"` (inputs -> hidden), `"hidden"`, `"output"`
            (hidden -> outputs) or `"direct"` (inputs -> outputs).
        outputs_per_dim: output units per dimension (`kind="output"`).
            Defaults to `1`.
    """

    KINDS = ("input", "hidden", "output", "direct")

    def __init__(self, units, dims, kind, outputs_per_dim=1, **kwargs):
        super().__init__(units, **kwargs)
        self.dims = check_int("dims", dims, minimum=2)
        self.kind = check_choice("kind", kind, self.KINDS)
        self.outputs_per_dim = check_int("outputs_per_dim", outputs_per_dim)

    def _hidden_degrees(self, count):
        return np.arange(count) % (self.dims - 1) + 1

    def build(self, input_shape):
        super().build(input_shape)
        fan_in = int(input_shape[-1])
        if self.kind in ("input", "direct"):
            source = np.arange(fan_in) + 1
        else:
            source = self._hidden_degrees(fan_in)
        if self.kind in ("output", "direct"):
            target = np.repeat(np.arange(self.dims) + 1, self.outputs_per_dim)
            mask = target[None, :] > source[:, None]
        else:
            target = self._hidden_degrees(self.units)
            mask = target[None, :] >= source[:, None]
        self._mask = mask.astype("float32")

    def call(self, inputs, training=None):
        kernel = self.kernel * ops.cast(self._mask, self.compute_dtype)
        outputs = ops.matmul(inputs, kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    def connections(self):
        """Weights the mask keeps (plus biases): this layer's free parameters."""
        return int(self._mask.sum()) + (self.units if self.use_bias else 0)

    def get_config(self):
        return {
            **super().get_config(),
            "dims": self.dims,
            "kind": self.kind,
            "outputs_per_dim": self.outputs_per_dim,
        }


def causal_mask(kernel_size, in_channels, out_channels, groups, mask_type):
    """The mask of a `CausalConv2D` kernel `(k // 2 + 1, k, in, out)`.

    Rows above the centre are whole; on the centre row, columns left of the
    centre are whole and those right of it zero; at the centre, input group
    g feeds output group h where g < h (mask `"A"`) or g <= h (`"B"`).
    """
    k = kernel_size
    mask = np.ones((k // 2 + 1, k, in_channels, out_channels), "float32")
    mask[-1, k // 2 + 1 :] = 0.0
    source = _groups(in_channels, groups)[:, None]
    target = _groups(out_channels, groups)[None, :]
    allowed = source < target if mask_type == "A" else source <= target
    mask[-1, k // 2] = allowed.astype("float32")
    return mask


@keras.saving.register_keras_serializable(package="keras_gans")
class CausalConv2D(keras.layers.Layer):
    """A masked convolution whose output at a pixel sees only earlier pixels.

    The kernel stores only the rows that can be nonzero (the centre row and
    those above), so a `k x k` masked convolution costs `(k // 2 + 1) x k`.
    On full images the input is padded with `k // 2` zero rows on top and
    the output has the input's size. With `window=True` there is no top
    padding: the output loses `k // 2` rows at the top, so a stack of these
    layers run on the `R + 1` rows above and at row r (R: the stack's
    reach upwards) gives exactly row r's outputs; that is how PixelCNN
    samples a row without recomputing the whole image.

    Args:
        filters: output channels.
        kernel_size: odd `k`.
        mask_type: `"A"` (the first layer: a pixel's own value is hidden)
            or `"B"`.
        channel_groups: the image's channels C: channels split into C
            contiguous groups ordered like the image's channels. Defaults
            to `1`.
        activation: applied to the output. Defaults to `None`.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        mask_type="B",
        channel_groups=1,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters)
        self.kernel_size = check_int("kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"Expected an odd kernel_size; received kernel_size={kernel_size}."
            )
        self.mask_type = check_choice("mask_type", mask_type, ("A", "B"))
        self.channel_groups = check_int("channel_groups", channel_groups)
        self.activation = keras.activations.get(activation)

    @property
    def reach(self):
        """Rows above a pixel that its output sees (k // 2)."""
        return self.kernel_size // 2

    def build(self, input_shape):
        k = self.kernel_size
        in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(k // 2 + 1, k, in_channels, self.filters),
            initializer="glorot_uniform",
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.filters,), initializer="zeros", name="bias"
        )
        self._mask = causal_mask(
            k, in_channels, self.filters, self.channel_groups, self.mask_type
        )

    def call(self, inputs, window=False):
        side = self.kernel_size // 2
        top = 0 if window else side
        padded = ops.pad(inputs, [[0, 0], [top, 0], [side, side], [0, 0]])
        kernel = self.kernel * ops.cast(self._mask, self.compute_dtype)
        outputs = ops.conv(padded, kernel, padding="valid") + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "channel_groups": self.channel_groups,
            "activation": keras.activations.serialize(self.activation),
        }
