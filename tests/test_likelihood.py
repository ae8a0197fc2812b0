"""The likelihood families' maths, on whichever Keras backend this process has.

The default suite runs it on TensorFlow; CI runs it again with
KERAS_BACKEND=jax and KERAS_BACKEND=torch. Reference values are computed by
hand or by brute force: every image of a tiny binary space, and the VAE's
log p(x) by quadrature over a one-dimensional latent.
"""

from __future__ import annotations

import itertools
import math

import keras
import numpy as np
import pytest
from keras import ops

import keras_gans
from keras_gans.models.autoregressive.ladder import full_joint_parameters
from keras_gans.models.autoregressive.layers import CausalConv2D, causal_mask
from keras_gans.models.base import backends
from keras_gans.models.likelihood import distributions


def _all_images(shape, levels=2):
    """Every image of `shape` with pixels in `levels` levels, as floats in [-1, 1]."""
    size = int(np.prod(shape))
    grid = np.array(list(itertools.product(range(levels), repeat=size)), "float32")
    return (grid * (2.0 / (levels - 1)) - 1.0).reshape((-1, *shape))


def _randomise(model, seed=0, scale=1.0, biases=True):
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.normal(0.0, scale, w.shape).astype("float32")
            if biases or w.ndim > 1
            else np.zeros_like(w)
            for w in model.get_weights()
        ]
    )


# --- The VAE ------------------------------------------------------------------------


def test_kl_is_the_hand_computed_value_and_a_monte_carlo_estimate():
    mean = np.array([[1.0, 0.0], [0.0, 0.0]], "float32")
    log_var = np.array([[0.0, math.log(4.0)], [0.0, 0.0]], "float32")
    kl = ops.convert_to_numpy(distributions.gaussian_kl(mean, log_var))
    # 1/2 [(1 + 1 - 1 - 0) + (4 + 0 - 1 - log 4)] = 1.306853; N(0, I) itself: 0.
    np.testing.assert_allclose(kl, [1.3068528, 0.0], atol=1e-6)
    # KL = E_q[log q(z) - log p(z)], estimated from 200,000 draws of q.
    rng = np.random.default_rng(0)
    z = mean[0] + np.exp(0.5 * log_var[0]) * rng.standard_normal((200_000, 2))
    log_q = ops.convert_to_numpy(distributions.normal_log_prob(z, mean[0], log_var[0]))
    log_p = ops.convert_to_numpy(distributions.normal_log_prob(z))
    draws = log_q - log_p
    assert abs(draws.mean() - kl[0]) < 3 * draws.std() / math.sqrt(len(draws))


def test_kl_is_nonnegative_per_example():
    rng = np.random.default_rng(1)
    kl = ops.convert_to_numpy(
        distributions.gaussian_kl(
            rng.normal(0, 2, (500, 3)).astype("float32"),
            rng.normal(0, 2, (500, 3)).astype("float32"),
        )
    )
    assert kl.shape == (500,) and np.all(kl >= 0)


def _toy_vae():
    # Random weights: the bounds hold for any encoder and decoder, and a q
    # far from the true posterior leaves gaps that the test can see.
    vae = keras_gans.VAE(
        image_shape=(2, 2, 1), latent_dim=1, filters=(4,), hidden=8, seed=0
    )
    _randomise(vae, seed=0, scale=0.5)
    vae.compile()
    return vae


def _quadrature_log_prob(vae, images):
    """log p(x) = log integral p(x|z) N(z; 0, 1) dz on a fine grid of z."""
    z = np.linspace(-10.0, 10.0, 4001, dtype="float32")[:, None]
    params = vae.decoder(z)
    log_prior = (
        -0.5 * (z[:, 0] ** 2)
        - 0.5 * math.log(2 * math.pi)
        + math.log(z[1, 0] - z[0, 0])
    )
    out = []
    for image in images:
        levels = vae.to_levels(np.repeat(image[None], len(z), axis=0))
        log_px = ops.convert_to_numpy(vae.log_likelihood(params, levels))
        out.append(np.logaddexp.reduce(log_px + log_prior))
    return np.array(out)


