"""Models saved by an earlier keras_gans still load and generate the same images.

`tests/fixtures/pinned/` holds one tiny `.keras` file per family, trained
for two steps and saved on main before the families moved into their own
folders (`tools/make_pinned_models.py`), with what each generated then.
"""

import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans

PINNED = pathlib.Path(__file__).parent / "fixtures" / "pinned"
FAMILIES = ("gan", "dcgan", "infogan", "gan_cls", "adversarial")
CAPTIONS = ["a dark ankle boot", "a pale slim dress"]


@pytest.fixture(scope="module")
def expected():
    with np.load(PINNED / "expected.npz") as data:
        return dict(data)


def _images(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


@pytest.mark.parametrize("name", FAMILIES)
def test_pinned_file_loads_compiled_and_generates_as_before(name, expected):
    model = keras.saving.load_model(PINNED / f"{name}.keras")
    assert isinstance(model, keras_gans.AdversarialModel)
    assert model.compiled and model.g_optimizer.iterations.numpy() == 2
    if name == "gan_cls":
        images = model.generate(CAPTIONS, n_per_text=2, seed=0)
        np.testing.assert_allclose(
            model.infer_style(_images(2, 5)), expected["gan_cls/style"], atol=1e-5
        )
    else:
        images = model.generate(4, seed=0)
    np.testing.assert_allclose(images, expected[f"{name}/generate"], atol=1e-5)
    if name == "infogan":
        codes = model.infer_codes(_images(4, 5))
        np.testing.assert_allclose(
            codes["categorical"][0], expected["infogan/categorical"], atol=1e-5
        )
        np.testing.assert_allclose(
            codes["continuous"], expected["infogan/continuous"], atol=1e-5
        )


@pytest.mark.parametrize("name", ["dcgan", "infogan"])
def test_pinned_file_keeps_training(name):
    model = keras.saving.load_model(PINNED / f"{name}.keras")
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    model.fit(tf.data.Dataset.from_tensor_slices(_images(8, 1)).batch(8), verbose=0)
    after = model.generator.trainable_weights
    assert any(
        not np.array_equal(a, b.numpy()) for a, b in zip(before, after, strict=True)
    )
    assert model.g_optimizer.iterations.numpy() == 3
