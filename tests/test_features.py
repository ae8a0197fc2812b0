"""Tests for keras_gans.features: the shipped classifier and InceptionV3 features."""

import io
import pathlib
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data, features
from keras_gans.features import base, inception


@pytest.fixture(scope="module")
def extractor():
    return features.FashionClassifierFeatures()


@pytest.fixture
def test_images(fashion_dir):
    images, labels = data.load_arrays("fashion_mnist", "test", data_dir=fashion_dir)
    return (images.astype(np.float32) / 127.5 - 1.0)[..., None], labels


# --- the shipped Fashion-MNIST classifier -----------------------------------------


def test_shipped_file_is_small_and_matches_describe(extractor):
    path = features.default_classifier_path()
    assert path.is_file()
    assert path.stat().st_size < 1_000_000
    info = extractor.describe()
    assert info["name"] == "fashion_mnist_classifier"
    assert info["feature_dim"] == 128 and info["num_classes"] == 10
    assert info["layer"] == "features"
    assert info["weights_sha256"] == base.file_digest(path)


def test_shipped_classifier_accuracy_on_fixture(fashion_dir):
    # The fixture holds the first 128 test images (never trained on). The
    # classifier scores 0.92 on all 10,000; on 128 images the binomial standard
    # error is sqrt(0.92 * 0.08 / 128) = 0.024, so 0.85 is ~3 standard errors
    # below: a retrained but sound classifier passes, a broken file or a
    # preprocessing mismatch (e.g. [0, 1] instead of [-1, 1]) does not.
    result = features.evaluate_fashion_classifier(data_dir=fashion_dir)
    assert result["n"] == 128
    assert result["accuracy"] >= 0.85, result
    assert sum(map(sum, result["confusion"])) == 128
    assert set(result["per_class_accuracy"]) == set(data.CLASS_NAMES)


def test_features_shape_dtype_and_determinism(extractor, test_images):
    images, _ = test_images
    first = extractor.features(images)
    assert first.shape == (128, 128) and first.dtype == np.float32
    assert np.all(first >= 0)  # post-ReLU activations
    np.testing.assert_array_equal(first, extractor.features(images))
    # Batching only changes round-off.
    np.testing.assert_allclose(
        first, extractor.features(images, batch_size=7), rtol=1e-5, atol=1e-5
    )
    # (n, 28, 28) grey images and tensors are accepted too.
    np.testing.assert_allclose(
        first, extractor.features(tf.constant(images[..., 0])), rtol=1e-5, atol=1e-5
    )


def test_probabilities_and_classes(extractor, test_images):
    images, _ = test_images
    probabilities = extractor.probabilities(images[:32])
    assert probabilities.shape == (32, 10) and probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(
        extractor.predict_classes(images[:32]), probabilities.argmax(axis=1)
    )
    feats, probs = extractor.features_and_probabilities(images[:32])
    np.testing.assert_array_equal(feats, extractor.features(images[:32]))
    np.testing.assert_array_equal(probs, probabilities)


def test_empty_input_gives_empty_arrays(extractor):
    empty = np.zeros((0, 28, 28, 1), np.float32)
    assert extractor.features(empty).shape == (0, 128)
    assert extractor.probabilities(empty).shape == (0, 10)


@pytest.mark.parametrize(
    "shape", [(4, 32, 32, 1), (4, 28, 28, 3), (28, 28), (4, 28, 28, 1, 1)]
)
def test_bad_shape_is_a_clear_error(extractor, shape):
    with pytest.raises(ValueError, match=r"expected images of shape \(n, 28, 28, 1\)"):
        extractor.features(np.zeros(shape, np.float32))


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((2, 28, 28, 1), np.uint8), "dtype uint8"),
        (np.full((2, 28, 28, 1), 255.0, np.float32), r"values in \[255, 255\]"),
        (np.full((2, 28, 28, 1), np.nan, np.float32), "non-finite"),
    ],
)
def test_bad_range_is_a_clear_error(extractor, images, match):
    with pytest.raises(ValueError, match=match):
        extractor.features(images)


def test_bad_batch_size(extractor, test_images):
    with pytest.raises(ValueError, match="positive integer"):
        extractor.features(test_images[0], batch_size=0)


def test_missing_classifier_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_classifier.py"):
        features.FashionClassifierFeatures(path=tmp_path / "none.keras")


def test_recipe_trains_and_round_trips(fashion_dir, tmp_path):
    # One quick epoch on the fixture: the code path, not the accuracy.
    model, accuracy = features.train_fashion_classifier(
        epochs=1, batch_size=64, data_dir=fashion_dir, validation_size=64, verbose=0
    )
    assert 0.0 <= accuracy <= 1.0
    assert model.output.shape == (None, 10)
    assert model.get_layer("features").output.shape == (None, 128)
    path = features.save_fashion_classifier(model, tmp_path / "c.keras")
    loaded = features.FashionClassifierFeatures(path=path)
    in_memory = features.FashionClassifierFeatures(model=model)
    images = np.linspace(-1, 1, 3 * 28 * 28, dtype=np.float32).reshape(3, 28, 28, 1)
    np.testing.assert_allclose(
        loaded.probabilities(images), in_memory.probabilities(images), atol=1e-6
    )
    # No optimizer state in the file: the shipped one stays small.
    with zipfile.ZipFile(path) as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        assert "optimizer" not in weights


