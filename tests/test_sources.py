"""One reading of "a model" for every command: `keras_gans.sources`."""

import pathlib

import numpy as np
import pytest

import keras_gans
from keras_gans import cli, sources
from keras_gans.demo import Target

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small DCGAN as a `.keras` file, a run folder, an export and a preset."""
    root = tmp_path_factory.mktemp("sources")
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    )
    model.compile()
    run = root / "run"
    run.mkdir()
    model.save(run / "model.keras")
    return {
        "model": model,
        "keras": run / "model.keras",
        "run": run,
        "export": model.export(root / "exports", version=3),
        "versions": root / "exports" / "dcgan",
        "preset": model.save_to_preset(root / "preset", saved_model=False),
    }


def test_kinds(saved):
    assert sources.kind(saved["export"]) == "export"
    assert sources.kind(saved["versions"]) == "export"
    assert sources.kind(saved["keras"]) == "path"
    assert sources.kind(saved["run"]) == "path"
    assert sources.kind(saved["preset"]) == "preset"
    assert sources.kind("https://example.com/g.tar.xz") == "url"
    assert sources.kind("dcgan_fashion_mnist") == "name"


def test_every_source_of_a_keras_model_loads_the_same_model(saved):
    expected = saved["model"].generate(2, seed=1)
    for key in ("keras", "run", "preset"):
        model = sources.load_model(saved[key])
        np.testing.assert_allclose(model.generate(2, seed=1), expected, atol=1e-6)
    with pytest.raises(ValueError, match="is a SavedModel export: it has the gen"):
        sources.load_model(saved["export"])


def test_targets_and_converters_read_the_same_sources(saved):
    what, export = sources.load_target(saved["versions"])
    assert what == "export" and export.export_dir == saved["export"]
    assert Target.load(saved["run"]).model is not None
    with sources.saved_model_dir(saved["export"]) as found:
        assert found == saved["export"]
    with sources.saved_model_dir(saved["keras"]) as staged:
        assert (staged / "saved_model.pb").is_file()
    assert not staged.exists()  # the temporary export is removed


def test_a_familys_command_reads_presets_too(saved, tmp_path, capsys):
    """`keras-gans sweep` took run folders and .keras files only before."""
    infogan = keras_gans.InfoGAN(
        image_shape=(16, 16, 1), g_filters=4, d_filters=4, hidden=8, q_hidden=4
    )
    infogan.compile()
    preset = infogan.save_to_preset(tmp_path / "infogan", saved_model=False)
    out = tmp_path / "sweep.png"
    assert cli.main(["sweep", str(preset), "--out", str(out)]) == 0
    assert out.is_file() and "categories of categorical code 0" in capsys.readouterr().out
    assert cli.main(["sweep", str(saved["preset"]), "--out", str(out)]) == 2
    assert "needs an InfoGAN model; received a DCGAN" in capsys.readouterr().err
