"""What `keras.ops` cannot say, one small module per Keras backend.

The step of every model is written once in `keras.ops` and `keras.random`.
Only three things differ between TensorFlow, JAX and PyTorch, and each
backend's module here provides them:

- `train_step(model, args)` / `test_step(model, args)`: the adapter between
  Keras's trainer and `model.run_train_step(data)` (JAX threads the state of
  every variable through a stateless step; TensorFlow and PyTorch call it as
  it is).
- `minimize(model, optimizer, variables, loss_fn)`: one gradient step on
  `variables` for the scalar loss that `loss_fn()` returns with its aux
  values (TensorFlow's tape; `jax.value_and_grad` with the state threaded;
  PyTorch's `backward` and the optimizer under `no_grad`).
- `input_gradients(fn, x)`: d sum(fn(x)) / dx, itself differentiable (double
  backprop), for the gradient penalty and R1.
- `cond(pred, fn, skip, variables)`: `fn()` or `skip()` by a traced
  predicate (the lazy R1 interval); JAX threads `variables`, which the
  branches may assign, through `jax.lax.cond`.
"""

from __future__ import annotations

import importlib

import keras

_MODULES = {
    "tensorflow": "tf_step",
    "jax": "jax_step",
    "torch": "torch_step",
}


def current():
    """The module for Keras's backend of this process."""
    name = keras.backend.backend()
    if name not in _MODULES:
        raise RuntimeError(
            "keras_gans trains on the Keras backends "
            f"{sorted(_MODULES)}; this process runs KERAS_BACKEND={name!r}."
        )
    return importlib.import_module(f"{__name__}.{_MODULES[name]}")


def input_gradients(fn, x):
    """d sum(fn(x)) / dx on the current backend, differentiable again."""
    return current().input_gradients(fn, x)