def test_get_extractor(extractor):
    assert features.DEFAULT_EXTRACTOR == "fashion_mnist_classifier"
    assert features.get_extractor(extractor) is extractor
    assert isinstance(features.get_extractor(), features.FashionClassifierFeatures)
    with pytest.raises(ValueError, match="inception_v3"):
        features.get_extractor("vgg")


# --- InceptionV3 ------------------------------------------------------------------


def _write_keras2_h5(model, path):
    """Writes `model`'s weights in the layout of Keras's own InceptionV3 files.

    Those files were saved by Keras 2: topological order, Keras 2 layer and
    weight names ("conv2d_1/kernel:0"). Other names than the model's show that
    loading goes by order, as it must for the real file.
    """
    with h5py.File(path, "w") as f:
        names = [f"k2_{i}" for i in range(len(model.layers))]
        f.attrs["layer_names"] = [n.encode() for n in names]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.5"
        for name, layer in zip(names, model.layers, strict=True):
            group = f.create_group(name)
            weights = layer.trainable_weights + layer.non_trainable_weights
            weight_names = [f"{name}/w{j}:0".encode() for j in range(len(weights))]
            group.attrs["weight_names"] = weight_names
            for weight_name, weight in zip(weight_names, weights, strict=True):
                group.create_dataset(weight_name.decode(), data=weight.numpy())


def _grey_images(n):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, 28, 28, 1)).astype(np.uint8)


def _by_hand(pixels):
    # The FID recipe spelled out with keras.applications' own preprocessing.
    rgb = np.repeat(pixels.astype(np.float32), 3, axis=-1)
    resized = tf.image.resize(rgb, (299, 299), method="bilinear")
    return keras.applications.inception_v3.preprocess_input(resized.numpy())


@pytest.mark.slow
def test_inception_features_from_local_weights(tmp_path):
    reference = keras.applications.InceptionV3(
        include_top=False, weights=None, pooling="avg", input_shape=(299, 299, 3)
    )
    path = tmp_path / inception.WEIGHTS_FILES[False]
    _write_keras2_h5(reference, path)

    extractor = features.InceptionFeatures(weights_path=path)
    pixels = _grey_images(3)
    feats = extractor.features(pixels / 127.5 - 1.0, batch_size=2)
    assert feats.shape == (3, 2048) and feats.dtype == np.float32
    # Equal to the reference network (its own random weights) on the input
    # preprocessed by hand: proves both the weights and the preprocessing.
    expected = reference(_by_hand(pixels), training=False).numpy()
    scale = np.abs(expected).max()
    np.testing.assert_allclose(feats, expected, rtol=1e-4, atol=1e-4 * scale)

    info = extractor.describe()
    assert info["name"] == "inception_v3" and info["feature_dim"] == 2048
    assert info["weights"] == str(path) and not info["official_keras_weights"]
    with pytest.raises(NotImplementedError, match="no classifier head"):
        extractor.probabilities(pixels / 127.5 - 1.0)
    with pytest.raises(ValueError, match=r"\(n, H, W, 1 or 3\) or \(n, H, W\)"):
        extractor.features(np.zeros((1, 28, 28, 2), np.float32))


@pytest.mark.slow
def test_inception_with_top_gives_probabilities(tmp_path):
    full = keras.applications.InceptionV3(
        include_top=True, weights=None, classifier_activation=None
    )
    path = tmp_path / "full.h5"
    _write_keras2_h5(full, path)
    extractor = features.InceptionFeatures(weights_path=path, include_top=True)
    pixels = _grey_images(2)
    feats, probs = extractor.features_and_probabilities(pixels / 127.5 - 1.0)
    assert feats.shape == (2, 2048) and probs.shape == (2, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    logits = full(_by_hand(pixels), training=False).numpy()
    np.testing.assert_allclose(
        probs, tf.nn.softmax(logits).numpy(), rtol=1e-3, atol=1e-6
    )


def test_inception_preprocess_tiles_and_resizes():
    images = np.linspace(-1, 1, 2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28, 1)
    out = features.inception_preprocess(images).numpy()
    assert out.shape == (2, 299, 299, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    assert out.min() >= -1.0 and out.max() <= 1.0
    rgb = np.zeros((1, 299, 299, 3), np.float32)
    np.testing.assert_array_equal(features.inception_preprocess(rgb).numpy(), rgb)


def test_inception_weights_found_in_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    cached = tmp_path / "kh" / "models" / inception.WEIGHTS_FILES[False]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    assert features.find_inception_weights() == cached


def test_missing_inception_weights_list_the_places_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    places = [d / inception.WEIGHTS_FILES[False] for d in inception.keras_cache_dirs()]
    if any(p.exists() for p in places):
        pytest.skip("this machine has InceptionV3 weights in /tmp/.keras")
    with pytest.raises(features.WeightsNotFoundError) as error:
        features.InceptionFeatures()
    message = str(error.value)
    for place in places:
        assert str(place) in message
    assert "keras.applications.InceptionV3(include_top=False)" in message
    assert "bcbd6486424b2319ff4ef7d526e38f63" in message
    with pytest.raises(FileNotFoundError, match="no such file"):
        features.InceptionFeatures(weights_path=tmp_path / "nothing.h5")


def test_keras_cache_dirs_follow_keras(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", "/root-x")
    dirs = inception.keras_cache_dirs()
    assert dirs[0] == tmp_path / "models"
    assert dirs[1] == pathlib.Path("/root-x/.keras/models")
    assert dirs[-1] == pathlib.Path("/tmp/.keras/models")
