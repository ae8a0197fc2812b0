"""evaluate(), EvaluationCallback and `keras-gans evaluate` on the committed fixture."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli, evaluation


class Fixed:
    """A stand-in generator that returns given images (first n)."""

    def __init__(self, images):
        self.images = images

    def generate(self, n, seed=None):
        return self.images[:n]


@pytest.fixture
def fixture_real(fashion_dir):
    return evaluation.real_images("fashion_mnist", "test", n=128, data_dir=fashion_dir)


def test_real_images_beat_noise_and_a_single_class(fashion_dir, fixture_real):
    real, labels = fixture_real
    train, _ = evaluation.real_images(
        "fashion_mnist", "train", n=128, data_dir=fashion_dir
    )
    noise = np.random.default_rng(0).uniform(-1, 1, real.shape).astype("float32")
    one_class = np.repeat(real[labels == 9][:1], 128, axis=0)  # one ankle boot

    good = evaluation.score(train, real, labels, metrics=("fid", "kid", "pr", "modes"))
    bad = evaluation.score(noise, real, labels, metrics=("fid", "kid", "pr", "modes"))
    collapsed = evaluation.score(one_class, real, labels, metrics=("modes", "pr"))

    assert good["fid"] < 0.2 * bad["fid"]
    assert good["kid"] < bad["kid"]
    assert good["precision"] > 0.5 and good["recall"] > 0.5
    assert good["classes_covered"] == 10 and good["class_kl"] < 0.2
    assert collapsed["classes_covered"] == 1 and collapsed["top_class_share"] == 1.0
    assert collapsed["recall"] < 0.1
    # Every result says what produced it.
    assert good["extractor"]["name"] == "fashion_mnist_classifier"
    assert good["num_fake"] == good["num_real"] == 128


def test_evaluate_records_dataset_seed_and_sample_count(fashion_dir):
    model = keras_gans.DCGAN(image_shape=(28, 28, 1), g_filters=8, d_filters=8)
    result = evaluation.evaluate(
        model, n=64, metrics=("fid", "is"), data_dir=fashion_dir, seed=3
    )
    assert result["dataset"] == "fashion_mnist" and result["seed"] == 3
    assert result["num_fake"] == 64 and np.isfinite(result["fid"])
    assert 1.0 <= result["inception_score"] <= 10.0


def test_bad_metric_names_and_sizes_are_refused(fashion_dir):
    with pytest.raises(ValueError, match=r"Expected metrics from .*unknown: \['fdi'\]"):
        evaluation.score(
            np.zeros((4, 28, 28, 1)), np.zeros((4, 28, 28, 1)), metrics=["fdi"]
        )
    with pytest.raises(ValueError, match=r"n <= 128"):
        evaluation.real_images("fashion_mnist", "test", n=500, data_dir=fashion_dir)


def test_callback_logs_fid_for_history_and_model_checkpoint(fixture_real, tmp_path):
    real, _ = fixture_real
    model = keras_gans.DCGAN(image_shape=(28, 28, 1), g_filters=8, d_filters=8, seed=0)
    model.compile()
    data = tf.data.Dataset.from_tensor_slices(real).batch(32)
    best = tmp_path / "best.keras"
    history = model.fit(
        data,
        epochs=2,
        verbose=0,
        callbacks=[
            evaluation.EvaluationCallback(real, every=1, n=64, metrics=("fid", "kid")),
            keras.callbacks.ModelCheckpoint(
                best, monitor="fid", mode="min", save_best_only=True
            ),
        ],
    ).history
    assert len(history["fid"]) == 2 and all(np.isfinite(history["fid"]))
    assert "kid" in history
    assert best.exists()


def test_cli_evaluate_writes_json(fashion_dir, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "gan", "--epochs", "1", "--limit", "128", "--batch-size", "32"]
    args += ["--latent-dim", "8", "--data-dir", str(fashion_dir), "--out", str(run)]
    assert cli.main(args + ["--verbose", "0"]) == 0
    out = tmp_path / "eval.json"
    args = ["evaluate", str(run), "--n", "100", "--metrics", "fid,kid,modes"]
    args += ["--data-dir", str(fashion_dir), "--out", str(out)]
    assert cli.main(args) == 0
    result = json.loads(out.read_text())
    assert result["num_fake"] == 100 and result["extractor"]["feature_dim"] == 128
    assert {"fid", "kid", "classes_covered"} <= set(result)
    assert "fid" in capsys.readouterr().out


def test_evaluate_parzen_uses_a_validation_split(fashion_dir):
    model = keras_gans.GAN(latent_dim=8, g_units=(16,), d_units=(8,), seed=0)
    result = evaluation.evaluate(model, n=64, metrics=("parzen",), data_dir=fashion_dir)
    assert np.isfinite(result["parzen_ll"]) and result["parzen_se"] > 0
    assert 0.05 <= result["parzen_sigma"] <= 1.0
    with pytest.raises(ValueError, match="needs validation images"):
        evaluation.score(
            np.zeros((4, 28, 28, 1)), np.zeros((4, 28, 28, 1)), metrics=["parzen"]
        )


def test_callback_values_reach_tensorboard(fixture_real, tmp_path):
    real, _ = fixture_real
    model = keras_gans.GAN(latent_dim=8, g_units=(16,), d_units=(8,), seed=0)
    model.compile()
    model.fit(
        tf.data.Dataset.from_tensor_slices(real).batch(32),
        epochs=2,
        verbose=0,
        callbacks=[
            evaluation.EvaluationCallback(real, every=1, n=64),
            keras.callbacks.TensorBoard(str(tmp_path)),
        ],
    )
    tags = set()
    for path in (tmp_path / "train").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(v.tag for v in event.summary.value)
    assert "epoch_fid" in tags, tags
