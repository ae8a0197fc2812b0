"""Tests for keras_gans.text: the text encoder, its pretraining and pluggability."""

import math
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data, text
from keras_gans.data import captions as captions_lib
from keras_gans.features import base
from keras_gans.text import retrieval
from keras_gans.trust import UnsafeLoadError

ROOT = pathlib.Path(__file__).resolve().parents[1]
FASHION_FIXTURE = ROOT / "tests" / "fixtures" / "fashion-mnist"

CAPTIONS = [
    "a dark narrow coat",
    "a light wide bag",
    "this t-shirt is pale and slim",
    "A Photo of a Grey, Broad Sneaker!",
]


def tiny_encoder(**kwargs):
    settings = dict(embedding_dim=16, token_dim=8, units=8)
    settings.update(kwargs)
    return text.TextEncoder(**settings).adapt(CAPTIONS)


def wrap_in_model(encoder):
    inputs = keras.Input(shape=(), dtype="string", name="captions")
    outputs = keras.layers.Dense(3, name="head")(encoder(inputs))
    return keras.Model(inputs, outputs)


# --- TextEncoder -------------------------------------------------------------------


def test_encoder_maps_strings_to_unit_vectors():
    encoder = tiny_encoder()
    out = encoder(["a dark wide bag", "a light narrow coat"])
    assert out.shape == (2, 16) and out.dtype == tf.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # Lower-casing and punctuation stripping: these read the same.
    np.testing.assert_allclose(
        encoder(["A DARK, Narrow coat."]), encoder(["a dark narrow coat"]), atol=1e-6
    )
    # Lists, numpy arrays, tensors and (b, 1) columns are all batches of strings.
    batch = np.array([["a dark wide bag"], ["a light narrow coat"]], dtype=object)
    np.testing.assert_allclose(encoder(batch), out, atol=1e-6)
    np.testing.assert_allclose(encoder(tf.constant(batch[:, 0].astype(str))), out)
    assert encoder.embed(np.array(CAPTIONS * 3)).shape == (12, 16)


@pytest.mark.parametrize(
    "architecture, level",
    [("cnn", "word"), ("bigru", "word"), ("cnn", "character"), ("bigru", "character")],
)
def test_model_containing_encoder_round_trips_through_keras_file(
    tmp_path, architecture, level
):
    encoder = tiny_encoder(architecture=architecture, level=level)
    model = wrap_in_model(encoder)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    inner = [layer for layer in restored.layers if isinstance(layer, text.TextEncoder)]
    assert len(inner) == 1
    assert inner[0].vocabulary == encoder.vocabulary
    assert inner[0].get_config() == encoder.get_config()
    probe = tf.constant(CAPTIONS + ["", "zebra quokka", "a wide dark coat"])
    np.testing.assert_array_equal(restored(probe), model(probe))


def test_encoder_alone_saves_and_loads(tmp_path):
    encoder = tiny_encoder()
    path = text.save_text_encoder(encoder, tmp_path / "encoder.keras")
    restored = text.load_text_encoder(path)
    assert isinstance(restored, text.TextEncoder)
    np.testing.assert_array_equal(restored(CAPTIONS), encoder(CAPTIONS))
    with pytest.raises(TypeError, match="Expected a TextEncoder"):
        text.save_text_encoder(wrap_in_model(encoder), tmp_path / "model.keras")
    with pytest.raises(FileNotFoundError, match="train_text_encoder"):
        text.load_text_encoder(tmp_path / "missing.keras")


@pytest.mark.parametrize("architecture", ["cnn", "bigru"])
def test_empty_and_unknown_words_embed_to_finite_vectors(architecture):
    encoder = tiny_encoder(architecture=architecture)
    ids = encoder.tokenize(["zebra coat", ""]).numpy()
    assert ids[0, 0] == 1  # "[UNK]"
    assert ids[0, 1] == 2 + encoder.vocabulary.index("coat")
    assert not ids[1].any()  # padding only
    out = encoder(["zebra coat", "", "zebra quokka", "coat"]).numpy()
    assert np.all(np.isfinite(out))
    # Unknown words all map to one token, so they read alike.
    np.testing.assert_allclose(out[2], encoder(["unicorn narwhal"])[0], atol=1e-6)


