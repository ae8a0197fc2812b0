"""PyTorch: `backward()`, then the optimizer applied under `no_grad`."""

from __future__ import annotations

import keras
import torch


def train_step(model, args):
    (data,) = args
    return model.run_train_step(data)


def test_step(model, args):
    (data,) = args
    with torch.no_grad():
        return model.run_test_step(data)


def _detached(values):
    return keras.tree.map_structure(
        lambda t: t.detach() if isinstance(t, torch.Tensor) else t, values
    )


def minimize(model, optimizer, variables, loss_fn):
    for v in variables:
        v.value.grad = None
    loss, aux = loss_fn()
    optimizer.scale_loss(loss).backward()
    grads = [
        torch.zeros_like(v.value) if v.value.grad is None else v.value.grad
        for v in variables
    ]
    with torch.no_grad():
        optimizer.apply(grads, variables)
    # The other network's weights collected gradients too (G's loss goes
    # through D): drop them rather than carry them to the next step.
    for v in model.trainable_variables:
        v.value.grad = None
    return _detached(aux)


def cond(pred, fn, skip, variables):
    del variables  # eager: only the taken branch runs
    return fn() if bool(pred) else skip()


def input_gradients(fn, x):
    if not x.requires_grad:
        x = x.detach().requires_grad_(True)
    y = fn(x)
    (grads,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    return grads