def test_elbo_below_iwae_below_log_p_on_a_tractable_vae():
    vae = _toy_vae()
    images = _all_images((2, 2, 1))
    log_p = _quadrature_log_prob(vae, images)
    # The quadrature is right: p(x) over the 16 images sums to 1.
    np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, atol=1e-4)
    repeats = 400
    stacked = np.repeat(images, repeats, axis=0)
    estimates = [
        vae.elbo(stacked, seed=1),
        vae.iwae_bound(stacked, k=8, seed=2),
        vae.iwae_bound(stacked, k=64, seed=3),
    ]
    means, errors = [], []
    for draws in estimates:
        draws = draws.reshape(len(images), repeats)
        means.append(draws.mean(axis=1))
        errors.append(draws.std(axis=1) / math.sqrt(repeats))
    means.append(log_p)
    errors.append(np.zeros_like(log_p))
    # ELBO <= IWAE(8) <= IWAE(64) <= log p (Burda et al. 2016, Theorem 1).
    for low, high, e_low, e_high in zip(
        means, means[1:], errors, errors[1:], strict=False
    ):
        assert np.all(low <= high + 3 * np.hypot(e_low, e_high)), (low, high)
    # Strictly tighter than the ELBO somewhere.
    assert np.max(means[2] - means[0]) > 10 * np.max(errors[0])


def test_vae_logs_its_two_terms_and_round_trips(tmp_path):
    vae = _toy_vae()
    images = _all_images((2, 2, 1))
    logs = vae.evaluate(images, batch_size=16, return_dict=True, verbose=0)
    assert logs["loss"] == pytest.approx(logs["reconstruction"] + logs["kl"], rel=1e-5)
    assert logs["bits_per_dim"] == pytest.approx(
        logs["loss"] / (4 * math.log(2)), rel=1e-5
    )
    path = tmp_path / "vae.keras"
    vae.save(path)
    again = keras.saving.load_model(path)
    assert again.compiled and again.likelihood == "bernoulli"
    np.testing.assert_allclose(
        again.generate(5, seed=4), vae.generate(5, seed=4), atol=1e-6
    )
    np.testing.assert_allclose(
        again.encode(images)[0], vae.encode(images)[0], atol=1e-6
    )
    np.testing.assert_allclose(
        again.elbo(images, seed=5), vae.elbo(images, seed=5), atol=1e-4
    )


def test_discretized_logistic_sums_to_one_over_256_levels():
    levels = np.arange(256, dtype="float32").reshape(256, 1, 1, 1)
    for mean, log_scale in ((0.1, -3.0), (-0.99, -5.0), (0.7, 0.5), (0.0, -9.0)):
        shape = levels.shape
        log_p = distributions.discretized_logistic_log_prob(
            np.full(shape, mean, "float32"),
            np.full(shape, log_scale, "float32"),
            levels,
            256,
        )
        np.testing.assert_allclose(
            np.exp(ops.convert_to_numpy(log_p)).sum(), 1.0, atol=1e-3
        )


def test_logistic_vae_trains_and_its_samples_are_reproducible():
    keras.utils.set_random_seed(0)
    vae = keras_gans.VAE(
        image_shape=(4, 4, 1),
        latent_dim=2,
        likelihood="logistic",
        filters=(4,),
        hidden=8,
        seed=0,
    )
    vae.compile(optimizer=keras.optimizers.Adam(0.01))
    rng = np.random.default_rng(0)
    data = (np.round(rng.uniform(0, 255, (1, 4, 4, 1))) / 127.5 - 1.0).repeat(64, 0)
    data = data.astype("float32")
    before = vae.evaluate(data, verbose=0, return_dict=True)["loss"]
    vae.fit(data, batch_size=16, epochs=15, verbose=0)
    after = vae.evaluate(data, verbose=0, return_dict=True)["loss"]
    assert after < before - 10, (before, after)
    np.testing.assert_array_equal(vae.generate(3, seed=7), vae.generate(3, seed=7))
    assert not np.array_equal(vae.generate(3, seed=7), vae.generate(3, seed=8))


# --- Autoregressive models ----------------------------------------------------------


AR_MODELS = {
    "independent": lambda shape, levels: keras_gans.IndependentPixels(
        image_shape=shape
    ),
    "markov": lambda shape, levels: keras_gans.MarkovChain(image_shape=shape),
    "made": lambda shape, levels: keras_gans.MADE(
        image_shape=shape, hidden=(32, 32), levels=levels
    ),
    "pixelcnn": lambda shape, levels: keras_gans.PixelCNN(
        image_shape=shape, levels=levels, filters=6, blocks=1, first_kernel=3
    ),
}


