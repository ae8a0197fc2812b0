"""A GAN's two optimizers seen as the one `model.optimizer` Keras expects.

Keras's trainers know one optimizer per model. On JAX that matters: the
trainer threads `model.optimizer.variables` through its stateless step and
writes back only those, so an optimizer it cannot see would silently never
change. `OptimizerPair` is that view: both optimizers' variables, the
generator's step count as `iterations` (one G step per `train_step`), and
`optimizers` for the callbacks that look for several (Keras's learning-rate
schedulers then act on both). It is not saved: the `.keras` file keeps
`g_optimizer` and `d_optimizer` as before.
"""

from __future__ import annotations


class OptimizerPair:
    def __init__(self, g_optimizer, d_optimizer):
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def optimizers(self):
        return [self.g_optimizer, self.d_optimizer]

    @property
    def variables(self):
        return list(self.g_optimizer.variables) + list(self.d_optimizer.variables)

    @property
    def built(self):
        return self.g_optimizer.built and self.d_optimizer.built

    def build(self, variables):
        """Nothing to do: `compile()` built each optimizer for its network."""

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    def scale_loss(self, loss):
        return loss

    def finalize_variable_values(self, variables):
        for optimizer in self.optimizers:
            optimizer.finalize_variable_values(optimizer._trainable_variables)

    def __repr__(self):
        return (
            f"OptimizerPair(g={self.g_optimizer.name!r}, d={self.d_optimizer.name!r})"
        )