def test_padding_length_does_not_change_the_embedding():
    short = tiny_encoder(sequence_length=8)
    long = tiny_encoder(sequence_length=40)
    short(["x"]), long(["x"])
    long.set_weights(short.get_weights())
    np.testing.assert_allclose(long(CAPTIONS), short(CAPTIONS), atol=1e-6)


def test_character_level_reads_every_word():
    encoder = tiny_encoder(level="character")
    assert encoder.sequence_length is None
    ids = encoder.tokenize(["ab"]).numpy()[0]
    assert ids.shape == (128,) and (ids[:2] > 1).all() and not ids[2:].any()


def test_encoder_argument_errors():
    with pytest.raises(ValueError, match="level in"):
        text.TextEncoder(level="sentence")
    with pytest.raises(ValueError, match="architecture in"):
        text.TextEncoder(architecture="transformer")
    with pytest.raises(ValueError, match="embedding_dim to be a positive integer"):
        text.TextEncoder(embedding_dim=0)
    with pytest.raises(ValueError, match="received none"):
        text.TextEncoder().adapt([])
    with pytest.raises(ValueError, match="call encoder.adapt"):
        text.TextEncoder()(["a coat"])
    encoder = tiny_encoder()
    encoder(["a coat"])
    with pytest.raises(RuntimeError, match="before the encoder is built"):
        encoder.adapt(["a new word"])
    with pytest.raises(ValueError, match="batch of strings"):
        encoder(tf.constant([1.0, 2.0]))


def test_vocabulary_argument_and_max_tokens():
    encoder = text.TextEncoder(vocabulary=["coat", "dark"], embedding_dim=4)
    assert encoder.vocabulary_size == 4
    assert encoder.tokenize(["dark coat hat"]).numpy()[0, :3].tolist() == [3, 2, 1]
    small = text.TextEncoder(max_tokens=5).adapt(CAPTIONS)
    assert len(small.vocabulary) == 3  # 5 minus padding and "[UNK]"


# --- the contrastive loss ----------------------------------------------------------


def test_contrastive_loss_matches_hand_computed_2x2():
    images = [[1.0, 0.0], [0.0, 1.0]]
    texts = [[1.0, 0.0], [0.6, 0.8]]
    # logits = [[1, 0.6], [0, 0.8]] at temperature 1.
    # image -> text rows:    log(1 + e^-0.4) = 0.513015, log(1 + e^-0.8) = 0.371101
    # text -> image columns: log(1 + e^-1)   = 0.313262, log(1 + e^-0.2) = 0.598139
    # loss = (mean(rows) + mean(columns)) / 2 = 1.795517 / 4
    loss = text.symmetric_contrastive_loss(images, texts, temperature=1.0)
    assert float(loss) == pytest.approx(0.448879, abs=1e-6)
    # Inputs are L2-normalised first: scale does not matter.
    scaled = text.symmetric_contrastive_loss(
        np.array(images) * 3.0, np.array(texts) * 0.5, temperature=1.0
    )
    assert float(scaled) == pytest.approx(0.448879, abs=1e-6)


def test_contrastive_loss_matches_hand_computed_3x3_with_positives():
    eye = np.eye(3, dtype=np.float32)
    # logits = 2 I at temperature 0.5; each row's log-sum-exp is log(e^2 + 2).
    lse = math.log(math.exp(2.0) + 2.0)
    only_pairs = text.symmetric_contrastive_loss(eye, eye, temperature=0.5)
    assert float(only_pairs) == pytest.approx(lse - 2.0, abs=1e-6)  # 0.239596
    # Texts 0 and 1 describe both images 0 and 1: their targets are (1/2, 1/2, 0),
    # cross-entropy lse - 1 each; row 2 keeps lse - 2. Columns are the same.
    positives = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    grouped = text.symmetric_contrastive_loss(
        eye, eye, temperature=0.5, positives=positives
    )
    assert float(grouped) == pytest.approx(lse - 4.0 / 3.0, abs=1e-6)  # 0.906263


