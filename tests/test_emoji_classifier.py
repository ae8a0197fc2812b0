"""The emoji-group classifier: the offline features for colour 64x64 metrics.

Only the committed fixture (tests/fixtures/emoji: 129 Twemoji pictures in
the 11 group folders) is read; the full set is not needed.
"""

import json
import pathlib

import keras
import numpy as np
import pytest

from keras_gans import data, evaluation, features
from keras_gans.features import base, emoji

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "emoji"
REPO = pathlib.Path(__file__).parents[1]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    batch, labels = next(
        iter(
            data.load(
                str(FIXTURE),
                batch_size=48,
                shuffle=False,
                with_labels=True,
                cache_dir=str(cache),
            )
        )
    )
    return batch.numpy(), labels.numpy()


def test_the_fixture_has_the_groups_in_label_order(tmp_path):
    ds = data.load(str(FIXTURE), with_labels=True, cache_dir=str(tmp_path))
    assert tuple(ds.folder.class_names) == emoji.CLASS_NAMES


def test_shipped_extractor_gives_deterministic_128_d_features(pictures):
    images, _ = pictures
    extractor = features.get_extractor("emoji_classifier")
    first = extractor.features(images)
    assert first.shape == (len(images), 128) and first.dtype == np.float32
    np.testing.assert_array_equal(first, extractor.features(images))
    # Other batch sizes take other kernels: equal up to float round-off.
    np.testing.assert_allclose(
        first, extractor.features(images, batch_size=7), rtol=1e-4, atol=1e-5
    )
    probabilities = extractor.probabilities(images[:5])
    assert probabilities.shape == (5, emoji.NUM_CLASSES)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    info = extractor.describe()
    assert info["name"] == "emoji_classifier" and info["feature_dim"] == 128
    assert info["weights"] == "keras_gans/features/emoji_classifier.keras"
    shipped = REPO / "keras_gans" / "features" / emoji.FILENAME
    assert info["weights_sha256"] == base.file_digest(shipped)
    with pytest.raises(ValueError, match=r"\(n, 64, 64, 3\)"):
        extractor.features(np.zeros((2, 28, 28, 1), np.float32))


def test_shipped_classifier_knows_the_groups(pictures):
    # Far above chance (1/11) on the fixture's pictures; most of them are
    # in its training split, so this checks the file, not generalisation.
    images, labels = pictures
    predicted = features.get_extractor("emoji_classifier").predict_classes(images)
    assert np.mean(predicted == labels) > 0.5


def test_card_numbers_match_the_shipped_file():
    card = (REPO / "docs" / "emoji_classifier.md").read_text()
    path = REPO / "keras_gans" / "features" / emoji.FILENAME
    assert base.file_digest(path) in card
    assert f"{path.stat().st_size:,}" in card
    assert path.stat().st_size < 1_000_000


def test_metrics_name_the_emoji_extractor(pictures):
    images, labels = pictures
    result = evaluation.score(
        images[:24],
        images[24:],
        labels[24:],
        metrics=("fid", "kid", "modes"),
        extractor="emoji_classifier",
    )
    assert result["extractor"]["name"] == "emoji_classifier"
    assert result["num_fake"] == 24 and np.isfinite(result["kid"])
    json.dumps(result)  # a report can hold it


def test_training_is_reproducible_by_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path))
    weights = []
    for _ in range(2):
        model = emoji.train_emoji_classifier(
            str(FIXTURE), epochs=1, batch_size=32, seed=3, verbose=0
        )
        weights.append(model.get_layer("logits").get_weights()[0])
    np.testing.assert_allclose(weights[0], weights[1], atol=1e-5)
    extractor = emoji.EmojiClassifierFeatures(model=model)
    result = emoji.evaluate_emoji_classifier(extractor, str(FIXTURE))
    assert 0 < result["n"] < 129
    assert 0.0 <= result["balanced_accuracy"] <= 1.0
    assert sum(result["per_class_n"].values()) == result["n"]
    keras.backend.clear_session()
