"""Tests for keras_gans.losses against numbers worked out by hand.

Expected values are computed here from the papers' formulas written in terms of
probabilities (`D = 1 / (1 + exp(-logit))`, `log D`, `log(1 - D)`) with `math`,
not from the softplus forms the library uses, so the two are independent.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import losses

# Three hand-picked examples: D undecided, D right, D wrong.
REAL = [0.0, 2.0, -1.0]
FAKE = [0.0, -3.0, 1.5]

LOG4 = 1.3862944  # log 4 = 2 log 2


def _d(logit):
    """The discriminator's probability that an example is real."""
    return 1.0 / (1.0 + math.exp(-logit))


# Per-example losses from each paper's formula.
def _minimax_d(r, f):
    # D maximises log D(x) + log(1 - D(G(z))); the loss is the negative.
    return -math.log(_d(r)) - math.log(1.0 - _d(f))


def _minimax_g(f):
    # G minimises log(1 - D(G(z))).
    return math.log(1.0 - _d(f))


def _non_saturating_g(f):
    # G maximises log D(G(z)).
    return -math.log(_d(f))


def _least_squares_d(r, f):
    return 0.5 * (r - 1.0) ** 2 + 0.5 * (f - 0.0) ** 2


def _least_squares_g(f):
    return 0.5 * (f - 1.0) ** 2


def _wasserstein_d(r, f):
    return f - r


def _wasserstein_g(f):
    return -f


def _hinge_d(r, f):
    return max(0.0, 1.0 - r) + max(0.0, 1.0 + f)


def _hinge_g(f):
    return -f


PAIRS = {
    "minimax": (_minimax_d, _minimax_g),
    "non_saturating": (_minimax_d, _non_saturating_g),
    "least_squares": (_least_squares_d, _least_squares_g),
    "wasserstein": (_wasserstein_d, _wasserstein_g),
    "hinge": (_hinge_d, _hinge_g),
}

FUNCTIONS = {
    "minimax": (losses.minimax_discriminator_loss, losses.minimax_generator_loss),
    "non_saturating": (
        losses.non_saturating_discriminator_loss,
        losses.non_saturating_generator_loss,
    ),
    "least_squares": (
        losses.least_squares_discriminator_loss,
        losses.least_squares_generator_loss,
    ),
    "wasserstein": (
        losses.wasserstein_discriminator_loss,
        losses.wasserstein_generator_loss,
    ),
    "hinge": (losses.hinge_discriminator_loss, losses.hinge_generator_loss),
}

# The same numbers typed in from a calculator, for the three examples above.
HAND_D = {
    # log4; softplus(-2) + softplus(-3); softplus(1) + softplus(1.5)
    "minimax": [LOG4, 0.12692801 + 0.04858735, 1.31326169 + 1.70141328],
    "non_saturating": [LOG4, 0.12692801 + 0.04858735, 1.31326169 + 1.70141328],
    "least_squares": [0.5, 0.5 + 4.5, 2.0 + 1.125],
    "wasserstein": [0.0, -5.0, 2.5],
    "hinge": [2.0, 0.0, 2.0 + 2.5],
}
HAND_G = {
    # -softplus(0), -softplus(-3), -softplus(1.5)
    "minimax": [-math.log(2.0), -0.04858735, -1.70141328],
    # softplus(0), softplus(3), softplus(-1.5)
    "non_saturating": [math.log(2.0), 3.04858735, 0.20141328],
    "least_squares": [0.5, 8.0, 0.125],
    "wasserstein": [0.0, 3.0, -1.5],
    "hinge": [0.0, 3.0, -1.5],
}

REDUCE = {"mean": np.mean, "sum": np.sum, "none": np.asarray}


def _shaped(values, shape):
    values = np.asarray(values, dtype="float32")
    return values if shape == "flat" else values.reshape(-1, 1)


