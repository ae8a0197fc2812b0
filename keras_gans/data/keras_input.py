"""NumPy arrays, `PyDataset`s and generators in `fit()` on TensorFlow, at tf.data speed.

Keras turns such input into a tf.data pipeline of its own inside its
TensorFlow trainer, where two things slow a GAN's `fit()` on a small
machine (BENCHMARKS.md, "fit() on NumPy, PyDataset and generators"):

- arrays: tf.data's autotuning is on, and a fresh process falls into the
  slow mode of `keras_gans.data.options` at random (DCGAN 64x64: 37
  against 72 images/s);
- `PyDataset`s and Python generators: Keras reads them through
  `tf.data.Dataset.from_generator`, whose op sets glibc's
  `M_TRIM_THRESHOLD` for the whole process. From then on every buffer over
  128 KiB a training step allocates is a fresh `mmap`, faulted in and
  unmapped again (0.6-0.7x).

`for_fit(arguments)` replaces such input with the data adapter Keras itself
would make from the same arguments, so the batches, their order, shuffling,
`steps_per_epoch`, class and sample weights and the `PyDataset`'s workers
and epoch hooks are Keras's own. Only the adapter's tf.data dataset
changes: it gets `pipeline_options()`, and a `PyDataset` or generator is
read by a `numpy_function` over an endless dataset instead of
`from_generator`. `validation_split` is cut by Keras's own function first,
and validation arrays get the same treatment.
"""

from __future__ import annotations

import itertools

import numpy as np

# Keras's adapters: their constructors hold Keras's semantics (batching,
# shuffling, weights, workers), which this module keeps by subclassing.
from keras.src.trainers import data_adapters as _adapters
from keras.src.trainers.data_adapters import array_data_adapter as _arrays
from keras.src.trainers.data_adapters import array_slicing as _slicing
from keras.src.trainers.data_adapters import data_adapter_utils as _utils
from keras.src.trainers.data_adapters import generator_data_adapter as _generators
from keras.src.trainers.data_adapters import py_dataset_adapter as _py_datasets
from keras.src.trainers.data_adapters.data_adapter import DataAdapter

from keras_gans._tensorflow import tf
from keras_gans.data.options import pipeline_options


class ArrayInput(_arrays.ArrayDataAdapter):
    """Keras's adapter for arrays, whose dataset gets `pipeline_options()`."""

    def get_tf_dataset(self):
        dataset = super().get_tf_dataset()
        return dataset.with_options(pipeline_options(dataset.options()))


class PyDatasetInput(_py_datasets.PyDatasetAdapter):
    """Keras's adapter for a `PyDataset`, read without `from_generator`."""

    def get_tf_dataset(self):
        if self._output_signature is None:
            # As Keras's own adapter finds it: from the first few batches.
            count = _utils.NUM_BATCHES_FOR_TENSOR_SPEC
            if self.py_dataset.num_batches is not None:
                count = min(count, self.py_dataset.num_batches)
            batches = [
                self._standardize_batch(self.py_dataset[i]) for i in range(count)
            ]
            if not batches:
                raise ValueError("The PyDataset has length 0")
            self._output_signature = _utils.get_tensor_spec(batches)
        if not _plain(self._output_signature):
            return super().get_tf_dataset()  # ragged or sparse parts: Keras's way
        dataset = iterator_dataset(self._get_iterator, self._output_signature)
        if self.enqueuer is not None:
            # As Keras does: the enqueuer's own threads or processes read
            # ahead, and tf.data's would compete with them.
            options = tf.data.Options()
            options.threading.private_threadpool_size = 1
            dataset = dataset.with_options(options)
        else:
            dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return dataset.with_options(pipeline_options(dataset.options()))


class GeneratorInput(_generators.GeneratorDataAdapter):
    """Keras's adapter for a Python generator, read without `from_generator`."""

    def get_tf_dataset(self):
        if self._output_signature is None:
            self._output_signature = _utils.get_tensor_spec(self._first_batches)
        if not _plain(self._output_signature):
            return super().get_tf_dataset()  # None, ragged or sparse parts
        dataset = iterator_dataset(self.generator, self._output_signature)
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
        return dataset.with_options(pipeline_options(dataset.options()))


