"""`SpectralNorm`: a layer that runs with its kernel divided by its largest singular value.

Miyato et al. 2018 bound each of D's layers to a Lipschitz constant of 1 by
dividing the kernel W by sigma(W), its largest singular value, estimated by
one step of power iteration per training call with the vector u kept
between calls. The gradient flows through sigma (u and v are constants), as
in PyTorch's `torch.nn.utils.spectral_norm`.

Keras's `keras.layers.SpectralNormalization` writes W / sigma back into the
kernel during training calls; on TensorFlow and PyTorch that cuts sigma out
of the gradient, under JAX's stateless step it does not, and on PyTorch a
discriminator called twice in one loss (real and fake) fails with an
in-place modification error. This layer computes W / sigma in the forward
pass and runs the wrapped layer on it (`stateless_call`): W stays what the
optimizer trains and saves, u is a float32 non-trainable weight, and all
three backends compute the same step.

Example:

>>> conv = SpectralNorm(keras.layers.Conv2D(64, 4, strides=2, padding="same"))
>>> y = conv(x, training=True)        # one power-iteration step, u updated
"""

from __future__ import annotations

import contextlib

import keras
from keras import ops

# Their kernels are (..., out, in): the output axis is the second last.
_TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)


def _autocast(dtype):
    # What Layer.__call__ does for mixed policies; stateless_call's scope
    # casts the mapped kernel to the variable dtype, so it is needed here.
    from keras.src.backend import AutocastScope

    return AutocastScope(dtype)


@keras.saving.register_keras_serializable(package="keras_gans")
class SpectralNorm(keras.layers.Wrapper):
    """Wraps a layer with a `kernel` (Dense, Conv*) to run with W / sigma(W).

    Args:
        layer: the layer to normalise; it keeps training and saving W.
        power_iterations: power-iteration steps per training call. Defaults
            to `1` (Miyato et al.: one step, u kept between calls).
        epsilon: added under the square roots of the norms. Defaults to
            `1e-12`.
        **kwargs: passed to `keras.layers.Wrapper` (`name`, ...). The
            wrapper itself computes in float32 (a mixed policy goes to the
            wrapped layer).
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(layer, dtype="float32", **kwargs)
        if int(power_iterations) < 1:
            raise ValueError(
                f"Expected power_iterations >= 1; received {power_iterations!r}."
            )
        self.power_iterations = int(power_iterations)
        self.epsilon = float(epsilon)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        # Dense keeps its kernel in `_kernel` (`kernel` may be a LoRA sum).
        kernel = getattr(self.layer, "_kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "kernel", None)
        if kernel is None or not isinstance(kernel, keras.Variable):
            raise ValueError(
                "Expected a layer with a `kernel` weight (Dense, Conv*); received "
                f"{type(self.layer).__name__}."
            )
        self._kernel = kernel
        rank = len(kernel.shape)
        self._out_axis = rank - 2 if isinstance(self.layer, _TRANSPOSED) else rank - 1
        self.u = self.add_weight(
            shape=(1, int(kernel.shape[self._out_axis])),
            initializer="random_normal",
            trainable=False,
            name="u",
            dtype="float32",
        )
        self.built = True

    def _matrix(self, kernel):
        """The kernel as a `(fan_in, out)` matrix: the same singular values."""
        kernel = ops.moveaxis(ops.cast(kernel, "float32"), self._out_axis, -1)
        return ops.reshape(kernel, (-1, kernel.shape[-1]))

    def _unit(self, x):
        return x / ops.sqrt(ops.sum(ops.square(x)) + self.epsilon)

    def sigma(self, training=False):
        """sigma(W) = v W u^T, differentiable in W; a training call updates u."""
        matrix = self._matrix(ops.convert_to_tensor(self._kernel))
        frozen = ops.stop_gradient(matrix)
        u = ops.convert_to_tensor(self.u)
        v = self._unit(ops.matmul(u, ops.transpose(frozen)))
        if training:
            for step in range(self.power_iterations):
                if step:
                    v = self._unit(ops.matmul(u, ops.transpose(frozen)))
                u = self._unit(ops.matmul(v, frozen))
            self.u.assign(u)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        return ops.sum(ops.matmul(v, matrix) * u)

    def normalized_kernel(self, training=False):
        """W / sigma(W), in the kernel's shape (float32)."""
        kernel = ops.cast(ops.convert_to_tensor(self._kernel), "float32")
        return kernel / self.sigma(training)

    def call(self, inputs, training=False):
        kernel = self.normalized_kernel(bool(training))
        inner = self.layer

        def values(variables):
            return [kernel if v is self._kernel else v.value for v in variables]

        mixed = inner.compute_dtype != inner.variable_dtype
        with _autocast(inner.compute_dtype) if mixed else contextlib.nullcontext():
            outputs, _ = inner.stateless_call(
                values(inner.trainable_variables),
                values(inner.non_trainable_variables),
                ops.cast(inputs, inner.compute_dtype),
            )
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)
        config.update(power_iterations=self.power_iterations, epsilon=self.epsilon)
        return config
