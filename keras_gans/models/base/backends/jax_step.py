"""JAX: a stateless step with every variable's value threaded through.

Keras's JAX trainer calls `train_step(state, data)` with the values of the
model's trainable and non-trainable variables (seed generators included),
of `model.optimizer.variables` (both optimizers: `OptimizerPair`) and of the
metrics, and expects the new values back. The step runs in one
`StatelessScope` mapping every variable to its value: reads see the
current value, assignments (batch-norm statistics, seed states, metric
updates, optimizer steps) are recorded there, and the new state is read off
the scope at the end. A gradient step differentiates a function of the
trained variables' values with `jax.value_and_grad`; what that function
assigns to other variables comes back as aux and is recorded in the outer
scope, and `optimizer.stateless_apply` gives the new weights and optimizer
state (keras-team/keras#18881).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from keras import StatelessScope
from keras.src.backend.common.stateless_scope import get_stateless_scope


class _Layered(StatelessScope):
    """A scope over some variables that reads the others from the scope around it."""

    def __init__(self, state_mapping=()):
        super().__init__(state_mapping=list(state_mapping), initialize_variables=False)
        self.updated = {}

    def add_update(self, update):
        super().add_update(update)
        self.updated[id(update[0])] = update[0]

    def get_current_value(self, variable):
        value = self.state_mapping.get(id(variable))
        if value is None and self.original_scope is not None:
            return self.original_scope.get_current_value(variable)
        return value

    def updates(self):
        return [(v, self.state_mapping[k]) for k, v in self.updated.items()]


def _groups(model, training):
    groups = [model.trainable_variables, model.non_trainable_variables]
    if training:
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    return groups


def _run(model, state, data, training):
    groups = _groups(model, training)
    mapping = [
        (v, value)
        for variables, values in zip(groups, state, strict=True)
        for v, value in zip(variables, values, strict=True)
    ]
    with StatelessScope(state_mapping=mapping) as scope:
        if training:
            logs = model.run_train_step(data)
        else:
            logs = model.run_test_step(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in variables] for variables in groups
    )
    return logs, new_state


def train_step(model, args):
    state, data = args
    return _run(model, state, data, training=True)


def test_step(model, args):
    state, data = args
    return _run(model, state, data, training=False)


def _value(v):
    scope = get_stateless_scope()
    value = None if scope is None else scope.get_current_value(v)
    return v.value if value is None else value


def minimize(model, optimizer, variables, loss_fn):
    variables = list(variables)
    values = [_value(v) for v in variables]
    changed = []

    def f(trained):
        with _Layered(zip(variables, trained, strict=True)) as scope:
            loss, aux = loss_fn()
            loss = optimizer.scale_loss(loss)
        targets = {id(v) for v in variables}
        updates = [(v, x) for v, x in scope.updates() if id(v) not in targets]
        changed[:] = [v for v, _ in updates]
        return loss, (aux, [x for _, x in updates])

    (_, (aux, new_values)), grads = jax.value_and_grad(f, has_aux=True)(values)
    for v, x in zip(changed, new_values, strict=True):
        v.assign(x)
    optimizer_values = [_value(v) for v in optimizer.variables]
    trained, optimizer_values = optimizer.stateless_apply(
        optimizer_values, grads, values
    )
    for v, x in zip(variables, trained, strict=True):
        v.assign(x)
    for v, x in zip(optimizer.variables, optimizer_values, strict=True):
        v.assign(x)
    return aux


def cond(pred, fn, skip, variables):
    """`fn()` if `pred` else `skip()`, threading `variables` through the branches.

    `jax.lax.cond` traces each branch on its own, so a Keras variable that a
    branch assigns (batch-norm statistics of D's pass, a spectral-norm u)
    would leak a tracer into the step's scope. Each branch here runs in a
    scope over `variables` and returns their new values with its result,
    as Keras's `LossScaleOptimizer` does with its branches.
    """
    variables = list(variables)
    threaded = {id(v) for v in variables}

    def branch(body):
        def run(values):
            with _Layered(zip(variables, values, strict=True)) as scope:
                out = body()
            stray = [v.path for k, v in scope.updated.items() if k not in threaded]
            if stray:
                raise RuntimeError(
                    f"A conditional branch assigned variables it does not thread: {stray}."
                )
            return out, [scope.get_current_value(v) for v in variables]

        return run

    out, new_values = jax.lax.cond(
        pred, branch(fn), branch(skip), [_value(v) for v in variables]
    )
    for v, x in zip(variables, new_values, strict=True):
        v.assign(x)
    return out


def input_gradients(fn, x):
    changed = []

    def f(x):
        with _Layered() as scope:
            y = fn(x)
        updates = scope.updates()
        changed[:] = [v for v, _ in updates]
        return jnp.sum(y), [value for _, value in updates]

    grads, new_values = jax.grad(f, has_aux=True)(x)
    for v, value in zip(changed, new_values, strict=True):
        v.assign(value)
    return grads
