"""Keras callbacks for watching and guarding GAN training."""

from __future__ import annotations

import contextlib
import io
import json
import math
import pathlib
import re
import time
import warnings

import keras
import numpy as np

from keras_gans import images as image_utils
from keras_gans.files import atomic_path, write_atomic
from keras_gans.outputs import PNG_MARK
from keras_gans.validation import check_int

__all__ = [
    "BackupAndRestore",
    "HistoryCSV",
    "LossCurves",
    "RaiseOnNaN",
    "SampleGrid",
    "TensorBoardImages",
    "Throughput",
    "plot_curves",
    "read_history",
    "remove_backups",
]


class _FixedLatentCallback(keras.callbacks.Callback):
    """Draws one latent batch at the start of training and reuses it.

    Fixed z shows how the *same* samples evolve, which is what a person
    watching training wants to compare.
    """

    def __init__(self, every, n, seed):
        super().__init__()
        self.every = check_int("every", every, minimum=1)
        self.n = int(n)
        self.seed = seed
        self._latent = None
        self._warned = False

    def on_train_begin(self, logs=None):
        if self._latent is None:
            self._latent = self.model.sample_latent(self.n, seed=self.seed)

    def _due(self, epoch):
        return (epoch + 1) % self.every == 0

    def _samples(self):
        """The preview images, or `None` (warned once) if the model has none."""
        samples = self.model.preview_samples(self._latent)
        if samples is None and not self._warned:
            self._warned = True
            warnings.warn(
                f"{type(self).__name__}: {type(self.model).__name__} has nothing "
                "to preview (a GANCLS needs preview_texts); no images are written.",
                stacklevel=2,
            )
        return samples


class SampleGrid(_FixedLatentCallback):
    """Saves a PNG grid of samples from fixed latent vectors every N epochs.

    Files are named by the 1-based epoch: `samples/epoch_005.png`.

    Args:
        out_dir: folder for the PNG files.
        every: epochs between grids. Defaults to `1`.
        n: samples per grid. Defaults to `64`.
        seed: seed of the fixed latent batch. Defaults to `0`.
        ncols: images per row. Defaults to `ceil(sqrt(n))`.

    Example:

    ```python
    gan.fit(ds, epochs=5, callbacks=[keras_gans.callbacks.SampleGrid("samples")])
    ```
    """

    def __init__(self, out_dir, every=1, n=64, seed=0, ncols=None):
        super().__init__(every, n, seed)
        self.out_dir = pathlib.Path(out_dir)
        self.ncols = ncols

    def path_for(self, epoch):
        """The PNG path for a 0-based `epoch` index."""
        return self.out_dir / f"epoch_{epoch + 1:03d}.png"

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        samples = self._samples()
        if samples is not None:
            image_utils.save_image_grid(samples, self.path_for(epoch), ncols=self.ncols)


class TensorBoardImages(_FixedLatentCallback):
    """Writes samples from fixed latent vectors as TensorBoard image summaries.

    Use next to `keras.callbacks.TensorBoard(log_dir)` (which logs the scalar
    metrics); the images go to `log_dir/images`.

    Args:
        log_dir: TensorBoard log folder.
        every: epochs between summaries. Defaults to `1`.
        n: images per summary. Defaults to `16`.
        seed: seed of the fixed latent batch. Defaults to `0`.
    """

    def __init__(self, log_dir, every=1, n=16, seed=0):
        super().__init__(every, n, seed)
        self.log_dir = pathlib.Path(log_dir)
        self._writer = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._writer is None:
            from keras_gans._tensorflow import tf

            self._writer = tf.summary.create_file_writer(str(self.log_dir / "images"))

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        samples = self._samples()
        if samples is None:
            return
        from keras_gans._tensorflow import tf

        with self._writer.as_default():
            tf.summary.image(
                "samples",
                image_utils.to_uint8(samples),
                step=epoch + 1,
                max_outputs=self.n,
            )
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class RaiseOnNaN(keras.callbacks.Callback):
    """Stops training with a clear error when a GAN loss becomes NaN or infinite.

    Keras's `TerminateOnNaN` watches the `loss` key, which GANs do not log;
    this watches the GAN losses. It raises `FloatingPointError` at the batch
    where it happens, before anything of that epoch is saved, so checkpoints
    written by earlier epochs stay the last good state.

    Args:
        monitor: log keys to watch. Defaults to `("d_loss", "g_loss")`.
    """

    def __init__(self, monitor=("d_loss", "g_loss")):
        super().__init__()
        self.monitor = tuple(monitor)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        for key in self.monitor:
            if logs and key in logs:
                value = float(np.asarray(logs[key]))
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"{key} became {value} at epoch {self._epoch + 1}, batch "
                        f"{batch + 1}: expected finite losses. Training stopped "
                        "before saving this epoch; the last checkpoint holds the "
                        "last good state. Lower the learning rates or check the "
                        "data for NaN/inf values."
                    )


