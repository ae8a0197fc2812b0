"""SavedModel export: TF Serving's layout, the signatures, and REST-shaped calls.

No TF Serving binary installs here, so the contract is tested the way the
server would use the export: `tf.saved_model.load`, then each signature called
with the tensors a REST body decodes to (row "instances" and columnar "inputs"
forms, see `rest_tensors`), plus `saved_model_cli show --all` on the folder.
"""

import json
import os
import pathlib
import shutil
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.export import METADATA_FILE, read_metadata, saved_model
from keras_gans.latent import LatentSpec


def rest_tensors(body, signature):
    """What TF Serving's REST API feeds a signature for a JSON `body`.

    Row format `{"instances": [...]}`: one entry per example, a bare value
    for a one-input signature or a dict of named inputs; columnar format
    `{"inputs": ...}`: a value, or a dict of named inputs each holding the
    whole batch. Values become tensors of the signature's input dtypes.
    """
    body = json.loads(body)
    specs = signature.structured_input_signature[1]
    if "instances" in body:
        rows = body["instances"]
        if len(specs) == 1:
            (name,) = specs
            values = {name: rows}
        else:
            values = {name: [row[name] for row in rows] for name in specs}
    else:
        inputs = body["inputs"]
        values = inputs if isinstance(inputs, dict) else {next(iter(specs)): inputs}
    return {name: tf.constant(values[name], dtype=specs[name].dtype) for name in specs}


@pytest.fixture(scope="module")
def dcgan():
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=8, d_filters=8, seed=0
    )
    model.generate(1)
    return model


@pytest.fixture(scope="module")
def dcgan_export(dcgan, tmp_path_factory):
    base = tmp_path_factory.mktemp("serving")
    return dcgan.export(base, version=3)


def test_export_writes_tf_serving_layout(dcgan, dcgan_export):
    base = dcgan_export.parent.parent
    assert dcgan_export == base / "dcgan" / "3"
    assert (dcgan_export / "saved_model.pb").is_file()
    assert (dcgan_export / "variables" / "variables.index").is_file()
    # Nothing else in the model folder: a watching TF Serving sees version 3 only.
    assert [p.name for p in (base / "dcgan").iterdir()] == ["3"]
    # Each weight is stored once (tracking the model too would double it).
    weights = sum(p.stat().st_size for p in (dcgan_export / "variables").iterdir())
    float32_params = 4 * dcgan.generator.count_params()
    assert float32_params <= weights < 1.1 * float32_params + 4096
    info = read_metadata(dcgan_export)
    assert info["model"] == "dcgan" and info["latent_dim"] == 8
    assert info["image_shape"] == [16, 16, 1]
    assert info["output_range"] == [-1.0, 1.0]
    assert info["latent_distribution"] == "normal"
    assert set(info["signatures"]) == {"serving_default", "sample", "generate"}


def test_existing_version_is_kept_unless_overwrite(dcgan, tmp_path):
    first = dcgan.export(tmp_path, version=1, name="m")
    marker = first / "marker.txt"
    marker.write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        dcgan.export(tmp_path, version=1, name="m")
    assert marker.read_text() == "keep me"
    again = dcgan.export(tmp_path, version=1, name="m", overwrite=True)
    assert again == first and not marker.exists()
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1"]


def test_failed_overwrite_keeps_the_old_version(dcgan, tmp_path, monkeypatch):
    first = dcgan.export(tmp_path, version=1, name="m")
    (first / "marker.txt").write_text("keep me")

    # Failing while writing, and failing at the very last rename.
    def full_disk(model):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(saved_model, "metadata", full_disk)
        with pytest.raises(OSError, match="No space"):
            dcgan.export(tmp_path, version=1, name="m", overwrite=True)
    real_replace = os.replace

    def failing_replace(src, dst):
        if pathlib.Path(dst) == first:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="Input/output"):
        dcgan.export(tmp_path, version=1, name="m", overwrite=True)
    assert (first / "marker.txt").read_text() == "keep me"
    assert (first / "saved_model.pb").is_file()
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1"]


@pytest.mark.parametrize("version", [0, -1, 1.5, "2", True])
def test_bad_version_is_refused(dcgan, tmp_path, version):
    with pytest.raises(ValueError, match="version"):
        dcgan.export(tmp_path, version=version)
    assert not list(tmp_path.iterdir())