@pytest.mark.parametrize("name", list(PAIRS))
def test_formulas_match_calculator_numbers(name):
    # Guards the test's own formulas against the typed-in numbers.
    d_formula, g_formula = PAIRS[name]
    np.testing.assert_allclose(
        [d_formula(r, f) for r, f in zip(REAL, FAKE, strict=True)],
        HAND_D[name],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        [g_formula(f) for f in FAKE], HAND_G[name], rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("shape", ["flat", "column"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_discriminator_loss_values(name, reduction, shape):
    d_formula, _ = PAIRS[name]
    per_example = [d_formula(r, f) for r, f in zip(REAL, FAKE, strict=True)]
    d_loss, _ = FUNCTIONS[name]
    got = d_loss(_shaped(REAL, shape), _shaped(FAKE, shape), reduction=reduction)
    expected = REDUCE[reduction](per_example)
    assert tuple(got.shape) == np.shape(expected)
    assert got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", ["flat", "column"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_generator_loss_values(name, reduction, shape):
    _, g_formula = PAIRS[name]
    per_example = [g_formula(f) for f in FAKE]
    _, g_loss = FUNCTIONS[name]
    got = g_loss(_shaped(FAKE, shape), reduction=reduction)
    expected = REDUCE[reduction](per_example)
    assert tuple(got.shape) == np.shape(expected)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(PAIRS))
def test_default_reduction_is_mean(name):
    d_loss, g_loss = FUNCTIONS[name]
    np.testing.assert_allclose(
        d_loss(REAL, FAKE).numpy(), d_loss(REAL, FAKE, reduction="mean").numpy()
    )
    np.testing.assert_allclose(
        g_loss(FAKE).numpy(), g_loss(FAKE, reduction="mean").numpy()
    )


def test_none_reduction_of_column_input_is_per_example():
    got = losses.minimax_discriminator_loss(
        np.zeros((4, 1), "float32"), np.zeros((4, 1), "float32"), reduction="none"
    )
    assert tuple(got.shape) == (4,)
    np.testing.assert_allclose(got.numpy(), [LOG4] * 4, rtol=1e-6)


def test_patch_outputs_are_averaged_per_example_first():
    # A patch discriminator's (batch, h, w, 1) map: mean over the map, then batch.
    real = np.array(
        [[[[1.0], [3.0]], [[5.0], [7.0]]], [[[0.0], [0.0]], [[0.0], [4.0]]]]
    )
    fake = np.zeros_like(real)
    per_example = losses.wasserstein_discriminator_loss(real, fake, reduction="none")
    np.testing.assert_allclose(per_example.numpy(), [-4.0, -1.0])
    total = losses.wasserstein_discriminator_loss(real, fake, reduction="sum")
    np.testing.assert_allclose(total.numpy(), -5.0)


def test_integer_inputs_are_cast_to_float():
    got = losses.least_squares_discriminator_loss([3, 1], [2, 0], reduction="none")
    assert got.dtype == tf.float32
    # 0.5*(3-1)^2 + 0.5*2^2 = 4; 0.5*0 + 0 = 0.
    np.testing.assert_allclose(got.numpy(), [4.0, 0.0])


# --- Goodfellow et al. 2014 facts -------------------------------------------------


def test_minimax_discriminator_loss_at_optimum_is_log4():
    # At the global optimum D = 1/2 everywhere (logit 0): V = 2 log(1/2) = -log 4,
    # and the discriminator's loss is -V = log 4.
    value = math.log(0.5) + math.log(1.0 - 0.5)
    assert value == pytest.approx(-math.log(4.0))
    zeros = np.zeros((5,), "float32")
    for d_loss in (
        losses.minimax_discriminator_loss,
        losses.non_saturating_discriminator_loss,
    ):
        got = d_loss(zeros, zeros)
        assert float(got) == pytest.approx(-value, rel=1e-6)
        assert float(got) == pytest.approx(LOG4, rel=1e-6)


def test_non_saturating_discriminator_loss_is_the_minimax_one():
    real = np.array([-2.0, 0.5, 4.0], "float32")
    fake = np.array([1.0, -0.5, -4.0], "float32")
    np.testing.assert_array_equal(
        losses.non_saturating_discriminator_loss(real, fake, reduction="none"),
        losses.minimax_discriminator_loss(real, fake, reduction="none"),
    )


def _grad(loss_fn, logit):
    x = tf.Variable([logit], dtype="float32")
    with tf.GradientTape() as tape:
        loss = loss_fn(x)
    return float(tape.gradient(loss, x)[0])


def test_minimax_generator_loss_saturates_but_non_saturating_does_not():
    # D confidently rejects the sample: D(G(z)) = sigmoid(-6) = 0.00247.
    # d/dx log(1 - sigmoid(x)) = -sigmoid(x) -> -0.00247 (vanishing);
    # d/dx -log sigmoid(x) = -(1 - sigmoid(x)) -> -0.99753 (strong).
    minimax = _grad(losses.minimax_generator_loss, -6.0)
    non_saturating = _grad(losses.non_saturating_generator_loss, -6.0)
    assert abs(minimax) < 0.01
    assert minimax == pytest.approx(-1.0 / (1.0 + math.exp(6.0)), rel=1e-4)
    assert abs(non_saturating) == pytest.approx(1.0, abs=0.01)
    assert non_saturating == pytest.approx(-1.0 / (1.0 + math.exp(-6.0)), rel=1e-4)


def test_minimax_and_non_saturating_generator_losses_share_the_fixed_point():
    # Both losses fall as D(G(z)) rises (gradient < 0 at every logit), so both
    # drive G towards the same place; at D = 1/2 their gradients coincide (-1/2).
    for logit in (-8.0, -2.0, 0.0, 2.0, 8.0):
        assert _grad(losses.minimax_generator_loss, logit) < 0.0
        assert _grad(losses.non_saturating_generator_loss, logit) < 0.0
    assert _grad(losses.minimax_generator_loss, 0.0) == pytest.approx(-0.5)
    assert _grad(losses.non_saturating_generator_loss, 0.0) == pytest.approx(-0.5)


# --- Numerical stability ----------------------------------------------------------


@pytest.mark.parametrize("name", list(PAIRS))
def test_large_logits_give_finite_losses_and_gradients(name):
    d_loss, g_loss = FUNCTIONS[name]
    real = tf.Variable([100.0, -100.0, 100.0, -100.0])
    fake = tf.Variable([100.0, -100.0, -100.0, 100.0])
    with tf.GradientTape(persistent=True) as tape:
        d_value = d_loss(real, fake, reduction="none")
        g_value = g_loss(fake, reduction="none")
    for value in (d_value, g_value):
        assert np.all(np.isfinite(value.numpy()))
    for grad in tape.gradient(d_value, [real, fake]) + [tape.gradient(g_value, fake)]:
        assert np.all(np.isfinite(grad.numpy()))


def test_log_losses_at_large_logits_have_the_asymptotic_values():
    # A naive log(sigmoid(x)) would give log(0) = -inf at x = -100.
    big = np.array([100.0, -100.0], "float32")
    # D right on both: ~0; D wrong on both: softplus(100) + softplus(100) = 200.
    got = losses.minimax_discriminator_loss(big, -big, reduction="none")
    np.testing.assert_allclose(got.numpy(), [0.0, 200.0], atol=1e-5)
    # -log sigmoid(-100) = 100; -log sigmoid(100) = ~0.
    got = losses.non_saturating_generator_loss(-big, reduction="none")
    np.testing.assert_allclose(got.numpy(), [100.0, 0.0], atol=1e-5)
    # log(1 - sigmoid(100)) = -100; log(1 - sigmoid(-100)) = ~0.
    got = losses.minimax_generator_loss(big, reduction="none")
    np.testing.assert_allclose(got.numpy(), [-100.0, 0.0], atol=1e-5)


# --- Gradient penalty (Gulrajani et al. 2017) -------------------------------------


def _linear_critic(w):
    w = tf.convert_to_tensor(w, "float32")
    axes = list(range(1, w.shape.rank + 1))
    return lambda x: tf.reduce_sum(w * x, axis=axes)


@pytest.mark.parametrize(
    "alpha", [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.1, 0.5, 0.9], [0.73, 0.02, 0.4]]
)
def test_gradient_penalty_of_linear_critic_is_exact_for_any_alpha(alpha):
    # f(x) = sum(w * x) has gradient w everywhere: penalty = (||w|| - 1)^2.
    rng = np.random.default_rng(0)
    real = rng.normal(size=(3, 2)).astype("float32")
    fake = rng.normal(size=(3, 2)).astype("float32")
    critic = _linear_critic([3.0, 4.0])  # ||w|| = 5 -> (5 - 1)^2 = 16
    got = losses.gradient_penalty(critic, real, fake, alpha, reduction="none")
    np.testing.assert_allclose(got.numpy(), [16.0] * 3, rtol=1e-6)
    assert float(losses.gradient_penalty(critic, real, fake, alpha)) == pytest.approx(
        16.0
    )
    got = losses.gradient_penalty(critic, real, fake, alpha, reduction="sum")
    assert float(got) == pytest.approx(48.0)


def test_gradient_penalty_of_unit_norm_linear_critic_is_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(4, 3)).astype("float32")
    fake = rng.normal(size=(4, 3)).astype("float32")
    critic = _linear_critic([0.6, 0.0, -0.8])
    got = losses.gradient_penalty(critic, real, fake, [0.2, 0.4, 0.6, 0.8], "none")
    np.testing.assert_allclose(got.numpy(), 0.0, atol=1e-10)