class Throughput(keras.callbacks.Callback):
    """Logs the examples trained per second, as `images_per_second`.

    Every keras_gans model's `fit()` adds one (before the callbacks it is
    given, so they see the key), where it knows the batch size: the
    progress bar shows the rate so far in the epoch, and the epoch's logs
    (`History`, `HistoryCSV`, `keras.callbacks.TensorBoard`) hold the
    epoch's rate. Each epoch counts from the end of its first step, so the
    compilation in the first step of `fit()` and the wait for an epoch's
    first batch are left out; an epoch of one step logs no rate.

    Args:
        examples_per_step: the (global) batch size: examples each step
            trains on. A last, smaller batch counts as a full one.
        name: the log key. Defaults to `"images_per_second"`.
    """

    # Runs where Keras dispatches batch-end callbacks: after the step's logs
    # are read, which is when the step is done.
    async_safe = True

    def __init__(self, examples_per_step, name="images_per_second"):
        super().__init__()
        self.examples_per_step = check_int("examples_per_step", examples_per_step, minimum=1)
        self.name = name
        self._start = self._last = None
        self._first = self._steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._steps = None, 0

    def _rate(self):
        # Up to the end of the latest step: not the validation after it.
        if self._start is None or not self._steps:
            return None
        seconds = self._last - self._start
        return self.examples_per_step * self._steps / max(seconds, 1e-9)

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the epoch's last step so far (several per call with
        # `steps_per_execution`).
        self._last = time.perf_counter()
        if self._start is None:
            self._start, self._first = self._last, batch
            return
        self._steps = batch - self._first
        if logs is not None:
            logs[self.name] = self._rate()

    def on_epoch_end(self, epoch, logs=None):
        rate = self._rate()
        if logs is not None and rate is not None:
            logs[self.name] = rate


