"""The train loop of a run: build or resume the model, `fit()`, finish.

Rerunning the same run resumes from the last finished epoch; rerunning it
with more `epochs` on a finished run continues training from `model.keras`
with its optimizer state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import pathlib
import shutil
import tempfile

import keras

from keras_gans import callbacks as gan_callbacks
from keras_gans import distribute
from keras_gans.images import save_image_grid
from keras_gans.outputs import FolderLock, foreign_entries
from keras_gans.runs.folder import (
    CHECKPOINT,
    FINAL_MODEL,
    HISTORY_FILE,
    RUN_FILE,
    RunProgress,
    check_same_data,
    check_same_run,
    claim_run_folder,
    load_trained,
    read_run_file,
    save_model_atomic,
    write_run_file,
)
from keras_gans.runs.interrupt import StopOnRequest
from keras_gans.runs.spec import run_spec

__all__ = ["CHECKPOINT", "FINAL_MODEL", "TrainResult", "build_model", "train"]


@dataclasses.dataclass
class TrainResult:
    """What `train` returns: the trained model and where the run is.

    Attributes:
        model: the trained (or loaded, when already finished) model.
        out_dir: the run folder.
        epochs_completed: epochs the model has trained.
        history: `fit()`'s history of this invocation (`{}` when nothing
            was trained).
        figures: `{label: path}` of the family's own figures.
    """

    model: keras.Model
    out_dir: pathlib.Path
    epochs_completed: int
    history: dict
    # {label: path} of the family's own figures (InfoGAN's sweeps, ...).
    figures: dict = dataclasses.field(default_factory=dict)


def build_model(config, **context):
    """A compiled model for `config`, with weights seeded by `config.seed`.

    Args:
        config: a `TrainConfig`.
        **context: passed to the family's `build` (GAN-CLS takes
            `text_encoder=`, the run's pretrained encoder).
    """
    keras.utils.set_random_seed(config.seed)
    model = run_spec(config.family).build(config, **context)
    run_spec(config.family).compile_model(model, config)
    return model


def _curve_window(dataset):
    # Ten-batch windows, but at least a few points per epoch on small data.
    if hasattr(dataset, "cardinality"):  # tf.data (a method; a number when distributed)
        cardinality = dataset.cardinality
        steps = int(cardinality() if callable(cardinality) else cardinality)
    else:  # a PyDataset (JAX, PyTorch); None when it never ends
        steps = dataset.num_batches or 0
    return 10 if steps < 1 else max(1, min(10, steps // 4))


def _run_callbacks(out_dir, config, dataset, final_epochs, extra):
    return [
        StopOnRequest(),
        gan_callbacks.RaiseOnNaN(),
        # Before the backup: an epoch's row is written before the epoch
        # counts as done, and a resumed run rewrites the rows it repeats.
        gan_callbacks.HistoryCSV(out_dir / HISTORY_FILE),
        # Written through renames, so a kill leaves the last whole backup;
        # deleted only once model.keras and run.json say the run is finished.
        gan_callbacks.BackupAndRestore(out_dir / "backup", delete_checkpoint=False),
        gan_callbacks.SampleGrid(
            out_dir / "samples", every=config.sample_every, seed=config.seed
        ),
        gan_callbacks.LossCurves(out_dir / "curves.png", every=_curve_window(dataset)),
        # TensorBoard writes through tf.summary: where TensorFlow is installed.
        *(
            [
                keras.callbacks.TensorBoard(str(out_dir / "logs")),
                gan_callbacks.TensorBoardImages(
                    out_dir / "logs", every=config.sample_every
                ),
            ]
            if importlib.util.find_spec("tensorflow") is not None
            else []
        ),
        RunProgress(out_dir, config, final_epochs),
        *extra,
    ]


# What a worker that is not the chief copies from the run folder to resume.
_STATE = ("run.json", "backup", FINAL_MODEL)


def _worker_folder(out_dir):
    """A private copy of the run's state, for a worker that is not the chief.

    Every worker of a multi-worker run does the same work, saving included
    (saving may wait on the other workers), but only the chief writes the
    run folder. The others resume from the chief's state and write to a
    temporary folder, deleted at the end. Nothing in the run folder changes
    before every worker has started the first step, so the copy is whole.
    """
    folder = pathlib.Path(tempfile.mkdtemp(prefix="keras_gans_worker_"))
    for name in _STATE:
        source = out_dir / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        elif source.exists():
            shutil.copy2(source, folder / name)
    return folder


def train(
    config,
    out_dir,
    verbose="auto",
    callbacks=(),
    strategy=None,
    allow_changed_data=False,
):
    """Trains (or resumes, or continues) the run `config` in `out_dir`.

    A run is finished once `model.keras` holds every completed epoch; until
    then `backup/` (BackupAndRestore) is kept, so a kill at any point,
    including while the final model is written, resumes without losing an
    epoch.

    Args:
        config: a `TrainConfig`.
        out_dir: the run folder (created if needed). On many machines, a
            folder every machine sees (a shared disk): the chief writes it,
            the other workers read it to resume.
        verbose: passed to `fit()`. Defaults to `"auto"`.
        callbacks: extra Keras callbacks. Defaults to `()`.
        strategy: a `tf.distribute.Strategy` to build and train in
            (`keras_gans.distribute.make_strategy`). Defaults to `None`:
            the current one.
        allow_changed_data: resume a run on `config.data` even though its
            pictures changed since the run started (added, removed or
            changed files). Defaults to `False`: such a resume stops with a
            message that says what changed.

    Returns:
        A `TrainResult`.
    """
    out_dir = pathlib.Path(out_dir)
    if distribute.is_chief():
        return _train(config, out_dir, verbose, callbacks, strategy, allow_changed_data)
    folder = _worker_folder(out_dir)
    try:
        result = _train(
            config, folder, verbose, callbacks, strategy, allow_changed_data
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.out_dir = out_dir
    result.figures = _figures(config.family, out_dir)
    return result


def _progress(out_dir, config):
    """`(done, finished, final_epochs)` of the run in `out_dir` (zeros for a new one).

    Raises before anything is written if the folder is not the run's to
    write (`claim_run_folder`) or holds a run of other settings.
    """
    record = claim_run_folder(out_dir)
    if record is None:
        return 0, False, 0
    check_same_run(out_dir, config, record)
    done = int(record["epochs_completed"])
    if done > config.epochs:
        raise ValueError(
            f"{out_dir} has already trained {done} epochs; expected epochs >= "
            f"{done} to resume or continue it, received epochs={config.epochs}."
        )
    return (
        done,
        bool(record.get("finished", False)),
        int(record.get("final_model_epochs", 0)),
    )


def _train(config, out_dir, verbose, callbacks, strategy, allow_changed_data):
    # One writer per run folder: a second `train` into it is refused at once
    # if the folder exists, else once its data are loaded. The folder is
    # claimed first: a foreign folder gets not even the lock file.
    lock = FolderLock(out_dir, "run folder")
    if out_dir.is_dir():
        _progress(out_dir, config)
        lock.acquire()
    try:
        return _train_locked(
            config, out_dir, verbose, callbacks, strategy, lock, allow_changed_data
        )
    finally:
        lock.release()


def _train_locked(
    config, out_dir, verbose, callbacks, strategy, lock, allow_changed_data
):
    family = config.family
    done, finished, final_epochs = _progress(out_dir, config)
    final = out_dir / FINAL_MODEL
    if finished and done == config.epochs and final.exists():
        print(
            f"{out_dir} already holds a model trained for {done} epochs "
            f"({final}); train with more epochs to train it further."
        )
        return TrainResult(
            load_trained(final), out_dir, done, {}, _figures(family, out_dir)
        )

    # Load the data first: a bad dataset name or path leaves no run folder.
    data = run_spec(family).load_data(config)
    config.data_folder = getattr(data, "folder", None)
    if config.data_folder is not None:
        print(f"Training on {config.data_folder.summary()}.")
        check_same_data(
            out_dir, config, read_run_file(out_dir), allow_changed=allow_changed_data
        )
    if lock.held:
        out_dir.mkdir(parents=True, exist_ok=True)
    else:
        lock.acquire()  # creates the folder
        # Another process may have started a run here meanwhile.
        done, finished, final_epochs = _progress(out_dir, config)
    # run.json before any other file: it is what makes the folder this
    # run's (a family's own first files, GAN-CLS's text encoder, come later).
    new_run = not (out_dir / RUN_FILE).exists()
    write_run_file(out_dir, config, done, False, final_epochs)

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    try:
        with scope:
            if final_epochs and final.exists():
                # Continue from the final model with its optimizer state; a
                # backup made since then (below) restores later epochs over it.
                model = load_trained(final)
                initial_epoch = final_epochs
            else:
                model = build_model(
                    config, **run_spec(family).build_context(config, out_dir, data, verbose)
                )
                initial_epoch = 0
    except BaseException:
        # A model that cannot be built (a bad setting) leaves the folder as
        # it found it, so that the corrected command can use it.
        if new_run and foreign_entries(out_dir) == [RUN_FILE]:
            (out_dir / RUN_FILE).unlink()
        raise
    dataset = run_spec(family).training_dataset(model, data, config)
    plan = getattr(dataset, "plan", None)
    if plan is not None:
        # A resumed run on a folder goes on with the order of its next epoch.
        plan.first_epoch = done
        dataset = _shard_folder(dataset, strategy)
    several = distribute.process_count() > 1
    if (distribute.needs_static_shapes(strategy) or several) and hasattr(
        dataset, "rebatch"
    ):
        # A TPU compiles one program per shape, and JAX's processes must
        # take as many steps of one shape: no partial last batch.
        dataset = dataset.rebatch(config.batch_size, drop_remainder=True)
    # Across JAX processes, each feeds its rows of every global batch.
    dataset = distribute.process_share(dataset)
    if done:
        print(f"Resuming {out_dir} from epoch {done} of {config.epochs}.")

    history = model.fit(
        dataset,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=_run_callbacks(out_dir, config, dataset, final_epochs, callbacks),
        verbose=verbose,
        shuffle=False,  # the dataset is already shuffled
    )
    save_model_atomic(model, final)
    save_image_grid(
        model.preview_samples(model.sample_latent(64, seed=config.seed)),
        out_dir / "samples.png",
    )
    if run_spec(family).after_fit(model, config, data, verbose):
        save_model_atomic(model, final)
    run_spec(family).write_figures(model, out_dir, config)
    write_run_file(out_dir, config, config.epochs, True, config.epochs)
    gan_callbacks.remove_backups(out_dir / "backup")
    return TrainResult(
        model, out_dir, config.epochs, history.history, _figures(family, out_dir)
    )


def _shard_folder(dataset, strategy):
    """A folder's batches, each worker of a multi-worker strategy reading its share."""
    if strategy is None or not distribute.is_multi_worker(strategy):
        return dataset
    from keras_gans.data.folders.batches import distributed

    sharded = distributed(dataset.plan, strategy)
    sharded.folder = dataset.folder
    return sharded


def _figures(family, out_dir):
    return {
        label: out_dir / name
        for label, name in run_spec(family).figures.items()
        if (out_dir / name).exists()
    }