def test_serving_default_rest_bodies_match_generate(dcgan, dcgan_export):
    loaded = tf.saved_model.load(str(dcgan_export))
    serve = loaded.signatures["serving_default"]
    z = np.random.default_rng(0).normal(size=(3, 8)).round(4).astype("float32")
    expected = dcgan.generate(z)
    rows = json.dumps({"instances": z.tolist()})
    columns = json.dumps({"inputs": {"latent": z.tolist()}})
    for body in (rows, columns):
        out = serve(**rest_tensors(body, serve))
        np.testing.assert_allclose(out["images"].numpy(), expected, atol=1e-5)
        uint8 = out["images_uint8"].numpy()
        assert uint8.dtype == np.uint8
        np.testing.assert_array_equal(
            uint8, np.clip(np.round((expected + 1) * 127.5), 0, 255).astype(np.uint8)
        )


def test_sample_signature_draws_what_generate_draws(dcgan, dcgan_export):
    loaded = tf.saved_model.load(str(dcgan_export))
    sample = loaded.signatures["sample"]
    body = json.dumps({"inputs": {"count": 5, "seed": 42}})
    out = sample(**rest_tensors(body, sample))
    np.testing.assert_allclose(
        out["images"].numpy(), dcgan.generate(5, seed=42), atol=1e-5
    )
    again = sample(count=tf.constant(5), seed=tf.constant(42, tf.int64))
    np.testing.assert_array_equal(again["latent"].numpy(), out["latent"].numpy())
    other = sample(count=tf.constant(5), seed=tf.constant(43, tf.int64))
    assert not np.allclose(other["latent"].numpy(), out["latent"].numpy())


