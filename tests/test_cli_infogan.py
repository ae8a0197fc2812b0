"""`keras-gans train infogan`, `keras-gans sweep` and `keras-gans sample --category`."""

import json
import pathlib
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli
from keras_gans import runs as training
from keras_gans.data import local
from keras_gans.images import save_image_grid
from keras_gans.latent import LatentSpec
from keras_gans.models.infogan import generate_in_category, save_code_sweep
from keras_gans.runs import folder as run_folder

# Two categorical codes (4 and 3 categories), two continuous codes, at 16x16
# (the fixture resized) so that the default-sized networks stay small.
TRAIN_ARGS = ["train", "infogan", "--epochs", "1", "--limit", "64"]
TRAIN_ARGS += ["--batch-size", "32", "--image-shape", "16,16,1", "--verbose", "0"]
TRAIN_ARGS += ["--latent-dim", "6", "--categorical", "4,3", "--continuous", "2"]
TRAIN_ARGS += ["--categorical-weight", "0.5", "--continuous-weight", "0.2"]
TRAIN_ARGS += ["--hidden", "64"]
CELL = 16 + 2  # a 16x16 image plus the grid's padding


def read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


def grid_shape(rows, cols):
    return (rows * CELL + 2, cols * CELL + 2, 1)


@pytest.fixture(scope="module")
def infogan_run(tmp_path_factory):
    # The `fashion_dir` fixture's folder (a module-scoped run cannot use it).
    data_dir = str(pathlib.Path(__file__).parent / "fixtures" / "fashion-mnist")
    run = tmp_path_factory.mktemp("infogan") / "run"
    args = TRAIN_ARGS + ["--data-dir", data_dir, "--out", str(run)]
    assert cli.main(args) == 0
    return run, args


@pytest.fixture(scope="module")
def infogan_model(infogan_run):
    return training.load_trained(infogan_run[0])


def test_train_infogan_writes_the_code_figures(infogan_run, capsys):
    run, _ = infogan_run
    for name in ("model.keras", "samples.png", "curves.png", "run.json"):
        assert (run / name).is_file(), name
    # Rows: the 4 categories of code 0; columns: 10 values of a continuous code.
    for name in ("code_sweep.png", "code_sweep_c0.png", "code_sweep_c1.png"):
        assert read_png(run / name).shape == grid_shape(4, 10), name
    assert (run / "code_sweep.png").read_bytes() == (
        run / "code_sweep_c0.png"
    ).read_bytes()
    assert (run / "code_sweep_c0.png").read_bytes() != (
        run / "code_sweep_c1.png"
    ).read_bytes()
    # Rows: 8 noise vectors; columns: the 4 categories of code 0.
    assert read_png(run / "categories.png").shape == grid_shape(8, 4)
    assert not (run / "backup").exists()


def test_the_trained_model_reloads_with_the_requested_spec(infogan_run, infogan_model):
    run, _ = infogan_run
    model = infogan_model
    assert isinstance(model, keras_gans.InfoGAN)
    assert model.spec == LatentSpec(noise_dim=6, categorical=(4, 3), continuous=2)
    assert model.image_shape == (16, 16, 1)
    assert (model.categorical_weight, model.continuous_weight) == (0.5, 0.2)
    assert model.hidden == 64 and model.trunk.output.shape[-1] == 64
    # The paper's rates: G (with Q) 1e-3, D 2e-4.
    assert np.isclose(float(model.g_optimizer.learning_rate), 1e-3)
    assert np.isclose(float(model.d_optimizer.learning_rate), 2e-4)
    assert int(model.g_optimizer.iterations) == 64 // 32
    config = json.loads((run / "run.json").read_text())["config"]
    assert config["categorical"] == [4, 3] and config["continuous"] == 2
    assert config["latent_dim"] == 6 and config["g_learning_rate"] == 1e-3
    assert config["hidden"] == 64
    # categories.png is category_batch(0, 8, seed=0) through the generator.
    latent = model.spec.category_batch(0, n_per_category=8, seed=0)
    expected = run.parent / "expected_categories.png"
    save_image_grid(model.generate(latent), expected, ncols=4)
    assert expected.read_bytes() == (run / "categories.png").read_bytes()


def test_rerun_with_other_codes_is_refused_naming_the_key(infogan_run, capsys):
    run, args = infogan_run
    assert cli.main(args) == 0
    assert "already holds a model trained for 1 epochs" in capsys.readouterr().out

    changed = [a if a != "4,3" else "10" for a in args]
    assert cli.main(changed) == 2
    err = capsys.readouterr().err
    assert "holds a run with different settings" in err
    assert "categorical: run has [4, 3], asked [10]" in err

    weight = [a if a != "0.2" else "0.3" for a in args]
    assert cli.main(weight) == 2
    assert "continuous_weight: run has 0.2, asked 0.3" in capsys.readouterr().err

    g_rate = args + ["--g-learning-rate", "5e-4"]
    assert cli.main(g_rate) == 2
    assert "g_learning_rate: run has 0.001, asked 0.0005" in capsys.readouterr().err


def test_sweep_writes_the_code_sweep_grid(infogan_run, infogan_model, tmp_path):
    run, _ = infogan_run
    out = tmp_path / "sweep.png"
    args = ["sweep", str(run), "--categorical-code", "1", "--continuous-code", "1"]
    args += ["--values", "-1,1,5", "--seed", "3", "--out", str(out)]
    assert cli.main(args) == 0
    # Rows: the 3 categories of code 1; columns: the 5 values.
    assert read_png(out).shape == grid_shape(3, 5)
    expected = save_code_sweep(
        infogan_model,
        tmp_path / "expected.png",
        categorical_code=1,
        continuous_code=1,
        values=np.linspace(-1, 1, 5),
        seed=3,
    )
    assert out.read_bytes() == expected.read_bytes()

    # The defaults: code 0's 4 categories by 10 values in [-2, 2].
    default = tmp_path / "default.png"
    assert cli.main(["sweep", str(run / "model.keras"), "--out", str(default)]) == 0
    assert default.read_bytes() == (run / "code_sweep.png").read_bytes()


