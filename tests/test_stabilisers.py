"""GAN stabilisers, on every Keras backend: DiffAugment and R1.

CI runs this file under TensorFlow, JAX and PyTorch: DiffAugment's
transformations (`keras_gans.augment`) are checked against hand-made images
and their gradients, the R1 penalty against a hand-computed gradient norm.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from keras_gans import augment, losses
from keras_gans.models.base import backends


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _ramp(n=2, h=6, w=5, c=1):
    values = np.arange(n * h * w * c, dtype="float32").reshape(n, h, w, c)
    return values / values.max() * 2.0 - 1.0


def _draws(n, **values):
    return {k: np.full((n,), v, "float32") for k, v in values.items()}


def _uniform_for(k, low, high):
    """The uniform in [0, 1) that `apply` turns into the integer `k` of [low, high)."""
    return (k - low + 0.5) / (high - low)


def test_no_policy_is_the_identity():
    x = ops.convert_to_tensor(_ramp())
    assert augment.diff_augment(x, policy="") is x
    assert augment.diff_augment(x, policy=None) is x
    assert augment.apply(x, {}, ()) is x


def test_policy_names_are_checked():
    assert augment.parse_policy("color, cutout") == ("color", "cutout")
    with pytest.raises(
        ValueError, match=r"Expected a DiffAugment policy.*received 'color,flip'"
    ):
        augment.parse_policy("color,flip")
    with pytest.raises(ValueError, match="distinct"):
        augment.parse_policy(["cutout", "cutout"])


def test_translation_moves_pixels_and_fills_zeros():
    x = _ramp(n=2, h=16, w=8)  # shifts of up to 2 rows and 1 column
    draws = {
        "shift_y": _uniform_for(np.array([1.0, -2.0]), -2, 3),
        "shift_x": _uniform_for(np.array([0.0, 1.0]), -1, 2),
    }
    got = _numpy(augment.apply(ops.convert_to_tensor(x), draws, ("translation",)))
    expected = np.zeros_like(x)
    expected[0, :15] = x[0, 1:]  # output row i = input row i + 1
    expected[1, 2:, :7] = x[1, :14, 1:]
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_cutout_zeroes_a_square_around_its_centre():
    x = np.ones((2, 8, 8, 2), "float32")
    centres = {"cutout_y": np.array([0.0, 5.0]), "cutout_x": np.array([3.0, 8.0])}
    draws = {k: _uniform_for(v, 0, 9) for k, v in centres.items()}  # 0..8
    got = _numpy(augment.apply(ops.convert_to_tensor(x), draws, ("cutout",)))
    expected = x.copy()
    expected[0, 0:2, 1:5] = 0  # a 4x4 square centred at (0, 3), clipped
    expected[1, 3:7, 6:8] = 0
    np.testing.assert_array_equal(got, expected)


def test_color_matches_the_authors_formulas():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 4, 4, 3)).astype("float32")
    b, s, c = 0.8, 0.25, 0.1
    got = augment.apply(
        ops.convert_to_tensor(x),
        _draws(3, brightness=b, saturation=s, contrast=c),
        ("color",),
    )
    y = x + (b - 0.5)
    m = y.mean(axis=-1, keepdims=True)
    y = (y - m) * (2 * s) + m
    m = y.mean(axis=(1, 2, 3), keepdims=True)
    y = (y - m) * (c + 0.5) + m
    np.testing.assert_allclose(_numpy(got), y, atol=1e-5)


def test_gradients_flow_through_every_transform():
    x = _ramp(n=2, h=8, w=8, c=3)
    draws = {
        **_draws(2, brightness=0.3, saturation=0.7, contrast=0.4),
        "shift_y": np.array([0.9, 0.5]),
        "shift_x": np.array([0.5, 0.1]),
        "cutout_y": np.array([0.2, 0.7]),
        "cutout_x": np.array([0.3, 0.6]),
    }
    weights = ops.convert_to_tensor(
        np.random.default_rng(1).normal(size=x.shape).astype("float32")
    )

    def fn(images):
        out = augment.apply(images, draws, augment.DEFAULT_POLICY)
        return ops.sum(out * weights, axis=(1, 2, 3))

    grads = _numpy(backends.input_gradients(fn, ops.convert_to_tensor(x)))
    # Central differences of the same scalar (it is linear in x: exact).
    eps, index = 1e-2, (1, 3, 4, 0)
    step = np.zeros_like(x)
    step[index] = eps
    up = _numpy(fn(ops.convert_to_tensor(x + step)))[1]
    down = _numpy(fn(ops.convert_to_tensor(x - step)))[1]
    assert grads[index] == pytest.approx((up - down) / (2 * eps), rel=1e-3)
    assert np.abs(grads).sum() > 0


def test_draws_are_uniforms_per_image_and_shifts_cover_their_range():
    n = 512
    draws = {
        k: _numpy(v) for k, v in augment.draw(n, augment.DEFAULT_POLICY, 0).items()
    }
    assert set(draws) == set(augment.draw_shapes(n, augment.DEFAULT_POLICY))
    for name, values in draws.items():
        assert values.shape == (n,) and 0 <= values.min() and values.max() < 1
        assert np.std(values) > 0.2, name  # one draw per image, not one per batch
    again = augment.draw(n, "color", seed=0)
    np.testing.assert_array_equal(_numpy(again["brightness"]), draws["brightness"])
    # round(28 / 8) = 4 (3.5 rounds up): every shift from -4 to 4 occurs, no other.
    x = np.zeros((n, 28, 28, 1), "float32")
    x[:, 12, 12] = 1.0
    moved = _numpy(augment.apply(ops.convert_to_tensor(x), draws, ("translation",)))
    rows = np.argwhere(moved[..., 0] == 1.0)[:, 1] - 12
    assert set(rows) == set(range(-4, 5))


def test_diff_augment_changes_each_image_differently():
    x = np.repeat(_ramp(n=1, h=16, w=16), 8, axis=0)  # eight equal images
    out = _numpy(augment.diff_augment(ops.convert_to_tensor(x), seed=3))
    assert out.shape == x.shape
    assert len({out[i].tobytes() for i in range(8)}) == 8


def test_r1_is_the_squared_gradient_norm_on_real_data():
    # D(x) = sum(a * x^2) has input gradient 2 a x: R1 = sum(4 a^2 x^2).
    a = np.array([0.5, -1.0, 2.0], "float32")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    critic = lambda v: ops.sum(ops.convert_to_tensor(a) * v * v, axis=-1)  # noqa: E731
    got = _numpy(losses.r1_penalty(critic, x, reduction="none"))
    np.testing.assert_allclose(got, (4 * a**2 * x**2).sum(axis=1), rtol=1e-5)
    mean = float(_numpy(losses.r1_penalty(critic, x)))
    assert mean == pytest.approx(got.mean(), rel=1e-5)


# --- Spectral normalisation --------------------------------------------------------


def _sn(make_layer, shape, seed=0):
    """SpectralNorm around `make_layer()`, built with every draw seeded.

    The layer is made after the seed is set: a Keras initializer takes its
    seed from Python's `random` when the layer is made, so a layer made
    earlier would start from whatever tests ran before on this worker.
    """
    from keras_gans.models.spectral_norm import SpectralNorm

    keras.utils.set_random_seed(seed)
    wrapped = SpectralNorm(make_layer())
    wrapped.build(shape)
    return wrapped


@pytest.mark.parametrize(
    "layer, shape, out_axis",
    [
        (lambda: keras.layers.Dense(5), (None, 7), -1),
        (lambda: keras.layers.Conv2D(6, 3), (None, 8, 8, 2), -1),
        (lambda: keras.layers.Conv2DTranspose(4, 3), (None, 8, 8, 3), -2),
    ],
)
def test_spectral_norm_brings_the_largest_singular_value_to_one(layer, shape, out_axis):
    wrapped = _sn(layer, shape)
    kernel = _numpy(wrapped.layer.kernel)
    assert wrapped.u.shape == (1, kernel.shape[out_axis])
    # Give the kernel a known spectrum with a clear gap (each singular value
    # half the one before): power iteration's error shrinks like
    # (s2 / s1)^(2k), so 40 calls reach float32 whatever the draw. A random
    # kernel can have s2 / s1 = 0.99, where 40 calls are 0.3% short.
    moved = np.moveaxis(kernel, out_axis, -1)
    matrix = moved.reshape(-1, kernel.shape[out_axis])
    left, _, right = np.linalg.svd(matrix, full_matrices=False)
    spectrum = 1.7 * 0.5 ** np.arange(len(right), dtype="float32")
    matrix = ((left * spectrum) @ right).astype("float32")
    kernel = np.moveaxis(matrix.reshape(moved.shape), -1, out_axis)
    wrapped.layer.kernel.assign(kernel)
    x = ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(2, *shape[1:])).astype("float32")
    )
    # One training call is one power step from the stored u: v = unit(u W^T),
    # u = unit(v W).
    u = _numpy(wrapped.u)
    v = u @ matrix.T
    v /= np.linalg.norm(v)
    step = v @ matrix
    wrapped(x, training=True)
    np.testing.assert_allclose(
        _numpy(wrapped.u), step / np.linalg.norm(step), rtol=1e-5, atol=1e-6
    )
    for _ in range(40):  # power iteration converges over training calls
        wrapped(x, training=True)
    np.testing.assert_array_equal(_numpy(wrapped.layer.kernel), kernel)  # W kept
    assert float(_numpy(wrapped.sigma())) == pytest.approx(1.7, rel=1e-5)
    normalized = np.moveaxis(_numpy(wrapped.normalized_kernel()), out_axis, -1)
    top = np.linalg.svd(normalized.reshape(matrix.shape), compute_uv=False)[0]
    assert top == pytest.approx(1.0, rel=1e-5)
    # The layer runs on W / sigma: the same as the plain layer on that kernel.
    plain = type(wrapped.layer).from_config(wrapped.layer.get_config())
    plain.build(shape)
    plain.set_weights(
        [_numpy(wrapped.normalized_kernel()), *wrapped.layer.get_weights()[1:]]
    )
    np.testing.assert_allclose(
        _numpy(wrapped(x)), _numpy(plain(x)), rtol=1e-4, atol=1e-5
    )


def test_spectral_norm_gradient_goes_through_sigma():
    # d/dW of sum(x @ W / sigma(W)) with u, v held (sigma = v W u^T):
    # (1/sigma)(G - <G, W / sigma> v^T u), G = d sum(x @ Wbar) / dWbar.
    wrapped = _sn(lambda: keras.layers.Dense(3, use_bias=False), (None, 4), seed=1)
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    for _ in range(40):
        wrapped(ops.convert_to_tensor(x), training=True)
    u = _numpy(wrapped.u)
    w = _numpy(wrapped.layer.kernel)
    v = u @ w.T
    v /= np.linalg.norm(v)
    sigma = (v @ w @ u.T).item()
    g = np.repeat(x.sum(axis=0)[:, None], 3, axis=1)  # d sum(x W) / dW
    expected = (g - (g * w).sum() / sigma * v.T @ u) / sigma

    # One SGD step of rate 1 through the backend's own gradient: W - grad.
    kernel = wrapped.layer.kernel
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.build([kernel])

    def loss_fn():  # training=False: u as stored, so v and u are the above
        return ops.sum(wrapped(ops.convert_to_tensor(x))), ()

    backends.current().minimize(wrapped, optimizer, [kernel], loss_fn)
    np.testing.assert_allclose(w - _numpy(kernel), expected, rtol=1e-4, atol=1e-6)


def test_spectral_norm_layer_runs_twice_in_one_loss():
    # Real and fake through one D in one loss: Keras's in-place wrapper
    # fails here on PyTorch.
    wrapped = _sn(lambda: keras.layers.Dense(3), (None, 4))
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(wrapped.trainable_variables)
    a, b = (ops.ones((2, 4)), -ops.ones((2, 4)))

    def loss_fn():
        first = wrapped(a, training=True)
        return ops.sum(first) - ops.sum(wrapped(b, training=True)), ()

    before = _numpy(wrapped.u)
    backends.current().minimize(
        wrapped, optimizer, wrapped.trainable_variables, loss_fn
    )
    assert np.isfinite(_numpy(wrapped.layer.kernel)).all()
    assert not np.array_equal(_numpy(wrapped.u), before)


def test_spectral_norm_survives_a_keras_file(tmp_path):
    from keras_gans.models.spectral_norm import SpectralNorm

    inputs = keras.Input((8, 8, 1))
    x = SpectralNorm(keras.layers.Conv2D(4, 3, strides=2))(inputs)
    outputs = SpectralNorm(keras.layers.Dense(1))(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")
    for _ in range(3):
        model(images, training=True)
    model.save(tmp_path / "d.keras")
    again = keras.saving.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(_numpy(again(images)), _numpy(model(images)), atol=1e-6)
    np.testing.assert_array_equal(_numpy(again.layers[1].u), _numpy(model.layers[1].u))


def test_spectral_norm_under_a_mixed_policy_keeps_sigma_in_float32():
    from keras_gans.models.base import precision
    from keras_gans.models.spectral_norm import SpectralNorm

    inputs = keras.Input((8, 8, 1))
    x = SpectralNorm(keras.layers.Conv2D(4, 3, strides=2))(inputs)
    logits = SpectralNorm(keras.layers.Dense(1))(keras.layers.Flatten()(x))
    model = keras.Model(inputs, logits)
    precision.apply(model, "mixed_bfloat16")
    hidden, output = model.layers[1], model.layers[3]
    assert hidden.dtype_policy.name == "float32"
    assert hidden.layer.dtype_policy.name == "mixed_bfloat16"
    assert output.layer.dtype_policy.name == "float32"  # D's logits
    images = np.ones((2, 8, 8, 1), "float32")
    features = hidden(images, training=True)
    assert keras.backend.standardize_dtype(features.dtype) == "bfloat16"
    assert keras.backend.standardize_dtype(hidden.sigma().dtype) == "float32"
    assert keras.backend.standardize_dtype(model(images).dtype) == "float32"


# --- An EMA of the generator -------------------------------------------------------


def _ema_gan(statistics="average"):
    import keras_gans

    gan = keras_gans.DCGAN(
        image_shape=(16, 16, 1),
        latent_dim=4,
        g_filters=4,
        d_filters=4,
        seed=0,
        ema_decay=0.5,
        ema_statistics=statistics,
    )
    gan.compile(
        g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1)
    )
    return gan


@pytest.mark.parametrize("statistics", ["average", "copy"])
def test_ema_weights_are_the_closed_form_average(statistics):
    gan = _ema_gan(statistics)
    live = gan.generator.weights
    expected = [_numpy(w) for w in gan.generator_ema.weights]
    np.testing.assert_array_equal(expected[0], _numpy(live[0]))  # a copy at first
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    for t in range(3):
        gan.train_on_batch(images)
        decay = min(0.5, (1 + t) / (10 + t))  # warm-up: 0.1, 0.18, 0.25
        for i, w in enumerate(live):
            value = _numpy(w)
            averaged = w.trainable or statistics == "average"
            expected[i] = value + decay * (expected[i] - value) if averaged else value
    for average, want in zip(gan.generator_ema.weights, expected, strict=True):
        np.testing.assert_allclose(_numpy(average), want, rtol=1e-5, atol=1e-6)
    assert float(_numpy(gan.ema_updates)) == 3.0
    # Sampling uses the average; training the live generator.
    z = gan.sample_latent(4, seed=1)
    np.testing.assert_allclose(
        gan.generate(z), _numpy(gan.generator_ema(z, training=False)), atol=1e-6
    )
    assert not np.allclose(gan.generate(z), _numpy(gan.generator(z, training=False)))


def test_ema_survives_a_keras_file(tmp_path):
    gan = _ema_gan()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    gan.train_on_batch(images)
    gan.save(tmp_path / "gan.keras")
    again = keras.saving.load_model(tmp_path / "gan.keras")
    assert again.ema_decay == 0.5 and again.ema_statistics == "average"
    for a, b in zip(
        again.generator_ema.weights, gan.generator_ema.weights, strict=True
    ):
        np.testing.assert_array_equal(_numpy(a), _numpy(b))
    assert float(_numpy(again.ema_updates)) == 1.0
    np.testing.assert_allclose(
        again.generate(3, seed=2), gan.generate(3, seed=2), atol=1e-6
    )


def test_ema_options_are_checked():
    with pytest.raises(ValueError, match=r"Expected 0 < ema_decay < 1; received 1.0"):
        _ema_gan().__class__(image_shape=(16, 16, 1), ema_decay=1.0)
    with pytest.raises(ValueError, match="ema_statistics"):
        _ema_gan("median")


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export runs on TensorFlow"
)
def test_export_samples_from_the_ema_generator(tmp_path):
    import tensorflow as tf

    gan = _ema_gan()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    gan.train_on_batch(images)
    loaded = tf.saved_model.load(str(gan.export(tmp_path / "exports")))
    z = gan.sample_latent(3, seed=4)
    served = loaded.signatures["generate"](latent=tf.constant(_numpy(z)))["images"]
    np.testing.assert_allclose(served.numpy(), gan.generate(z), atol=1e-5)


# --- R1 and DiffAugment inside the step --------------------------------------------


def _linear_pair(r1_gamma=0.0, r1_interval=1, augment=None, lr=0.1):
    """G fixed (learning rate 0), D(x) = x . w: the Wasserstein D gradient
    mean(fake) - mean(real) does not depend on w, so R1's share is plain."""
    import keras_gans

    keras.utils.set_random_seed(0)
    latent = keras.Input((2,))
    generator = keras.Model(latent, keras.layers.Dense(3)(latent))
    x = keras.Input((3,))
    discriminator = keras.Model(x, keras.layers.Dense(1, use_bias=False)(x))
    model = keras_gans.AdversarialModel(generator, discriminator, seed=1)
    model.compile(
        g_optimizer=keras.optimizers.SGD(0.0),
        d_optimizer=keras.optimizers.SGD(lr),
        loss="wasserstein_gp",
        gradient_penalty_weight=0.0,
        r1_gamma=r1_gamma,
        r1_interval=r1_interval,
        augment=augment,
    )
    return model