@pytest.mark.parametrize(
    "name, shape, levels",
    [
        ("independent", (2, 2, 1), 2),
        ("markov", (2, 2, 1), 2),
        ("made", (2, 2, 1), 2),
        ("made", (1, 2, 1), 256),
        ("pixelcnn", (2, 2, 1), 2),
        ("pixelcnn", (2, 2, 2), 2),  # colour channels in order
        ("pixelcnn", (1, 1, 1), 256),
    ],
)
def test_probabilities_sum_to_one_over_every_image(name, shape, levels):
    model = AR_MODELS[name](shape, levels)
    _randomise(model, scale=0.8)
    log_p = model.log_prob(_all_images(shape, levels))
    np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, atol=1e-4)


def test_the_ladder_has_the_parameter_counts_of_the_notes():
    n = 28 * 28
    assert keras_gans.IndependentPixels().parameter_count() == n
    assert keras_gans.MarkovChain().parameter_count() == 2 * n - 1
    assert full_joint_parameters(4) == 15
    made = keras_gans.MADE(image_shape=(2, 2, 1), hidden=())
    # Direct connections only: input j feeds output d for j < d (6), plus 4 biases.
    assert made.parameter_count() == 6 + 4


def _earlier_mask(shape, r, c, ch):
    height, width, channels = shape
    index = np.arange(height * width * channels).reshape(shape)
    return index < index[r, c, ch]


@pytest.mark.parametrize("name", ["made", "pixelcnn"])
def test_each_output_sees_only_earlier_pixels(name):
    shape = (4, 4, 2) if name == "pixelcnn" else (3, 3, 1)
    model = AR_MODELS[name](shape, 256)
    # No biases and many inputs, so that no ReLU is closed at every input.
    _randomise(model, scale=0.5, biases=False)
    x = ops.convert_to_tensor(
        np.random.default_rng(0).uniform(-1, 1, (32, *shape)).astype("float32")
    )
    for r, c, ch in itertools.product(*map(range, shape)):

        def output(images, r=r, c=c, ch=ch):
            return ops.sum(model.network(images)[:, r, c, ch])

        grads = np.abs(ops.convert_to_numpy(backends.input_gradients(output, x))).sum(0)
        earlier = _earlier_mask(shape, r, c, ch)
        assert np.all(grads[~earlier] == 0), (r, c, ch)
        if earlier.any():  # and sees some of them
            assert np.any(grads[earlier] != 0), (r, c, ch)


def test_causal_mask_of_colour_channels():
    # A 1x1 mask B over 3 groups: R sees R; G sees R, G; B sees all.
    mask = causal_mask(1, 3, 3, 3, "B")[0, 0]
    np.testing.assert_array_equal(mask, np.triu(np.ones((3, 3))))
    np.testing.assert_array_equal(
        causal_mask(1, 3, 3, 3, "A")[0, 0], np.triu(np.ones((3, 3)), 1)
    )


def test_passes_over_a_few_rows_give_the_full_networks_rows():
    model = keras_gans.PixelCNN(image_shape=(12, 5, 1), levels=256, filters=6, blocks=2)
    _randomise(model, scale=0.3)
    top, window, rows = model.sampling_networks()
    assert rows == model.reach + 1 == 6
    images = np.random.default_rng(0).uniform(-1, 1, (2, 12, 5, 1)).astype("float32")
    full = ops.convert_to_numpy(model.network(images))
    np.testing.assert_allclose(
        ops.convert_to_numpy(top(images[:, :rows])), full[:, :rows], atol=1e-4
    )
    for r in range(rows - 1, 12):
        row = ops.convert_to_numpy(window(images[:, r - rows + 1 : r + 1]))[:, 0]
        np.testing.assert_allclose(row, full[:, r], atol=1e-4)


def test_sampling_follows_the_conditionals_and_is_reproducible():
    chain = keras_gans.MarkovChain(image_shape=(1, 3, 1))
    # p(x1 = 1) = sigmoid(1.5); p(x_i = 1 | x_{i-1}) = sigmoid(-2 + 4 x_{i-1}).
    chain.set_weights(
        [np.array([1.5, -2.0, -2.0], "float32"), np.array([4.0, 4.0], "float32")]
    )
    samples = (chain.generate(4000, seed=0).reshape(4000, 3) > 0).astype(float)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert abs(samples[:, 0].mean() - sig(1.5)) < 0.03
    after_one = samples[samples[:, 0] == 1, 1].mean()
    after_zero = samples[samples[:, 0] == 0, 1].mean()
    assert abs(after_one - sig(2.0)) < 0.04 and abs(after_zero - sig(-2.0)) < 0.04
    np.testing.assert_array_equal(chain.generate(5, seed=1), chain.generate(5, seed=1))