def test_gradient_penalty_on_image_shaped_batches():
    # (batch, h, w, c) inputs: the norm is over all of an example's pixels.
    w = np.array([[[1.0], [2.0]], [[2.0], [4.0]]], "float32")  # ||w|| = 5
    real = np.ones((2, 2, 2, 1), "float32")
    fake = -np.ones((2, 2, 2, 1), "float32")
    got = losses.gradient_penalty(_linear_critic(w), real, fake, [0.3, 0.6], "none")
    np.testing.assert_allclose(got.numpy(), [16.0, 16.0], rtol=1e-6)


@pytest.mark.parametrize("keepdims", [False, True])
def test_gradient_penalty_uses_each_examples_alpha(keepdims):
    # f(x) = 0.5 * sum(x^2) has gradient x, so the penalty of example i is
    # (||alpha_i * real_i + (1 - alpha_i) * fake_i|| - 1)^2.
    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=1, keepdims=keepdims)

    real = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]], "float32")
    fake = np.array([[0.0, 0.0], [4.0, -1.0], [3.0, 3.0]], "float32")
    alpha = np.array([0.5, 0.25, 1.0], "float32")
    # x_hat_0 = 0.5*(2,0) + 0.5*(0,0)           = (1, 0), norm 1       -> 0
    # x_hat_1 = 0.25*(0,3) + 0.75*(4,-1)        = (3, 0), norm 3       -> 4
    # x_hat_2 = 1.0*(1,1) + 0.0*(3,3)           = (1, 1), norm sqrt(2) -> 0.1716
    expected = [0.0, 4.0, (math.sqrt(2.0) - 1.0) ** 2]
    got = losses.gradient_penalty(critic, real, fake, alpha, reduction="none")
    assert tuple(got.shape) == (3,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)
    got = losses.gradient_penalty(critic, real, fake, alpha)
    assert float(got) == pytest.approx(np.mean(expected), rel=1e-5)
    got = losses.gradient_penalty(critic, real, fake, alpha, reduction="sum")
    assert float(got) == pytest.approx(np.sum(expected), rel=1e-5)


