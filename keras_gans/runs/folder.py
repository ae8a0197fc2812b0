"""A run folder: its record, its checkpoints, and loading what it trained.

    run.json          the settings and how many epochs are done
    backup/           keras_gans.callbacks.BackupAndRestore state (mid-run resume)
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

from keras_gans.callbacks import read_history
from keras_gans.files import atomic_path, write_atomic
from keras_gans.outputs import OutputExistsError, foreign_entries
from keras_gans.trust import load_keras_file

RUN_FILE = "run.json"
"""A run folder's record: its settings and how many epochs are done."""
FINAL_MODEL = "model.keras"
"""The model a finished run wrote."""
CHECKPOINT = "checkpoint.keras"
"""The model after the last finished epoch of a run (also an unfinished one)."""
HISTORY_FILE = "history.csv"


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
    folder = config.data_folder
    if folder is not None:
        # The pictures a run on `data` read: path, count, a hash of names and
        # sizes, and every file skipped so far, with its reason.
        record["data"] = folder.record()
    write_atomic(
        pathlib.Path(out_dir) / RUN_FILE, json.dumps(record, indent=2).encode()
    )


def read_run_file(out_dir):
    """The run record of a run folder, or `None` if it has none."""
    path = pathlib.Path(out_dir) / RUN_FILE
    if not path.exists():
        return None
    expected = (
        "expected the JSON object that keras-gans train writes, with a 'config' "
        "object and an integer 'epochs_completed'"
    )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not a valid run record ({expected}): {e}") from e
    found = None
    if not isinstance(record, dict):
        found = f"a JSON {type(record).__name__}"
    elif not isinstance(record.get("config"), dict):
        found = f"'config' = {str(record.get('config'))[:60]!r}"
    else:
        try:
            int(record["epochs_completed"])
        except (KeyError, TypeError, ValueError):
            found = f"'epochs_completed' = {record.get('epochs_completed')!r}"
    if found is not None:
        raise ValueError(
            f"{path} is not a valid run record ({expected}); found {found}."
        )
    return record


def claim_run_folder(out_dir):
    """The run record of `out_dir`, once it is clear the folder is a run's to write.

    A run writes into a folder that does not exist yet, an empty one (hidden
    files such as `.DS_Store` aside), or a run folder (one holding its
    `run.json`); anything else is refused before a file is written, so a
    `--out` typed by mistake loses nothing.

    Returns:
        The record (`read_run_file`), or `None` for a new run.

    Raises:
        OutputExistsError: `out_dir` is a file, or a folder with files of
            something other than a run.
        ValueError: its `run.json` or `history.csv` is not what a run writes.
    """
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(
            f"Expected the run folder {out_dir} to be a folder; found a file there."
        )
    record = read_run_file(out_dir)
    if record is None:
        foreign = foreign_entries(out_dir)
        if foreign:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            raise OutputExistsError(
                f"Expected the run folder {out_dir} to be new, empty, or a run "
                f"folder with {RUN_FILE}; it holds {foreign[0]!r}{more}, which no "
                "run wrote. Nothing was changed: choose another folder."
            )
    # A history.csv a person edited stops the run before it writes anything.
    read_history(pathlib.Path(out_dir) / HISTORY_FILE)
    return record


def check_same_run(out_dir, config, record):
    """Raises unless `record` (a run.json) is a run of `config`'s settings.

    The recorded config must equal `config.identity()`. A record that lacks
    settings this version records was written by an older keras_gans; it is
    refused too, naming the settings it lacks, since which values that run
    used is not known.
    """
    previous = record["config"]
    wanted = config.identity()
    missing = [k for k in wanted if k not in previous]
    diffs = {
        k: (previous.get(k), wanted.get(k))
        for k in sorted(set(previous) | set(wanted))
        if k not in missing and previous.get(k) != wanted.get(k)
    }
    if diffs:
        lines = "\n".join(
            f"  {k}: run has {a!r}, asked {b!r}" for k, (a, b) in diffs.items()
        )
        lines += "".join(f"\n  {k}: not recorded, asked {wanted[k]!r}" for k in missing)
        raise ValueError(
            f"{out_dir} holds a run with different settings; use the same "
            f"settings to resume or continue it, or another run folder:\n{lines}"
        )
    if missing:
        lines = "\n".join(f"  {k}: asked {json.dumps(wanted[k])}" for k in missing)
        raise ValueError(
            f"{out_dir} holds a run whose {RUN_FILE} lacks settings this version "
            f"of keras_gans records ({', '.join(missing)}): it was written by an "
            "older keras_gans, and which values that run used is not recorded. "
            "Nothing was changed. Start a new run folder, or, if the run used "
            f"these values, add them to the 'config' object of {RUN_FILE} by "
            f"hand (as JSON):\n{lines}"
        )


def check_same_data(out_dir, config, record, allow_changed=False):
    """Raises if the run in `out_dir` trained on other pictures than `config`'s now.

    The record's `data` (file count and a hash of relative paths and sizes)
    is compared with the folder's now; with `allow_changed` a change is
    only reported.
    """
    folder = config.data_folder
    before = (record or {}).get("data")
    if folder is None or not isinstance(before, dict):
        return
    now = folder.record()
    if (before.get("files"), before.get("sha256")) == (now["files"], now["sha256"]):
        return
    count = before.get("files")
    change = (
        f"it held {count} files, now {now['files']}"
        if count != now["files"]
        else f"it holds {count} files as before, but their names or sizes changed"
    )
    where = f"{now['path']}" + (
        f" (was {before.get('path')})" if before.get("path") != now["path"] else ""
    )
    message = (
        f"The pictures of the run in {out_dir} changed since it started: in "
        f"{where} {change}."
    )
    if allow_changed:
        print(f"{message} Continuing (allow_changed_data).")
        return
    raise ValueError(
        f"{message} Resume on the same pictures, pass --allow-changed-data to "
        "continue on these, or start a new run folder."
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
        folder = self.config.data_folder
        if folder is not None:
            skipped = folder.skipped
            new = {k: v for k, v in skipped.items() if k not in self._reported}
            if new:
                print(
                    f"\nSkipped {len(new)} more file(s) (now {len(skipped)}): "
                    + "; ".join(f"{k}: {v}" for k, v in sorted(new.items())[:10])
                )
                self._reported.update(new)

    def on_train_begin(self, logs=None):
        folder = self.config.data_folder
        self._reported = dict(folder.skipped) if folder is not None else {}


def load_trained(path, safe_mode=True):
    """Loads a model from a `.keras` file or a run folder (final, else latest checkpoint).

    Args:
        path: a `.keras` file or a run folder.
        safe_mode: refuse anything in the file that would run code (see
            `keras_gans.trust`). Defaults to `True`.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        for name in (FINAL_MODEL, CHECKPOINT):
            if (path / name).exists():
                return load_keras_file(path / name, safe_mode=safe_mode)
        raise FileNotFoundError(
            f"Expected a run folder holding {FINAL_MODEL} or {CHECKPOINT}, or a "
            f".keras file; {path} holds {sorted(p.name for p in path.iterdir())}."
        )
    if not path.exists():
        raise FileNotFoundError(f"No such model file or run folder: {path}")
    return load_keras_file(path, safe_mode=safe_mode)