class LossCurves(keras.callbacks.Callback):
    """Records the GAN metrics every N batches and plots them to a PNG.

    Keras logs, at each batch, the mean of a metric since the epoch began;
    this callback turns those running means back into the mean over each
    window of `every` batches, so the curves show what happened in that
    window rather than a running average that jumps at epoch boundaries.
    The plot (losses on the left, D's mean outputs on the right with the
    theoretical optimum 1/2 marked) is rewritten at the end of every epoch.

    Args:
        path: PNG file to write.
        every: batches per recorded window. Defaults to `10`.
        keys: metrics to record. Defaults to the four GAN metrics.
    """

    def __init__(self, path, every=10, keys=("d_loss", "g_loss", "d_real", "d_fake")):
        super().__init__()
        self.path = pathlib.Path(path)
        self.every = check_int("every", every, minimum=1)
        self.keys = tuple(keys)
        self.history = {k: [] for k in self.keys}
        self.steps = []
        self._steps_before_epoch = 0
        self._last_step = 0
        self.on_epoch_begin(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._steps_before_epoch = self._last_step
        self._recorded_in_epoch = 0
        self._totals = dict.fromkeys(self.keys, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        count = batch + 1  # batches so far this epoch
        self._last_step = self._steps_before_epoch + count
        recorded = self.steps[-1] if self.steps else 0
        if not logs or self._last_step - recorded < self.every:
            return
        self.steps.append(self._last_step)
        window = count - self._recorded_in_epoch
        for k in self.keys:
            total = float(np.asarray(logs.get(k, np.nan))) * count
            self.history[k].append((total - self._totals[k]) / window)
            self._totals[k] = total
        self._recorded_in_epoch = count

    def on_epoch_end(self, epoch, logs=None):
        if self.steps:
            plot_curves(self.steps, self.history, self.path)


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore`, with backups a kill cannot leave half written.

    Keras writes `latest.weights.h5` in place and its epoch counter in a
    second file: a kill while the weights are written leaves a file that
    fails to load (not with the `OSError` its fallback expects), and a kill
    between the two files restores one epoch's weights under the previous
    epoch's number. Here each epoch's backup is `epoch_NNNNN.weights.h5`,
    written through a temporary file and a rename; then
    `training_metadata.json` (written the same way) names it; only then are
    older backups removed. Whenever the process dies, the metadata names a
    whole file of the epoch it records. A folder written by Keras's own
    callback (`latest.weights.h5`) is refused with a `ValueError`: resume it
    with `keras.callbacks.BackupAndRestore`, or start a new run.

    Args:
        backup_dir: the folder of the backups.
        delete_checkpoint: remove the folder when training ends. Defaults to
            `True`.
    """

    def __init__(self, backup_dir, delete_checkpoint=True):
        super().__init__(
            str(backup_dir), save_freq="epoch", delete_checkpoint=delete_checkpoint
        )

    def _save_model(self):
        folder = pathlib.Path(self.backup_dir)
        name = f"epoch_{self._current_epoch:05d}.weights.h5"
        with atomic_path(folder / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(tmp, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": 0, "weights": name}
        write_atomic(self._training_metadata_path, json.dumps(metadata).encode())
        for old in folder.iterdir():
            if old.name not in (name, _METADATA) and _is_backup_file(old.name):
                old.unlink(missing_ok=True)

    def on_train_end(self, logs=None):
        # Keras's own removes the whole folder, whatever else it holds.
        if self.delete_checkpoint:
            remove_backups(self.backup_dir)

    def on_train_begin(self, logs=None):
        # Keras's own also retries from its ".bkp" copies on an OSError; this
        # layout has none (a kill never leaves half a file).
        self._load_model()

    def _load_model(self):
        folder = pathlib.Path(self.backup_dir)
        path = pathlib.Path(self._training_metadata_path)
        keras_weights = folder / _KERAS_WEIGHTS
        if not path.exists() and not keras_weights.exists():
            return  # no backup yet: nothing to restore
        metadata = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(metadata, dict) or "weights" not in metadata:
            found = (
                f"{path.name} without a 'weights' entry"
                if path.exists()
                else f"{_KERAS_WEIGHTS} without {path.name}"
            )
            raise ValueError(
                f"Expected {folder} to hold keras_gans backups (epoch_NNNNN"
                f".weights.h5 named by {path.name}); found {found}, the "
                "layout of keras.callbacks.BackupAndRestore. Resume that "
                "training with keras.callbacks.BackupAndRestore, or start a "
                "new run (a new run folder or backup_dir). Nothing was changed."
            )
        if not self.model.built:
            raise ValueError(
                f"BackupAndRestore needs a built model to restore "
                f"{self.backup_dir}; {self.model.name} is not built."
            )
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self.model.load_weights(str(folder / metadata["weights"]))
        self.model._initial_epoch = int(metadata["epoch"])


# What BackupAndRestore writes in its folder: its epoch files, the metadata
# that names the latest, and the temporary files of their atomic writes
# (`keras_gans.files.atomic_path`: ".NAME.XXXXXXXX[SUFFIX]"), which a kill
# can leave behind.
_METADATA = "training_metadata.json"
_KERAS_WEIGHTS = "latest.weights.h5"  # Keras's own layout, refused
_BACKUP_FILE = re.compile(
    r"epoch_\d+\.weights\.h5|training_metadata\.json"
    r"|\.epoch_\d+\.weights\.h5\.[a-z0-9_]{8}\.weights\.h5"
    r"|\.training_metadata\.json\.[a-z0-9_]{8}"
)


def _is_backup_file(name):
    return _BACKUP_FILE.fullmatch(name) is not None


def remove_backups(backup_dir):
    """Deletes the files `BackupAndRestore` writes in `backup_dir`, then the folder if empty.

    Anything else in the folder (a person's file) stays, and so does the
    folder that holds it.
    """
    folder = pathlib.Path(backup_dir)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and _is_backup_file(path.name):
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # fails, as it should, if something else is there


class HistoryCSV(keras.callbacks.Callback):
    """Keeps one row per finished epoch in a CSV file, through kills and resumes.

    Unlike `keras.callbacks.CSVLogger(append=True)`, a resumed run neither
    loses nor repeats a row. Each row is written (the whole file, atomically)
    at the end of its epoch, so put this callback *before*
    `BackupAndRestore`: a kill between the two then leaves a row for an
    epoch the resumed run repeats, and the first epoch a run starts drops
    the rows of that epoch and later ones before training it. (With the
    order reversed, a kill after the backup and before the row loses the
    row: one of five killed runs did, measured here.)

    Args:
        path: the CSV file; columns `epoch` and the logs' keys, sorted, as
            `CSVLogger` writes them (`NA` where an epoch lacks a key).
    """

    def __init__(self, path):
        super().__init__()
        self.path = pathlib.Path(path)
        self._rows = None

    def _read(self):
        return read_history(self.path)

    def on_train_begin(self, logs=None):
        self._rows = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._rows is None:
            # Training starts (or resumes) at `epoch`: rows from there on
            # belong to epochs it trains again.
            self._rows = [r for r in self._read() if int(r["epoch"]) < epoch]
            if self.path.exists():
                self._write()

    def on_epoch_end(self, epoch, logs=None):
        if self._rows is None:
            self.on_epoch_begin(epoch)
        row = {"epoch": str(epoch)}
        for key, value in (logs or {}).items():
            value = np.asarray(value)
            row[key] = repr(float(value)) if value.size == 1 else str(value.tolist())
        self._rows.append(row)
        self._write()

    def _write(self):
        import csv

        keys = sorted({k for r in self._rows for k in r} - {"epoch"})
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, ["epoch", *keys], restval="NA", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(self._rows)
        write_atomic(self.path, buffer.getvalue().encode())


def read_history(path):
    """The rows of a `HistoryCSV` file (`[]` if there is none), as dicts of strings.

    Raises:
        ValueError: the file is not such a CSV (no `epoch` column, not UTF-8
            text); the message names it. A run checks this before it writes
            anything, so a file a person edited stops it with its name.
    """
    import csv

    path = pathlib.Path(path)
    if not path.exists():
        return []
    expected = f"{path} is not a per-epoch CSV that keras_gans writes"
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"{expected}: {e}") from e
    if "epoch" not in (reader.fieldnames or []):
        columns = list(reader.fieldnames or [])[:8]
        raise ValueError(
            f"{expected}: expected an 'epoch' column, found columns {columns}. "
            "Move it away to write this history there."
        )
    return rows


def plot_curves(steps, history, path):
    """Plots GAN training curves to a PNG (losses | D's outputs vs 1/2)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(10, 3.5))
    for k in ("d_loss", "g_loss"):
        if k in history:
            ax_loss.plot(steps, history[k], label=k)
    ax_loss.set_xlabel("step")
    ax_loss.set_title("losses")
    ax_loss.legend()
    for k in ("d_real", "d_fake"):
        if k in history:
            ax_d.plot(steps, history[k], label=k)
    ax_d.axhline(0.5, color="grey", linestyle="--", label="optimum 1/2")
    ax_d.set_xlabel("step")
    ax_d.set_title("mean D output")
    ax_d.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata=PNG_MARK)
    plt.close(fig)
    return write_atomic(path, buffer.getvalue())
