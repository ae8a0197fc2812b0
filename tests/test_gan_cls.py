"""GAN-CLS: the matching-aware loss, wrong texts, GAN-INT, style, saving, distribution."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data, losses
from keras_gans.models.gan_cls import GANCLS, wrong_indices
from keras_gans.text import TextEncoder


def softplus(x):
    return math.log1p(math.exp(x))


@pytest.fixture(scope="module")
def captioned(request):
    fixtures = request.config.rootpath / "tests" / "fixtures" / "fashion-mnist"
    return data.load_captioned("train", data_dir=str(fixtures))


@pytest.fixture(scope="module")
def encoder(captioned):
    keras.utils.set_random_seed(0)
    enc = TextEncoder(embedding_dim=16, token_dim=8, units=16)
    enc.adapt(captioned.captions.ravel().tolist())
    return enc


def tiny(encoder=None, **kwargs):
    keras.utils.set_random_seed(0)
    kwargs = {
        "text_encoder": encoder,
        "image_shape": (16, 16, 1),
        "latent_dim": 8,
        "projection_dim": 8,
        "g_filters": 8,
        "d_filters": 8,
        "seed": 1,
        **kwargs,
    }
    return GANCLS(**kwargs)


def captioned_dataset(captioned, n=64, batch=32, labels=True):
    images = captioned.images[:n].reshape(-1, 28, 28, 1)
    images = tf.image.resize(images.astype("float32") / 127.5 - 1.0, (16, 16))
    texts = captioned.captions[:n, 0].astype(str)
    parts = (images, texts, captioned.labels[:n].astype("int32"))
    return tf.data.Dataset.from_tensor_slices(parts if labels else parts[:2]).batch(
        batch
    )


# --- The loss -------------------------------------------------------------------


def test_matching_aware_loss_against_hand_computed_values():
    real_right, real_wrong, fake_right = [2.0], [0.0], [-1.0]
    # -log s_r - 0.5 log(1 - s_w) - 0.5 log(1 - s_f), from logits.
    expected = softplus(-2.0) + 0.5 * softplus(0.0) + 0.5 * softplus(-1.0)
    got = losses.matching_aware_discriminator_loss(real_right, real_wrong, fake_right)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert expected == pytest.approx(0.630133, abs=1e-6)
    # Hinge: max(0, 1 - r) + 0.5 max(0, 1 + w) + 0.5 max(0, 1 + f).
    got = losses.matching_aware_discriminator_loss(
        [0.5, 2.0], [0.0, -2.0], [1.0, 0.5], base="hinge", reduction="none"
    )
    np.testing.assert_allclose(got, [0.5 + 0.5 + 1.0, 0.0 + 0.0 + 0.75], rtol=1e-6)


def test_model_uses_the_three_pairs(encoder, captioned):
    model = tiny(encoder)
    model.compile()
    images, texts, labels = next(iter(captioned_dataset(captioned, n=8, batch=8)))
    real, condition = model.unpack_data((images, texts, labels))
    model._start_step(tf.shape(real)[0])
    fake = model.generator([model.sample_latent(8, seed=0), condition[0]])
    keras.utils.set_random_seed(3)
    per_example, real_out, fake_out, extras = model.discriminator_loss(
        real, fake, condition, training=False
    )
    wrong_out, valid = extras["wrong_out"], extras["wrong_valid"]
    assert float(tf.reduce_min(valid)) == 1.0  # the fixture batch mixes classes
    expected = losses.matching_aware_discriminator_loss(
        real_out, wrong_out, fake_out, reduction="none"
    )
    np.testing.assert_allclose(per_example, expected, rtol=1e-6)
    direct = model.discriminator([real, condition[0]], training=False)
    np.testing.assert_allclose(real_out, direct, rtol=1e-5, atol=1e-6)


# --- Wrong texts ----------------------------------------------------------------


def test_wrong_text_never_comes_from_the_same_class():
    rng = np.random.RandomState(0)
    for trial in range(200):
        b = rng.randint(2, 40)
        labels = rng.randint(0, rng.randint(2, 11), size=b)
        index = wrong_indices(tf.constant(labels), seed=trial).numpy()
        for i, j in enumerate(index):
            if (labels == labels[i]).all():
                assert j == -1
            else:
                assert j >= 0 and labels[j] != labels[i], (labels, index)


def test_wrong_texts_cover_every_other_class():
    labels = tf.constant([0] * 5 + [1] * 5 + [2] * 5)
    seen = set()
    for seed in range(50):
        seen.update(wrong_indices(labels, seed=seed).numpy()[:5].tolist())
    assert seen == set(range(5, 15))


def test_a_batch_of_one_class_falls_back_to_the_plain_loss(encoder, captioned):
    model = tiny(encoder)
    model.compile()
    images, texts, _ = next(iter(captioned_dataset(captioned, n=4, batch=4)))
    labels = tf.zeros(4, "int32")
    real, condition = model.unpack_data((images, texts, labels))
    model._start_step(4)
    fake = model.generator([model.sample_latent(4, seed=0), condition[0]])
    per_example, real_out, fake_out, _ = model.discriminator_loss(
        real, fake, condition, training=False
    )
    plain = losses.non_saturating_discriminator_loss(
        real_out, fake_out, reduction="none"
    )
    np.testing.assert_allclose(per_example, plain, rtol=1e-6)


# --- Training -------------------------------------------------------------------


def test_fit_logs_the_metrics(encoder, captioned):
    model = tiny(encoder)
    model.compile()
    history = model.fit(captioned_dataset(captioned, n=64), epochs=1, verbose=0)
    history = history.history
    assert {"d_loss", "g_loss", "d_real", "d_fake", "d_wrong"} <= set(history)
    assert all(np.isfinite(v[-1]) for v in history.values())


def test_the_style_encoder_learns_to_invert_a_frozen_generator(encoder, captioned):
    model = tiny(encoder)
    texts = captioned.captions[:64, 0].tolist()
    g_before = [w.copy() for w in model.generator.get_weights()]
    before = model.style_error(texts, n=256, seed=5)
    fit = model.fit_style_encoder(texts, steps=150, batch_size=64, learning_rate=2e-3)
    after = model.style_error(texts, n=256, seed=5)
    # An untrained S predicts about z = 0 (error ~1 per dimension); trained,
    # it recovers a clear share of z from G's images.
    assert before > 0.9
    assert after < 0.6 * before, (before, after)
    assert fit["loss"][-1] < fit["loss"][0]
    assert fit["explained"] > 0.3
    for a, b in zip(g_before, model.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # G never moves


def test_gan_int_adds_the_interpolated_term(encoder, captioned):
    images, texts, labels = next(iter(captioned_dataset(captioned, n=8, batch=8)))
    values = {}
    for weight in (0.0, 1.0):
        model = tiny(encoder, interpolation_weight=weight)
        model.compile()
        _, condition = model.unpack_data((images, texts, labels))
        z = model.sample_latent(8, seed=0)
        fake = model.generator([z, condition[0]], training=False)
        values[weight], _ = model.generator_loss(fake, z, condition, training=False)
    model = tiny(encoder)
    _, condition = model.unpack_data((images, texts, labels))
    e = condition[0]
    mixed = 0.5 * e + 0.5 * tf.roll(e, 1, axis=0)
    z = model.sample_latent(8, seed=0)
    int_out = model.discriminator(
        [model.generator([z, mixed], training=False), mixed], training=False
    )
    extra = losses.non_saturating_generator_loss(int_out, reduction="none")
    np.testing.assert_allclose(values[1.0] - values[0.0], extra, rtol=1e-5)


def test_precomputed_embeddings_without_an_encoder():
    rng = np.random.RandomState(0)
    images = rng.uniform(-1, 1, size=(32, 16, 16, 1)).astype("float32")
    embeddings = rng.normal(size=(32, 6)).astype("float32")
    model = tiny(None, text_dim=6)
    model.compile()
    ds = tf.data.Dataset.from_tensor_slices((images, embeddings)).batch(16)
    history = model.fit(ds, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][-1])
    assert model.generate(embeddings[:3], n_per_text=2, seed=0).shape == (6, 16, 16, 1)
    with pytest.raises(ValueError, match="precomputed embeddings"):
        model.generate(["a dark coat"])


# --- Using the model ------------------------------------------------------------


def test_generate_transfer_and_interpolate(encoder, captioned):
    model = tiny(encoder)
    out = model.generate(["a dark wide bag", "a light narrow dress"], 3, seed=0)
    assert out.shape == (6, 16, 16, 1) and np.abs(out).max() <= 1.0
    np.testing.assert_array_equal(
        out, model.generate(["a dark wide bag", "a light narrow dress"], 3, seed=0)
    )
    style = np.asarray(next(iter(captioned_dataset(captioned, n=4, batch=4)))[0])
    moved = model.transfer_style(style, "a light boot")
    z = model.infer_style(style)
    np.testing.assert_allclose(
        moved, model.generate(["a light boot"] * 4, z=z), atol=1e-6
    )
    row = model.interpolate_texts("a dark bag", "a light boot", steps=5, n=2)
    assert row.shape == (10, 16, 16, 1)
    np.testing.assert_allclose(
        row[0],
        model.generate(["a dark bag"], z=model.sample_latent(1, seed=0))[0],
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="not a count"):
        model.generate(4)
    with pytest.raises(ValueError, match="one text per image"):
        model.transfer_style(style, ["a", "b"])


def test_bad_dataset_elements_get_a_clear_error(encoder):
    model = tiny(encoder)
    model.compile()
    images = np.zeros((8, 16, 16, 1), "float32")
    with pytest.raises(ValueError, match=r"\(images, texts\)"):
        model.fit(images, batch_size=4, epochs=1, verbose=0)


# --- Saving and distribution ----------------------------------------------------


def test_keras_round_trip_includes_the_text_encoder(encoder, captioned, tmp_path):
    model = tiny(encoder)
    model.compile()
    ds = captioned_dataset(captioned, n=64)
    model.fit(ds, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, GANCLS) and loaded.compiled
    texts = ["a dark wide bag", "an unheard-of phrase", ""]
    np.testing.assert_array_equal(
        loaded.text_encoder(tf.constant(texts)), model.text_encoder(tf.constant(texts))
    )
    np.testing.assert_array_equal(
        loaded.generate(texts, 2, seed=0), model.generate(texts, 2, seed=0)
    )
    style = np.asarray(next(iter(ds))[0][:3])
    np.testing.assert_array_equal(loaded.infer_style(style), model.infer_style(style))
    # Training continues exactly where it stopped.
    model.fit(ds, epochs=1, verbose=0)
    loaded.fit(ds, epochs=1, verbose=0)
    for w1, w2 in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(w1, w2, atol=1e-5)


def test_one_batch_fit_under_mirrored_strategy(two_cpu_strategy, encoder, captioned):
    with two_cpu_strategy.scope():
        model = tiny(encoder)
        model.compile()
    before = [w.copy() for w in model.generator.get_weights()]
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    ds = model.embed_dataset(captioned_dataset(captioned, n=32))
    history = model.fit(ds, epochs=1, verbose=0).history
    assert int(model.g_optimizer.iterations.numpy()) == 1
    for key in ("d_loss", "g_loss", "d_wrong"):
        assert np.isfinite(history[key][-1]), key
    for old, new in ((before, model.generator), (d_before, model.discriminator)):
        assert (
            max(
                np.abs(a - b).max() for a, b in zip(old, new.get_weights(), strict=True)
            )
            > 0
        )
    # Raw strings cannot go through the replicated step: a clear error says
    # what to do instead.
    with pytest.raises(ValueError, match="embed_dataset"):
        model.fit(captioned_dataset(captioned, n=32), epochs=1, verbose=0)


def test_embedded_dataset_trains_exactly_like_raw_captions(encoder, captioned):
    ds = captioned_dataset(captioned, n=32)
    weights = []
    for embed in (False, True):
        model = tiny(encoder)
        model.compile()
        model.fit(model.embed_dataset(ds) if embed else ds, epochs=1, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="already embedded"):
        model.embed_dataset(model.embed_dataset(ds))


def test_preview_rows_follow_the_preview_texts(encoder):
    texts = ["a dark wide bag", "a light narrow dress"]
    model = tiny(encoder, preview_texts=texts)
    z = model.sample_latent(6, seed=0)
    np.testing.assert_allclose(
        model.preview_samples(z),
        model.generate(texts, n_per_text=3, z=z),
        atol=1e-6,
    )
    assert tiny(encoder).preview_samples(z) is None
    config = model.get_config()
    assert GANCLS.from_config(config).preview_texts == texts


# --- Evaluation -----------------------------------------------------------------


class _Replay:
    """A stand-in text-to-image model that draws given images, in order."""

    def __init__(self, images):
        self.images = images
        self.asked = None

    def generate(self, texts, n_per_text=1, seed=0, batch_size=256):
        self.asked = texts
        return np.repeat(self.images, n_per_text, axis=0)[: len(texts) * n_per_text]


def test_caption_agreement_on_the_real_images_behind_the_captions(captioned):
    from keras_gans.evaluation import caption_agreement
    from keras_gans.features.classifier import load_fashion_classifier

    images = captioned.images[:128, ..., None].astype("float32") / 127.5 - 1.0
    captions = captioned.captions[:128, 0].tolist()
    classifier = load_fashion_classifier()
    result = caption_agreement(_Replay(images), captions, classifier=classifier)
    accuracy = np.mean(
        np.argmax(classifier.predict(images, verbose=0), -1) == captioned.labels[:128]
    )
    # The captions describe these very images: the class agrees as often as
    # the classifier is right, and every measured level is the asked one.
    assert result["class_agreement"] == pytest.approx(accuracy)
    assert result["shade_agreement"] == 1.0
    assert result["width_agreement"] == 1.0
    assert result["shade_rank_correlation"] > 0.8
    assert result["width_rank_correlation"] > 0.8
    assert result["n"] == 128 and result["chance"]["class_agreement"] == 0.1


def test_caption_agreement_of_images_that_ignore_the_caption(captioned):
    from keras_gans.evaluation import caption_agreement

    images = captioned.images[:128, ..., None].astype("float32") / 127.5 - 1.0
    captions = captioned.captions[:128, 0].tolist()
    # Every caption answered with the first image (an ankle boot): the class
    # agrees exactly for the captions that ask for an ankle boot.
    same = np.repeat(images[:1], 128, axis=0)
    result = caption_agreement(_Replay(same), captions, n_per_caption=1)
    boots = np.mean(captioned.labels[:128] == captioned.labels[0])
    assert result["class_agreement"] == pytest.approx(boots, abs=1e-9)
    assert np.isnan(result["shade_rank_correlation"])  # nothing varies
    # The conditions, not the captions, go to the model when given.
    stand_in = _Replay(images)
    one_hot = np.eye(10, dtype="float32")[captioned.labels[:128]]
    caption_agreement(stand_in, captions, conditions=one_hot)
    np.testing.assert_array_equal(stand_in.asked, one_hot)
    with pytest.raises(ValueError, match="one condition per caption"):
        caption_agreement(stand_in, captions, conditions=one_hot[:3])
    with pytest.raises(ValueError, match="exactly one label"):
        caption_agreement(stand_in, ["a shiny hat"])


@pytest.mark.filterwarnings("ignore:The gradient penalty and R1")
def test_stabilisers_train_gan_cls_and_sampling_uses_the_ema(encoder, captioned):
    # R1 is taken on the image with the batch's captions held; DiffAugment
    # transforms the images only; the EMA generator draws the samples.
    from keras_gans.models.spectral_norm import SpectralNorm

    model = tiny(encoder, ema_decay=0.9, spectral_norm=True)
    wrapped = [x for x in model.discriminator.layers if isinstance(x, SpectralNorm)]
    assert len(wrapped) == 5  # two convolutions, projection, joint, logit
    model.compile(r1_gamma=1.0, r1_interval=2, augment="translation,cutout")
    history = model.fit(captioned_dataset(captioned, n=64), epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    z = model.sample_latent(2, seed=0)
    phi = model.embed_texts(["a dark ankle boot", "a pale dress"])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model([z, phi])),
        keras.ops.convert_to_numpy(model.generator_ema([z, phi], training=False)),
        atol=1e-6,
    )
