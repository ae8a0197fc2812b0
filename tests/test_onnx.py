"""ONNX files of a generator: ONNX Runtime draws what the model draws.

`keras_gans.export.onnx` converts the signature a phone's TFLite file
converts (noise in, images out) through tf2onnx, with a dynamic batch, and
writes the latent layout in a JSON beside it. Every family's ONNX file
(GAN-CLS's with its text embeddings) is also checked against its SavedModel
by `FamilyTestCase` (tests/test_families.py).
"""

import json

import numpy as np
import pytest

import keras_gans
from keras_gans import cli
from keras_gans.export import onnx
from keras_gans.export.spec import OnnxSpec
from keras_gans.latent import LatentSpec
from keras_gans.models import Family, registry
from keras_gans.outputs import OutputExistsError

pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")

MODELS = {
    "gan": lambda: keras_gans.GAN(
        data_shape=(8, 8, 1), latent_dim=4, g_units=(16,), d_units=(8,), seed=1
    ),
    "dcgan": lambda: keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=4, d_filters=4, seed=1
    ),
    "infogan": lambda: keras_gans.InfoGAN(
        image_shape=(16, 16, 1),
        latent_spec=LatentSpec(noise_dim=4, categorical=(3,), continuous=1),
        g_filters=4,
        d_filters=4,
        hidden=16,
        q_hidden=8,
        seed=1,
    ),
    "vae": lambda: keras_gans.VAE(
        image_shape=(8, 8, 1), latent_dim=3, filters=(4,), hidden=8, seed=0
    ),
    "pixelcnn": lambda: keras_gans.PixelCNN(
        image_shape=(4, 4, 1), filters=4, blocks=1, levels=256, seed=0
    ),
}


def _drawn(model, noise):
    """What the model draws from `noise`: a VAE's decoder mean, else `generate`."""
    if isinstance(model, keras_gans.VAE):
        return np.asarray(model.decode(noise))
    return np.asarray(model.generate(noise))


@pytest.mark.parametrize("name", ["infogan", "pixelcnn", "vae"])
def test_onnx_runtime_draws_what_the_model_draws(name, tmp_path):
    model = MODELS[name]()
    paths = model.export(tmp_path / f"{name}.onnx", format="onnx")
    info = json.loads(paths["metadata"].read_text())
    assert info["model"] == name and info["file"] == f"{name}.onnx"
    runtime = onnx.session(paths["model"])
    (noise_input,) = runtime.get_inputs()
    assert noise_input.name == info["noise_input"] == info["inputs"][0]["name"]
    assert info["inputs"][0]["shape"][0] is None  # any batch size
    assert [o.name for o in runtime.get_outputs()] == ["images"]
    for n in (1, 5):  # the same file, two batch sizes
        noise = np.asarray(model.sample_latent(n, seed=n)).astype("float32")
        (images,) = runtime.run(["images"], {noise_input.name: noise})
        assert images.shape == (n, *info["image_shape"])
        np.testing.assert_allclose(images, _drawn(model, noise), atol=1e-5)
    layout = info["latent_layout"]
    if name == "infogan":
        assert layout["categorical"][0]["categories"] == 3
        assert layout["continuous"]["columns"] == [7, 8]
    elif name == "pixelcnn":
        assert layout["noise"]["range"] == [0.0, 1.0]
        assert info["levels"] == 256
    else:  # the VAE
        assert layout["noise"]["columns"] == [0, model.latent_dim]


def test_a_family_without_an_onnx_form_refuses_with_its_reason(tmp_path):
    class Shy(keras_gans.DCGAN):
        pass

    family = registry.register_family(
        Family(
            "shy",
            Shy,
            onnx=OnnxSpec(refused="its generator has an op ONNX lacks"),
            trainable=False,
        )
    )
    try:
        model = Shy(image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4)
        with pytest.raises(ValueError, match="shy export has no ONNX form: its gen"):
            model.export(tmp_path / "shy.onnx", format="onnx")
        assert not (tmp_path / "shy.onnx").exists()
    finally:
        registry.unregister_family(family.name)


def test_keras_gans_export_format_onnx_keeps_files_it_did_not_write(tmp_path, capsys):
    model = MODELS["dcgan"]()
    model.compile()
    model.save(tmp_path / "g.keras")
    out = tmp_path / "onnx"
    out.mkdir()
    (out / "dcgan.onnx").write_text("mine")
    args = ["export", str(tmp_path / "g.keras"), "--format", "onnx", "--out", str(out)]
    assert cli.main(args) == 2
    assert "dcgan.onnx" in capsys.readouterr().err
    assert (out / "dcgan.onnx").read_text() == "mine"
    assert cli.main([*args, "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert "ONNX Runtime vs the SavedModel: max |difference|" in printed
    assert json.loads((out / "dcgan.onnx.json").read_text())["opset"] == onnx.OPSET
    # A second conversion replaces the files of the first without --overwrite.
    assert cli.main(args) == 0
    with pytest.raises(OutputExistsError):
        (out / "dcgan.onnx.json").write_text("{}")  # now not one of ours
        onnx.export_onnx(model.export(tmp_path / "e"), out)
