"""Training runs that survive interruption: the logic behind `keras-gans train`.

A run lives in one folder:

    run.json          the settings and how many epochs are done
    backup/           keras.callbacks.BackupAndRestore state (mid-run resume)
    checkpoint.keras  the whole model (weights + optimizer state), every epoch
    model.keras       the final model, written when the run completes
    samples/          a PNG grid from fixed latent vectors, every epoch
    samples.png       the final grid
    curves.png        losses and D's outputs during training
    history.csv       the per-epoch metrics
    logs/             TensorBoard scalars and images

Rerunning the same command resumes from the last finished epoch; rerunning
it with more `--epochs` on a finished run continues training from
`model.keras` with its optimizer state.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil

import keras

from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans.files import atomic_path, write_atomic
from keras_gans.images import save_image_grid
from keras_gans.models import DCGAN, GAN

MODEL_CLASSES = {"gan": GAN, "dcgan": DCGAN}

RUN_FILE = "run.json"
FINAL_MODEL = "model.keras"
CHECKPOINT = "checkpoint.keras"


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (the CLI's flags).

    Args:
        model: a name from `MODEL_CLASSES` (`"gan"`, `"dcgan"`).
        dataset: a `keras_gans.data.load` name. Defaults to `"fashion_mnist"`.
        epochs: total epochs of the run. Defaults to `5`.
        batch_size: global batch size. Defaults to `128`.
        latent_dim: size of z. Defaults to `100`.
        image_shape: `(H, W, C)`; `None` for the dataset's own (28, 28, 1) for
            Fashion-MNIST, (64, 64, 3) otherwise. Defaults to `None`.
        loss: a `keras_gans.losses` name. Defaults to `"non_saturating"`.
        d_steps: discriminator steps per generator step. Defaults to `1`.
        learning_rate: Adam learning rate of both networks. Defaults to `2e-4`.
        beta_1: Adam beta_1. Defaults to `0.5`.
        seed: seeds weights, noise and data order. Defaults to `0`.
        limit: use only the first N training examples. Defaults to `None`.
        data_dir: where the dataset's files are. Defaults to `None`.
        sample_every: epochs between sample grids. Defaults to `1`.
        steps_per_execution: batches per compiled call. Defaults to `1`.
    """

    model: str
    dataset: str = "fashion_mnist"
    epochs: int = 5
    batch_size: int = 128
    latent_dim: int = 100
    image_shape: tuple | None = None
    loss: str = "non_saturating"
    d_steps: int = 1
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    seed: int = 0
    limit: int | None = None
    data_dir: str | None = None
    sample_every: int = 1
    steps_per_execution: int = 1

    # Settings that may change between invocations of one run folder.
    _RESUMABLE = ("epochs", "data_dir", "sample_every", "steps_per_execution")

    def __post_init__(self):
        if self.model not in MODEL_CLASSES:
            raise ValueError(
                f"Unknown model: expected one of {sorted(MODEL_CLASSES)}; "
                f"received {self.model!r}."
            )
        for key in (
            "epochs",
            "batch_size",
            "latent_dim",
            "d_steps",
            "sample_every",
            "steps_per_execution",
        ):
            if int(getattr(self, key)) < 1:
                raise ValueError(
                    f"Expected {key} >= 1; received {key}={getattr(self, key)}."
                )
        if self.limit is not None and int(self.limit) < 1:
            raise ValueError(
                f"Expected limit >= 1 or None; received limit={self.limit}."
            )
        if self.image_shape is None:
            local = self.dataset.replace("-", "_").lower() in gan_data.LOCAL_DATASETS
            self.image_shape = (28, 28, 1) if local else (64, 64, 3)
        self.image_shape = tuple(int(d) for d in self.image_shape)

    def identity(self):
        """The settings that define the run (everything but the resumable ones)."""
        d = dataclasses.asdict(self)
        d["image_shape"] = list(d["image_shape"])
        return {k: v for k, v in d.items() if k not in self._RESUMABLE}


@dataclasses.dataclass
class TrainResult:
    model: keras.Model
    out_dir: pathlib.Path
    epochs_completed: int
    history: dict


def build_model(config):
    """A compiled model for `config`, with weights seeded by `config.seed`."""
    keras.utils.set_random_seed(config.seed)
    cls = MODEL_CLASSES[config.model]
    shape_arg = "image_shape" if config.model == "dcgan" else "data_shape"
    model = cls(
        **{shape_arg: config.image_shape},
        latent_dim=config.latent_dim,
        d_steps=config.d_steps,
        seed=config.seed,
    )
    model.compile(
        g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
        d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
        loss=config.loss,
        steps_per_execution=config.steps_per_execution,
    )
    return model


