"""The VAE and the autoregressive models through runs, the CLI, export and presets.

The maths of the models is in test_likelihood.py (run on every backend);
this file checks that the shared machinery reaches them through the
registry like any GAN family.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli
from keras_gans.models import registry
from keras_gans.runs import TrainConfig


def _run(argv, capsys):
    code = cli.main(argv)
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    "family, flags",
    [
        ("vae", ["--latent-dim", "4", "--vae-filters", "4,8", "--vae-hidden", "16"]),
        ("pixelcnn", ["--pixelcnn-filters", "8", "--blocks", "1", "--levels", "256"]),
        ("made", ["--made-hidden", "32"]),
    ],
)
def test_train_sample_and_evaluate_from_the_command_line(
    family, flags, fashion_dir, tmp_path, capsys
):
    out = tmp_path / "run"
    common = ["--data-dir", str(fashion_dir), "--epochs", "1", "--batch-size", "32"]
    code, text = _run(
        ["train", family, "--out", str(out), *common, *flags, "--verbose", "0"], capsys
    )
    assert code == 0, text
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:2] == ["epoch", "bits_per_dim"]
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["learning_rate"] == 1e-3 and config["beta_1"] == 0.9
    code, text = _run(
        ["sample", str(out), "--n", "4", "--out", str(tmp_path / "s.png")], capsys
    )
    assert code == 0 and (tmp_path / "s.png").is_file()
    result = tmp_path / "eval.json"
    code, text = _run(
        [
            "evaluate",
            str(out),
            "--metrics",
            "nll",
            "--n",
            "32",
            "--data-dir",
            str(fashion_dir),
            "--out",
            str(result),
        ],
        capsys,
    )
    assert code == 0, text
    scores = json.loads(result.read_text())
    assert scores["num_fake"] == 0 and 0 < scores["bits_per_dim"] < 8.5
    model = keras.saving.load_model(out / "model.keras")
    images = keras_gans.evaluation.real_images(n=32, data_dir=fashion_dir)[0]
    np.testing.assert_allclose(
        scores["nll_nats"], -model.log_prob(images).mean(), rtol=1e-3
    )


def test_runs_refuse_gan_settings_and_pixelcnn_has_no_latent():
    with pytest.raises(ValueError, match=r"loss='hinge'.* do not apply to model='vae'"):
        TrainConfig("vae", loss="hinge")
    with pytest.raises(ValueError, match="d_steps=2"):
        TrainConfig("pixelcnn", d_steps=2)
    config = TrainConfig("pixelcnn")
    assert config.latent_dim is None and config.learning_rate == 1e-3
    assert TrainConfig("vae").latent_dim == 32
    assert (
        TrainConfig("dcgan").learning_rate == 2e-4
        and TrainConfig("dcgan").beta_1 == 0.5
    )
    for name in ("vae", "independent_pixels", "markov_chain", "made", "pixelcnn"):
        assert registry.get_family(name).trainable


def test_pixelcnn_export_samples_what_generate_draws(tmp_path):
    model = keras_gans.PixelCNN(
        image_shape=(6, 5, 1), levels=256, filters=6, blocks=1, seed=0
    )
    folder = model.export(tmp_path / "exports")
    loaded = tf.saved_model.load(str(folder))
    out = loaded.signatures["sample"](
        count=tf.constant(3), seed=tf.constant(7, tf.int64)
    )
    np.testing.assert_array_equal(out["images"].numpy(), model.generate(3, seed=7))
    uniforms = model.sample_latent(2, seed=1)
    again = loaded.signatures["sample_from_uniforms"](
        uniforms=tf.constant(np.asarray(uniforms))
    )
    np.testing.assert_array_equal(again["images"].numpy(), model.generate(uniforms))
    images = model.generate(4, seed=2)
    scored = loaded.signatures["log_prob"](images=tf.constant(images))
    np.testing.assert_allclose(
        scored["log_prob"].numpy(), model.log_prob(images), rtol=1e-5
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="expected `images` of shape"
    ):
        loaded.signatures["log_prob"](images=tf.zeros((1, 6, 4, 1)))
    meta = json.loads((folder / "assets.extra" / "keras_gans.json").read_text())
    assert meta["model"] == "pixelcnn" and meta["levels"] == 256


def test_vae_export_decodes_and_encodes_like_the_model(tmp_path):
    model = keras_gans.VAE(
        image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), hidden=8, seed=0
    )
    folder = model.export(tmp_path / "exports")
    loaded = tf.saved_model.load(str(folder))
    out = loaded.signatures["sample"](
        count=tf.constant(3), seed=tf.constant(5, tf.int64)
    )
    np.testing.assert_allclose(
        out["images"].numpy(), model.generate(3, seed=5), atol=1e-6
    )
    images = model.generate(2, seed=1)
    encoded = loaded.signatures["encode"](images=tf.constant(images))
    np.testing.assert_allclose(
        encoded["mean"].numpy(), model.encode(images)[0], atol=1e-5
    )


@pytest.mark.parametrize("name", ["vae", "pixelcnn"])
def test_presets_round_trip(name, tmp_path):
    model = (
        keras_gans.VAE(
            image_shape=(8, 8, 1), latent_dim=3, filters=(4,), hidden=8, seed=0
        )
        if name == "vae"
        else keras_gans.PixelCNN(image_shape=(5, 5, 1), filters=4, blocks=1, seed=0)
    )
    model.compile()
    folder = model.save_to_preset(tmp_path / "preset")
    again = keras_gans.models.from_preset(str(folder))
    assert type(again) is type(model) and again.compiled
    np.testing.assert_allclose(
        again.generate(3, seed=4), model.generate(3, seed=4), atol=1e-6
    )
    with pytest.raises(ValueError, match="not a DCGAN"):
        keras_gans.DCGAN.from_preset(str(folder))


@pytest.mark.parametrize(
    "name, cls",
    [
        ("vae_fashion_mnist", keras_gans.VAE),
        ("pixelcnn_fashion_mnist", keras_gans.PixelCNN),
    ],
)
def test_zoo_entries_load_offline_and_sample(
    name, cls, tmp_path, monkeypatch, fashion_dir
):
    import urllib.request

    from keras_gans import zoo

    monkeypatch.setattr(urllib.request, "urlopen", None)  # offline
    model = cls.from_preset(name, cache_dir=tmp_path, progress=False)
    assert type(model) is cls and model.compiled
    served = zoo.load_pretrained(name, cache_dir=tmp_path, progress=False)
    check = served.entry["check"]
    images = served.generate(check["n"], seed=check["seed"])
    np.testing.assert_allclose(
        images.reshape(-1)[:: images.size // 8][:8], check["first"], atol=1e-4
    )
    np.testing.assert_allclose(
        model.generate(check["n"], seed=check["seed"]), images, atol=1e-4
    )
    # Trained: real test images are far likelier than pixel noise.
    real = keras_gans.evaluation.real_images(n=16, data_dir=fashion_dir)[0]
    noise = np.where(np.random.default_rng(0).uniform(size=real.shape) > 0.5, 1.0, -1.0)
    log_p = model.log_prob if cls is keras_gans.PixelCNN else model.elbo
    assert log_p(real).mean() > log_p(noise.astype("float32")).mean() + 100
    card = served.entry["metrics"]
    assert 0 < card["bits_per_dim"]["value"] < 1
    if cls is keras_gans.PixelCNN:  # the exported likelihood is the model's
        np.testing.assert_allclose(
            served.log_prob(real), model.log_prob(real), rtol=1e-4
        )


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            lambda: keras_gans.PixelCNN(
                image_shape=(6, 5, 1), levels=256, filters=6, blocks=1, seed=0
            ),
            id="pixelcnn256",
        ),
        pytest.param(
            lambda: keras_gans.PixelCNN(
                image_shape=(5, 4, 2), levels=2, filters=6, blocks=1, seed=0
            ),
            id="pixelcnn2",
        ),
        pytest.param(
            lambda: keras_gans.MADE(image_shape=(4, 4, 1), hidden=(16,), seed=0),
            id="made",
        ),
        pytest.param(
            lambda: keras_gans.VAE(
                image_shape=(8, 8, 1), latent_dim=3, filters=(4,), hidden=8, seed=0
            ),
            id="vae",
        ),
    ],
)
def test_tflite_samples_what_the_model_draws(model, tmp_path):
    """A phone's file draws the model's images from the model's noise."""
    from keras_gans.export import tflite

    model = model()
    folder = model.export(tmp_path / "exports")
    paths = tflite.export_tflite(folder, tmp_path / "tflite")
    info = json.loads(paths["metadata"].read_text())
    sampler = tflite.LiteRTSampler(paths["model"])
    noise = sampler.sample_latent(3, seed=1)
    if isinstance(model, keras_gans.VAE):  # its decoder's mean image of each z
        expected = model.decode(noise)
        assert info["signature"] == "generate" and info["noise_input"] == "latent"
        np.testing.assert_allclose(sampler.run(noise), expected, atol=1e-5)
    else:  # ancestral sampling from uniforms the phone drew
        expected = model.generate(noise)
        assert info["signature"] == "sample_from_uniforms"
        assert info["noise_input"] == "uniforms" and info["levels"] == model.levels
        assert noise.shape == (3, *model.image_shape)
        assert 0 <= noise.min() and noise.max() < 1
        np.testing.assert_array_equal(sampler.run(noise), expected)
    assert sampler.generate(2, seed=3).shape == (2, *model.image_shape)
    assert tflite.parity(folder, paths["model"]) < 1e-5


def test_tflite_refuses_int8_for_a_sampler_loop_and_all_skips_it(tmp_path):
    from keras_gans.export import tflite

    model = keras_gans.MADE(image_shape=(3, 3, 1), hidden=(8,), seed=0)
    folder = model.export(tmp_path / "exports")
    with pytest.raises(ValueError, match=r"received 'int8': int8 calibration"):
        tflite.export_tflite(folder, tmp_path / "tflite", quantize="int8")
    results = tflite.convert(folder, tmp_path / "tflite", quantize="all")
    assert [r["quantize"] for r in results] == ["none", "float16", "dynamic"]
    assert all(r["parity"]["model"] < 1e-5 for r in results)