def iterator_dataset(make_iterator, signature):
    """A tf.data dataset of the batches of `make_iterator()`, one call per pass.

    What `tf.data.Dataset.from_generator` gives, without its op (see the
    module's docstring): each iterator made over the dataset calls
    `make_iterator()` once and reads it to its end. Every element of
    `signature` must be a `tf.TensorSpec`.
    """
    specs = tf.nest.flatten(signature)
    dtypes = [spec.dtype for spec in specs]
    # Each pass's iterator, by pass number; a pass reads only its own.
    # `from_generator` drops one when its tf.data iterator goes: here a pass
    # not read to its end is dropped once two newer ones have begun.
    passes = {}
    numbers = itertools.count()

    def begin(_):
        number = next(numbers)
        passes[number] = make_iterator()
        for old in [n for n in passes if n < number - 2]:
            del passes[old]
        return np.int64(number)

    def read(number):
        iterator = passes.get(int(number))
        try:
            values = tf.nest.flatten(next(iterator))
        except StopIteration:
            passes.pop(int(number), None)
            empty = [np.zeros([0] * len(s.shape), s.dtype.as_numpy_dtype) for s in specs]
            return (np.True_, *empty)
        if len(values) != len(specs):
            raise ValueError(
                f"Expected every batch to hold {len(specs)} arrays, as the first "
                f"ones do ({signature}); received {len(values)}."
            )
        return (
            np.False_,
            *(np.asarray(v, s.dtype.as_numpy_dtype) for v, s in zip(values, specs, strict=True)),
        )

    def batches(number):
        elements = tf.data.Dataset.from_tensors(number).repeat()
        return elements.map(
            lambda n: tf.numpy_function(read, [n], [tf.bool, *dtypes], stateful=True)
        )

    first = tf.data.Dataset.from_tensors(np.int64(0)).map(
        lambda x: tf.numpy_function(begin, [x], tf.int64, stateful=True)
    )
    dataset = first.flat_map(batches)
    dataset = dataset.take_while(lambda done, *values: tf.logical_not(done))

    def shaped(done, *values):
        values = [tf.ensure_shape(v, s.shape) for v, s in zip(values, specs, strict=True)]
        return tf.nest.pack_sequence_as(signature, values)

    return dataset.map(shaped)


def _plain(signature):
    return all(type(s) is tf.TensorSpec for s in tf.nest.flatten(signature))


# The adapter Keras makes -> the same adapter with this module's dataset.
# The subclasses add no state, so an adapter's class can be swapped.
_FASTER = {
    _arrays.ArrayDataAdapter: ArrayInput,
    _py_datasets.PyDatasetAdapter: PyDatasetInput,
    _generators.GeneratorDataAdapter: GeneratorInput,
}


def adapter(x, y=None, sample_weight=None, **kwargs):
    """The data adapter Keras makes for `fit()`'s input, with a faster dataset.

    `kwargs` are `get_data_adapter`'s (`batch_size`, `steps_per_epoch`,
    `shuffle`, `class_weight`); Keras's own checks and warnings apply. An
    input of a kind this module does not speed up gets Keras's adapter.
    """
    made = _adapters.get_data_adapter(x, y, sample_weight=sample_weight, **kwargs)
    faster = _FASTER.get(type(made))
    if faster is not None:
        made.__class__ = faster
    return made


def _leave(x):
    return x is None or _adapters.is_tf_dataset(x) or isinstance(x, DataAdapter)


def for_fit(arguments):
    """`fit()`'s bound `arguments`, its input turned into this module's adapters.

    Args:
        arguments: a dict of every argument of Keras's TensorFlow `fit()`
            (`inspect.signature(...).bind(...)` with the defaults applied),
            changed in place.

    Returns:
        `arguments`. tf.data datasets, adapters and `None` are left as they
        are, and so is any input for which Keras's `fit()` raises its own
        error (such as `validation_split` on a `PyDataset`).
    """
    x, y, weights = arguments["x"], arguments["y"], arguments["sample_weight"]
    if _leave(x):
        return arguments
    if arguments["validation_split"] and arguments["validation_data"] is None:
        if not _arrays.can_convert_arrays((x, y, weights)):
            return arguments
        # Keras's own cut: the last fraction of the arrays, before shuffling.
        (x, y, weights), arguments["validation_data"] = (
            _slicing.train_validation_split(
                (x, y, weights), validation_split=arguments["validation_split"]
            )
        )
        arguments["validation_split"] = 0.0
    arguments["x"] = adapter(
        x,
        y,
        weights,
        batch_size=arguments["batch_size"],
        steps_per_epoch=arguments["steps_per_epoch"],
        shuffle=arguments["shuffle"],
        class_weight=arguments["class_weight"],
    )
    arguments.update(y=None, sample_weight=None, class_weight=None)
    if arguments["validation_data"] is not None:
        val_x, val_y, val_weights = _utils.unpack_x_y_sample_weight(
            arguments["validation_data"]
        )
        if not _leave(val_x):
            # As Keras's fit() reads validation data (its evaluate iterator).
            made = adapter(
                val_x,
                val_y,
                val_weights,
                batch_size=arguments["validation_batch_size"] or arguments["batch_size"],
                steps_per_epoch=arguments["validation_steps"],
                shuffle=False,
            )
            arguments["validation_data"] = (made,)
    return arguments