def test_contrastive_loss_is_log_batch_when_nothing_is_separated():
    same = np.ones((4, 3), np.float32)
    loss = text.symmetric_contrastive_loss(same, same, temperature=0.1)
    assert float(loss) == pytest.approx(math.log(4.0), abs=1e-6)


def test_joint_embedding_round_trips_and_trains_by_fit(tmp_path):
    encoder = tiny_encoder()
    model = text.JointEmbedding(encoder, "cnn", temperature=0.2)
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    texts = np.array(CAPTIONS * 2)
    ds = tf.data.Dataset.from_tensor_slices((images, texts)).batch(4)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(ds, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "batch_accuracy"}
    assert model.current_temperature() == pytest.approx(0.2, rel=0.05)
    path = tmp_path / "joint.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    for a, b in zip(restored((images, texts)), model((images, texts)), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="positive temperature"):
        text.JointEmbedding(encoder, temperature=0.0)


def test_joint_embedding_fits_under_mirrored_strategy(two_cpu_strategy):
    # Keras builds models under a strategy from a replica-averaged batch,
    # which fails on strings; JointEmbedding builds without data instead.
    with two_cpu_strategy.scope():
        model = text.JointEmbedding(tiny_encoder(), "cnn")
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
    assert not model.text_encoder.built
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((images, np.array(CAPTIONS * 2))).batch(4)
    history = model.fit(ds, epochs=1, verbose=0).history
    before = [w.copy() for w in model.text_encoder.get_weights()]
    model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history["loss"][0])
    changed = [
        not np.allclose(a, b)
        for a, b in zip(before, model.text_encoder.get_weights(), strict=True)
    ]
    assert any(changed)


# --- retrieval metrics ---------------------------------------------------------------


def test_top_k_hits_hand_example():
    gallery = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    gallery_keys = np.array([0, 1, 2])
    queries = np.array([[1.0, 0.0], [0.6, 0.8]])
    # Query 1 (key 1): cosines 0.6, 0.8, 0.99 -> nearest key 2, then key 1.
    hits = retrieval.top_k_hits(
        queries, gallery, np.array([0, 1]), gallery_keys, (1, 2)
    )
    assert hits == {1: 0.5, 2: 1.0}
    # Repeats of a key count once: items ranked key 0, key 0, key 1 put key 1
    # second. A key missing from the gallery is a miss.
    gallery = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])
    hits = retrieval.top_k_hits(
        [[1.0, 0.0], [1.0, 0.0]], gallery, np.array([1, 7]), np.array([0, 0, 1]), (1, 2)
    )
    assert hits == {1: 0.0, 2: 0.5}


def test_class_separation_and_probe_hand_examples():
    result = retrieval.class_separation(
        np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]]), np.array([0, 0, 1])
    )
    assert result == pytest.approx(
        {"same_class_cosine": 1.0, "different_class_cosine": 0.0, "class_gap": 1.0}
    )
    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    y = np.array([0, 0, 1, 1])
    assert retrieval.linear_probe_accuracy(x, y, x[::-1], y[::-1]) == 1.0


# --- pretraining -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_captions():
    train = data.load_captioned("train", data_dir=FASHION_FIXTURE)
    test = data.load_captioned("test", data_dir=FASHION_FIXTURE, wording="held_out")
    return train, test


