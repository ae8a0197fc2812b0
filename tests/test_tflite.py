"""TFLite export: conversion per quantization, parity with the SavedModel,
the JSON a phone app reads, LiteRT sampling, the Python tokenizer and the CLI.

Untrained generators output almost nothing (a tiny DCGAN's images are within
1e-3 of 0), which would make any parity bound pass; `_spread` scales each
generator's last kernel so its images span [-1, 1] first.
"""

import json
import os
import shutil
import sys
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import sources
from keras_gans.export import tflite
from keras_gans.latent import LatentSpec

CAPTIONS = ["a dark ankle boot", "a pale, slim dress"]
TRICKY_TEXTS = [
    "A Dark, SLIM ankle-boot!!",
    "tabs\tand\nnew lines\r\x0bhere",
    "ÉCOLE Ünter İI naïve",  # only ASCII capitals are lower-cased
    "unknown: zebra ☂ 😀 xyzzy",
    "",
    "   ",
    "a pale wide coat with (brackets) [and] {braces} #1 " * 10,
    "x,y-z.w/v's",
]


def _spread(model, inputs):
    """Scales the generator's last kernel so that its tanh outputs span [-1, 1]."""
    out = np.asarray(model.generator(inputs, training=False))
    pre = np.arctanh(np.clip(out, -0.999, 0.999))
    kernel = [w for w in model.generator.weights if w.path.endswith("kernel")][-1]
    kernel.assign(kernel * (0.8 / pre.std()))


def _tiny(kind):
    rng = np.random.default_rng(0)
    if kind == "gan":
        model = keras_gans.GAN(
            data_shape=(16, 16, 1), latent_dim=8, g_units=(16, 16), d_units=(8,), seed=0
        )
    elif kind == "dcgan":
        model = keras_gans.DCGAN(
            image_shape=(16, 16, 1), latent_dim=8, g_filters=4, d_filters=4, seed=0
        )
    elif kind == "infogan":
        model = keras_gans.InfoGAN(
            image_shape=(16, 16, 1),
            latent_spec=LatentSpec(noise_dim=4, categorical=(3,), continuous=2),
            hidden=8,
            q_hidden=8,
            g_filters=4,
            d_filters=4,
            seed=0,
        )
    else:
        model = keras_gans.GANCLS(
            text_encoder=keras_gans.text.get_encoder("fashion_captions"),
            image_shape=(28, 28, 1),
            latent_dim=8,
            projection_dim=8,
            g_filters=4,
            d_filters=4,
            preview_texts=CAPTIONS,
            seed=0,
        )
        model.generate(CAPTIONS[:1])
        z = rng.standard_normal((64, 8)).astype("float32")
        _spread(model, [tf.constant(z), model.text_encoder(CAPTIONS * 32)])
        return model
    model.generate(1)
    _spread(model, np.asarray(model.sample_latent(64, seed=0)))
    return model


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("tflite")


@pytest.fixture(scope="module")
def export(workdir):
    """kind -> export version folder, each model built and exported once."""
    cache = {}

    def get(kind):
        if kind not in cache:
            cache[kind] = _tiny(kind).export(workdir / "exports", version=1)
        return cache[kind]

    return get


@pytest.fixture(scope="module")
def converted(workdir, export):
    """(kind, quantize) -> export_tflite's paths, each converted once."""
    cache = {}

    def get(kind, quantize):
        if (kind, quantize) not in cache:
            cache[kind, quantize] = tflite.export_tflite(
                export(kind),
                workdir / "out",
                quantize,
                representative_count=16,
            )
        return cache[kind, quantize]

    return get


def _json(paths):
    return json.loads(paths["metadata"].read_text())


@pytest.mark.parametrize("kind", ["gan", "dcgan", "infogan", "gan_cls"])
def test_float32_matches_the_saved_model(kind, export, converted):
    paths = converted(kind, "none")
    assert paths["model"].name == f"{kind}.none.tflite"
    assert tflite.parity(export(kind), paths["model"]) <= 1e-4
    if kind == "gan_cls":
        # Python tokenizer + encoder file vs the SavedModel's string signature.
        assert tflite.parity(export(kind), paths["text_encoder"]) <= 1e-4


@pytest.mark.parametrize(
    "kind", ["gan", "dcgan", "infogan", pytest.param("gan_cls", marks=pytest.mark.slow)]
)
def test_float16_is_close(kind, export, converted):
    paths = converted(kind, "float16")
    assert tflite.parity(export(kind), paths["model"]) <= 2e-2
    float32 = converted(kind, "none")["model"].stat().st_size
    assert paths["model"].stat().st_size < float32
    if kind == "gan_cls":
        assert tflite.parity(export(kind), paths["text_encoder"]) <= 2e-2


