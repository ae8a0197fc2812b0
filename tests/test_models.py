"""The shared adversarial machinery, GAN and DCGAN: shapes, training, saving, distribution."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import losses


def tiny_gan(**kwargs):
    defaults = dict(
        data_shape=(8, 8, 1),
        latent_dim=4,
        g_units=(16,),
        d_units=(8,),
        d_pieces=2,
        seed=1,
    )
    defaults.update(kwargs)
    return keras_gans.GAN(**defaults)


def tiny_dcgan(**kwargs):
    defaults = dict(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=4, d_filters=4, seed=1
    )
    defaults.update(kwargs)
    return keras_gans.DCGAN(**defaults)


def image_dataset(n=32, shape=(8, 8, 1), batch=8, seed=0):
    x = np.random.RandomState(seed).uniform(-1, 1, (n, *shape)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)


def weights_equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- Architecture ----------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,start",
    [
        ((28, 28, 1), (7, 7, 2)),
        ((32, 32, 3), (4, 4, 3)),
        ((64, 64, 3), (4, 4, 4)),
        ((128, 128, 3), (4, 4, 5)),
    ],
)
def test_dcgan_builds_each_documented_shape(shape, start):
    from keras_gans.models.dcgan import upsampling_plan

    assert upsampling_plan(shape) == start
    model = keras_gans.DCGAN(image_shape=shape, latent_dim=16, g_filters=8, d_filters=8)
    images = model.generate(3, seed=0)
    assert images.shape == (3, *shape)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert tuple(model.discriminator(images).shape) == (3, 1)


def test_dcgan_follows_the_papers_architecture_rules():
    model = keras_gans.DCGAN(image_shape=(32, 32, 3), g_filters=8, d_filters=8)
    g_layers = [type(layer).__name__ for layer in model.generator.layers]
    d_layers = [type(layer).__name__ for layer in model.discriminator.layers]
    # Strided (transposed) convolutions, no pooling.
    assert "Conv2DTranspose" in g_layers and "Conv2D" in d_layers
    assert not any("Pooling" in name for name in g_layers + d_layers)
    # G: ReLU inside, tanh out, no batch norm on the output.
    assert model.generator.layers[-1].activation.__name__ == "tanh"
    assert g_layers[-2] == "ReLU"
    # D: no batch norm right after the input layer; LeakyReLU(0.2).
    first_conv = d_layers.index("Conv2D")
    assert d_layers[first_conv + 1] == "LeakyReLU"
    leaky = [
        layer
        for layer in model.discriminator.layers
        if type(layer).__name__ == "LeakyReLU"
    ]
    assert all(abs(float(layer.negative_slope) - 0.2) < 1e-6 for layer in leaky)
    assert "BatchNormalization" in d_layers and "BatchNormalization" in g_layers


@pytest.mark.parametrize("shape", [(27, 27, 1), (8, 8, 1), (32, 32, 2), (32, 32)])
def test_dcgan_rejects_shapes_it_cannot_build(shape):
    with pytest.raises(ValueError, match="received"):
        keras_gans.DCGAN(image_shape=shape)


def test_gan_uses_maxout_and_dropout_as_in_the_paper():
    model = keras_gans.GAN()
    kinds = [type(layer).__name__ for layer in model.discriminator.layers]
    assert kinds.count("Maxout") == 2 and kinds.count("Dropout") == 3
    assert model.latent_distribution == "uniform"
    z = model.sample_latent(1000, seed=0).numpy()
    assert z.min() >= -1 and z.max() <= 1 and abs(z.mean()) < 0.05


# --- Compile / fit -------------------------------------------------------------


def test_fit_logs_the_gan_metrics_and_updates_both_networks():
    model = tiny_gan()
    model.compile()
    g0, d0 = model.generator.get_weights(), model.discriminator.get_weights()
    history = model.fit(image_dataset(), epochs=2, verbose=0)
    metrics = {"d_loss", "g_loss", "d_real", "d_fake"}
    assert set(history.history) == metrics | {"images_per_second"}
    for key in ("d_real", "d_fake"):
        assert all(0.0 <= v <= 1.0 for v in history.history[key])
    assert not weights_equal(g0, model.generator.get_weights())
    assert not weights_equal(d0, model.discriminator.get_weights())
    assert int(model.g_optimizer.iterations) == int(model.d_optimizer.iterations) == 8


def test_d_steps_takes_k_discriminator_steps_per_generator_step():
    model = tiny_gan(d_steps=3)
    model.compile()
    model.fit(image_dataset(), epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == 4
    assert int(model.d_optimizer.iterations) == 12


@pytest.mark.parametrize("loss_name", losses.names())
def test_every_loss_trains_without_nan(loss_name):
    model = tiny_gan(dropout=0.0, input_dropout=0.0)
    model.compile(loss=loss_name)
    history = model.fit(image_dataset(), epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert model.gradient_penalty_weight == (
        10.0 if loss_name == "wasserstein_gp" else 0.0
    )


def test_gradient_penalty_changes_the_discriminator_update():
    results = []
    for weight in (0.0, 10.0):
        keras.utils.set_random_seed(0)
        model = tiny_gan(dropout=0.0, input_dropout=0.0)
        model.compile(loss="wasserstein", gradient_penalty_weight=weight)
        model.fit(image_dataset(n=8), epochs=1, verbose=0)
        results.append(model.discriminator.get_weights())
    assert not weights_equal(*results)


def test_dcgan_fit_moves_samples_towards_the_data(fashion_dir):
    # Fashion-MNIST's mean image (a dark background with a bright garment in
    # the middle) is far from an untrained generator's flat grey output.
    data = keras_gans.data.load(
        "fashion_mnist", data_dir=fashion_dir, batch_size=32, seed=0
    )
    real_mean = np.concatenate([b.numpy() for b in data]).mean(axis=0).ravel()

    def similarity(model):
        fake_mean = model.generate(256, seed=0).mean(axis=0).ravel()
        return np.corrcoef(real_mean, fake_mean)[0, 1], np.abs(
            real_mean - fake_mean
        ).mean()

    keras.utils.set_random_seed(0)
    model = keras_gans.DCGAN(
        image_shape=(28, 28, 1), g_filters=16, d_filters=16, seed=0
    )
    model.compile()
    corr0, dist0 = similarity(model)
    model.fit(data.repeat(), steps_per_epoch=160, epochs=1, verbose=0)
    corr1, dist1 = similarity(model)
    assert corr1 > 0.7 and corr1 > corr0 + 0.3, (corr0, corr1)
    assert dist1 < 0.6 * dist0, (dist0, dist1)


def test_compile_rejects_keras_single_model_arguments():
    model = tiny_gan()
    with pytest.raises(ValueError, match="g_optimizer"):
        model.compile(optimizer="adam")
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two optimizer instances"):
        model.compile(g_optimizer=opt, d_optimizer=opt)
    with pytest.raises(ValueError, match="non_saturating"):
        model.compile(loss="cross_entropy")


def test_fit_before_compile_says_to_compile():
    with pytest.raises(ValueError, match="compile"):
        tiny_gan().fit(image_dataset(), epochs=1, verbose=0)


def test_constructor_validates_arguments():
    with pytest.raises(ValueError, match="latent_distribution"):
        tiny_gan(latent_distribution="cauchy")
    with pytest.raises(ValueError, match="d_steps"):
        tiny_gan(d_steps=0)


def test_evaluate_reports_losses_without_changing_weights():
    model = tiny_gan()
    model.compile()
    before = model.get_weights()
    results = model.evaluate(image_dataset(), verbose=0, return_dict=True)
    assert set(results) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert weights_equal(before, model.get_weights())


def test_default_optimizers_are_the_dcgan_papers():
    model = tiny_dcgan()
    model.compile()
    for opt in (model.g_optimizer, model.d_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert float(opt.beta_1) == pytest.approx(0.5)


# --- generate ----------------------------------------------------------------


def test_generate_is_reproducible_by_seed_and_accepts_latents():
    model = tiny_gan()
    a, b, c = (model.generate(5, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    z = model.sample_latent(5, seed=0)
    np.testing.assert_array_equal(model.generate(z), a)
    assert a.dtype == np.float32 and a.shape == (5, 8, 8, 1)
    # Larger than one generator batch: chunks are stitched in order.
    np.testing.assert_allclose(model.generate(5, seed=0, batch_size=2), a, atol=1e-6)


def test_generate_rejects_bad_input():
    model = tiny_gan()
    with pytest.raises(ValueError, match=r"shape \(n, 4\).*\(3, 5\)"):
        model.generate(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="n >= 1"):
        model.generate(0)


# --- Saving ------------------------------------------------------------------


@pytest.mark.parametrize("factory", [tiny_gan, tiny_dcgan])
def test_keras_round_trip_restores_samples_and_optimizer_state(tmp_path, factory):
    shape = (8, 8, 1) if factory is tiny_gan else (16, 16, 1)
    ds = image_dataset(shape=shape)
    model = factory()
    model.compile(loss="hinge")
    model.fit(ds, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded) is type(model)
    assert loaded.compiled and loaded.gan_loss.name == "hinge"
    np.testing.assert_array_equal(loaded.generate(6, seed=0), model.generate(6, seed=0))
    for opt in ("g_optimizer", "d_optimizer"):
        saved, restored = getattr(model, opt).variables, getattr(loaded, opt).variables
        assert len(saved) == len(restored) > 2
        for v1, v2 in zip(saved, restored, strict=True):
            np.testing.assert_array_equal(v1.numpy(), v2.numpy())

    # Training continues exactly where it stopped: same optimizer moments,
    # same noise stream, same data -> same weights.
    model.fit(ds, epochs=1, verbose=0)
    loaded.fit(ds, epochs=1, verbose=0)
    for w1, w2 in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(w1, w2, atol=1e-6)


def test_config_round_trip_rebuilds_the_same_architecture():
    model = tiny_dcgan(latent_distribution="uniform", d_steps=2)
    clone = keras_gans.DCGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.generator.count_params() == model.generator.count_params()


def test_user_networks_round_trip_through_keras_file(tmp_path):
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="g")
    discriminator = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1)], name="d"
    )
    model = keras_gans.AdversarialModel(generator, discriminator, seed=3)
    assert model.latent_dim == 3
    model.compile(loss="least_squares")
    x = np.random.RandomState(0).normal(size=(16, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.generate(4, seed=1), model.generate(4, seed=1))
    assert loaded.gan_loss.name == "least_squares"


# --- Distribution ------------------------------------------------------------


def _make_toy(strategy=None, **kwargs):
    def build():
        keras.utils.set_random_seed(3)
        model = keras_gans.GAN(
            data_shape=(4,),
            latent_dim=3,
            g_units=(8,),
            d_units=(8,),
            d_pieces=2,
            dropout=0.0,  # dropout masks are drawn per replica
            input_dropout=0.0,
            output_activation=None,
            latent_distribution="normal",
            seed=5,
            **kwargs,
        )
        model.compile(
            g_optimizer=keras.optimizers.Adam(0.01),
            d_optimizer=keras.optimizers.Adam(0.01),
        )
        return model

    if strategy is None:
        return build()
    with strategy.scope():
        return build()


@pytest.mark.parametrize(
    "n, ema_decay",
    [(32, None), (33, None), (32, 0.5)],
    ids=["even", "partial_last_batch", "ema"],
)
def test_mirrored_strategy_step_matches_one_device(two_cpu_strategy, n, ema_decay):
    # With 33 examples the last batch holds one example: one replica gets it,
    # the other gets none, and the step must still equal one device's.
    x = np.random.RandomState(1).normal(size=(n, 4)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(16)

    single = _make_toy(ema_decay=ema_decay)
    initial = single.get_weights()
    mirrored = _make_toy(two_cpu_strategy, ema_decay=ema_decay)
    mirrored.set_weights(initial)
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2

    h1 = single.fit(ds, epochs=2, verbose=0).history
    h2 = mirrored.fit(ds, epochs=2, verbose=0).history
    moved = max(
        np.abs(a - b).max() for a, b in zip(initial, single.get_weights(), strict=True)
    )
    assert moved > 1e-2
    for a, b in zip(single.get_weights(), mirrored.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert set(h1) == set(h2)
    for key in set(h1) - {"images_per_second"}:  # a timing
        np.testing.assert_allclose(h1[key], h2[key], atol=1e-5)


def test_dcgan_trains_under_mirrored_strategy(two_cpu_strategy, tmp_path):
    with two_cpu_strategy.scope():
        model = tiny_dcgan()
        model.compile()
    before = model.generator.get_weights()
    history = model.fit(image_dataset(n=16, shape=(16, 16, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    assert not weights_equal(before, model.generator.get_weights())
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.generate(2, seed=0), model.generate(2, seed=0))


def twin_gans():
    """Two compiled GANs with equal weights, seeds and optimizer state."""
    a = tiny_gan(dropout=0.0, input_dropout=0.0)
    b = tiny_gan(dropout=0.0, input_dropout=0.0)
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile()
    return a, b


def test_unseeded_sampling_does_not_change_the_training_noise():
    data = image_dataset()
    a, b = twin_gans()
    b.generate(7)  # no seed: its own stream
    assert not np.array_equal(b.generate(3), b.generate(3))
    a.fit(data, epochs=1, verbose=0)
    b.fit(data, epochs=1, verbose=0)
    assert weights_equal(a.get_weights(), b.get_weights())


def test_interpolation_images_walk_between_the_endpoints():
    model = tiny_gan(latent_distribution="normal")
    images = keras_gans.latent.interpolation_images(model, rows=3, steps=4, seed=2)
    assert images.shape == (12, 8, 8, 1)
    ends = model.sample_latent(6, seed=2).numpy()
    np.testing.assert_allclose(images[0], model.generate(ends[:1])[0], atol=1e-5)
    np.testing.assert_allclose(images[3], model.generate(ends[3:4])[0], atol=1e-5)
    np.testing.assert_allclose(images[11], model.generate(ends[5:6])[0], atol=1e-5)


def test_dcgan_discriminator_features_are_the_last_conv_block():
    model = tiny_dcgan()  # 16x16 -> 8x8x4 -> 4x4x8
    images = model.generate(5, seed=0)
    assert model.discriminator_features(images).shape == (5, 4 * 4 * 8)


def test_train_step_on_an_uncompiled_model_says_to_compile():
    with pytest.raises(RuntimeError, match="must be compiled"):
        tiny_gan().train_step(np.zeros((4, 8, 8, 1), "float32"))


def test_unbuilt_user_networks_get_a_clear_error():
    g = keras.Sequential([keras.layers.Dense(2)])
    d = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Expected a built generator.*keras.Input"):
        keras_gans.AdversarialModel(g, d, latent_dim=3)


def test_data_of_the_wrong_shape_or_scale_gets_a_clear_error():
    model = tiny_dcgan()  # built for (16, 16, 1)
    model.compile()
    wrong = tf.data.Dataset.from_tensor_slices(np.zeros((8, 8, 8, 1), "float32")).batch(
        4
    )
    with pytest.raises(
        ValueError, match=r"built for examples of shape \(16, 16, 1\).*\(8, 8, 1\)"
    ):
        model.fit(wrong, epochs=1, verbose=0)
    raw = tf.data.Dataset.from_tensor_slices(np.zeros((8, 16, 16, 1), "uint8")).batch(4)
    with pytest.raises(ValueError, match=r"float examples scaled to \[-1, 1\].*uint8"):
        model.fit(raw, epochs=1, verbose=0)


def test_wasserstein_clips_the_critic_and_stays_bounded():
    model = tiny_gan(dropout=0.0, input_dropout=0.0)
    model.compile(loss="wasserstein")
    history = model.fit(image_dataset(n=64), epochs=4, verbose=0).history
    for w in model.discriminator.get_weights():
        assert np.abs(w).max() <= 0.01 + 1e-7
    assert max(abs(v) for v in history["d_loss"]) < 1.0


def test_gradient_penalty_warns_about_batch_norm_in_the_critic():
    with pytest.warns(UserWarning, match="BatchNormalization"):
        tiny_dcgan().compile(loss="wasserstein_gp")


def test_evaluation_does_not_change_the_training_noise():
    data = image_dataset()
    a, b = twin_gans()
    b.evaluate(data, verbose=0)
    a.fit(data, epochs=1, verbose=0)
    b.fit(data, epochs=1, verbose=0)
    assert weights_equal(a.get_weights(), b.get_weights())


def test_interpolation_defaults_to_lerp_for_uniform_latents():
    model = tiny_gan()  # uniform z in [-1, 1]
    images = keras_gans.latent.interpolation_images(model, rows=1, steps=3, seed=0)
    ends = model.sample_latent(2, seed=0).numpy()
    np.testing.assert_allclose(
        images[1], model.generate(ends.mean(axis=0, keepdims=True))[0], atol=1e-5
    )


def test_set_random_seed_determines_the_initial_weights():
    # A shared seedless initializer would give every model the same weights
    # whatever the seed, and every layer of one shape the same draw.
    def weights(seed):
        keras.utils.set_random_seed(seed)
        return tiny_dcgan().get_weights()

    a, b, c = weights(0), weights(0), weights(1)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not weights_equal(a, c)
    model = tiny_dcgan()
    first = model.generator.get_layer("project").get_weights()[0].ravel()
    logit = model.discriminator.get_layer("logit").get_weights()[0].ravel()
    assert not np.allclose(first[: logit.size], logit)


# --- Bad input caught before the first step ------------------------------------------


def _tiny_gan(**kwargs):
    model = keras_gans.GAN(
        data_shape=(4, 4, 1), latent_dim=2, g_units=(4,), d_units=(4,), **kwargs
    )
    model.compile()
    return model


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras_gans.GAN(latent_dim=0),
        lambda: keras_gans.DCGAN(latent_dim=-3),
        lambda: keras_gans.GANCLS(text_dim=4, latent_dim=0),
    ],
    ids=["gan", "dcgan", "gan_cls"],
)
def test_latent_dim_below_one_is_refused(make):
    with pytest.raises(ValueError, match="Expected latent_dim to be a positive"):
        make()


@pytest.mark.parametrize(
    "kwargs, received",
    [
        ({"latent_dim": 5}, "latent_dim=5"),
        ({"latent_dim": 74}, "latent_dim=74"),  # even the spec's own size
        ({"latent_distribution": "normal"}, "latent_distribution='normal'"),
    ],
)
def test_infogan_takes_its_latent_from_latent_spec_only(kwargs, received):
    with pytest.raises(TypeError) as error:
        keras_gans.InfoGAN(**kwargs)
    message = str(error.value)
    assert "from latent_spec (noise_dim plus the codes: 74, uniform noise)" in message
    assert f"received {received}." in message
    assert "latent_spec=keras_gans.latent.LatentSpec(noise_dim=..." in message
    # Its config holds the spec, not what follows from it.
    config = keras_gans.InfoGAN(
        image_shape=(16, 16, 1), g_filters=4, d_filters=4, hidden=8, q_hidden=4
    ).get_config()
    assert not {"latent_dim", "latent_distribution"} & set(config)
    assert keras_gans.InfoGAN.from_config(config).latent_dim == 74


def test_empty_data_is_refused_before_training():
    model = _tiny_gan()
    empty = np.zeros((0, 4, 4, 1), "float32")
    for data in (empty, tf.data.Dataset.from_tensor_slices(empty).batch(2)):
        with pytest.raises(ValueError, match="expected at least one batch"):
            model.fit(data, verbose=0)
    assert int(model.g_optimizer.iterations) == 0


def test_data_outside_the_generators_range_is_refused():
    model = _tiny_gan()
    pixels = np.random.default_rng(0).integers(0, 256, (8, 4, 4, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"in \[-1, 1\]; the first batch .* x / 127.5"):
        model.fit(tf.data.Dataset.from_tensor_slices(pixels).batch(4), verbose=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(np.full((8, 4, 4, 1), np.nan, "float32"), verbose=0)
    # A small overshoot (an antialiased resize) passes; so does [0, 1], with
    # a warning; and unbounded data where G has no tanh.
    model.fit(np.full((8, 4, 4, 1), 1.04, "float32"), verbose=0)
    with pytest.warns(UserWarning, match=r"images scaled to \[0, 1\]\? Use 2 \* x - 1"):
        model.fit(pixels / 255.0, verbose=0)
    _tiny_gan(output_activation=None).fit(pixels, verbose=0)


def test_gan_cls_takes_no_latent_distribution():
    with pytest.raises(TypeError, match=r"N\(0, 1\).*latent_distribution='uniform'"):
        keras_gans.GANCLS(text_dim=4, latent_distribution="uniform")
    config = keras_gans.GANCLS(
        text_dim=4, image_shape=(16, 16, 1), g_filters=4, d_filters=4
    ).get_config()
    assert "latent_distribution" not in config
    assert keras_gans.GANCLS.from_config(config).latent_distribution == "normal"
