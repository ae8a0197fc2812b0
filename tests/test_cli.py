"""The command line as a whole: a quiet start, and errors in flags."""

import subprocess
import sys

import pytest

from keras_gans import cli

NOTICES = ("oneDNN", "cuda", "absl::InitializeLog", "cpu_feature_guard")


def _help(*flags, env=None):
    command = [sys.executable, "-m", "keras_gans", *flags, "--help"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
def test_the_command_starts_without_tensorflow_notices_unless_asked(monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = _help(env=env)
    assert quiet.returncode == 0 and "usage: keras-gans" in quiet.stdout
    assert quiet.stderr == "", quiet.stderr
    verbose = _help("--verbose", env=env)
    assert verbose.returncode == 0
    own = _help(env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
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