def test_pretraining_improves_retrieval_over_the_untrained_encoder(fixture_captions):
    train, test = fixture_captions
    keras.utils.set_random_seed(0)
    encoder = text.TextEncoder(embedding_dim=32, token_dim=16, units=32)
    encoder.adapt(train.captions)
    model = text.JointEmbedding(encoder, "cnn")
    before = text.evaluate_text_encoder(
        encoder, test, image_encoder=model.image_encoder, probe_data=train
    )
    trained, metrics = text.pretrain_text_encoder(
        train,
        epochs=10,
        batch_size=64,
        model=model,
        evaluation_data=test,
        probe_data=train,
    )
    assert trained is encoder
    assert metrics["steps"] == 10 * (512 // 64)
    losses = metrics["history"]["loss"]
    assert losses[-1] < losses[0] - 0.5, losses
    # 128 test images, 640 held-out captions. Untrained, text -> image
    # retrieval of the right class is near chance (~0.1).
    assert (
        metrics["class_text_to_image_top1"] > before["class_text_to_image_top1"] + 0.2
    )
    assert metrics["description_text_to_image_top5"] > (
        before["description_text_to_image_top5"] + 0.1
    )
    assert metrics["class_gap"] > before["class_gap"] + 0.1
    # Attributes take longer than 80 steps on 512 images: the shipped
    # encoder's test and its card check them.


def test_pretrain_argument_errors(fixture_captions):
    train, _ = fixture_captions
    with pytest.raises(TypeError, match="CaptionedData or a tf.data.Dataset"):
        text.pretrain_text_encoder(train.captions)
    with pytest.raises(TypeError, match="Expected model as a JointEmbedding"):
        text.pretrain_text_encoder(train, model=keras.Sequential())


def test_pretrain_on_a_dataset_adapts_the_vocabulary(fixture_captions):
    train, _ = fixture_captions
    ds = data.from_pairs(train.images[:128], train.captions[:128], batch_size=64)
    encoder, metrics = text.pretrain_text_encoder(
        ds, epochs=1, text_encoder=text.TextEncoder(embedding_dim=8, units=8)
    )
    assert "coat" in encoder.vocabulary and metrics["steps"] == 2


# --- pluggable encoders -----------------------------------------------------------------


def test_get_encoder_passes_layers_through():
    encoder = tiny_encoder()
    assert text.get_encoder(encoder) is encoder
    dense = keras.layers.Dense(3)
    assert text.get_encoder(dense) is dense


def test_get_encoder_wraps_callables_and_refuses_to_save_them(tmp_path):
    def lengths(texts):
        return np.array([[len(t), t.count(" ")] for t in texts], dtype=np.float64)

    layer = text.get_encoder(lengths)
    assert isinstance(layer, text.CallableTextEncoder) and layer.output_dim == 2
    np.testing.assert_array_equal(layer(["a b", "abcd"]), [[3, 1], [4, 0]])
    model = wrap_in_model(layer)
    assert model(tf.constant(["a b"])).shape == (1, 3)

    @tf.function
    def traced(strings):
        return layer(strings)

    np.testing.assert_array_equal(traced(tf.constant(["xy z"])), [[4, 1]])
    with pytest.raises(TypeError, match="cannot be saved in a .keras file"):
        model.save(tmp_path / "callable.keras")
    bad = text.CallableTextEncoder(lambda texts: np.zeros((1, 3)), output_dim=3)
    with pytest.raises(Exception, match=r"return shape \(2, 3\)"):
        bad(["a", "b"])


class _TinySentenceModule(tf.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, strings):
        return self.encoder(strings)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def serve(self, strings):
        return {
            "embedding": self.encoder(strings),
            "length": tf.strings.length(strings),
        }


def test_get_encoder_loads_a_saved_model_sentence_encoder(tmp_path):
    encoder = tiny_encoder()
    encoder(["x"])
    module = _TinySentenceModule(encoder)
    path = tmp_path / "sentence_encoder"
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})

    with pytest.raises(ValueError, match="pass output_key"):
        text.get_encoder(path)(["a dark coat"])
    layer = text.SavedModelTextEncoder(path, output_key="embedding")
    np.testing.assert_allclose(layer(CAPTIONS), encoder(CAPTIONS), atol=1e-6)
    by_call = text.SavedModelTextEncoder(path, signature=None)
    np.testing.assert_allclose(by_call(CAPTIONS), encoder(CAPTIONS), atol=1e-6)

    # Inside a model the .keras file carries the SavedModel: it loads with
    # safe_mode=False (a graph is a program) after the directory is gone.
    model = wrap_in_model(layer)
    model.save(tmp_path / "model.keras")
    path.rename(tmp_path / "moved")
    with pytest.raises(UnsafeLoadError, match="safe_mode=False"):
        keras.saving.load_model(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=False)
    probe = tf.constant(CAPTIONS)
    np.testing.assert_array_equal(restored(probe), model(probe))
    path = tmp_path / "moved"
    with pytest.raises(ValueError, match="Expected signature in"):
        text.SavedModelTextEncoder(path, signature="missing")