def test_gradient_penalty_is_differentiable_in_the_critics_weights():
    # WGAN-GP trains the critic on the penalty: d/dw (||w|| - 1)^2
    # = 2 (||w|| - 1) w / ||w|| = 2 * 4 * (3, 4) / 5 = (4.8, 6.4).
    w = tf.Variable([3.0, 4.0])

    def critic(x):
        return tf.reduce_sum(w * x, axis=1)

    real = np.array([[1.0, 2.0], [0.5, -1.0]], "float32")
    fake = np.zeros((2, 2), "float32")
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, real, fake, [0.3, 0.9])
    np.testing.assert_allclose(tape.gradient(penalty, w).numpy(), [4.8, 6.4], rtol=1e-5)


def test_gradient_penalty_inside_tf_function():
    critic = _linear_critic([3.0, 4.0])
    real = np.ones((2, 2), "float32")
    fake = np.zeros((2, 2), "float32")

    @tf.function
    def penalty(alpha):
        return losses.gradient_penalty(critic, real, fake, alpha)

    assert float(penalty(tf.constant([0.1, 0.7]))) == pytest.approx(16.0)


# --- Registry ---------------------------------------------------------------------


def test_names_lists_every_variant():
    assert set(losses.names()) == {
        "minimax",
        "non_saturating",
        "least_squares",
        "wasserstein",
        "wasserstein_gp",
        "hinge",
    }


