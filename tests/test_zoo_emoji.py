"""The colour zoo model, dcgan_emoji: offline preset, samples, fine-tuning, card.

And the zoo's evaluation spec: a recipe names its real images and feature
network (`"evaluate": {"data": "folder", "extractor": ...}`).
"""

import json
import pathlib

import numpy as np
import pytest

import keras_gans
from keras_gans import data, zoo
from keras_gans.zoo import publish as publish_lib

REPO = pathlib.Path(__file__).parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "emoji"
NAME = "dcgan_emoji"


def test_emoji_preset_loads_offline_samples_and_fine_tunes(tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError(f"{NAME} tried to download: {args}")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path / "home"))
    model = keras_gans.DCGAN.from_preset(NAME, cache_dir=tmp_path, progress=False)
    assert type(model) is keras_gans.DCGAN and model.compiled
    images = model.generate(4, seed=0)
    assert images.shape == (4, 64, 64, 3)
    assert np.isfinite(images).all() and -1 <= images.min() and images.max() <= 1
    check = zoo.get_entry(NAME)["check"]  # what the published export drew
    np.testing.assert_allclose(
        images.reshape(-1)[:: images.size // 8][:8], check["first"], atol=1e-4
    )
    before = [w.copy() for w in model.generator.get_weights()]
    ds = data.load(str(FIXTURE), batch_size=8, seed=0, repeat=True, flip=True)
    history = model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    after = model.generator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_emoji_entry_names_its_data_features_and_credit():
    entry = zoo.get_entry(NAME)
    assert entry["image_shape"] == [64, 64, 3]
    assert entry["files"][0]["size"] <= 10.5e6  # "at most about 10 MB"
    assert [key for key, _ in entry["headline"]] == ["kid", "fid"]
    assert list(entry["metrics"])[:2] == ["kid", "fid"]
    assert "emoji-group classifier" in entry["evaluation"]
    assert "Twemoji" in entry["license"] and "CC-BY 4.0" in entry["license"]
    card = (REPO / "zoo" / NAME / "README.md").read_text()
    assert "docs/emoji_classifier.md" in card and "samples.png" in card
    assert "Twemoji" in card
    assert NAME in keras_gans.DCGAN.presets


def test_a_folder_recipe_needs_its_folder(train_zoo, tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_zoo.main([NAME, "--zoo-dir", str(REPO / "zoo"), "--run-dir", "R"])
    assert "--data DIR" in capsys.readouterr().err
    recipe = publish_lib.load_recipe(NAME, REPO / "zoo")
    with pytest.raises(ValueError, match="--data DIR"):
        publish_lib.with_data(recipe, None)
    resolved = publish_lib.with_data(recipe, FIXTURE)
    assert resolved["evaluate"]["path"] == str(FIXTURE)
    assert "path" not in recipe["evaluate"]  # the recipe itself is unchanged
    json.dumps(resolved)


def test_folder_evaluation_uses_the_recipes_extractor(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path))

    class Sampler:  # stands in for an export: generate(n, seed) in [-1, 1]
        image_shape = (64, 64, 3)

        def generate(self, n, seed=0):
            rng = np.random.default_rng(seed)
            return rng.uniform(-1, 1, (n, 64, 64, 3)).astype("float32")

    spec = {
        "data": "folder",
        "path": str(FIXTURE),
        "extractor": "emoji_classifier",
        "metrics": ["kid", "fid", "modes"],
        "headline": ["kid", "fid"],
    }
    metrics, protocol = publish_lib.image_metrics(Sampler(), None, 40, 0, spec)
    assert list(metrics)[:2] == ["kid", "fid"]
    assert "40 of the 129 training pictures" in protocol
    assert "docs/emoji_classifier.md" in protocol
    assert "(of 11)" in metrics["classes_covered"]["how"]
    everything, protocol = publish_lib.image_metrics(Sampler(), None, "all", 0, spec)
    assert "129 of the 129" in protocol
    assert set(everything) == set(metrics)
