"""Resumable training runs and the `keras-gans` command line."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import cli
from keras_gans import runs as training
from keras_gans.latent import LatentSpec
from keras_gans.models.infogan import figures as infogan_figures
from keras_gans.runs import folder as run_folder


def small_config(fashion_dir, **kwargs):
    defaults = dict(
        model="gan",
        epochs=2,
        batch_size=64,
        limit=256,
        latent_dim=8,
        data_dir=str(fashion_dir),
    )
    defaults.update(kwargs)
    return training.TrainConfig(**defaults)


class InterruptAt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt when an epoch begins, as Ctrl-C would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


def test_a_run_writes_every_artifact(fashion_dir, tmp_path):
    result = training.train(small_config(fashion_dir), tmp_path, verbose=0)
    assert result.epochs_completed == 2
    for name in ("model.keras", "checkpoint.keras", "samples.png", "curves.png"):
        assert (tmp_path / name).is_file(), name
    assert sorted(os.listdir(tmp_path / "samples")) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    assert read_png(tmp_path / "samples.png").shape == (8 * 30 + 2, 8 * 30 + 2, 1)
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch") and len(rows) == 3
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["epochs_completed"] == 2 and record["config"]["model"] == "gan"
    # The backup is removed once the run completes.
    assert not (tmp_path / "backup").exists()
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(
        loaded.generate(4, seed=0), result.model.generate(4, seed=0)
    )


def test_interrupted_run_resumes_from_the_last_finished_epoch(fashion_dir, tmp_path):
    config = small_config(fashion_dir, epochs=3)
    steps_per_epoch = 256 // 64
    with pytest.raises(KeyboardInterrupt):
        training.train(config, tmp_path, verbose=0, callbacks=[InterruptAt(2)])
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["epochs_completed"] == 2
    assert (tmp_path / "backup").exists() and not (tmp_path / "model.keras").exists()

    result = training.train(config, tmp_path, verbose=0)
    # Only the missing epoch ran, and the optimizers continued from their
    # saved state (iteration counts add up over both invocations).
    assert len(result.history["d_loss"]) == 1
    assert int(result.model.g_optimizer.iterations) == 3 * steps_per_epoch
    assert int(result.model.d_optimizer.iterations) == 3 * steps_per_epoch
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == [0, 1, 2]


def test_resumed_run_restores_optimizer_and_noise_state(fashion_dir, tmp_path):
    # (Exact continuation on identical data is checked in test_models.py; a
    # restarted run reshuffles the data in another order.)
    kwargs = dict(epochs=2, limit=128)
    straight = training.train(
        small_config(fashion_dir, **kwargs), tmp_path / "a", verbose=0
    )
    config = small_config(fashion_dir, **kwargs)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, tmp_path / "b", verbose=0, callbacks=[InterruptAt(1)])
    resumed = training.train(config, tmp_path / "b", verbose=0)
    assert int(resumed.model.g_optimizer.iterations) == int(
        straight.model.g_optimizer.iterations
    )
    assert resumed.model.seed_generator.state.numpy().tolist() == (
        straight.model.seed_generator.state.numpy().tolist()
    )


def test_kill_while_writing_the_final_model_loses_no_epoch(
    fashion_dir, tmp_path, monkeypatch
):
    config = small_config(fashion_dir, epochs=2)
    real_save = run_folder.save_model_atomic

    def killed_on_final(model, path):
        if path.name == training.FINAL_MODEL:
            raise KeyboardInterrupt
        return real_save(model, path)

    monkeypatch.setattr(training.loop, "save_model_atomic", killed_on_final)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, tmp_path, verbose=0)
    monkeypatch.undo()
    assert not (tmp_path / "model.keras").exists()
    assert (tmp_path / "backup").exists()  # kept until the run is finished

    result = training.train(config, tmp_path, verbose=0)
    assert result.history == {} or len(result.history["d_loss"]) == 0
    assert int(result.model.g_optimizer.iterations) == 2 * (256 // 64)
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["finished"] and record["epochs_completed"] == 2
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == [0, 1]
    assert not (tmp_path / "backup").exists()


def test_fewer_epochs_than_already_trained_is_refused(fashion_dir, tmp_path):
    config = small_config(fashion_dir, epochs=3)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, tmp_path, verbose=0, callbacks=[InterruptAt(2)])
    with pytest.raises(
        ValueError, match=r"already trained 2 epochs; expected epochs >= 2"
    ):
        training.train(small_config(fashion_dir, epochs=1), tmp_path, verbose=0)


def test_continuing_a_finished_run_can_itself_be_resumed(fashion_dir, tmp_path):
    training.train(small_config(fashion_dir, epochs=1), tmp_path, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.train(
            small_config(fashion_dir, epochs=3),
            tmp_path,
            verbose=0,
            callbacks=[InterruptAt(2)],
        )
    result = training.train(small_config(fashion_dir, epochs=3), tmp_path, verbose=0)
    assert len(result.history["d_loss"]) == 1
    assert int(result.model.g_optimizer.iterations) == 3 * (256 // 64)


def test_finished_run_is_not_retrained_and_more_epochs_continue_it(
    fashion_dir, tmp_path, capsys
):
    config = small_config(fashion_dir, epochs=1)
    first = training.train(config, tmp_path, verbose=0)
    again = training.train(config, tmp_path, verbose=0)
    assert "already holds a model trained for 1 epochs" in capsys.readouterr().out
    np.testing.assert_array_equal(
        again.model.generate(2, seed=0), first.model.generate(2, seed=0)
    )

    longer = training.train(small_config(fashion_dir, epochs=2), tmp_path, verbose=0)
    assert longer.epochs_completed == 2
    assert int(longer.model.g_optimizer.iterations) == 2 * (256 // 64)
    assert json.loads((tmp_path / "run.json").read_text())["epochs_completed"] == 2


def test_a_run_folder_refuses_different_settings(fashion_dir, tmp_path):
    training.train(small_config(fashion_dir, epochs=1), tmp_path, verbose=0)
    with pytest.raises(ValueError, match=r"latent_dim: run has 8, asked 16"):
        training.train(small_config(fashion_dir, latent_dim=16), tmp_path, verbose=0)


def test_config_validation():
    with pytest.raises(
        ValueError, match=r"one of \['dcgan', 'gan', 'gan_cls', 'independent_pixels'"
    ):
        training.TrainConfig(model="wgan_div")
    with pytest.raises(ValueError, match="epochs >= 1"):
        training.TrainConfig(model="gan", epochs=0)
    with pytest.raises(ValueError, match="steps_per_execution >= 1"):
        training.TrainConfig(model="gan", steps_per_execution=0)
    with pytest.raises(ValueError, match="limit >= 1"):
        training.TrainConfig(model="gan", limit=0)
    assert training.TrainConfig(model="dcgan").image_shape == (28, 28, 1)
    assert training.TrainConfig(model="dcgan", dataset="celeb_a").image_shape == (
        64,
        64,
        3,
    )


# What run.json records as "config" for `TrainConfig(model="dcgan")`: every
# setting but the resumable ones, in this order.
DCGAN_IDENTITY = {
    "model": "dcgan",
    "dataset": "fashion_mnist",
    "batch_size": 128,
    "latent_dim": 100,
    "image_shape": [28, 28, 1],
    "loss": "non_saturating",
    "d_steps": 1,
    "learning_rate": 2e-4,
    "beta_1": 0.5,
    "seed": 0,
    "limit": None,
    "g_learning_rate": 2e-4,
    "mixed_precision": None,
    "r1_gamma": 0.0,
    "r1_interval": 1,
    "augment": None,
    "ema_decay": None,
    "crop_box": None,
    "flip": False,
    "spectral_norm": False,
    "g_filters": 64,
    "d_filters": 64,
}
# What keras-gans 0.1.0 recorded for the same run (before the stabilisers,
# mixed precision, the data settings and DCGAN's own options existed).
DCGAN_IDENTITY_0_1_0 = {
    k: v
    for k, v in DCGAN_IDENTITY.items()
    if k in ("model", "dataset", "batch_size", "latent_dim", "image_shape")
    or k in ("loss", "d_steps", "learning_rate", "beta_1", "seed", "limit")
}


def test_the_identity_records_every_setting_but_the_resumable_ones():
    identity = training.TrainConfig(model="dcgan").identity()
    assert identity == DCGAN_IDENTITY
    assert list(identity) == list(DCGAN_IDENTITY)
    # Defaults are recorded too: a default that changes is a different run.
    gan = training.TrainConfig(model="gan", latent_dim=8, learning_rate=1e-3)
    assert set(gan.identity()) == (
        set(DCGAN_IDENTITY) - {"spectral_norm", "g_filters", "d_filters"}
    ) | {"g_units"}
    assert gan.identity()["g_units"] == [1200, 1200]
    # G's rate is resolved to D's, so giving it explicitly is the same run.
    assert gan.g_learning_rate == 1e-3 and gan.identity()["g_learning_rate"] == 1e-3
    same = training.TrainConfig(
        model="gan", latent_dim=8, learning_rate=1e-3, g_learning_rate=1e-3
    )
    assert same.identity() == gan.identity()
    # A different G rate is part of the run's identity.
    other = training.TrainConfig(model="gan", g_learning_rate=1e-3).identity()
    assert other["g_learning_rate"] == 1e-3 and other["learning_rate"] == 2e-4
    # Settings that may change between invocations are not.
    resumable = {"epochs", "data_dir", "sample_every", "steps_per_execution", "data"}
    assert not resumable & set(training.TrainConfig(model="dcgan").identity())


def test_an_old_run_folder_lacking_settings_is_refused_untouched(
    tiny_dcgan_config, tmp_path, capsys
):
    # A finished run whose run.json keras-gans 0.1.0 wrote: which stabilisers,
    # widths, ... it used is not recorded, so it is not resumed on a guess.
    config = tiny_dcgan_config
    model = training.build_model(config)
    run_folder.save_model_atomic(model, tmp_path / training.FINAL_MODEL)
    old_identity = dict(
        DCGAN_IDENTITY_0_1_0,
        batch_size=config.batch_size,
        latent_dim=config.latent_dim,
        limit=config.limit,
    )
    record = {
        "config": old_identity,
        "epochs_requested": 1,
        "epochs_completed": 1,
        "finished": True,
        "final_model_epochs": 1,
    }
    (tmp_path / "run.json").write_text(json.dumps(record))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError) as error:
        training.train(config, tmp_path, verbose=0)
    message = str(error.value)
    missing = [k for k in DCGAN_IDENTITY if k not in DCGAN_IDENTITY_0_1_0]
    assert f"keras_gans records ({', '.join(missing)})" in message
    assert "written by an older keras_gans" in message
    assert "Start a new run folder" in message
    assert "add them to the 'config' object of run.json by hand" in message
    assert "  r1_gamma: asked 0.0\n" in message and "  crop_box: asked null" in message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # The command line says the same in one line, and exits with 2.
    capsys.readouterr()
    args = ["train", "dcgan", "--epochs", "1", "--batch-size", "32", "--limit", "64"]
    args += ["--latent-dim", "8", "--data-dir", config.data_dir, "--verbose", "0"]
    assert cli.main([*args, "--out", str(tmp_path)]) == 2
    assert "written by an older keras_gans" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # With the missing settings added by hand, the same folder is the run.
    record["config"] = config.identity()
    (tmp_path / "run.json").write_text(json.dumps(record))
    result = training.train(config, tmp_path, verbose=0)
    assert result.epochs_completed == 1
    assert "already holds a model trained for 1 epochs" in capsys.readouterr().out


def test_infogan_config_defaults_and_identity():
    config = training.TrainConfig(model="infogan")
    # The paper's noise size and rates (Chen et al. 2016), resolved and stored.
    assert config.latent_dim == 62
    assert config.learning_rate == 2e-4 and config.g_learning_rate == 1e-3
    assert config.categorical == (10,) and config.continuous == 2
    identity = config.identity()
    assert set(identity) == (set(DCGAN_IDENTITY) - {"g_filters", "d_filters"}) | {
        "categorical",
        "continuous",
        "categorical_weight",
        "continuous_weight",
        "hidden",
    }
    assert identity["latent_dim"] == 62 and identity["g_learning_rate"] == 1e-3
    # JSON round trip: what run.json holds compares equal to a fresh identity.
    assert json.loads(json.dumps(identity)) == identity
    spec = training.TrainConfig(
        model="infogan", latent_dim=20, categorical=[4, 3], continuous=0
    ).latent_spec()
    assert (spec.noise_dim, spec.categorical, spec.continuous) == (20, (4, 3), 0)
    assert training.TrainConfig(model="infogan", categorical=5).categorical == (5,)
    assert training.TrainConfig(model="gan").latent_dim == 100


def test_default_image_shape_follows_the_dataset():
    assert training.TrainConfig(model="infogan").image_shape == (28, 28, 1)
    assert training.TrainConfig(model="dcgan", dataset="digits").image_shape == (
        16,
        16,
        1,
    )
    assert training.TrainConfig(
        model="infogan", dataset="Digits", image_shape=[32, 32, 1]
    ).image_shape == (32, 32, 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"categorical": (10, 1)}, r"at least 2 categories; received .*\(10, 1\)"),
        ({"categorical": ("ten",)}, r"tuple of category counts .* received"),
        ({"categorical": 2.5}, r"tuple of category counts"),
        (
            {"continuous": -1},
            r"continuous to be a non-negative integer, received continuous=-1",
        ),
        ({"continuous": 1.5}, r"continuous to be a non-negative integer"),
        ({"categorical": (), "continuous": 0}, "at least one InfoGAN code"),
        ({"categorical_weight": -0.5}, r"categorical_weight to be a finite .*>= 0"),
        ({"continuous_weight": float("nan")}, r"continuous_weight to be a finite"),
        ({"g_learning_rate": 0.0}, r"g_learning_rate to be a finite number > 0"),
        ({"learning_rate": -1e-3}, r"learning_rate to be a finite number > 0"),
        ({"latent_dim": 0}, r"latent_dim >= 1"),
    ],
)
def test_infogan_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.TrainConfig(model="infogan", **kwargs)


def test_infogan_settings_are_refused_for_other_models():
    with pytest.raises(
        ValueError,
        match=r"categorical=\(4,\), continuous=0 only apply to model='infogan'; "
        r"received them with model='dcgan'",
    ):
        training.TrainConfig(model="dcgan", categorical=(4,), continuous=0)
    with pytest.raises(ValueError, match="categorical_weight=2.0 only apply"):
        training.TrainConfig(model="gan", categorical_weight=2.0)
    # The defaults themselves are fine (they are ignored).
    training.TrainConfig(model="gan", categorical=[10], continuous_weight=0.1)


def test_build_model_infogan_uses_the_spec_and_the_two_rates():
    config = training.TrainConfig(
        model="infogan",
        dataset="digits",
        latent_dim=6,
        categorical=(3,),
        continuous=1,
        categorical_weight=0.5,
        continuous_weight=0.2,
        g_learning_rate=5e-4,
        learning_rate=1e-4,
    )
    model = training.build_model(config)
    assert isinstance(model, keras_gans.InfoGAN)
    assert model.image_shape == (16, 16, 1)
    assert model.spec == LatentSpec(noise_dim=6, categorical=(3,), continuous=1)
    assert model.categorical_weight == 0.5 and model.continuous_weight == 0.2
    assert np.isclose(float(model.g_optimizer.learning_rate), 5e-4)
    assert np.isclose(float(model.d_optimizer.learning_rate), 1e-4)
    assert model.generate(2, seed=0).shape == (2, 16, 16, 1)


def test_code_figures_without_categorical_or_continuous_codes(tmp_path):
    keras.utils.set_random_seed(0)
    small = dict(image_shape=(16, 16, 1), g_filters=4, d_filters=4, hidden=8)
    only_continuous = keras_gans.InfoGAN(
        latent_spec=LatentSpec(noise_dim=3, categorical=(), continuous=2), **small
    )
    written = infogan_figures.save_code_figures(only_continuous, tmp_path / "a", seed=0)
    assert sorted(p.name for p in written) == [
        "code_sweep.png",
        "code_sweep_c0.png",
        "code_sweep_c1.png",
    ]
    # Rows are noise vectors, columns the 10 swept values.
    rows, cols = infogan_figures.SWEEP_NOISE_ROWS, len(infogan_figures.SWEEP_VALUES)
    assert read_png(tmp_path / "a" / "code_sweep.png").shape == (
        rows * 18 + 2,
        cols * 18 + 2,
        1,
    )
    only_categorical = keras_gans.InfoGAN(
        latent_spec=LatentSpec(noise_dim=3, categorical=(5,), continuous=0), **small
    )
    written = infogan_figures.save_code_figures(
        only_categorical, tmp_path / "b", seed=0
    )
    assert [p.name for p in written] == ["categories.png"]
    assert read_png(tmp_path / "b" / "categories.png").shape == (
        rows * 18 + 2,
        5 * 18 + 2,
        1,
    )


class PoisonAt(keras.callbacks.Callback):
    """Sets both learning rates to NaN when an epoch begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for opt in (self.model.g_optimizer, self.model.d_optimizer):
                opt.learning_rate.assign(float("nan"))


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_checkpoint(
    fashion_dir, tmp_path
):
    config = small_config(fashion_dir, epochs=3)
    with pytest.raises(FloatingPointError, match=r"[dg]_loss became nan at epoch 2"):
        training.train(config, tmp_path, verbose=0, callbacks=[PoisonAt(1)])
    # Epoch 1's checkpoint is intact and finite; nothing of epoch 2 was saved.
    assert json.loads((tmp_path / "run.json").read_text())["epochs_completed"] == 1
    assert not (tmp_path / "model.keras").exists()
    checkpoint = keras.saving.load_model(tmp_path / "checkpoint.keras")
    assert np.isfinite(checkpoint.generate(4, seed=0)).all()
    assert int(checkpoint.g_optimizer.iterations) == 256 // 64
    # Rerunning resumes from that epoch and finishes with finite weights.
    result = training.train(config, tmp_path, verbose=0)
    assert all(np.isfinite(w).all() for w in result.model.get_weights())


