"""A model family from outside the package works everywhere, with no edit to keras_gans.

`tests/fixtures/plugin` holds `tiny_gan`, a package with a subclass of the
adversarial model that adds its own export signature (`brighten`), and its
`Family`, declared in the entry-point group `keras_gans.families` by the
`tiny_gan-0.1.dist-info` beside it.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli, zoo
from keras_gans.models import registry
from keras_gans.testing import FamilyTestCase
from keras_gans.zoo import publish

PLUGIN = pathlib.Path(__file__).parent / "fixtures" / "plugin"
FASHION = pathlib.Path(__file__).parent / "fixtures" / "fashion-mnist"


@pytest.fixture(scope="module")
def tiny():
    """The plugin on the path and loaded through its entry point."""
    sys.path.insert(0, str(PLUGIN))
    try:
        registry.reload_plugins()
        family = registry.get_family("tiny")
        yield family
    finally:
        sys.path.remove(str(PLUGIN))
        registry.reload_plugins()
    assert "tiny" not in registry.families()


def tiny_images(n=32):
    x = np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


class TestTinyFamily(FamilyTestCase):
    def test_fit_keras_file_export_with_its_signature_and_tflite(self, tiny, tmp_path):
        model = self.run_family_checks(
            tiny.model_class,
            {"units": 8, "seed": 1},
            tiny_images(),
            tmp_path,
            signatures=("sample", "brighten"),
        )
        loaded = tf.saved_model.load(str(tmp_path / "exports" / "tiny" / "1"))
        latent = model.sample_latent(2, seed=0)
        out = loaded.signatures["brighten"](latent=latent, amount=tf.constant(0.5))
        expected = np.clip(model.generate(latent) + 0.5, -1, 1)
        np.testing.assert_allclose(out["images"].numpy(), expected, atol=1e-5)


def test_registered_through_the_entry_point(tiny):
    assert registry.family_of(tiny.model_class) is tiny
    assert "tiny" in registry.families(trainable=True)
    assert tiny.model_class.__module__ == "tiny_gan.model"  # not in keras_gans


def test_zoo_publish_load_pretrained_and_from_preset(tiny, tmp_path):
    model = tiny.model_class(units=8, seed=1)
    model.compile()
    model.fit(tiny_images(), epochs=1, verbose=0)
    recipe = {
        "description": "TinyGAN on noise",
        "train": {"model": "tiny", "units": 8},
        "evaluate": {"skip": "a test model: nothing to measure"},
    }
    entry = publish.publish("tiny_fashion", model, tmp_path / "zoo", recipe)
    assert entry["kind"] == "tiny" and "brighten" in entry["signatures"]
    card = (tmp_path / "zoo" / "tiny_fashion" / "README.md").read_text()
    assert 'TinyGAN.from_preset("tiny_fashion")' in card

    served = zoo.load_pretrained(
        "tiny_fashion", cache_dir=tmp_path / "cache", zoo_dir=tmp_path / "zoo"
    )
    np.testing.assert_allclose(
        served.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6
    )
    archive = tmp_path / "zoo" / "tiny_fashion" / "tiny_fashion.tar.xz"
    again = tiny.model_class.from_preset(str(archive), cache_dir=tmp_path / "cache")
    assert type(again) is tiny.model_class and again.compiled
    np.testing.assert_allclose(
        again.generate(4, seed=0), model.generate(4, seed=0), atol=1e-6
    )
    # The discriminator came back too: it scores images as the trained one did.
    x = next(iter(tiny_images()))
    np.testing.assert_allclose(
        again.discriminator(x), model.discriminator(x), atol=1e-6
    )
    with pytest.raises(ValueError, match="holds a TinyGAN, not a DCGAN"):
        keras_gans.DCGAN.from_preset(str(archive), cache_dir=tmp_path / "cache")


def test_keras_gans_train_in_process(tiny, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "tiny", "--units", "4", "--data-dir", str(FASHION)]
    args += ["--limit", "64", "--batch-size", "32", "--epochs", "1", "--verbose", "0"]
    assert cli.main(args + ["--out", str(out)]) == 0
    assert f"tiny:    {out / 'tiny.txt'}" in capsys.readouterr().out
    assert (out / "tiny.txt").read_text() == "4 units\n"
    record = json.loads((out / "run.json").read_text())
    assert record["config"]["model"] == "tiny" and record["config"]["units"] == 4
    assert (
        cli.main(["train", "dcgan", "--units", "4", "--out", str(tmp_path / "x")]) == 2
    )
    assert "--units only apply to tiny" in capsys.readouterr().err


@pytest.mark.slow
def test_keras_gans_train_through_the_entry_point_in_a_new_process(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PLUGIN), *sys.path]))
    command = [sys.executable, "-m", "keras_gans", "train", "tiny", "--units", "4"]
    command += ["--data-dir", str(FASHION), "--limit", "32", "--batch-size", "32"]
    command += ["--epochs", "1", "--verbose", "0", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "tiny.txt").read_text() == "4 units\n"