@pytest.mark.parametrize("interval", [1, 2])
def test_r1_steps_d_by_its_hand_gradient_on_the_due_updates(interval):
    gamma, lr, steps = 0.5, 0.1, 4
    real = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    plain, penalised = _linear_pair(), _linear_pair(gamma, interval)
    w = _numpy(penalised.discriminator.weights[0])
    np.testing.assert_array_equal(w, _numpy(plain.discriminator.weights[0]))
    before = w
    for step in range(steps):
        plain.train_on_batch(real)
        penalised.train_on_batch(real)
        after = _numpy(plain.discriminator.weights[0])
        # R1 = ||w||^2 per example: gradient gamma / 2 * k * 2w, at the
        # update's starting weights, on the due updates only.
        due = step % interval == 0
        r1_step = lr * gamma * interval * w if due else 0.0
        w = w - (before - after) - r1_step  # plus the loss's own step
        before = after
    got = _numpy(penalised.discriminator.weights[0])
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def _dcgan(**compile_kwargs):
    import keras_gans

    gan = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    )
    gan.compile(**compile_kwargs)
    return gan


def _recording(model):
    names = []
    rng = np.random.default_rng(0)

    def hook(name, shape):
        names.append((name, tuple(int(d) for d in shape)))
        return rng.uniform(size=shape).astype("float32")

    model._draw_hook = hook
    return names


