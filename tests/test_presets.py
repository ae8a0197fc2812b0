"""Presets: the trained Keras model with every network, by zoo name, folder or URL.

The published zoo models come back as the classes users train, compiled,
with D (and InfoGAN's Q, GAN-CLS's encoders): they fine-tune with `fit`.
"""

import functools
import http.server
import json
import pathlib
import threading

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import data, zoo
from keras_gans.zoo import presets
from keras_gans.zoo._download import ChecksumError, make_archive, sha256_file

REPO = pathlib.Path(__file__).parents[1]
PUBLISHED = {
    "gan_fashion_mnist": keras_gans.GAN,
    "dcgan_fashion_mnist": keras_gans.DCGAN,
    "infogan_fashion_mnist": keras_gans.InfoGAN,
    "gan_cls_fashion_captions": keras_gans.GANCLS,
}


def tiny_dcgan():
    keras.utils.set_random_seed(0)
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=4, d_filters=4, seed=1
    )
    model.compile(loss="least_squares")
    return model


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preset")
    model = tiny_dcgan()
    preset = model.save_to_preset(folder / "tiny")
    path = make_archive(preset, folder / "tiny.tar.gz")
    return model, preset, path


def test_a_preset_folder_holds_the_keras_model_and_its_saved_model(archive):
    model, preset, _ = archive
    info = json.loads((preset / "preset.json").read_text())
    assert info["family"] == "dcgan" and info["class"] == "DCGAN"
    assert info["compile"]["loss"] == "least_squares"
    assert (preset / "model.keras").is_file()
    assert (preset / "saved_model" / "saved_model.pb").is_file()
    # No optimizer state: a fresh optimizer, the trained weights.
    loaded = keras_gans.DCGAN.from_preset(str(preset))
    assert loaded.compiled and loaded.gan_loss.name == "least_squares"
    assert int(loaded.g_optimizer.iterations) == 0
    np.testing.assert_array_equal(loaded.generate(4, seed=0), model.generate(4, seed=0))
    with pytest.raises(FileExistsError, match="holds a preset already"):
        model.save_to_preset(preset)


def test_from_preset_takes_an_archive_and_a_url_with_its_sha256(archive, tmp_path):
    model, _, path = archive
    from_archive = keras_gans.models.from_preset(str(path), cache_dir=tmp_path)
    np.testing.assert_array_equal(
        from_archive.generate(4, seed=0), model.generate(4, seed=0)
    )
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(path.parent)
    )
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{path.name}"
        digest = sha256_file(path)
        loaded = keras_gans.DCGAN.from_preset(
            f"{url}#sha256={digest}", cache_dir=tmp_path / "c", progress=False
        )
        np.testing.assert_array_equal(
            loaded.generate(4, seed=0), model.generate(4, seed=0)
        )
        with pytest.raises(ValueError, match=r"#sha256=<hex digest>"):
            keras_gans.DCGAN.from_preset(url, cache_dir=tmp_path / "d")
        with pytest.raises(ChecksumError):
            keras_gans.DCGAN.from_preset(
                f"{url}#sha256={'0' * 64}", cache_dir=tmp_path / "e", progress=False
            )
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_bad_presets_get_clear_errors(tmp_path):
    with pytest.raises(zoo.UnknownModelError, match="Known models:"):
        keras_gans.DCGAN.from_preset("no_such_model", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="No such preset folder or archive"):
        keras_gans.DCGAN.from_preset(str(tmp_path / "missing.tar.gz"))
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "saved_model.pb").write_bytes(b"")
    with pytest.raises(presets.NotAPresetError, match="bare SavedModel"):
        keras_gans.models.from_preset(str(bare))
    with pytest.raises(presets.NotAPresetError, match="evaluation classifier"):
        keras_gans.models.from_preset("fashion_mnist_classifier", cache_dir=tmp_path)
    with pytest.raises(zoo.NotPublishedError, match="tools/train_zoo.py dcgan_celeba"):
        keras_gans.DCGAN.from_preset("dcgan_celeba", cache_dir=tmp_path)


def test_presets_lists_the_zoo_models_of_a_class():
    assert set(keras_gans.DCGAN.presets) == {"dcgan_emoji", "dcgan_fashion_mnist"}
    # dcgan_emoji (colour, 64x64) has its own tests: tests/test_zoo_emoji.py.
    assert set(keras_gans.AdversarialModel.presets) == {*PUBLISHED, "dcgan_emoji"}


def test_a_model_names_its_family_which_its_preset_records(archive):
    class MyDCGAN(keras_gans.DCGAN):
        pass

    model, preset, _ = archive
    assert keras_gans.DCGAN.family_name == model.family_name == "dcgan"
    assert MyDCGAN.family_name == "dcgan"  # its nearest registered class
    assert keras_gans.VAE.family_name == "vae"
    info = json.loads((preset / "preset.json").read_text())
    assert info["family"] == model.family_name
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="keras_gans model .*received a Sequential"):
        presets.save_preset(plain, preset.parent / "plain")


