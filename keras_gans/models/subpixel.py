"""Stride-2 transposed convolutions as one convolution and a depth-to-space.

A `Conv2DTranspose` of a 4x4 kernel, stride 2 and "same" padding (DCGAN's
and the VAE's upsampling) computes each output pixel of parity (a, b) from
a 2x2 patch of input pixels, through 4 of the kernel's 16 taps. All four
parities are one stride-1 2x2 convolution with 4x the output channels,
whose kernel is the layer's own kernel rearranged, followed by a
depth-to-space that interleaves the four results: the same function of
the same weights, in as many multiplications (Shi et al. 2016, "Is the
deconvolution layer the same as a convolutional layer?").

Under XLA:CPU the gradients of `jax.lax.conv_transpose` are slow (1.5-2
s for one of DCGAN 64x64's layers, forward and backward); those of a
matrix product are not (about 0.2 s), so on JAX the product above is
computed as one, over the windows' pixels. On PyTorch, Keras's backend
computes a transposed convolution with no padding, a larger output, and
crops it; torch's own `conv_transpose2d` with its symmetric padding of 1
is the same function, faster. `use_subpixel(*networks)` makes the eligible
`Conv2DTranspose` layers compute the way that measured faster on the
backend (`FORMS`; BENCHMARKS.md, "Sub-pixel transposed convolutions").
The layers keep their class, config and weights, so saved files and the
other backends are untouched.
"""

from __future__ import annotations

import functools
import types

import keras
import numpy as np

# Where a form measured faster than Keras's own transposed convolution
# (tools/bench_subpixel.py), and the fewest output channels it pays for:
# - JAX: the sub-pixel product; with fewer channels (an image's 1 or 3) the
#   product is too narrow and JAX's own convolution was faster;
# - PyTorch: torch's own conv_transpose2d with its symmetric padding of 1,
#   which is "same" for this kernel (Keras's torch backend computes a larger
#   output with no padding and crops it).
FORMS = {"jax": ("subpixel", 16), "torch": ("torch", 1)}
BACKENDS = tuple(FORMS)
MIN_CHANNELS = FORMS["jax"][1]

# Output parity a (0, 1) of a 4x4, stride-2, "same" transposed convolution
# takes input pixels m + a - 1 and m + a (window tap j = 0, 1) through kernel
# taps t = 3 - a - 2j: from y[2m + a] = sum_t x[(2m + a + 1 - t) / 2] * K[t]
# (padding 1 before). Indexed [j, a].
_TAPS = np.array([[3 - a - 2 * j for a in (0, 1)] for j in (0, 1)])


def eligible(layer, min_channels=MIN_CHANNELS):
    """Whether `layer` is a transposed convolution this module computes."""
    return (
        type(layer) is keras.layers.Conv2DTranspose
        and tuple(layer.kernel_size) == (4, 4)
        and tuple(layer.strides) == (2, 2)
        and layer.padding == "same"
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.data_format == "channels_last"
        and getattr(layer, "output_padding", None) is None
        and layer.filters >= min_channels
    )


def subpixel_kernel(kernel):
    """The 2x2 convolution kernel `(2, 2, in, 4 * out)` of a 4x4 transposed one.

    Args:
        kernel: a `Conv2DTranspose` kernel, `(4, 4, out, in)`.

    Returns:
        The kernel whose output channel `(2a + b) * out + c` is channel `c`
        of output parity `(a, b)`; every tap is one of `kernel`'s.
    """
    ops = keras.ops
    out_channels, in_channels = kernel.shape[2], kernel.shape[3]
    rows = ops.take(kernel, _TAPS.reshape(-1), axis=0)  # (2 * 2, 4, out, in)
    taps = ops.take(rows, _TAPS.reshape(-1), axis=1)  # (4, 4, out, in)
    taps = ops.reshape(taps, (2, 2, 2, 2, out_channels, in_channels))
    # (jy, a, jx, b, out, in) -> (jy, jx, in, a, b, out)
    taps = ops.transpose(taps, (0, 2, 5, 1, 3, 4))
    return ops.reshape(taps, (2, 2, in_channels, 4 * out_channels))


def conv_transpose(inputs, kernel):
    """`inputs` (N, H, W, in) through a 4x4 stride-2 "same" transposed convolution.

    A 2x2 convolution over the input padded by one pixel gives, at window
    (p, q), every parity's value; parity (a, b) of output pixel (m, n) is
    at window (m + a, n + b). The convolution is one matrix product of the
    windows' pixels (im2col): under XLA:CPU the gradients of a product are
    much faster than those of a convolution (tools/bench_subpixel.py). The
    four parities are then interleaved into the image.

    Returns:
        (N, 2H, 2W, out), as `keras.ops.conv_transpose(inputs, kernel, 2,
        "same")`.
    """
    ops = keras.ops
    out_channels, in_channels = kernel.shape[2], kernel.shape[3]
    h, w = inputs.shape[1], inputs.shape[2]
    weights = ops.cast(subpixel_kernel(kernel), inputs.dtype)
    padded = ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]])
    windows = ops.concatenate(
        [padded[:, i : i + h + 1, j : j + w + 1, :] for i in (0, 1) for j in (0, 1)],
        axis=-1,
    )  # (N, H+1, W+1, 4*in), taps in (jy, jx) order as the kernel's rows
    z = ops.matmul(windows, ops.reshape(weights, (4 * in_channels, 4 * out_channels)))
    n = ops.shape(z)[0]
    z = ops.reshape(z, (n, h + 1, w + 1, 2, 2, out_channels))
    parities = [
        [z[:, a : a + h, b : b + w, a, b, :] for b in (0, 1)] for a in (0, 1)
    ]
    rows = [ops.stack(row, axis=3) for row in parities]  # (N, H, W, b, out)
    image = ops.stack(rows, axis=2)  # (N, H, a, W, b, out)
    return ops.reshape(image, (n, 2 * h, 2 * w, out_channels))


def torch_conv_transpose(inputs, kernel):
    """The same on PyTorch, as one `torch.nn.functional.conv_transpose2d`."""
    import torch.nn.functional as F

    kernel = keras.ops.cast(kernel, inputs.dtype)
    outputs = F.conv_transpose2d(
        inputs.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), stride=2, padding=1
    )
    return outputs.permute(0, 2, 3, 1)


_CONVOLUTIONS = {"subpixel": conv_transpose, "torch": torch_conv_transpose}


def _call(layer, inputs, form="subpixel"):
    # Conv2DTranspose.call with one of the convolutions above.
    outputs = _CONVOLUTIONS[form](inputs, layer.kernel)
    if layer.use_bias:
        outputs = keras.ops.add(outputs, layer.bias)
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs


def use_subpixel(*networks, backends=None):
    """Makes the networks' eligible `Conv2DTranspose` layers compute as above.

    Only on the backends in `backends` (defaults to `BACKENDS`); elsewhere
    nothing changes. The layers' class, config and weights stay as they
    are. `None`s among `networks` are skipped.

    Returns:
        The number of layers changed.
    """
    backend = keras.backend.backend()
    if backend not in (BACKENDS if backends is None else backends):
        return 0
    # Elsewhere (a test asking for it), the sub-pixel form.
    form, min_channels = FORMS.get(backend, ("subpixel", MIN_CHANNELS))
    layers = [
        layer
        for network in networks
        if network is not None
        for layer in network._flatten_layers(include_self=False)
    ]
    count = 0
    for layer in layers:
        if eligible(layer, min_channels) and not getattr(layer, "_subpixel", False):
            layer.call = types.MethodType(functools.partial(_call, form=form), layer)
            layer._subpixel = True
            count += 1
    return count