def test_sweep_errors(infogan_run, tmp_path, capsys):
    run, _ = infogan_run
    args = ["sweep", str(run), "--continuous-code", "2", "--out", "x.png"]
    assert cli.main(args) == 2
    assert "continuous code index in [0, 2); received 2" in capsys.readouterr().err

    dcgan = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4
    )
    path = run_folder.save_model_atomic(dcgan, tmp_path / "dcgan.keras")
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert "keras-gans sweep needs an InfoGAN model" in err and "a DCGAN" in err
    assert not (tmp_path / "s.png").exists()
    assert cli.main(["sample", str(path), "--category", "1"]) == 2
    assert "--category needs an InfoGAN model" in capsys.readouterr().err

    with pytest.raises(SystemExit):
        cli.main(["sweep", str(run), "--values", "-2,2"])
    assert "expected START,STOP,NUM such as -2,2,10" in capsys.readouterr().err


def test_sample_category(infogan_run, infogan_model, tmp_path, monkeypatch, capsys):
    run, _ = infogan_run
    out = tmp_path / "cat.png"
    args = ["sample", str(run), "--category", "2", "--n", "6", "--ncols", "3"]
    assert cli.main(args + ["--seed", "5", "--out", str(out)]) == 0
    assert "Wrote 6 samples of category 2" in capsys.readouterr().out
    assert read_png(out).shape == grid_shape(2, 3)
    images = generate_in_category(infogan_model, 6, 2, seed=5)
    expected = save_image_grid(images, tmp_path / "expected.png", ncols=3)
    assert out.read_bytes() == expected.read_bytes()

    # Every latent has category 2 in code 0; code 1 and the rest keep the draw.
    seen = []
    real_generate = infogan_model.generate
    monkeypatch.setattr(
        infogan_model, "generate", lambda z: seen.append(z) or real_generate(z)
    )
    generate_in_category(infogan_model, 32, 2, seed=5)
    spec = infogan_model.spec
    parts = spec.split(seen[0])
    drawn = spec.split(np.asarray(spec.sample(32, seed=5)))
    assert (parts["categorical"][0].argmax(-1) == 2).all()
    np.testing.assert_array_equal(parts["categorical"][1], drawn["categorical"][1])
    assert len(set(parts["categorical"][1].argmax(-1).tolist())) > 1
    np.testing.assert_array_equal(parts["noise"], drawn["noise"])
    np.testing.assert_array_equal(parts["continuous"], drawn["continuous"])


def test_sample_category_out_of_range(infogan_run, capsys):
    run, _ = infogan_run
    assert cli.main(["sample", str(run), "--category", "4", "--out", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "Expected a category in [0, 4)" in err and "received 4" in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            ["--categorical", "10", "--continuous-weight", "1"],
            "--categorical, --continuous-weight only apply to infogan; "
            "received them with dcgan",
        ),
        (["--continuous", "2"], "--continuous only apply to infogan"),
    ],
)
def test_infogan_flags_are_refused_for_other_models(tmp_path, capsys, extra, message):
    run = tmp_path / "run"
    assert cli.main(["train", "dcgan", "--out", str(run)] + extra) == 2
    assert message in capsys.readouterr().err
    assert not run.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--categorical", "10,1"], "at least 2 categories"),
        (["--categorical", "none", "--continuous", "0"], "at least one InfoGAN code"),
        (["--continuous", "-1"], "continuous >= 0"),
        (["--categorical-weight", "-1"], "--categorical-weight to be a finite number"),
        (["--g-learning-rate", "0"], "--g-learning-rate to be a finite number > 0"),
    ],
)
def test_infogan_flag_validation(tmp_path, capsys, extra, message):
    run = tmp_path / "run"
    assert cli.main(["train", "infogan", "--out", str(run)] + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-gans train: error:") and message in err
    assert not run.exists()


def test_categorical_flag_parsing(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "infogan", "--out", "x", "--categorical", "ten"])
    assert "comma-separated category counts such as 10 or 10,4" in (
        capsys.readouterr().err
    )


def test_train_infogan_on_digits_end_to_end(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run = tmp_path / "run"
    args = ["train", "infogan", "--dataset", "digits", "--epochs", "1"]
    args += ["--limit", "64", "--batch-size", "32", "--verbose", "0"]
    assert cli.main(args + ["--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"sweep:   {run / 'code_sweep.png'}" in out
    model = keras.saving.load_model(run / "model.keras")
    # The paper's MNIST setting and the digits' own 16x16.
    assert model.spec == LatentSpec(noise_dim=62, categorical=(10,), continuous=2)
    assert model.image_shape == (16, 16, 1)
    assert read_png(run / "samples.png").shape == grid_shape(8, 8)
    assert read_png(run / "code_sweep.png").shape == grid_shape(10, 10)
    assert read_png(run / "categories.png").shape == grid_shape(8, 10)
    config = json.loads((run / "run.json").read_text())["config"]
    assert config["dataset"] == "digits" and config["image_shape"] == [16, 16, 1]


def test_train_on_digits_without_sklearn_says_how_to_install(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    monkeypatch.setattr(local, "_ARRAY_CACHE", {})
    run = tmp_path / "run"
    args = ["train", "infogan", "--dataset", "digits", "--out", str(run)]
    assert cli.main(args) == 2
    assert 'pip install "keras-gans[sklearn]"' in capsys.readouterr().err
    assert not run.exists()