def test_text_encoder_exports_a_saved_model_for_any_batch_size(tmp_path):
    encoder = tiny_encoder()
    encoder(["a coat"] * 7)  # a first call must not fix the exported batch size
    tf.saved_model.save(encoder, str(tmp_path / "encoder"))
    layer = text.get_encoder(tmp_path / "encoder")
    for batch in (CAPTIONS[:1], CAPTIONS):
        np.testing.assert_allclose(layer(batch), encoder(batch), atol=1e-6)


def test_get_encoder_loads_keras_files_and_rejects_unknown_specs(tmp_path):
    encoder = tiny_encoder()
    path = text.save_text_encoder(encoder, tmp_path / "encoder.keras")
    loaded = text.get_encoder(str(path))
    np.testing.assert_array_equal(loaded(CAPTIONS), encoder(CAPTIONS))
    with pytest.raises(
        TypeError, match="Expected a TextEncoder, any keras.layers.Layer"
    ):
        text.get_encoder(42)
    with pytest.raises(ValueError, match="nothing at that path"):
        text.get_encoder(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="directory without saved_model.pb"):
        text.get_encoder(tmp_path)
    with pytest.raises(FileNotFoundError, match="Expected a SavedModel directory"):
        text.SavedModelTextEncoder(tmp_path)


# --- the shipped encoder --------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    if not text.default_encoder_path().is_file():
        pytest.skip("no shipped encoder; run tools/train_text_encoder.py")
    return text.load_text_encoder()


def test_shipped_encoder_is_small_and_matches_its_card(shipped):
    path = text.default_encoder_path()
    assert path.stat().st_size < 2_000_000
    card = (ROOT / "docs" / "text_encoder.md").read_text()
    assert base.file_digest(path) in card
    assert isinstance(text.get_encoder("fashion_captions"), text.TextEncoder)
    assert isinstance(shipped, text.TextEncoder) and shipped.embedding_dim == 128


def test_shipped_encoder_groups_held_out_captions_by_class(shipped, fixture_captions):
    _, test = fixture_captions
    # Held-out sentence patterns reuse the training words: nothing is unknown.
    ids = shipped.tokenize(test.captions.ravel()[:200]).numpy()
    assert not (ids == 1).any()
    embeddings = shipped.embed(test.captions)
    labels = np.repeat(test.labels, test.captions.shape[1])
    separation = retrieval.class_separation(embeddings, labels)
    assert separation["same_class_cosine"] > separation["different_class_cosine"] + 0.2
    # A caption's nearest other caption names the same class.
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    scores = unit @ unit.T
    np.fill_diagonal(scores, -np.inf)
    assert np.mean(labels[scores.argmax(axis=1)] == labels) > 0.9
    # And attributes: parse_caption reads shade and width back from the text.
    parsed = [captions_lib.parse_caption(c) for c in test.captions.ravel()]
    shade = np.array([p["shade_word"] for p in parsed])
    assert (
        retrieval.linear_probe_accuracy(
            embeddings[::2], shade[::2], embeddings[1::2], shade[1::2]
        )
        > 0.8
    )
