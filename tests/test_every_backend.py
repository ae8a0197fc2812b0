"""Checks that run on whichever Keras backend this process has.

The default suite runs them on TensorFlow; CI runs this file again with
KERAS_BACKEND=jax and KERAS_BACKEND=torch. Cross-backend comparisons of the
same step live in test_backends.py.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

import keras_gans
from keras_gans import losses
from keras_gans.models.base import backends


def _images(n, shape=(16, 16, 1), seed=0):
    return np.tanh(np.random.default_rng(seed).standard_normal((n, *shape))).astype(
        "float32"
    )


FAMILIES = {
    "gan": lambda **kw: keras_gans.GAN(
        data_shape=(16, 16, 1), latent_dim=4, g_units=(16,), d_units=(16,), seed=0, **kw
    ),
    "dcgan": lambda **kw: keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0, **kw
    ),
    "infogan": lambda **kw: keras_gans.InfoGAN(
        image_shape=(16, 16, 1),
        g_filters=4,
        d_filters=4,
        hidden=8,
        q_hidden=4,
        seed=0,
        **kw,
    ),
    "gan_cls": lambda **kw: keras_gans.GANCLS(
        text_dim=5,
        image_shape=(16, 16, 1),
        latent_dim=4,
        g_filters=4,
        d_filters=4,
        **kw,
    ),
}


def _data(family, n=16):
    images = _images(n)
    if family != "gan_cls":
        return images
    texts = np.random.default_rng(1).standard_normal((n, 5)).astype("float32")
    return (images, texts, np.arange(n, dtype="int32") % 3)


class Batches(keras.utils.PyDataset):
    def __init__(self, data, batch):
        super().__init__()
        self.data, self.batch = data, batch

    def __len__(self):
        n = len(keras.tree.flatten(self.data)[0])
        return n // self.batch

    def __getitem__(self, i):
        part = slice(i * self.batch, (i + 1) * self.batch)
        return keras.tree.map_structure(lambda a: a[part], self.data)


def test_backend_is_what_the_environment_says():
    import os

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


def test_losses_against_hand_computed_values():
    real, fake = np.array([2.0, -1.0]), np.array([0.5, -0.5])
    sp = lambda x: np.log1p(np.exp(x))  # noqa: E731
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(real, fake, "none"),
        sp(-real) + sp(fake),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        losses.hinge_discriminator_loss(real, fake), np.mean([0 + 1.5, 2.0 + 0.5])
    )
    np.testing.assert_allclose(
        losses.categorical_code_loss(np.array([0, 1]), np.zeros((2, 3))),
        math.log(3),
        rtol=1e-6,
    )


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = x . w has input gradient w everywhere: penalty (||w|| - 1)^2.
    w = ops.convert_to_tensor(np.array([3.0, 4.0], "float32"))
    critic = lambda x: ops.sum(x * w, axis=-1)  # noqa: E731
    x = np.random.default_rng(0).standard_normal((3, 2)).astype("float32")
    got = losses.gradient_penalty(critic, x, -x, np.full(3, 0.3, "float32"), "none")
    np.testing.assert_allclose(ops.convert_to_numpy(got), np.full(3, 16.0), rtol=1e-5)


def test_input_gradients_are_differentiable_again():
    # d/dx sum(x^3) = 3x^2; its penalty sum(9 x^4) has gradient 36 x^3 in a
    # weight that scales x.
    v = keras.Variable(np.array([1.0, 2.0], "float32"))
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.build([v])

    class Holder(keras.layers.Layer):
        pass

    holder = Holder()
    holder.v = v

    def loss_fn():
        x = ops.convert_to_tensor(np.array([1.0, 1.0], "float32")) * v
        grads = backends.input_gradients(lambda t: ops.sum(t**3), x)
        return ops.sum(grads**2), ()

    before = ops.convert_to_numpy(v)
    if keras.backend.backend() == "jax":
        with keras.StatelessScope(
            [(v, v.value), *[(o, o.value) for o in optimizer.variables]]
        ) as scope:
            backends.current().minimize(holder, optimizer, [v], loss_fn)
        after = np.asarray(scope.get_current_value(v))
    else:
        backends.current().minimize(holder, optimizer, [v], loss_fn)
        after = ops.convert_to_numpy(v)
    np.testing.assert_allclose(before - after, 36 * before**3, rtol=1e-5)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fit_trains_both_networks_and_round_trips(family, tmp_path):
    model = FAMILIES[family]()
    model.compile(loss="non_saturating")
    g0 = [ops.convert_to_numpy(w) for w in model.generator.trainable_weights]
    d0 = [ops.convert_to_numpy(w) for w in model.discriminator.trainable_weights]
    history = model.fit(Batches(_data(family), 8), epochs=2, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert int(model.g_optimizer.iterations) == int(model.d_optimizer.iterations) == 4
    for before, network in ((g0, model.generator), (d0, model.discriminator)):
        after = [ops.convert_to_numpy(w) for w in network.trainable_weights]
        assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    z = (
        np.random.default_rng(4)
        .standard_normal((3, model.latent_dim))
        .astype("float32")
    )
    inputs = [z, _data(family, 3)[1]] if family == "gan_cls" else z
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.generator(inputs, training=False)),
        ops.convert_to_numpy(model.generator(inputs, training=False)),
        atol=1e-6,
    )
    assert int(loaded.g_optimizer.iterations) == 4
    loaded.fit(Batches(_data(family), 8), epochs=1, verbose=0)
    assert int(loaded.g_optimizer.iterations) == 6


def test_training_moves_generated_data_toward_the_data():
    # A 2-D Gaussian at (2, -1): after training, G's samples have moved there.
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((512, 2)) * 0.3 + [2.0, -1.0]).astype("float32")
    z = keras.Input((2,))
    generator = keras.Model(z, keras.layers.Dense(2)(keras.layers.Dense(16, "relu")(z)))
    x = keras.Input((2,))
    discriminator = keras.Model(
        x, keras.layers.Dense(1)(keras.layers.Dense(16, "relu")(x))
    )
    model = keras_gans.AdversarialModel(generator, discriminator, seed=0)
    model.compile(
        g_optimizer=keras.optimizers.Adam(5e-3, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(5e-3, beta_1=0.5),
    )
    before = np.linalg.norm(model.generate(256, seed=1).mean(0) - [2.0, -1.0])
    model.fit(data, batch_size=64, epochs=15, verbose=0)
    after = np.linalg.norm(model.generate(256, seed=1).mean(0) - [2.0, -1.0])
    assert after < 0.5 * before, (before, after)


def test_wrong_examples_give_clear_errors():
    model = FAMILIES["dcgan"]()
    model.compile()
    with pytest.raises(ValueError, match="built for examples of shape"):
        model.fit(_images(8, (8, 8, 1)), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"Expected latent vectors of shape \(n, 4\)"):
        model.generate(np.zeros((2, 3), "float32"))


def test_gan_cls_takes_strings_and_token_ids():
    # The pinned GAN-CLS has a text encoder; off TensorFlow its tokenizer is
    # the plain-Python one, which gives the same ids and so the same vectors
    # (values measured on TensorFlow).
    import pathlib

    path = pathlib.Path(__file__).parent / "fixtures" / "pinned" / "gan_cls.keras"
    model = keras.saving.load_model(path)
    vector = ops.convert_to_numpy(model.text_encoder(["a dark ankle boot"]))[0, :4]
    np.testing.assert_allclose(vector, [0.27879, 0.13682, -0.25339, 0.61769], atol=1e-4)
    texts = ["a dark ankle boot", "a pale slim dress"] * 8
    ids = np.asarray(model.text_encoder.tokenize(texts))
    assert ids.dtype.kind == "i" and ids.shape[0] == 16
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.embed_texts(ids[:2])),
        ops.convert_to_numpy(model.embed_texts(texts[:2])),
        atol=1e-6,
    )
    data = (_images(16), ids, np.array([0, 1] * 8, "int32"))
    history = model.fit(Batches(data, 8), epochs=1, verbose=0).history
    assert np.isfinite(history["d_wrong"][-1])
    assert model.generate(texts[:2], n_per_text=2, seed=0).shape == (4, 16, 16, 1)
    assert model.fit_style_encoder(texts, steps=2, batch_size=4)["loss"]


# --- Mixed precision -----------------------------------------------------------------


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_trains_in_mixed_precision(family, policy, tmp_path):
    from keras_gans.models.base import precision

    model = FAMILIES[family](dtype_policy=policy)
    model.compile()
    scaled = isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    d0 = [ops.convert_to_numpy(w) for w in model.discriminator.trainable_weights]
    # Dynamic loss scaling starts at 2**15 and skips (and halves) while the
    # scaled gradients overflow float16: a few steps.
    history = model.fit(Batches(_data(family), 8), epochs=4, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    after = [ops.convert_to_numpy(w) for w in model.discriminator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(d0, after, strict=True))
    # 16-bit layers inside, float32 weights, outputs and batch-norm statistics.
    assert any(layer.dtype_policy.name == policy for layer in model.generator.layers)
    assert {w.dtype for w in model.trainable_weights} == {"float32"}
    for network in (model.generator, model.discriminator):
        for layer in precision.output_layers(network):
            assert layer.dtype_policy.name == "float32", layer.name
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.moving_mean.dtype == "float32"
            assert np.isfinite(ops.convert_to_numpy(layer.moving_variance)).all()
    if family == "gan_cls":
        images = model.generate(np.zeros((2, 5), "float32"), seed=0)
    else:
        images = model.generate(2, seed=0)
    assert images.dtype == np.float32 and np.abs(images).max() <= 1.0
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.dtype_policy.name == policy
    assert type(loaded.d_optimizer) is type(model.d_optimizer)
    loaded.fit(Batches(_data(family), 8), epochs=1, verbose=0)


def _underflow_model(policy):
    # D's hidden kernel gets gradients near 5e-9: below float16's smallest
    # number (6e-8), so unscaled they flush to zero in its float16 matmul.
    init = keras.initializers.Constant
    z = keras.Input((2,))
    # G makes zeros: only the real examples give D's gradient (no
    # cancellation between real and fake terms to blur the comparison).
    generator = keras.Model(
        z, keras.layers.Dense(4, activation="tanh", kernel_initializer="zeros")(z)
    )
    x = keras.Input((4,))
    hidden = keras.layers.Dense(4, kernel_initializer=init(0.5), name="hidden")(x)
    tiny = keras.layers.Rescaling(1e-4, name="tiny")(hidden)
    logit = keras.layers.Dense(1, kernel_initializer=init(1e-4), name="logit")(tiny)
    model = keras_gans.AdversarialModel(
        generator, keras.Model(x, logit), seed=0, dtype_policy=policy
    )
    # A learning rate that makes such a gradient a visible change of 0.5.
    model.compile(
        g_optimizer=keras.optimizers.SGD(1.0), d_optimizer=keras.optimizers.SGD(1e4)
    )
    return model


def _hidden_update(model, data):
    kernel = model.discriminator.get_layer("hidden").kernel
    before = ops.convert_to_numpy(kernel)
    model.fit(data, batch_size=len(data), epochs=1, verbose=0, shuffle=False)
    return ops.convert_to_numpy(kernel) - before


def test_float16_loss_scaling_survives_gradients_that_underflow():
    from keras_gans.models.adversarial.optimizer_pair import OptimizerPair

    data = np.random.default_rng(0).uniform(-1, 1, (8, 4)).astype("float32")
    reference = _hidden_update(_underflow_model("float32"), data)
    # Gradients of about 5e-9: float16 cannot hold them.
    assert 1e-10 < np.abs(reference).max() / 1e4 < 6e-8
    scaled = _hidden_update(_underflow_model("mixed_float16"), data)
    np.testing.assert_allclose(scaled, reference, rtol=0.05)

    unscaled = _underflow_model("mixed_float16")
    unscaled.d_optimizer = keras.optimizers.SGD(1e4)
    unscaled.d_optimizer.build(unscaled.discriminator.trainable_variables)
    unscaled.optimizer = OptimizerPair(unscaled.g_optimizer, unscaled.d_optimizer)
    assert np.all(_hidden_update(unscaled, data) == 0)


@pytest.mark.slow
def test_the_gpu_benchmark_runs_on_cpu_without_tensorflow(tmp_path):
    # tools/bench_gpu.py runs where there is no TensorFlow (the GPU machine):
    # its smoke test, with TensorFlow hidden from the process. It measures
    # the JAX backend against PyTorch: CI's JAX run of this file runs it.
    import importlib.util
    import json
    import os
    import pathlib
    import subprocess
    import sys

    if keras.backend.backend() != "jax" or importlib.util.find_spec("torch") is None:
        pytest.skip("runs in the JAX pass of this file, with PyTorch installed")
    root = pathlib.Path(__file__).parent.parent
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "tensorflow.py").write_text(
        "raise ModuleNotFoundError('hidden', name='tensorflow')\n"
    )
    report = tmp_path / "gpu.json"
    bench = tmp_path / "BENCHMARKS.md"
    bench.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONPATH=f"{hide}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    )
    done = subprocess.run(
        [sys.executable, str(root / "tools" / "bench_gpu.py"), "--smoke"]
        + ["--json", str(report), "--output", str(bench)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(report.read_text())
    assert [(r["size"], r["precision"]) for r in result["results"]] == [
        (16, "float32"),
        (16, "bfloat16"),
        (32, "float32"),
        (32, "bfloat16"),
    ]
    for row in result["results"]:
        assert row["jax_fit_images_per_s"] > 0 and row["torch_eager_images_per_s"] > 0
        assert all(np.isfinite(v) for v in row["last_d_loss"].values())
    text = bench.read_text()
    assert "## DCGAN on a GPU: JAX backend vs PyTorch" in text
    assert "No GPU was available" in text and "kept" in text