@pytest.mark.parametrize(
    "kind, quantize",
    [
        ("dcgan", "dynamic"),
        ("dcgan", "int8"),
        pytest.param("gan_cls", "int8", marks=pytest.mark.slow),
    ],
)
def test_quantized_files_run(kind, quantize, converted):
    paths = converted(kind, quantize)
    info = _json(paths)
    assert info["quantization"]["mode"] == quantize
    assert info["quantization"]["inputs_outputs"] == "float32"
    assert [i["dtype"] for i in info["inputs"]] == ["float32"] * len(info["inputs"])
    if quantize == "int8":
        # Full integer, or a recorded fallback to float kernels for some ops.
        assert isinstance(info["quantization"]["full_integer"], bool)
        if not info["quantization"]["full_integer"]:
            assert info["quantization"]["fallback_reason"]
    sampler = tflite.LiteRTSampler(paths["model"])
    images = sampler.generate(5, seed=0)
    assert images.shape == (5, *info["image_shape"])
    assert images.dtype == np.float32
    assert np.isfinite(images).all()
    assert images.min() >= -1.0 and images.max() <= 1.0
    if kind == "gan_cls":
        embeddings = sampler.embed(CAPTIONS)
        assert embeddings.shape == (2, info["text_dim"])
        assert np.isfinite(embeddings).all()


def test_int8_falls_back_to_float_ops_and_says_so(export, tmp_path, monkeypatch):
    real = tf.lite.TFLiteConverter.from_saved_model
    int8_only = {tf.lite.OpsSet.TFLITE_BUILTINS_INT8}

    def from_saved_model(*args, **kwargs):
        converter = real(*args, **kwargs)
        convert = converter.convert

        def convert_without_some_int8_kernel():
            if set(converter.target_spec.supported_ops) == int8_only:
                raise RuntimeError("no int8 kernel for SOME_OP\nmore details")
            return convert()

        converter.convert = convert_without_some_int8_kernel
        return converter

    monkeypatch.setattr(tf.lite.TFLiteConverter, "from_saved_model", from_saved_model)
    paths = tflite.export_tflite(
        export("dcgan"), tmp_path, "int8", representative_count=4
    )
    quantization = _json(paths)["quantization"]
    assert quantization["full_integer"] is False
    assert quantization["float_ops_allowed"] is True
    assert quantization["fallback_reason"] == "no int8 kernel for SOME_OP"
    images = tflite.LiteRTSampler(paths["model"]).generate(2)
    assert images.shape == (2, 16, 16, 1) and np.isfinite(images).all()


def test_json_describes_the_generator(converted):
    info = _json(converted("infogan", "none"))
    assert info["model"] == "infogan" and info["file"] == "infogan.none.tflite"
    assert info["latent_dim"] == 9
    assert [(i["name"], i["shape"], i["dtype"]) for i in info["inputs"]] == [
        ("latent", [-1, 9], "float32")
    ]
    assert info["output"]["name"] == "images"
    assert info["output"]["shape"] == [-1, 16, 16, 1]
    assert info["output_range"] == [-1.0, 1.0]
    assert "127.5" in info["uint8"]
    assert info["latent_spec"]["categorical"] == [3]
    layout = info["latent_layout"]
    assert layout["noise"] == {
        "columns": [0, 4],
        "distribution": "uniform",
        "range": [-1.0, 1.0],
    }
    assert layout["categorical"][0]["columns"] == [4, 7]
    assert layout["categorical"][0]["categories"] == 3
    assert layout["continuous"]["columns"] == [7, 9]
    assert layout["continuous"]["range"] == [-1.0, 1.0]

    gan = _json(converted("gan", "none"))
    assert gan["latent_distribution"] == "uniform"
    assert gan["latent_layout"]["noise"]["range"] == [-1.0, 1.0]


def test_json_describes_gan_cls_and_its_encoder(converted):
    paths = converted("gan_cls", "none")
    info = _json(paths)
    assert [(i["name"], i["shape"]) for i in info["inputs"]] == [
        ("latent", [-1, 8]),
        ("text_embedding", [-1, 128]),
    ]
    assert info["latent_distribution"] == "normal" and info["text_dim"] == 128
    encoder = info["text_encoder"]
    assert encoder["file"] == "gan_cls.text_encoder.none.tflite"
    assert (paths["model"].parent / encoder["file"]).is_file()
    # The TFLite builtins have no string ops for TextVectorization.
    assert encoder["string_ops_converted"] is False
    assert encoder["input"] == "token_ids"
    assert "StringLower" in encoder["reason"]
    assert "StringLower" in encoder["unsupported_ops"]
    assert encoder["inputs"][0]["dtype"] == "int64"
    assert encoder["inputs"][0]["shape"] == [-1, 128]
    tokenizer = info["tokenizer"]
    assert tokenizer["split"] == "character" and tokenizer["vocabulary"]


