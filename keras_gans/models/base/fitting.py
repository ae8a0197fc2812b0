"""`fit()` as every keras_gans model runs it: checked data, built networks.

Mixed in before `keras.Model` by `AdversarialModel` and `LikelihoodModel`:

- the first batch is checked before the first step (empty data, NaN,
  examples outside the model's range: `first_batch.check_first_batch`,
  which asks the model for `_data_bound()`);
- a tf.data dataset gets `keras_gans.data.pipeline_options()` where it
  leaves them unset (tf.data's autotuning drops `fit()` into a slow mode in
  some processes on small machines; `keras_gans.data.options`);
- on TensorFlow, NumPy arrays, a `PyDataset` or a Python generator become
  the data adapter Keras would make from them, whose tf.data dataset gets
  the same options and reads Python input without `from_generator`
  (`keras_gans.data.keras_input`): the same batches, at tf.data's speed;
- Keras never builds the model by calling it on a batch: the networks are
  built when the model is made, and the optimizers in `compile()`.
"""

from __future__ import annotations

import inspect
import math

import keras
import numpy as np

from keras_gans.models.base import first_batch


class CheckedFit:
    """`fit()` with a checked first batch and no symbolic build."""

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking the data's first batch.

        Empty data, and examples outside [-1, 1] (beyond a small tolerance)
        for a model whose examples are bounded, raise a `ValueError` before
        the first step (`first_batch.check_first_batch`). A tf.data dataset
        gets `keras_gans.data.pipeline_options()` where it leaves them unset;
        on TensorFlow, arrays, a `PyDataset` or a generator are read as
        Keras reads them, through a dataset with those options
        (`keras_gans.data.keras_input`). Where the batch size is known, a
        `keras_gans.callbacks.Throughput` goes first in the callbacks: the
        logs gain `images_per_second`.
        """
        examples = first_batch.check_first_batch(self, x)
        arguments = inspect.signature(super().fit).bind(x, y, *args, **kwargs)
        arguments.apply_defaults()
        arguments = dict(arguments.arguments)
        arguments["callbacks"] = _with_throughput(
            arguments["callbacks"], _batch_size(x, arguments, examples)
        )
        if first_batch.is_tf_dataset(x):
            arguments["x"] = x.with_options(self._pipeline_options(x))
        elif x is not None and keras.backend.backend() == "tensorflow":
            from keras_gans.data.keras_input import for_fit

            arguments = for_fit(arguments)
        return super().fit(**arguments)

    def _pipeline_options(self, dataset):
        from keras_gans.data.options import pipeline_options

        return pipeline_options(dataset.options())

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a distribution strategy, Keras builds a model before fit() by
        # calling it symbolically on the first batch whenever some layer is
        # unbuilt (a TextVectorization never is: it holds no weights). Our
        # networks are built when the model is made and the optimizers in
        # compile(); calling the model on (images, texts) would be wrong
        # anyway, since a GAN's call() runs the generator.
        if self._nothing_to_build():
            return None
        return super()._maybe_symbolic_build(iterator, data_batch)

    def _symbolic_build(self, iterator=None, data_batch=None):
        # What the JAX and PyTorch trainers call directly (see above).
        if self._nothing_to_build():
            return None
        return super()._symbolic_build(iterator, data_batch)

    def _nothing_to_build(self):
        return (
            self.built and self._compile_loss is None and self._compile_metrics is None
        )


def _batch_size(x, arguments, examples):
    """Examples per step of `fit(x, **arguments)`; None where unknown."""
    if examples is None:
        return None
    if isinstance(x, np.ndarray):
        # As Keras's array adapter sizes batches.
        size, steps = arguments["batch_size"], arguments["steps_per_epoch"]
        if not size:
            size = math.ceil(len(x) / steps) if steps else 32
        return min(size, len(x))
    from keras_gans.distribute import ProcessShare

    if isinstance(x, ProcessShare):
        return len(examples) * x.count  # the global batch
    return len(examples)


def _with_throughput(callbacks, examples_per_step):
    from keras_gans.callbacks import Throughput

    if examples_per_step is None or isinstance(callbacks, keras.callbacks.CallbackList):
        return callbacks
    callbacks = list(callbacks or [])
    if any(isinstance(c, Throughput) for c in callbacks):
        return callbacks
    return [Throughput(examples_per_step), *callbacks]