def save_model_atomic(model, path):
    """`model.save(path)` through a temporary file, so a kill never leaves half a file."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return pathlib.Path(path)


class _RunProgress(keras.callbacks.Callback):
    """Saves the whole model and records progress in run.json after each epoch."""

    def __init__(self, out_dir, config, final_epochs):
        super().__init__()
        self.out_dir = pathlib.Path(out_dir)
        self.config = config
        self.final_epochs = final_epochs

    def on_epoch_end(self, epoch, logs=None):
        save_model_atomic(self.model, self.out_dir / CHECKPOINT)
        _write_run_file(self.out_dir, self.config, epoch + 1, False, self.final_epochs)


def _write_run_file(out_dir, config, epochs_completed, finished, final_epochs):
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


def _check_same_run(out_dir, config, record):
    previous = record["config"]
    wanted = config.identity()
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
            f"settings to resume or continue it, or another --out:\n{lines}"
        )


def _curve_window(dataset):
    # Ten-batch windows, but at least a few points per epoch on small data.
    steps = int(dataset.cardinality())
    return 10 if steps < 1 else max(1, min(10, steps // 4))


def train(config, out_dir, verbose="auto", callbacks=()):
    """Trains (or resumes, or continues) the run `config` in `out_dir`.

    A run is finished once `model.keras` holds every completed epoch; until
    then `backup/` (BackupAndRestore) is kept, so a kill at any point,
    including while the final model is written, resumes without losing an
    epoch.

    Args:
        config: a `TrainConfig`.
        out_dir: the run folder (created if needed).
        verbose: passed to `fit()`. Defaults to `"auto"`.
        callbacks: extra Keras callbacks. Defaults to `()`.

    Returns:
        A `TrainResult`.
    """
    out_dir = pathlib.Path(out_dir)
    record = read_run_file(out_dir)
    done, finished, final_epochs = 0, False, 0
    if record is not None:
        _check_same_run(out_dir, config, record)
        done = int(record["epochs_completed"])
        finished = bool(record.get("finished", False))
        final_epochs = int(record.get("final_model_epochs", 0))
    if done > config.epochs:
        raise ValueError(
            f"{out_dir} has already trained {done} epochs; expected --epochs >= "
            f"{done} to resume or continue it, received --epochs {config.epochs}."
        )
    final = out_dir / FINAL_MODEL
    if finished and done == config.epochs and final.exists():
        print(
            f"{out_dir} already holds a model trained for {done} epochs "
            f"({final}); pass a larger --epochs to train it further."
        )
        return TrainResult(keras.saving.load_model(final), out_dir, done, {})

    # Load the data first: a bad dataset name or path leaves no run folder.
    dataset = gan_data.load(
        config.dataset,
        split="train",
        batch_size=config.batch_size,
        image_shape=config.image_shape,
        seed=config.seed,
        limit=config.limit,
        data_dir=config.data_dir,
    )
    out_dir.mkdir(parents=True, exist_ok=True)

    if final_epochs and final.exists():
        # Continue from the final model with its optimizer state; a backup
        # made since then (below) restores later epochs over it.
        model = keras.saving.load_model(final)
        initial_epoch = final_epochs
    else:
        model = build_model(config)
        initial_epoch = 0
    if done:
        print(f"Resuming {out_dir} from epoch {done} of {config.epochs}.")
    _write_run_file(out_dir, config, done, False, final_epochs)

    run_callbacks = [
        gan_callbacks.RaiseOnNaN(),
        # double_checkpoint keeps the previous backup, so a kill during a
        # write falls back to it; the backup is deleted only once model.keras
        # and run.json say the run is finished.
        keras.callbacks.BackupAndRestore(
            out_dir / "backup", double_checkpoint=True, delete_checkpoint=False
        ),
        gan_callbacks.SampleGrid(
            out_dir / "samples", every=config.sample_every, seed=config.seed
        ),
        gan_callbacks.LossCurves(out_dir / "curves.png", every=_curve_window(dataset)),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out_dir / "logs")),
        gan_callbacks.TensorBoardImages(out_dir / "logs", every=config.sample_every),
        _RunProgress(out_dir, config, final_epochs),
        *callbacks,
    ]
    history = model.fit(
        dataset,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=run_callbacks,
        verbose=verbose,
        shuffle=False,  # the dataset is already shuffled
    )
    save_model_atomic(model, final)
    save_image_grid(model.generate(64, seed=config.seed), out_dir / "samples.png")
    _write_run_file(out_dir, config, config.epochs, True, config.epochs)
    shutil.rmtree(out_dir / "backup", ignore_errors=True)
    return TrainResult(model, out_dir, config.epochs, history.history)


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