@pytest.mark.parametrize("name", losses.names())
def test_get_returns_the_named_pair(name):
    loss = losses.get(name)
    assert isinstance(loss, losses.GANLoss)
    assert loss.name == name
    expected_d, expected_g = FUNCTIONS[name.removesuffix("_gp")]
    assert loss.discriminator_loss is expected_d
    assert loss.generator_loss is expected_g
    assert loss.outputs_logits == (name in ("minimax", "non_saturating"))
    expected_weight = 10.0 if name == "wasserstein_gp" else 0.0
    assert loss.gradient_penalty_weight == expected_weight
    assert losses.get(loss) is loss
    # The registry's callables follow the documented signatures.
    d_value = loss.discriminator_loss(REAL, FAKE, reduction="none")
    g_value = loss.generator_loss(FAKE, reduction="none")
    assert tuple(d_value.shape) == tuple(g_value.shape) == (3,)


def test_wasserstein_gp_has_penalty_weight_10():
    assert losses.get("wasserstein_gp").gradient_penalty_weight == 10.0


@pytest.mark.parametrize("identifier", ["hinge_loss", "Minimax", "", None, 3])
def test_unknown_loss_lists_known_names(identifier):
    with pytest.raises(ValueError) as info:
        losses.get(identifier)
    message = str(info.value)
    for name in losses.names():
        assert name in message
    assert repr(identifier) in message


@pytest.mark.parametrize(
    "call",
    [
        lambda r: losses.minimax_discriminator_loss(REAL, FAKE, reduction=r),
        lambda r: losses.non_saturating_generator_loss(FAKE, reduction=r),
        lambda r: losses.hinge_discriminator_loss(REAL, FAKE, reduction=r),
        lambda r: losses.least_squares_generator_loss(FAKE, reduction=r),
        lambda r: losses.gradient_penalty(
            _linear_critic([1.0, 0.0]),
            np.ones((2, 2), "float32"),
            np.zeros((2, 2), "float32"),
            [0.5, 0.5],
            r,
        ),
    ],
)
@pytest.mark.parametrize("reduction", ["avg", "Mean", None])
def test_bad_reduction_names_the_allowed_ones(call, reduction):
    with pytest.raises(ValueError) as info:
        call(reduction)
    message = str(info.value)
    for allowed in ("mean", "sum", "none"):
        assert repr(allowed) in message
    assert repr(reduction) in message


# --- Losses of your own -------------------------------------------------------------


def _tiny_dcgan():
    import keras_gans

    return keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    )


def _images():
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8)


def test_a_registered_loss_trains_saves_and_loads(tmp_path):
    import keras

    mine = losses.GANLoss(
        "softplus_test",
        losses.non_saturating_discriminator_loss,
        losses.non_saturating_generator_loss,
    )
    assert losses.register(mine) is mine
    try:
        assert "softplus_test" in losses.names()
        model = _tiny_dcgan()
        model.compile(loss="softplus_test")
        history = model.fit(_images(), epochs=1, verbose=0).history
        assert np.isfinite(history["d_loss"][-1])
        model.save(tmp_path / "m.keras")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
        assert loaded.gan_loss is mine
        np.testing.assert_allclose(loaded.generate(2, seed=0), model.generate(2, seed=0))
        with pytest.raises(ValueError, match="registered already; pass replace=True"):
            losses.register(dataclasses_replace(mine, weight_clip=0.1))
        with pytest.raises(ValueError, match="built-in one"):
            losses.register(dataclasses_replace(mine, name="hinge"))
    finally:
        assert losses.unregister("softplus_test") is mine
    with pytest.raises(ValueError, match="must be registered"):
        losses.get("softplus_test")


def test_an_unregistered_loss_trains_but_saving_says_how_to_register(tmp_path):
    mine = losses.GANLoss(
        "unregistered_test",
        losses.hinge_discriminator_loss,
        losses.hinge_generator_loss,
        outputs_logits=False,
    )
    model = _tiny_dcgan()
    model.compile(loss=mine)
    model.fit(_images(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"keras_gans\.losses\.register\(loss\)"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_losses_of_the_entry_point_group_are_registered(monkeypatch):
    import pathlib
    import sys

    plugin = pathlib.Path(__file__).parent / "fixtures" / "plugin"
    monkeypatch.syspath_prepend(str(plugin))
    monkeypatch.setattr(losses, "_PLUGINS_LOADED", False)
    try:
        assert "tiny_hinge" in losses.names()
        assert losses.get("tiny_hinge").outputs_logits is False
    finally:
        losses.unregister("tiny_hinge")
        sys.modules.pop("tiny_gan.losses", None)


def dataclasses_replace(loss, **changes):
    import dataclasses

    return dataclasses.replace(loss, **changes)
