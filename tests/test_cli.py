"""The command line as a whole: a quiet start, and errors in flags."""

import concurrent.futures
import subprocess
import sys

import pytest

from keras_gans import cli

NOTICES = ("oneDNN", "cuda", "absl::InitializeLog", "cpu_feature_guard")


def _help(*flags, env=None):
    command = [sys.executable, "-m", "keras_gans", *flags, "--help"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def _helps(*runs):
    """`_help(*flags, env=env)` for each `(flags, env)`, the processes side by side."""
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        return list(pool.map(lambda run: _help(*run[0], env=run[1]), runs))


@pytest.mark.slow
def test_the_command_starts_without_tensorflow_notices_unless_asked(monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet, verbose, own = _helps(
        ((), env), (("--verbose",), env), ((), {**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
    )
    assert quiet.returncode == 0 and "usage: keras-gans" in quiet.stdout
    assert quiet.stderr == "", quiet.stderr
    assert verbose.returncode == 0
    if not any(n in verbose.stderr for n in NOTICES):
        pytest.skip("this TensorFlow build prints no start-up notices")
    # --verbose, or the user's own TF_CPP_MIN_LOG_LEVEL, shows them.
    assert any(n in own.stderr for n in NOTICES), own.stderr


def test_library_errors_are_shown_with_their_flags(tmp_path, capsys, fashion_dir):
    out = tmp_path / "run"
    assert cli.main(["train", "dcgan", "--epochs", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Expected --epochs to be a positive integer, received --epochs=0" in err
    args = ["train", "gan", "--latent-dim", "4", "--g-units", "8", "--limit", "32"]
    args += ["--batch-size", "32", "--data-dir", str(fashion_dir), "--verbose", "0"]
    assert cli.main(args + ["--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(args + ["--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already trained 2 epochs; expected --epochs >= 2" in err
    assert "received --epochs=1" in err
    # A run folder's differences keep the keys of its run.json.
    assert cli.main(args + ["--epochs", "2", "--seed", "3", "--out", str(out)]) == 2
    assert "seed: run has 0, asked 3" in capsys.readouterr().err


def test_family_flags_and_commands_come_from_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--categorical", "--hidden", "--g-units", "--style-steps"):
        assert flag in text
    # Defaults shown in the help are the model's own.
    assert "the default is the paper's (default: 1024)" in text
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    commands = capsys.readouterr().out
    assert "sweep" in commands and "generate-text" in commands


@pytest.mark.filterwarnings("ignore:The gradient penalty and R1")
def test_stabiliser_flags_reach_the_model_and_old_runs_are_refused(
    tmp_path, capsys, fashion_dir
):
    import json

    import keras

    out = tmp_path / "run"
    args = ["train", "dcgan", "--latent-dim", "4", "--image-shape", "16,16,1"]
    args += ["--limit", "32", "--batch-size", "16"]
    args += ["--data-dir", str(fashion_dir), "--verbose", "0", "--out", str(out)]
    stabilisers = ["--r1-gamma", "0.5", "--r1-interval", "2"]
    stabilisers += ["--augment", "translation,cutout", "--ema-decay", "0.9"]
    stabilisers += ["--spectral-norm", "true"]
    assert cli.main(args + stabilisers + ["--epochs", "1"]) == 0
    model = keras.saving.load_model(out / "model.keras")
    assert (model.r1_gamma, model.r1_interval) == (0.5, 2)
    assert model.augment == ("translation", "cutout") and model.ema_decay == 0.9
    assert model.spectral_norm
    record = json.loads((out / "run.json").read_text())["config"]
    assert record["augment"] == "translation,cutout"
    # Without the flags the same folder is another run.
    capsys.readouterr()
    assert cli.main(args + ["--epochs", "2"]) == 2
    assert "r1_gamma: run has 0.5, asked 0.0" in capsys.readouterr().err
    # A run folder from before the stabilisers has none in its identity: it
    # is refused, naming them, rather than resumed on a guess.
    plain = tmp_path / "plain"
    plain_args = [a if a != str(out) else str(plain) for a in args]
    assert cli.main(plain_args + ["--epochs", "1"]) == 0
    record = json.loads((plain / "run.json").read_text())
    for key in ("r1_gamma", "r1_interval", "augment", "ema_decay"):
        record["config"].pop(key, None)
    (plain / "run.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert cli.main(plain_args + ["--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "(r1_gamma, r1_interval, augment, ema_decay)" in err
    assert "Start a new run folder" in err
    assert json.loads((plain / "run.json").read_text()) == record
    # A likelihood model has no discriminator to stabilise.
    assert (
        cli.main(["train", "vae", "--r1-gamma", "1", "--out", str(tmp_path / "v")]) == 2
    )
    assert "--r1-gamma=1.0 do not apply to model='vae'" in capsys.readouterr().err
