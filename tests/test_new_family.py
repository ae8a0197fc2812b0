"""A new family is one folder plus one registry line.

`tests/fixtures/new_family/stylish` is a tiny StyleGAN-flavoured GAN whose
model class states its own defaults (WGAN-GP, Adam with beta_2 = 0.9). The
fixture below adds it to the registry's built-in families, as the line in
`keras_gans/models/registry.py` would, and nothing else: every consumer
(fit, `.keras` files, SavedModel, TFLite, the zoo, presets, the demo and
`keras-gans train`) then takes it.
"""

import json
import pathlib
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import cli, zoo
from keras_gans.demo import Target
from keras_gans.demo.spec import demo_spec
from keras_gans.models import registry
from keras_gans.testing import FamilyTestCase
from keras_gans.zoo import publish

FOLDER = pathlib.Path(__file__).parent / "fixtures" / "new_family"
FASHION = pathlib.Path(__file__).parent / "fixtures" / "fashion-mnist"


@pytest.fixture(scope="module")
def stylish():
    sys.path.insert(0, str(FOLDER))
    registry.BUILTIN_FAMILIES["stylish"] = "stylish.family:FAMILY"  # the one line
    try:
        registry.reload_plugins()
        yield registry.get_family("stylish")
    finally:
        del registry.BUILTIN_FAMILIES["stylish"]
        sys.path.remove(str(FOLDER))
        registry.reload_plugins()
    assert "stylish" not in registry.families()


def noise_images(n=16, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


class TestStylish(FamilyTestCase):
    def test_fit_keras_file_savedmodel_and_tflite(self, stylish, tmp_path):
        model = self.run_family_checks(
            stylish.model_class,
            {"image_shape": (8, 8, 1), "latent_dim": 4, "channels": 4, "seed": 1},
            noise_images(),
            tmp_path,
            signatures=("sample",),
        )
        # compile() with no arguments took the family's stated defaults.
        assert model.gan_loss.name == "wasserstein_gp"
        assert model.gradient_penalty_weight == 10.0
        for optimizer in (model.g_optimizer, model.d_optimizer):
            assert float(optimizer.beta_1) == 0.0
            assert float(optimizer.beta_2) == pytest.approx(0.9)
            assert float(optimizer.learning_rate) == pytest.approx(1e-3)


def test_zoo_publish_load_and_from_preset(stylish, tmp_path):
    model = stylish.model_class(latent_dim=4, channels=4, seed=2)
    model.compile()
    model.fit(noise_images(), epochs=1, verbose=0)
    recipe = {
        "description": "StyleGANish on noise",
        "train": {"model": "stylish", "channels": 4},
        "evaluate": {"skip": "a test model: nothing to measure"},
    }
    entry = publish.publish("stylish_noise", model, tmp_path / "zoo", recipe)
    assert entry["kind"] == "stylish"
    served = zoo.load_pretrained(
        "stylish_noise", cache_dir=tmp_path / "cache", zoo_dir=tmp_path / "zoo"
    )
    np.testing.assert_allclose(
        served.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6
    )
    archive = tmp_path / "zoo" / "stylish_noise" / "stylish_noise.tar.xz"
    again = stylish.model_class.from_preset(str(archive), cache_dir=tmp_path / "c")
    assert (
        type(again) is stylish.model_class and again.gan_loss.name == "wasserstein_gp"
    )
    np.testing.assert_allclose(
        again.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6
    )
    # The demo shows it, a Keras model or its export, with the default tabs.
    for target in (Target(model=again), Target(export=served)):
        views = demo_spec(target.family).views(target)
        assert [v.title for v in views] == ["Samples", "Interpolation"]
        image, message = views[0].draw(target, "0")
        assert image.dtype == np.uint8 and message == "16 samples, seed 0."
        at, strip, message = views[1].draw(target, "0", "1", 0.5)
        assert at.dtype == strip.dtype == np.uint8 and "slerp" in message


def test_keras_gans_train_records_the_familys_own_loss(stylish, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "stylish", "--channels", "4", "--image-shape", "8,8,1"]
    args += ["--data-dir", str(FASHION), "--limit", "32", "--batch-size", "16"]
    assert cli.main([*args, "--epochs", "1", "--verbose", "0", "--out", str(out)]) == 0
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["model"] == "stylish" and config["loss"] == "wasserstein_gp"
    assert config["beta_1"] == 0.0 and config["learning_rate"] == 1e-3
    trained = cli._load(str(out))
    assert float(trained.d_optimizer.beta_2) == pytest.approx(0.9)
    assert trained.gan_loss.name == "wasserstein_gp"