def test_presets_of_lists_published_entries_of_the_current_format(tmp_path):
    entry = {"kind": "dcgan", "files": [{"path": "x.tar.xz"}], "description": "d"}
    manifest = {
        "format_version": 1,
        "models": {
            "now": {**entry, "preset_format": 2},
            "old": {**entry, "preset_format": 1},
            "bare": entry,  # no preset_format: a format-1 archive
            "newer": {**entry, "preset_format": 3},
            "recipe": {**entry, "preset_format": 2, "files": []},
            "other": {**entry, "kind": "vae", "preset_format": 2},
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert presets.presets_of({"dcgan"}, tmp_path) == {"now": "d"}
    assert set(presets.presets_of({"dcgan", "vae"}, tmp_path)) == {"now", "other"}


def test_a_preset_of_another_class_is_refused_before_it_is_built(
    archive, tmp_path, monkeypatch
):
    import keras_gans.trust

    _, _, path = archive

    def build(*args, **kwargs):
        raise AssertionError("the model was built")

    monkeypatch.setattr(keras_gans.trust, "load_keras_file", build)
    cache = tmp_path / "cache"
    with pytest.raises(presets.PresetClassError, match="holds a DCGAN, not a VAE"):
        keras_gans.VAE.from_preset(str(path), cache_dir=cache)
    # A whole preset of another class stays in the cache for the right class.
    assert [p.name for p in (cache / "local").iterdir()] == [
        f"preset-{sha256_file(path)}"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_presets_are_the_trained_keras_models(name, tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", None)  # offline
    model = PUBLISHED[name].from_preset(name, cache_dir=tmp_path, progress=False)
    assert type(model) is PUBLISHED[name] and model.compiled
    served = zoo.load_pretrained(name, cache_dir=tmp_path, progress=False)
    check = served.entry["check"]
    # The Keras model draws what its SavedModel draws (the card's check numbers).
    if name == "gan_cls_fashion_captions":
        texts = served.metadata["preview_texts"]
        images = model.generate(texts[:1] * check["n"], seed=check["seed"])
        np.testing.assert_allclose(
            images, served.text_to_image(texts[:1] * check["n"], seed=0), atol=1e-4
        )
        style = model.infer_style(images)
        assert style.shape == (check["n"], model.latent_dim)
        assert model.transfer_style(images, texts[1]).shape == images.shape
    else:
        images = model.generate(check["n"], seed=check["seed"])
        np.testing.assert_allclose(
            images.reshape(-1)[:: images.size // 8][:8], check["first"], atol=1e-4
        )
    # D came back trained: it scores real images above the generator's.
    fixture = REPO / "tests" / "fixtures" / "fashion-mnist"
    test = data.load_captioned("test", data_dir=fixture, captions_per_image=1)
    real = keras_gans.images.from_uint8(test.images[:64]).reshape(-1, 28, 28, 1)
    if name == "gan_cls_fashion_captions":
        texts = test.captions[:64, 0].tolist()
        fake = model.generate(texts, seed=1)
        text = keras.ops.convert_to_numpy(model.embed_texts(texts))
        score = lambda x: float(np.mean(model.discriminator([x, text])))  # noqa: E731
    else:
        fake = model.generate(64, seed=1)
        score = lambda x: float(np.mean(model.discriminator(x)))  # noqa: E731
    assert score(real) > score(fake)


@pytest.mark.slow
def test_infogan_preset_classifies_with_its_q_as_its_card_says():
    from keras_gans import evaluation

    try:
        images, labels = data.load_arrays("fashion_mnist", "test")
    except data.DataNotFoundError:
        pytest.skip(
            "needs the full Fashion-MNIST test set (Debian dataset-fashion-mnist)"
        )
    entry = zoo.get_entry("infogan_fashion_mnist")
    model = keras_gans.InfoGAN.from_preset("infogan_fashion_mnist", progress=False)
    n = 10000
    result = evaluation.code_accuracy(model, images[:n], labels[:n])
    assert abs(result["accuracy"] - entry["metrics"]["code_accuracy"]["value"]) <= 0.01


@pytest.mark.slow
@pytest.mark.heavy  # 51 s: CI's heavy step runs it
def test_fine_tuning_the_dcgan_preset_on_sneakers(load_tool):
    try:
        data.load_arrays("fashion_mnist", "train")
    except data.DataNotFoundError:
        pytest.skip("needs the full Fashion-MNIST (Debian dataset-fashion-mnist)")
    result = load_tool("finetune_preset").finetune(n=1000)
    assert result["share_before"] < 0.2
    assert result["share_after"] >= 0.5, result