def test_sampler_is_deterministic_by_seed(converted):
    sampler = tflite.LiteRTSampler(converted("dcgan", "none")["model"])
    first = sampler.generate(4, seed=1)
    assert first.shape == (4, 16, 16, 1)
    np.testing.assert_array_equal(first, sampler.generate(4, seed=1))
    assert not np.array_equal(first, sampler.generate(4, seed=2))
    # A different batch size reallocates and still agrees row by row.
    np.testing.assert_allclose(
        sampler.run(sampler.sample_latent(4, seed=1)[:2]), first[:2], atol=1e-6
    )
    assert tflite.to_uint8(first).dtype == np.uint8


def test_sampler_draws_infogan_codes(converted):
    sampler = tflite.LiteRTSampler(converted("infogan", "none")["model"])
    latent = sampler.sample_latent(50, seed=0)
    assert latent.shape == (50, 9)
    np.testing.assert_array_equal(latent[:, 4:7].sum(axis=1), np.ones(50))
    assert set(np.unique(latent[:, 4:7])) == {0.0, 1.0}
    assert np.abs(latent[:, [0, 1, 2, 3, 7, 8]]).max() <= 1.0
    images = sampler.generate(6, seed=0, codes={"categorical": 2})
    fixed = LatentSpec(noise_dim=4, categorical=(3,), continuous=2).with_codes(
        sampler.sample_latent(6, seed=0), categorical=2
    )
    np.testing.assert_array_equal(images, sampler.run(fixed))
    with pytest.raises(ValueError, match="'categorical' and/or 'continuous'"):
        sampler.generate(2, codes={"colour": 1})


def test_sampler_draws_captions(converted):
    sampler = tflite.LiteRTSampler(converted("gan_cls", "none")["model"])
    assert sampler.generate(3, seed=0).shape == (3, 28, 28, 1)
    images = sampler.generate_text(["a dark coat", "a pale bag"], n_per_text=2)
    assert images.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(
        images, sampler.generate_text(["a dark coat", "a pale bag"], n_per_text=2)
    )


def test_sampler_rejects_bad_inputs(converted):
    sampler = tflite.LiteRTSampler(converted("dcgan", "none")["model"])
    with pytest.raises(ValueError, match=r"latent.*\(batch, 8\).*received.*\(2, 5\)"):
        sampler.run(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"received shape \(8,\)"):
        sampler.run(np.zeros(8))
    with pytest.raises(ValueError, match="not text-conditioned"):
        sampler.run(np.zeros((1, 8)), text_embedding=np.zeros((1, 4)))
    cls = tflite.LiteRTSampler(converted("gan_cls", "none")["model"])
    with pytest.raises(ValueError, match="text_embedding"):
        cls.run(np.zeros((1, 8)))
    with pytest.raises(ValueError, match=r"text_embedding.*\(batch, 128\).*\(1, 3\)"):
        cls.run(np.zeros((1, 8)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="as many `text_embedding` rows"):
        cls.run(np.zeros((2, 8)), np.zeros((1, 128)))


def test_sampler_needs_litert(converted, monkeypatch):
    path = converted("dcgan", "none")["model"]
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ImportError, match=r'pip install "keras-gans\[litert\]"'):
        tflite.LiteRTSampler(path)


def test_parity_check_works_without_litert(export, converted, monkeypatch):
    # export-tflite checks its files on a plain install too (no litert extra).
    path = converted("dcgan", "none")["model"]
    with_litert = tflite.parity(export("dcgan"), path)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    assert tflite.parity(export("dcgan"), path) == pytest.approx(with_litert, abs=1e-6)


def test_unknown_quantization_lists_the_choices(export, tmp_path):
    with pytest.raises(ValueError, match="'none', 'float16', 'dynamic', 'int8'.*int4"):
        tflite.export_tflite(export("dcgan"), tmp_path, quantize="int4")
    assert tflite.quantizations(["all"]) == list(tflite.QUANTIZATIONS)
    assert tflite.quantizations(["int8", "none", "int8"]) == ["int8", "none"]
    with pytest.raises(ValueError, match="int4"):
        tflite.quantizations(["int4"])


