"""Choosing where to train (`keras_gans.distribute`), and TPU readiness.

No TPU here: readiness is every family's step compiled by XLA
(`jit_compile=True`) under a strategy, on batches of static shape, which is
what TPUStrategy requires.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli, distribute

FAMILIES = {
    "gan": lambda: keras_gans.GAN(
        data_shape=(16, 16, 1), latent_dim=4, g_units=(16,), d_units=(16,), seed=0
    ),
    "dcgan": lambda: keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    ),
    "infogan": lambda: keras_gans.InfoGAN(
        image_shape=(16, 16, 1), g_filters=4, d_filters=4, hidden=8, q_hidden=4, seed=0
    ),
    "gan_cls": lambda: keras_gans.GANCLS(
        text_dim=5, image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4
    ),
}


def _dataset(family, n=16, batch=8):
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((n, 16, 16, 1))).astype("float32")
    if family == "gan_cls":
        texts = rng.standard_normal((n, 5)).astype("float32")
        data = (images, texts, np.arange(n, dtype="int32") % 3)
    else:
        data = images
    # drop_remainder: every batch has the static shape XLA on a TPU needs.
    return tf.data.Dataset.from_tensor_slices(data).batch(batch, drop_remainder=True)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_steps_under_a_strategy_with_xla(family):
    # One device: XLA compiles the whole replica step, as TPUStrategy does
    # per core. (MirroredStrategy over two CPU devices cannot: one XLA
    # cluster may not touch variables on another device, "Trying to access
    # resource ... located in device CPU:1 from device CPU:0".)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = FAMILIES[family]()
        model.compile(jit_compile=True)
    assert model.jit_compile
    d0 = [w.numpy() for w in model.discriminator.trainable_weights]
    history = model.fit(_dataset(family), epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert int(model.g_optimizer.iterations.numpy()) == 2
    d1 = [w.numpy() for w in model.discriminator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(d0, d1, strict=True))


def test_make_strategy_by_name(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.make_strategy("auto") is tf.distribute.get_strategy()
    assert isinstance(
        distribute.make_strategy("one_device"), tf.distribute.OneDeviceStrategy
    )
    with pytest.raises(ValueError, match="strategy='multi_worker' reads the cluster"):
        distribute.make_strategy("multi_worker")
    with pytest.raises(ValueError, match="Expected strategy to be one of"):
        distribute.make_strategy("mirror")
    with pytest.raises(ValueError, match="only used with strategy='tpu'"):
        distribute.make_strategy("mirrored", tpu="local")
    with pytest.raises(ValueError, match="keras.distribution, which runs on the JAX"):
        distribute.data_parallel()


def test_tf_config_is_checked_and_names_the_chief(monkeypatch):
    cluster = {"worker": ["a:1", "b:1"]}
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        distribute.cluster_spec()
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker"}})
    )
    with pytest.raises(ValueError, match="this machine's type .* and its index"):
        distribute.cluster_spec()
    for task, chief in (
        ({"type": "worker", "index": 0}, True),
        ({"type": "worker", "index": 1}, False),
    ):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
        assert distribute.is_chief() is chief
    with_chief = {"chief": ["c:1"], **cluster}
    for task, chief in (
        ({"type": "chief", "index": 0}, True),
        ({"type": "worker", "index": 0}, False),
    ):
        monkeypatch.setenv(
            "TF_CONFIG", json.dumps({"cluster": with_chief, "task": task})
        )
        assert distribute.is_chief() is chief
    monkeypatch.delenv("TF_CONFIG")
    assert distribute.is_chief()
    assert not distribute.is_multi_worker()


def test_cli_strategy_flags(fashion_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    args = ["train", "gan", "--epochs", "1", "--limit", "64", "--batch-size", "32"]
    args += ["--latent-dim", "4", "--g-units", "8", "--data-dir", str(fashion_dir)]
    args += ["--verbose", "0"]
    assert cli.main([*args, "--distribution", "data_parallel", "--out", "x"]) == 2
    assert "uses keras.distribution, which runs on JAX" in capsys.readouterr().err
    assert cli.main([*args, "--strategy", "multi_worker", "--out", "x"]) == 2
    assert "reads the cluster from TF_CONFIG" in capsys.readouterr().err
    out = tmp_path / "run"
    assert cli.main([*args, "--strategy", "one_device", "--out", str(out)]) == 0
    assert keras.saving.load_model(out / "model.keras").generate(2).shape == (
        2,
        28,
        28,
        1,
    )
