"""The theory of Goodfellow et al. 2014, checked on 1-D Gaussians.

- For a fixed G the optimal discriminator is D*(x) = p_data / (p_data + p_g),
  and the value of the game there is -log 4 + 2 JSD(p_data || p_g).
- At the global optimum p_g = p_data, and D outputs 1/2 on real and fake data.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans


def gaussian_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def jensen_shannon(p, q, x):
    """JSD of two densities tabulated on the grid x (trapezoidal rule)."""
    m = 0.5 * (p + q)
    kl_pm = np.trapezoid(p * np.log(p / m), x)
    kl_qm = np.trapezoid(q * np.log(q / m), x)
    return 0.5 * (kl_pm + kl_qm)


def gaussian_dataset(mean, std, n, batch, seed=0):
    x = np.random.RandomState(seed).normal(mean, std, (n, 1)).astype("float32")
    return (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(n, seed=seed)
        .batch(batch, drop_remainder=True)
    )


@pytest.mark.slow
def test_optimal_discriminator_for_a_fixed_generator():
    # p_data = N(1, 1); G is frozen at G(z) = z - 1, so p_g = N(-1, 1). Then
    # log p_data - log p_g = 2x and D*(x) = sigmoid(2x).
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1,
                kernel_initializer="ones",
                bias_initializer=keras.initializers.Constant(-1.0),
            ),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    model = keras_gans.AdversarialModel(generator, discriminator, seed=0)
    model.compile(
        g_optimizer=keras.optimizers.SGD(learning_rate=0.0),  # G stays fixed
        d_optimizer=keras.optimizers.Adam(3e-3),
        loss="minimax",
        steps_per_execution=50,
    )
    data = gaussian_dataset(1.0, 1.0, 512 * 40, 512)
    history = model.fit(data, epochs=30, verbose=0).history
    np.testing.assert_array_equal(generator.get_weights()[0], [[1.0]])

    grid = np.linspace(-1.5, 1.5, 13, dtype="float32")[:, None]
    d_star = 1.0 / (1.0 + np.exp(-2.0 * grid[:, 0]))
    d_learned = keras.ops.convert_to_numpy(keras.ops.sigmoid(discriminator(grid)))[:, 0]
    np.testing.assert_allclose(d_learned, d_star, atol=0.04)

    # The trained D loss is -V(D*, G) = log 4 - 2 JSD(p_data || p_g).
    x = np.linspace(-12, 12, 20001)
    jsd = jensen_shannon(gaussian_pdf(x, 1, 1), gaussian_pdf(x, -1, 1), x)
    assert history["d_loss"][-1] == pytest.approx(np.log(4) - 2 * jsd, abs=0.02)


@pytest.mark.slow
def test_gan_learns_a_1d_gaussian_and_d_ends_at_one_half():
    mean, std = 2.0, 1.0
    keras.utils.set_random_seed(1)
    model = keras_gans.GAN(
        data_shape=(1,),
        latent_dim=4,
        g_units=(32, 32),
        d_units=(64, 64),
        d_pieces=4,
        dropout=0.0,
        input_dropout=0.0,
        output_activation=None,  # unbounded data
        latent_distribution="normal",
        seed=1,
    )
    model.compile(
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        steps_per_execution=25,
    )
    before = model.generate(5000, seed=0)
    assert abs(before.mean() - mean) > 1.0  # starts far from the data

    history = model.fit(
        gaussian_dataset(mean, std, 256 * 50, 256), epochs=30, verbose=0
    ).history
    after = model.generate(5000, seed=0)

    assert after.mean() == pytest.approx(mean, abs=0.2)
    assert after.std() == pytest.approx(std, abs=0.25)
    # D cannot tell real from fake any more: both near the optimum 1/2, and
    # the D loss near log 4.
    assert history["d_real"][-1] == pytest.approx(0.5, abs=0.05)
    assert history["d_fake"][-1] == pytest.approx(0.5, abs=0.05)
    assert history["d_loss"][-1] == pytest.approx(np.log(4), abs=0.05)
    # Early on D could tell them apart.
    assert history["d_real"][0] - history["d_fake"][0] > 0.1
