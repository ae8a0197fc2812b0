"""NumPy arrays, `PyDataset`s and generators in `fit()` on TensorFlow (`keras_gans.data.keras_input`).

The converted input must give what Keras's own adapters give: the same
batches in the same order, the same validation split, the same epochs; only
the tf.data dataset under it changes (options set, no `from_generator`).
"""

import random

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.trainers.data_adapters import array_data_adapter as keras_arrays
from keras.src.trainers.data_adapters import generator_data_adapter as keras_generators
from keras.src.trainers.data_adapters import py_dataset_adapter as keras_py

import keras_gans
from keras_gans.data import keras_input

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="Keras's TensorFlow trainer only"
)


def images(n=20, seed=0):
    shape = (n, 16, 16, 1)
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


class Batches(keras.utils.PyDataset):
    def __init__(self, x, batch, **kwargs):
        super().__init__(**kwargs)
        self.x, self.batch = x, batch

    def __len__(self):
        return -(-len(self.x) // self.batch)

    def __getitem__(self, i):
        part = self.x[i * self.batch : (i + 1) * self.batch]
        return part, part[:, 0, 0, 0]


def read(dataset, passes=2):
    """Every pass's batches as lists of NumPy arrays."""
    out = []
    for _ in range(passes):
        out.append([keras.tree.map_structure(np.asarray, b) for b in dataset])
    return out


def assert_same(a, b):
    assert len(a) == len(b)
    for pass_a, pass_b in zip(a, b, strict=True):
        assert len(pass_a) == len(pass_b)
        for x, y in zip(pass_a, pass_b, strict=True):
            keras.tree.assert_same_structure(x, y)
            for u, v in zip(keras.tree.flatten(x), keras.tree.flatten(y), strict=True):
                np.testing.assert_array_equal(u, v)


def serialized(dataset):
    policy = tf.data.experimental.ExternalStatePolicy.IGNORE
    graph = dataset._as_serialized_graph(external_state_policy=policy)
    return graph.numpy().decode("latin1")


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
def test_arrays_keep_keras_batches_and_order_and_get_options(shuffle):
    x, y = images(), np.arange(20, dtype="float32")
    kwargs = dict(shuffle=shuffle, batch_size=6, class_weight=None)

    def batches(cls):
        tf.random.set_seed(3)  # Keras's permutation draws from TF's seed
        return read(cls(x, y, **kwargs).get_tf_dataset())

    ours = keras_input.ArrayInput(x, y, **kwargs).get_tf_dataset()
    assert ours.options().autotune.enabled is False
    assert_same(batches(keras_input.ArrayInput), batches(keras_arrays.ArrayDataAdapter))
    # 20 examples in batches of 6: three full batches and the partial one.
    assert [len(b[0]) for b in batches(keras_input.ArrayInput)[0]] == [6, 6, 6, 2]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_py_dataset_keeps_keras_batches_and_order_without_from_generator(workers):
    data = Batches(images(), 6, workers=workers)
    ours = keras_input.PyDatasetInput(data, shuffle=True).get_tf_dataset()
    theirs = keras_py.PyDatasetAdapter(data, shuffle=True).get_tf_dataset()
    assert "GeneratorDataset" in serialized(theirs)
    assert "GeneratorDataset" not in serialized(ours)
    assert ours.options().autotune.enabled is False

    def batches(dataset):
        random.seed(5)  # Keras shuffles a PyDataset's batches with `random`
        return read(dataset, passes=1)

    # With workers the order is Keras's enqueuer's: the batches, unshuffled.
    if workers == 1:
        assert_same(batches(ours), batches(theirs))
    else:
        got = sorted(float(b[1][0]) for b in batches(ours)[0])
        assert got == sorted(float(b[1][0]) for b in batches(theirs)[0])


def test_a_generator_is_read_once_to_its_end_without_from_generator():
    x = images()

    def generator():
        for i in range(0, 20, 8):
            yield (x[i : i + 8],)

    adapter = keras_input.adapter(generator(), shuffle=False)
    assert type(adapter) is keras_input.GeneratorInput
    ours = adapter.get_tf_dataset()
    assert "GeneratorDataset" not in serialized(ours)
    got = read(ours, passes=2)
    # As Keras's generator adapter: one generator, so a second pass gets only
    # the batches Keras peeked at to find their shapes.
    theirs = keras_generators.GeneratorDataAdapter(generator()).get_tf_dataset()
    assert_same(got, read(theirs, passes=2))
    assert [len(b[0]) for b in got[0]] == [8, 8, 4]
    assert [len(b[0]) for b in got[1]] == [8, 8]


def test_a_batch_that_changes_structure_names_what_was_expected():
    def generator():
        yield (images(4),)
        yield (images(4),)
        yield (images(4), np.zeros(4, "float32"))

    dataset = keras_input.adapter(generator(), shuffle=False).get_tf_dataset()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected every batch to hold 1"):
        read(dataset, passes=1)


def tiny():
    return keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=1
    )


def fitted(data, **kwargs):
    keras.utils.set_random_seed(0)
    model = tiny()
    model.compile()
    history = model.fit(data, epochs=2, verbose=0, **kwargs).history
    history.pop("images_per_second", None)  # a timing: differs run to run
    return model, history


def test_fit_on_arrays_trains_as_on_keras_batches_and_validates_on_keras_split():
    x = images(24)
    ours, logs = fitted(x, batch_size=6, shuffle=False, validation_split=0.25)
    # Keras's split: the last quarter validates, the first 18 train in order,
    # read by Keras's own adapter (which fit() passes through untouched).
    train = keras_arrays.ArrayDataAdapter(x[:18], shuffle=False, batch_size=6)
    reference, reference_logs = fitted(train, validation_data=x[18:], validation_batch_size=6)
    for a, b in zip(ours.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert logs == reference_logs and "val_d_loss" in logs


def test_fit_on_a_py_dataset_trains_as_on_the_same_batches():
    x = images(24)
    ours, logs = fitted(Batches(x, 8), shuffle=False)
    reference, reference_logs = fitted(
        tf.data.Dataset.from_tensor_slices((x, x[:, 0, 0, 0])).batch(8)
    )
    for a, b in zip(ours.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert logs == reference_logs


def test_input_keras_refuses_is_refused_by_keras():
    model = tiny()
    model.compile()
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(Batches(images(), 8), validation_split=0.5, verbose=0)