def test_diff_augment_draws_apart_for_each_batch_and_r1_runs_lazily():
    # DCGAN's D has batch norm: on JAX its statistics are assigned inside
    # the lazy R1 branch, which the backend's cond threads.
    with pytest.warns(UserWarning, match="R1 assume D scores each example"):
        gan = _dcgan(augment="color,translation,cutout", r1_gamma=1.0, r1_interval=2)
    names = _recording(gan)
    images = np.random.default_rng(1).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    for _ in range(3):
        logs = gan.train_on_batch(images, return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert all(np.isfinite(_numpy(w)).all() for w in gan.discriminator.weights)
    drawn = {name: shape for name, shape in names if name.startswith("augment_")}
    keys = augment.draw_shapes(8, augment.DEFAULT_POLICY)
    assert drawn == {
        f"augment_{batch}_{key}": (8,)
        for batch in ("real", "fake", "generated")
        for key in keys
    }


def test_no_augment_draws_without_a_policy():
    gan = _dcgan()
    names = _recording(gan)
    gan.train_on_batch(np.zeros((4, 16, 16, 1), "float32"))
    assert names and not [n for n, _ in names if n.startswith("augment_")]


@pytest.mark.filterwarnings("ignore:The gradient penalty and R1")
def test_stabiliser_options_are_checked_and_saved(tmp_path):
    import keras_gans

    gan = _dcgan(loss="hinge", r1_gamma=0.1, r1_interval=4, augment="translation")
    gan.save(tmp_path / "gan.keras")
    again = keras.saving.load_model(tmp_path / "gan.keras")
    assert (again.r1_gamma, again.r1_interval, again.augment) == (
        0.1,
        4,
        ("translation",),
    )
    flat = keras_gans.GAN(data_shape=(4,), latent_dim=2, g_units=(4,), d_units=(4,))
    with pytest.raises(ValueError, match=r"DiffAugment transforms images.*\(4,\)"):
        flat.compile(augment="color")
    with pytest.raises(ValueError, match="r1_gamma >= 0"):
        _dcgan(r1_gamma=-1.0)
    with pytest.raises(ValueError, match="r1_interval"):
        _dcgan(r1_gamma=1.0, r1_interval=0)


@pytest.mark.parametrize("family", ["dcgan", "infogan"])
def test_spectral_norm_trains_with_unit_norm_layers(family, tmp_path):
    import keras_gans
    from keras_gans.models.spectral_norm import SpectralNorm

    keras.utils.set_random_seed(0)
    common = dict(image_shape=(16, 16, 1), g_filters=4, d_filters=4, seed=0)
    if family == "dcgan":
        gan = keras_gans.DCGAN(latent_dim=4, spectral_norm=True, **common)
    else:
        gan = keras_gans.InfoGAN(hidden=8, q_hidden=4, spectral_norm=True, **common)
    gan.compile(loss="hinge")
    layers = gan.discriminator._flatten_layers(include_self=False, recursive=True)
    layers = list(layers)
    wrapped = [layer for layer in layers if isinstance(layer, SpectralNorm)]
    # Two convolutions and the logit (InfoGAN: and the trunk's dense layer).
    assert len(wrapped) == (3 if family == "dcgan" else 4)
    assert not [x for x in layers if isinstance(x, keras.layers.BatchNormalization)]
    images = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    before = _numpy(gan.discriminator.weights[0])
    for _ in range(15):
        logs = gan.train_on_batch(images, return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert not np.allclose(_numpy(gan.discriminator.weights[0]), before)
    for _ in range(30):  # power iteration on the trained weights (u only)
        gan.discriminator(images, training=True)
    for layer in wrapped:  # W / sigma has largest singular value ~1
        kernel = np.moveaxis(_numpy(layer.normalized_kernel()), -1, 0)
        top = np.linalg.svd(kernel.reshape(kernel.shape[0], -1), compute_uv=False)[0]
        # Power iteration approaches sigma from below, one step per call.
        assert top == pytest.approx(1.0, abs=0.05), layer.name
    gan.save(tmp_path / "sn.keras")
    again = keras.saving.load_model(tmp_path / "sn.keras")
    assert again.spectral_norm and type(again) is type(gan)
    np.testing.assert_allclose(
        _numpy(again.discriminator(images[:2])),
        _numpy(gan.discriminator(images[:2])),
        atol=1e-5,
    )