def test_signatures_check_input_shapes(dcgan_export):
    loaded = tf.saved_model.load(str(dcgan_export))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"`latent` of shape \[batch, 8\]"
    ):
        loaded.signatures["serving_default"](latent=tf.zeros((2, 5)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one row"):
        loaded.signatures["serving_default"](latent=tf.zeros((0, 8)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`count` in \[1, 1024\]"):
        loaded.signatures["sample"](count=tf.constant(0), seed=tf.constant(0, tf.int64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="`seed` in"):
        loaded.signatures["sample"](
            count=tf.constant(1), seed=tf.constant(-1, tf.int64)
        )


def test_saved_model_cli_shows_the_signatures(dcgan_export):
    cli = shutil.which("saved_model_cli")
    assert cli, "saved_model_cli comes with tensorflow"
    shown = subprocess.run(
        [cli, "show", "--all", "--dir", str(dcgan_export)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for fragment in (
        "signature_def['serving_default']",
        "signature_def['sample']",
        "signature_def['generate']",
        "inputs['latent'] tensor_info:",
        "outputs['images'] tensor_info:",
        "outputs['images_uint8'] tensor_info:",
        "dtype: DT_UINT8",
        "inputs['count'] tensor_info:",
        "dtype: DT_INT64",
        "shape: (-1, 16, 16, 1)",
    ):
        assert fragment in shown, fragment


def test_gan_export_uses_its_uniform_noise(tmp_path):
    model = keras_gans.GAN(
        data_shape=(4, 4, 1), latent_dim=6, g_units=(8,), d_units=(8,), seed=1
    )
    model.generate(1)
    out = model.export(tmp_path)
    assert out == tmp_path / "gan" / "1"
    loaded = tf.saved_model.load(str(out))
    sample = loaded.signatures["sample"](
        count=tf.constant(4), seed=tf.constant(9, tf.int64)
    )
    latent = sample["latent"].numpy()
    assert latent.min() >= -1 and latent.max() <= 1
    np.testing.assert_allclose(
        sample["images"].numpy(), model.generate(4, seed=9), atol=1e-5
    )
    assert read_metadata(out)["latent_distribution"] == "uniform"


@pytest.fixture(scope="module")
def infogan_export(tmp_path_factory):
    spec = LatentSpec(noise_dim=4, categorical=(3,), continuous=2)
    model = keras_gans.InfoGAN(
        image_shape=(16, 16, 1), latent_spec=spec, hidden=8, seed=0
    )
    model.generate(1)
    return model, model.export(tmp_path_factory.mktemp("infogan"))


def test_infogan_generate_with_codes_rest_body(infogan_export):
    model, out = infogan_export
    loaded = tf.saved_model.load(str(out))
    fn = loaded.signatures["generate_with_codes"]
    noise = [[0.1, -0.2, 0.3, 0.0], [0.5, 0.5, -0.5, 0.2]]
    body = json.dumps(
        {
            "instances": [
                {"noise": noise[0], "categorical": [2], "continuous": [0.5, -1.0]},
                {"noise": noise[1], "categorical": [0], "continuous": [0.0, 0.25]},
            ]
        }
    )
    got = fn(**rest_tensors(body, fn))
    latent = np.array(
        [noise[0] + [0, 0, 1] + [0.5, -1.0], noise[1] + [1, 0, 0] + [0.0, 0.25]],
        np.float32,
    )
    np.testing.assert_array_equal(got["latent"].numpy(), latent)
    np.testing.assert_allclose(got["images"].numpy(), model.generate(latent), atol=1e-5)
    info = read_metadata(out)
    assert info["latent_spec"]["categorical"] == [3]
    assert info["latent_layout"] == {
        "noise": [0, 4],
        "categorical": [[4, 7]],
        "continuous": [7, 9],
    }
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"categorical code 0 in \[0, 2\]"
    ):
        fn(
            noise=tf.zeros((1, 4)),
            categorical=tf.constant([[3]]),
            continuous=tf.zeros((1, 2)),
        )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"`continuous` of shape \[batch, 2\]"
    ):
        fn(
            noise=tf.zeros((1, 4)),
            categorical=tf.constant([[1]]),
            continuous=tf.zeros((1, 3)),
        )
    sample = loaded.signatures["sample"](
        count=tf.constant(6), seed=tf.constant(5, tf.int64)
    )
    np.testing.assert_allclose(
        sample["images"].numpy(), model.generate(6, seed=5), atol=1e-5
    )


@pytest.mark.slow
def test_gan_cls_text_to_image_takes_raw_strings(tmp_path):
    from keras_gans.text import get_encoder

    captions = ["a dark narrow coat", "a light wide bag"]
    model = keras_gans.GANCLS(
        text_encoder=get_encoder("fashion_captions"),
        image_shape=(28, 28, 1),
        g_filters=8,
        d_filters=8,
        preview_texts=captions,
        seed=0,
    )
    model.generate(captions[:1])
    # Export from the .keras file, as a trained run is exported.
    model.save(tmp_path / "gan_cls.keras")
    model = keras.saving.load_model(tmp_path / "gan_cls.keras")
    out = model.export(tmp_path)
    assert out == tmp_path / "gan_cls" / "1"
    loaded = tf.saved_model.load(str(out))
    assert set(loaded.signatures) == {
        "serving_default",
        "generate",
        "sample",
        "text_to_image",
        "embed_texts",
        "embed_tokens",
    }
    t2i = loaded.signatures["text_to_image"]
    body = json.dumps({"inputs": {"texts": captions, "seed": 3}})
    got = t2i(**rest_tensors(body, t2i))
    np.testing.assert_allclose(
        got["images"].numpy(), model.generate(captions, seed=3), atol=1e-5
    )
    embed = loaded.signatures["embed_texts"](texts=tf.constant(captions))["embeddings"]
    np.testing.assert_allclose(embed.numpy(), model.embed_texts(captions), atol=1e-6)
    serve = loaded.signatures["serving_default"]
    z = np.random.default_rng(1).normal(size=(2, 100)).astype("float32")
    rows = json.dumps(
        {
            "instances": [
                {"latent": z[i].tolist(), "text_embedding": embed[i].numpy().tolist()}
                for i in range(2)
            ]
        }
    )
    got = serve(**rest_tensors(rows, serve))
    np.testing.assert_allclose(
        got["images"].numpy(), model.generate(captions, z=z), atol=1e-5
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="text_embedding"):
        serve(latent=tf.constant(z), text_embedding=tf.zeros((2, 5)))
    sample = loaded.signatures["sample"](
        count=tf.constant(3), seed=tf.constant(0, tf.int64)
    )
    assert [t.decode() for t in sample["texts"].numpy()] == [captions[0]] * 2 + [
        captions[1]
    ]
    ids = model.text_encoder.tokenize(captions)
    tokens = loaded.signatures["embed_tokens"](token_ids=ids)["embeddings"]
    np.testing.assert_allclose(tokens.numpy(), embed.numpy(), atol=1e-6)
    info = json.loads((out / METADATA_FILE).read_text())
    assert info["preview_texts"] == captions and info["text_dim"] == 128
    assert info["tokenizer"]["split"] == "character"


def test_a_mixed_precision_generator_exports_float32_images(tmp_path):
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1),
        latent_dim=4,
        g_filters=4,
        d_filters=4,
        seed=0,
        dtype_policy="mixed_bfloat16",
    )
    model.compile()
    version = model.export(tmp_path, version=1)
    serve = tf.saved_model.load(str(version)).signatures["serving_default"]
    assert serve.structured_outputs["images"].dtype == tf.float32
    z = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    out = serve(latent=tf.constant(z))["images"].numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, model.generate(z), atol=1e-5)