# --- Command line --------------------------------------------------------------


def test_cli_train_then_sample(fashion_dir, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "dcgan", "--epochs", "1", "--limit", "128", "--batch-size", "32"]
    args += ["--latent-dim", "8", "--data-dir", str(fashion_dir), "--out", str(run)]
    args += ["--verbose", "0"]
    assert cli.main(args) == 0
    assert "Trained 1 epochs" in capsys.readouterr().out

    grid = tmp_path / "grid.png"
    assert (
        cli.main(["sample", str(run), "--n", "6", "--ncols", "3", "--out", str(grid)])
        == 0
    )
    assert read_png(grid).shape == (2 * 30 + 2, 3 * 30 + 2, 1)
    # The same seed gives the same picture.
    again = tmp_path / "again.png"
    cli.main(
        [
            "sample",
            str(run / "model.keras"),
            "--n",
            "6",
            "--ncols",
            "3",
            "--out",
            str(again),
        ]
    )
    assert grid.read_bytes() == again.read_bytes()

    path = tmp_path / "interp.png"
    args = ["interpolate", str(run), "--rows", "2", "--steps", "5", "--out", str(path)]
    assert cli.main(args) == 0
    assert read_png(path).shape == (2 * 30 + 2, 5 * 30 + 2, 1)


def test_cli_errors_are_clear(fashion_dir, tmp_path, capsys):
    assert cli.main(["sample", str(tmp_path / "missing"), "--out", "x.png"]) == 2
    assert "No such model file or run folder" in capsys.readouterr().err

    (tmp_path / "empty").mkdir()
    assert cli.main(["sample", str(tmp_path / "empty")]) == 2
    assert "holding model.keras or checkpoint.keras" in capsys.readouterr().err

    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip file")
    assert cli.main(["sample", str(bad)]) == 2
    assert "Could not load" in capsys.readouterr().err

    args = ["train", "gan", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "Fashion-MNIST" in err and "apt-get install dataset-fashion-mnist" in err

    with pytest.raises(SystemExit):
        cli.main(["train", "gan", "--out", "x", "--image-shape", "28x28"])
    assert "expected an image shape H,W,C" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.heavy  # 31 s each: CI's heavy step runs them
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "kill"]
)
def test_cli_interrupt_then_rerun_resumes(fashion_dir, tmp_path, signum):
    run = tmp_path / "run"
    command = [sys.executable, "-m", "keras_gans.cli", "train", "gan", "--epochs", "5"]
    command += ["--limit", "512", "--batch-size", "16", "--latent-dim", "8"]
    command += ["--data-dir", str(fashion_dir), "--out", str(run), "--verbose", "2"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C as a terminal delivers it: a job started in the background
        # by a non-interactive shell (a CI script's `cmd &`) inherits SIGINT
        # ignored, and so would the command, which then never sees it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 240
    completed = 0
    while time.time() < deadline and proc.poll() is None:
        if (run / "run.json").exists():
            completed = json.loads((run / "run.json").read_text())["epochs_completed"]
            if completed >= 1:
                break
        time.sleep(0.2)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "Rerun the same command to resume" in out
    stopped_at = json.loads((run / "run.json").read_text())["epochs_completed"]
    assert 1 <= stopped_at < 5

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Resuming {run} from epoch {stopped_at}" in rerun.stdout
    assert f"Epoch {stopped_at + 1}/5" in rerun.stdout
    assert f"Epoch {stopped_at}/5" not in rerun.stdout
    assert json.loads((run / "run.json").read_text())["epochs_completed"] == 5


def test_gan_units_set_the_generator_widths_and_only_apply_to_gan():
    config = training.TrainConfig(model="gan", g_units=[32, 16], image_shape=(4, 4, 1))
    assert config.g_units == (32, 16)
    model = training.build_model(config)
    widths = [
        layer.units
        for layer in model.generator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert widths == [32, 16, 16]  # two hidden layers, then the 4x4x1 output
    # The run's identity records the widths, the default ones too.
    assert training.TrainConfig(model="gan").identity()["g_units"] == [1200, 1200]
    assert config.identity()["g_units"] == [32, 16]
    with pytest.raises(ValueError, match="only apply to model='gan'"):
        training.TrainConfig(model="dcgan", g_units=(8,))
    with pytest.raises(ValueError, match="Expected g_units"):
        training.TrainConfig(model="gan", g_units=(0,))


def test_after_a_nan_stop_history_has_each_epoch_once_and_the_cli_says_why(
    fashion_dir, tmp_path, monkeypatch, capsys
):
    config = small_config(fashion_dir, epochs=4)
    with pytest.raises(FloatingPointError, match=r"[dg]_loss became nan at epoch 3"):
        training.train(config, tmp_path, verbose=0, callbacks=[PoisonAt(2)])
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == [0, 1]
    result = training.train(config, tmp_path, verbose=0)
    assert result.epochs_completed == 4
    rows = (tmp_path / "history.csv").read_text().strip().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == [0, 1, 2, 3]

    # The command line says so in one line and exits with 2.
    real = training.loop._run_callbacks
    monkeypatch.setattr(
        training.loop, "_run_callbacks", lambda *a: [*real(*a), PoisonAt(0)]
    )
    args = ["train", "gan", "--limit", "256", "--batch-size", "64"]
    args += ["--latent-dim", "8", "--data-dir", str(fashion_dir), "--verbose", "0"]
    assert cli.main([*args, "--out", str(tmp_path / "cli")]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "became nan at epoch 1, batch 1" in err
    assert "Traceback" not in err


def test_mixed_precision_is_a_run_setting(fashion_dir, tmp_path):
    config = small_config(fashion_dir, mixed_precision="bfloat16", epochs=1)
    assert config.identity()["mixed_precision"] == "bfloat16"
    # float32 (no mixed precision) is recorded as None.
    assert small_config(fashion_dir).identity()["mixed_precision"] is None
    with pytest.raises(ValueError, match="Expected mixed_precision to be one of"):
        small_config(fashion_dir, mixed_precision="half")
    result = training.train(config, tmp_path, verbose=0)
    assert result.model.dtype_policy.name == "mixed_bfloat16"
    loaded = training.load_trained(tmp_path)
    assert loaded.dtype_policy.name == "mixed_bfloat16"
    assert loaded.generate(2, seed=0).dtype == np.float32
    # A rerun with float32 into the same folder is another run: refused.
    with pytest.raises(ValueError, match="mixed_precision"):
        training.train(small_config(fashion_dir, epochs=2), tmp_path, verbose=0)