@pytest.mark.parametrize("levels", [2, 256])
def test_pixelcnn_samples_are_reproducible_and_round_trip(levels, tmp_path):
    model = keras_gans.PixelCNN(
        image_shape=(8, 6, 1), levels=levels, filters=8, blocks=1, seed=0
    )
    model.compile()
    first = model.generate(3, seed=5)
    np.testing.assert_array_equal(first, model.generate(3, seed=5))
    assert not np.array_equal(first, model.generate(3, seed=6))
    steps = (np.unique(first) + 1.0) * (levels - 1) / 2.0  # back to levels
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)
    model.save(tmp_path / "p.keras")
    again = keras.saving.load_model(tmp_path / "p.keras")
    np.testing.assert_array_equal(again.generate(3, seed=5), first)
    np.testing.assert_allclose(again.log_prob(first), model.log_prob(first), atol=1e-4)


@pytest.mark.parametrize("name", ["made", "pixelcnn"])
def test_fit_moves_the_likelihood_toward_the_data(name):
    keras.utils.set_random_seed(0)
    model = AR_MODELS[name]((4, 4, 1), 2)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    rng = np.random.default_rng(0)
    patterns = np.where(rng.uniform(size=(4, 4, 4, 1)) > 0.5, 1.0, -1.0)
    data = patterns.repeat(32, axis=0).astype("float32")
    before = -model.log_prob(patterns).mean()
    history = model.fit(data, batch_size=32, epochs=8, shuffle=True, verbose=0)
    after = -model.log_prob(patterns).mean()
    # Four patterns: the best model pays log 4 = 1.39 nats; uniform, 16 log 2 = 11.1.
    assert after < before - 3, (before, after)
    assert set(history.history) == {"loss", "bits_per_dim", "images_per_second"}


def test_wrong_images_give_clear_errors():
    model = keras_gans.PixelCNN(image_shape=(4, 4, 1), filters=4, blocks=0)
    model.compile()
    with pytest.raises(ValueError, match=r"built for images of shape \(4, 4, 1\)"):
        model.log_prob(np.zeros((2, 5, 4, 1), "float32"))
    with pytest.raises(ValueError, match="float images scaled to"):
        model.fit(np.zeros((4, 4, 4, 1), "uint8"), verbose=0)
    with pytest.raises(ValueError, match="levels"):
        keras_gans.PixelCNN(levels=3)
    with pytest.raises(ValueError, match="divisible by 4"):
        keras_gans.VAE(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="takes optimizer= only"):
        model.compile(loss="mse")


def test_causal_conv_keeps_rows_or_drops_reach():
    layer = CausalConv2D(3, 5, "A")
    x = np.zeros((1, 7, 4, 1), "float32")
    assert tuple(layer(x).shape) == (1, 7, 4, 3)
    assert tuple(layer(x, window=True).shape) == (1, 5, 4, 3)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", ["vae", "pixelcnn"])
def test_mixed_precision_trains_with_float32_likelihoods(name, policy, tmp_path):
    if name == "vae":
        model = keras_gans.VAE(
            image_shape=(4, 4, 1),
            latent_dim=2,
            filters=(4,),
            hidden=8,
            dtype_policy=policy,
        )
    else:
        model = keras_gans.PixelCNN(
            image_shape=(4, 4, 1),
            filters=4,
            blocks=1,
            first_kernel=3,
            dtype_policy=policy,
        )
    model.compile()
    network, output = (
        (model.decoder, "likelihood") if name == "vae" else (model.network, "logits")
    )
    # The layer that makes the distribution's parameters stays float32.
    assert network.get_layer(output).dtype_policy.name == "float32"
    assert network.layers[2].dtype_policy.name == policy
    images = np.where(
        np.random.default_rng(0).uniform(size=(16, 4, 4, 1)) > 0.5, 1.0, -1.0
    )
    logs = model.fit(
        images.astype("float32"), batch_size=8, epochs=1, verbose=0
    ).history
    assert np.isfinite(logs["loss"][0])
    log_p = model.log_prob(images[:4])
    assert log_p.dtype == np.float64 and np.all(np.isfinite(log_p))
    assert model.generate(2, seed=0).dtype == np.float32
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert again.dtype_policy.name == policy
    np.testing.assert_allclose(again.log_prob(images[:4]), log_p, rtol=1e-5)