def test_tokenizer_matches_text_encoder():
    shipped = keras_gans.text.get_encoder("fashion_captions")
    words = keras_gans.text.TextEncoder(
        level="word",
        sequence_length=6,
        vocabulary=["a", "dark", "pale", "slim", "dress", "ankle", "boot", "naïve"],
    )
    texts = CAPTIONS + TRICKY_TEXTS
    for encoder in (shipped, words):
        expected = encoder.tokenize(texts).numpy()
        got = tflite.tokenize(texts, encoder.tokenizer_config())
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
    single = tflite.tokenize("A dark boot", words.tokenizer_config())
    np.testing.assert_array_equal(single, words.tokenize(["A dark boot"]).numpy())


def test_failed_write_keeps_the_old_file(export, converted, tmp_path, monkeypatch):
    content = converted("dcgan", "none")["model"].read_bytes()
    monkeypatch.setattr(
        tflite, "convert_signature", lambda *args, **kwargs: (content, {})
    )
    target = tmp_path / "dcgan.none.tflite"
    target.write_bytes(b"old")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(keras_gans.files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        # A file it did not write: replaced only with overwrite=True.
        tflite.export_tflite(export("dcgan"), tmp_path, overwrite=True)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dcgan.none.tflite"]


def test_written_files_leave_no_temporary_files(converted):
    out = converted("dcgan", "none")["model"].parent
    names = [p.name for p in out.iterdir()]
    assert names and not [n for n in names if n.startswith(".")]


def test_export_source_resolves_folders_and_zoo_names(export, tmp_path, monkeypatch):
    version = export("dcgan")
    with sources.saved_model_dir(version) as found:
        assert found == version
    versions = tmp_path / "dcgan"
    for v in ("2", "10"):
        shutil.copytree(version, versions / v)
    (versions / "11-not-a-version").mkdir()
    with sources.saved_model_dir(versions) as found:
        assert found == versions / "10"

    class Pretrained:
        export_dir = version

    import keras_gans.zoo

    monkeypatch.setattr(
        keras_gans.zoo, "load_pretrained", lambda name: Pretrained(), raising=False
    )
    with sources.saved_model_dir("some_zoo_model") as found:
        assert found == version
    with pytest.raises(FileNotFoundError, match="zoo name"):
        with sources.saved_model_dir(str(tmp_path / "missing" / "run")):
            pass


def test_cli_unknown_and_unpublished_names_are_one_line_errors(tmp_path, capsys):
    from keras_gans.cli import main

    out = ["--out", str(tmp_path)]
    assert main(["export-tflite", "dcgan_fashoin_mnist", *out]) == 2
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "neither a file or folder here" in message
    assert "dcgan_fashion_mnist" in message  # the known names are listed
    assert main(["export-tflite", "dcgan_celeba", *out]) == 2
    message = capsys.readouterr().err
    assert "no published weights" in message
    assert "python tools/train_zoo.py dcgan_celeba" in message
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_cli_export_and_export_tflite(tmp_path, capsys):
    from keras_gans.cli import main

    model = _tiny("dcgan")
    keras_file = tmp_path / "tiny.keras"
    model.save(keras_file)

    assert main(["export", str(keras_file), "--out", str(tmp_path / "serving")]) == 0
    printed = capsys.readouterr().out
    version = tmp_path / "serving" / "dcgan" / "1"
    assert str(version) in printed and "generate:" in printed
    assert (version / "saved_model.pb").is_file()
    # An existing version is an error message, not a traceback.
    assert main(["export", str(keras_file), "--out", str(tmp_path / "serving")]) == 2
    assert "overwrite" in capsys.readouterr().err

    out = tmp_path / "lite"
    args = ["export-tflite", str(tmp_path / "serving" / "dcgan"), "--out", str(out)]
    assert main([*args, "--quantize", "none", "--quantize", "float16"]) == 0
    printed = capsys.readouterr().out
    for name in ("dcgan.none.tflite", "dcgan.float16.tflite", "dcgan.float16.json"):
        assert (out / name).is_file()
    assert "dcgan.none.tflite" in printed and "max |tflite - SavedModel|" in printed

    # A .keras file goes through a temporary SavedModel, removed afterwards.
    temp_before = set(os.listdir(tempfile.gettempdir()))
    argv = ["export-tflite", str(keras_file), "--out", str(out), "--name", "tiny"]
    assert main(argv) == 0
    assert (out / "tiny.none.tflite").is_file()
    new_temp = set(os.listdir(tempfile.gettempdir())) - temp_before
    assert not [n for n in new_temp if n.startswith("keras_gans_tflite_")]
    first = tflite.LiteRTSampler(out / "tiny.none.tflite").generate(2, seed=0)
    second = tflite.LiteRTSampler(out / "dcgan.none.tflite").generate(2, seed=0)
    np.testing.assert_allclose(first, second, atol=1e-5)
