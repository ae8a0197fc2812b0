"""A run folder: its record, its checkpoints, and loading what it trained.

    run.json          the settings and how many epochs are done
    backup/           keras.callbacks.BackupAndRestore state (mid-run resume)
    checkpoint.keras  the whole model (weights + optimizer state), every epoch
    model.keras       the final model, written when the run completes
    samples/          a PNG grid from fixed latent vectors, every epoch
    samples.png       the final grid
    curves.png        losses and D's outputs during training
    history.csv       the per-epoch metrics
    logs/             TensorBoard scalars and images

plus the family's own files (InfoGAN's code sweeps, GAN-CLS's text-to-image
figures and text encoder: see its `finish_run`).
"""

from __future__ import annotations

import json
import pathlib

import keras

from keras_gans.files import atomic_path, write_atomic

RUN_FILE = "run.json"
FINAL_MODEL = "model.keras"
CHECKPOINT = "checkpoint.keras"


def save_model_atomic(model, path):
    """`model.save(path)` through a temporary file, so a kill never leaves half a file."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return pathlib.Path(path)


def write_run_file(out_dir, config, epochs_completed, finished, final_epochs):
    """Records the run's settings and progress in `out_dir/run.json` (atomically)."""
    record = {
        "config": config.identity(),
        "epochs_requested": config.epochs,
        "epochs_completed": epochs_completed,
        # True only once model.keras holds all completed epochs.
        "finished": finished,
        # How many epochs the current model.keras holds (0: none yet).
        "final_model_epochs": final_epochs,
    }
    write_atomic(
        pathlib.Path(out_dir) / RUN_FILE, json.dumps(record, indent=2).encode()
    )


def read_run_file(out_dir):
    """The run record of a run folder, or `None` if it has none."""
    path = pathlib.Path(out_dir) / RUN_FILE
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
        int(record["epochs_completed"]), record["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise ValueError(
            f"{path} is not a valid run record (expected the JSON that "
            f"keras-gans train writes, with 'config' and 'epochs_completed'): {e!r}"
        ) from e
    return record


def check_same_run(out_dir, config, record):
    """Raises unless `record` (a run.json) is a run of `config`'s settings."""
    previous = config.complete(record["config"])
    wanted = config.complete(config.identity())
    diffs = {
        k: (previous.get(k), wanted.get(k))
        for k in sorted(set(previous) | set(wanted))
        if previous.get(k) != wanted.get(k)
    }
    if diffs:
        lines = "\n".join(
            f"  {k}: run has {a!r}, asked {b!r}" for k, (a, b) in diffs.items()
        )
        raise ValueError(
            f"{out_dir} holds a run with different settings; use the same "
            f"settings to resume or continue it, or another run folder:\n{lines}"
        )


class RunProgress(keras.callbacks.Callback):
    """Saves the whole model and records progress in run.json after each epoch."""

    def __init__(self, out_dir, config, final_epochs):
        super().__init__()
        self.out_dir = pathlib.Path(out_dir)
        self.config = config
        self.final_epochs = final_epochs

    def on_epoch_end(self, epoch, logs=None):
        save_model_atomic(self.model, self.out_dir / CHECKPOINT)
        write_run_file(self.out_dir, self.config, epoch + 1, False, self.final_epochs)


def load_trained(path):
    """Loads a model from a `.keras` file or a run folder (final, else latest checkpoint)."""
    path = pathlib.Path(path)
    if path.is_dir():
        for name in (FINAL_MODEL, CHECKPOINT):
            if (path / name).exists():
                return keras.saving.load_model(path / name)
        raise FileNotFoundError(
            f"Expected a run folder holding {FINAL_MODEL} or {CHECKPOINT}, or a "
            f".keras file; {path} holds {sorted(p.name for p in path.iterdir())}."
        )
    if not path.exists():
        raise FileNotFoundError(f"No such model file or run folder: {path}")
    try:
        return keras.saving.load_model(path)
    except Exception as e:  # Keras raises several types for a bad archive
        raise ValueError(
            f"Could not load {path} as a Keras model (expected a .keras file "
            f"saved by keras_gans): {type(e).__name__}: {e}"
        ) from e
