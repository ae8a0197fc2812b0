"""Mixed precision for a GAN's networks: where 16 bits pay and where they must not.

`dtype_policy="mixed_bfloat16"` (or `"mixed_float16"`) computes the
networks' layers in 16 bits with float32 weights, except the layers that
make each network's outputs: G's image (the tanh), D's logit and Q's
heads stay float32, so `generate()` and the exports give float32 images,
and the losses, D's scores and the gradient penalty are computed from
float32 values. Batch norm computes its moments in float32 (Keras upcasts
16-bit inputs), so its statistics stay float32 too.

float16 has 5 exponent bits: gradients below ~6e-8 flush to zero. Under
`"mixed_float16"`, `compile()` wraps G's and D's optimizers (Q trains with
G's) in `keras.optimizers.LossScaleOptimizer`: each backend's `minimize`
multiplies the loss by the dynamic scale before differentiating, and the
optimizer divides it out, skipping the step and halving the scale when a
gradient is not finite. bfloat16 has float32's exponent range and needs no
scaling.
"""

from __future__ import annotations

import functools
import os

import keras

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")

# Layers that only move values around: the layer before them makes the output.
SHAPE_LAYERS = (
    keras.layers.Reshape,
    keras.layers.Flatten,
    keras.layers.Permute,
    keras.layers.Cropping2D,
)


def _history_op(tensor):
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history.operation, history


def output_layers(network):
    """The layers of `network` whose results are its outputs.

    Follows shape-only layers (Reshape, Flatten, ...) back to the layer that
    computes the values, and nested models to their own output layers.
    """
    found = []
    outputs = getattr(network, "outputs", None)
    if not outputs:
        layers = getattr(network, "layers", None)
        return [layers[-1]] if layers else []
    for tensor in keras.tree.flatten(outputs):
        op, history = _history_op(tensor)
        while op is not None:
            if isinstance(op, keras.Model):
                found.extend(output_layers(op))
                break
            found.append(op)
            if not isinstance(op, SHAPE_LAYERS):
                break
            node = op._inbound_nodes[history.node_index]
            op, history = _history_op(node.input_tensors[0])
    return found


def _computes_floats(layer):
    return keras.backend.is_float_dtype(layer.dtype_policy.compute_dtype)


def apply(network, policy):
    """Sets `policy` on the layers of `network`; its output layers get float32.

    Layers that do not compute in floats (text lookup, integer inputs) and
    nested models (containers: their layers get the policy) are left as
    they are. Weights keep float32 under both mixed policies, so a built
    network can change policy.
    """
    from keras_gans.models.spectral_norm import SpectralNorm

    policy = keras.dtype_policies.get(policy)
    outputs = set()
    for layer in output_layers(network):
        # A spectrally normalised output layer: its wrapped layer computes.
        outputs.add(id(layer.layer if isinstance(layer, SpectralNorm) else layer))
    for layer in network._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (keras.Model, keras.layers.InputLayer, SpectralNorm)):
            # SpectralNorm estimates sigma in float32 whatever the policy.
            continue
        if not _computes_floats(layer):
            continue
        layer.dtype_policy = "float32" if id(layer) in outputs else policy


def apply_policy(policy, networks):
    """`apply` to each of `networks`, unless `policy` is float32 (left as built)."""
    policy = keras.dtype_policies.get(policy)
    if policy.name != "float32":
        for network in networks:
            apply(network, policy)


def loss_scaled(optimizer):
    """`optimizer` wrapped in dynamic loss scaling (once)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


# Convolutions whose bfloat16 gradients TensorFlow computes slowly on a CPU
# without bfloat16 support in oneDNN (BENCHMARKS.md, "Mixed precision").
CONVOLUTIONS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
)


def cpu_lacks_bfloat16():
    """Whether TensorFlow computes bfloat16 convolutions here without oneDNN.

    TensorFlow's CPU convolutions use oneDNN for bfloat16 only where the
    CPU has AVX-512 or AVX-NE-CONVERT (`IsDataTypeSupportedByOneDNNOnThisCPU`);
    elsewhere (an AVX2-only CPU, or oneDNN turned off) its gradients fall
    back to Eigen's generic kernels (DCGAN 64x64: 8.7x float32's time). False on
    other backends and wherever TensorFlow sees a GPU or a TPU.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"):
        return False
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in ("0", "false"):
        return True
    try:
        from tensorflow.python.util import _pywrap_utils
    except ImportError:  # pragma: no cover - a TensorFlow without the probe
        return False
    probe = getattr(_pywrap_utils, "IsDataTypeSupportedByOneDNNOnThisCPU", None)
    if probe is None:  # pragma: no cover
        return False
    return not probe(tf.bfloat16)


def _float32_call(inputs, *args, call, compute_dtype, **kwargs):
    from keras.src.backend.common.variables import AutocastScope

    # The layer's float32 weights are read as they are inside this scope.
    with AutocastScope("float32"):
        outputs = call(keras.ops.cast(inputs, "float32"), *args, **kwargs)
    return keras.ops.cast(outputs, compute_dtype)


def float32_convolutions(*networks, force=None):
    """Computes the networks' bfloat16 convolutions in float32 where that is faster.

    On a CPU where `cpu_lacks_bfloat16()` (or when `force` is true), each
    convolution layer whose policy computes in bfloat16 takes its inputs
    and weights in float32 and casts its outputs back to bfloat16: the
    layers around it, the activations between them and the saved class,
    config and weights stay as they are. Measured on an AVX2-only CPU,
    DCGAN 64x64 `fit()` under `mixed_bfloat16` went from 0.12x float32's
    speed to 0.97x (BENCHMARKS.md). `None`s are skipped.

    Returns:
        The number of layers changed.
    """
    layers = [
        layer
        for network in networks
        if network is not None
        for layer in network._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, CONVOLUTIONS)
        and layer.compute_dtype == "bfloat16"
        and not getattr(layer, "_float32_convolution", False)
    ]
    layers = list({id(layer): layer for layer in layers}.values())  # shared once
    # Only a bfloat16 network asks about the CPU.
    if not layers or not (cpu_lacks_bfloat16() if force is None else force):
        return 0
    for layer in layers:
        layer.call = functools.partial(
            _float32_call, call=layer.call, compute_dtype=layer.compute_dtype
        )
        layer._float32_convolution = True
    return len(layers)
