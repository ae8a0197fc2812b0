"""Tests for keras_gans.callbacks: sample grids, TensorBoard, NaN guard, curves."""

import math
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans import callbacks, images

BATCH = 8
BATCHES_PER_EPOCH = 4


def _model(seed=0):
    model = keras_gans.GAN(
        data_shape=(8, 8, 1),
        latent_dim=4,
        g_units=(16,),
        d_units=(8,),
        d_pieces=2,
        seed=seed,
    )
    model.compile()
    return model


@pytest.fixture(scope="module")
def model():
    """One tiny compiled GAN shared by the tests that keep its weights finite.

    Training it further in each test is fine (no test depends on its exact
    weights) and it traces the train function once, which keeps this file fast.
    """
    return _model()


def _data(nan_batch=None, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (BATCH * BATCHES_PER_EPOCH, 8, 8, 1))
    x = x.astype("float32")
    if nan_batch is not None:
        x[nan_batch * BATCH] = np.nan
    return tf.data.Dataset.from_tensor_slices(x).batch(BATCH)


def _fit(model, cbs, epochs, data=None, **kwargs):
    return model.fit(
        _data() if data is None else data,
        epochs=epochs,
        callbacks=cbs,
        verbose=0,
        shuffle=False,
        **kwargs,
    )


def _read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


class _LatentSpy(keras.callbacks.Callback):
    """Records, at each epoch end, the latent batch another callback holds."""

    def __init__(self, target):
        super().__init__()
        self.target = target
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(self.target._latent)


class _BatchLogs(keras.callbacks.Callback):
    """Records the logs of every training batch."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({k: float(v) for k, v in logs.items()})


# --- SampleGrid ---------------------------------------------------------------------


def test_sample_grid_writes_every_n_epochs_from_a_fixed_latent_batch(tmp_path, model):
    n = 6
    cb = callbacks.SampleGrid(tmp_path / "samples", every=2, n=n, seed=3)
    spy = _LatentSpy(cb)
    _fit(model, [cb, spy], epochs=4)

    # Exactly the due epochs, named 1-based; nothing else (no temp files).
    assert sorted(os.listdir(tmp_path / "samples")) == [
        "epoch_002.png",
        "epoch_004.png",
    ]
    assert cb.path_for(1) == tmp_path / "samples" / "epoch_002.png"
    grid_2 = _read_png(tmp_path / "samples" / "epoch_002.png")
    grid_4 = _read_png(tmp_path / "samples" / "epoch_004.png")

    # Size of a grid of n 8x8 images with the default ncols = ceil(sqrt(n)).
    expected_shape = images.image_grid(np.zeros((n, 8, 8, 1), "float32")).shape
    ncols = math.ceil(math.sqrt(n))
    assert expected_shape == (2 * 10 + 2, ncols * 10 + 2, 1)
    assert grid_2.shape == expected_shape
    assert grid_4.shape == expected_shape

    # One latent batch, drawn once from the callback's seed, used for every epoch.
    assert len(spy.seen) == 4
    assert all(z is spy.seen[0] for z in spy.seen)
    assert cb._latent is spy.seen[0]
    np.testing.assert_array_equal(
        np.asarray(cb._latent), np.asarray(model.sample_latent(n, seed=3))
    )

    # With fixed z, generation is deterministic: the last grid is exactly what the
    # final weights make from cb._latent ...
    first = model.generate(cb._latent)
    np.testing.assert_array_equal(first, model.generate(cb._latent))
    np.testing.assert_array_equal(grid_4, images.image_grid(first))
    # ... so the grids differ between epochs only because the weights changed.
    assert not np.array_equal(grid_2, grid_4)


def test_sample_grid_keeps_its_latent_batch_across_fit_calls(tmp_path, model):
    cb = callbacks.SampleGrid(tmp_path, every=1, n=4)
    _fit(model, [cb], epochs=1)
    latent = cb._latent
    _fit(model, [cb], epochs=1)
    assert cb._latent is latent
    np.testing.assert_array_equal(
        _read_png(tmp_path / "epoch_001.png"),
        images.image_grid(model.generate(latent)),
    )


def test_sample_grid_latent_batch_depends_only_on_its_seed(tmp_path, model):

    def latent(seed):
        cb = callbacks.SampleGrid(tmp_path, n=5, seed=seed)
        cb.set_model(model)
        cb.on_train_begin()
        return np.asarray(cb._latent)

    assert latent(1).shape == (5, 4)
    np.testing.assert_array_equal(latent(1), latent(1))
    assert not np.array_equal(latent(1), latent(2))


def test_sample_grid_honours_ncols(tmp_path, model):
    cb = callbacks.SampleGrid(tmp_path, n=5, ncols=5)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_end(0)
    assert _read_png(tmp_path / "epoch_001.png").shape == (1 * 10 + 2, 5 * 10 + 2, 1)


@pytest.mark.parametrize("every", [0, -1])
@pytest.mark.parametrize("cls", [callbacks.SampleGrid, callbacks.TensorBoardImages])
def test_fixed_latent_callbacks_reject_every_below_one(tmp_path, cls, every):
    with pytest.raises(ValueError, match=f"every={every}"):
        cls(tmp_path, every=every)


# --- TensorBoardImages --------------------------------------------------------------


def _image_summaries(log_dir):
    """(step, tag, plugin, tensor) of every summary value in log_dir/images."""
    files = sorted((log_dir / "images").glob("events.out.tfevents.*"))
    assert files, f"no event file under {log_dir / 'images'}"
    found = []
    for f in files:
        for record in tf.data.TFRecordDataset(str(f)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.append(
                    (
                        event.step,
                        value.tag,
                        value.metadata.plugin_data.plugin_name,
                        tf.make_ndarray(value.tensor),
                    )
                )
    return found


def test_tensorboard_images_logs_samples_at_one_based_epochs(tmp_path, model):
    n = 3
    every_epoch = callbacks.TensorBoardImages(tmp_path / "a", every=1, n=n)
    every_other = callbacks.TensorBoardImages(tmp_path / "b", every=2, n=n)
    _fit(model, [every_epoch, every_other], epochs=4)

    for cb, steps in [(every_epoch, [1, 2, 3, 4]), (every_other, [2, 4])]:
        summaries = _image_summaries(cb.log_dir)
        assert [s[0] for s in summaries] == steps
        assert {s[1] for s in summaries} == {"samples"}
        assert {s[2] for s in summaries} == {"images"}

        # An image summary tensor is [width, height, png_1, ..., png_n]; the last
        # one holds what the final weights make from the callback's fixed latents.
        last = summaries[-1][3]
        assert last.shape == (2 + n,)
        assert (last[0], last[1]) == (b"8", b"8")
        decoded = np.stack([tf.io.decode_png(png).numpy() for png in last[2:]])
        expected = images.to_uint8(model.generate(cb._latent))
        np.testing.assert_array_equal(decoded, expected)
        # The writer is closed at the end of training.
        assert cb._writer is None


# --- Throughput ---------------------------------------------------------------------


class _Clock:
    """`time.perf_counter` that moves `tick` seconds a call."""

    def __init__(self, tick):
        self.now, self.tick = 0.0, tick

    def __call__(self):
        self.now += self.tick
        return self.now


def _scalars(log_dir):
    """{tag: [(step, value)]} of the scalar summaries under `log_dir`."""
    found = {}
    for f in sorted(log_dir.rglob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(f)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                found.setdefault(value.tag, []).append((event.step, number))
    return found


def test_fit_logs_images_per_second_to_history_progress_bar_and_tensorboard(
    tmp_path, model, monkeypatch, capsys
):
    # Each batch end reads the clock once: 0.5 s a step, 8 images a step.
    monkeypatch.setattr(callbacks.time, "perf_counter", _Clock(0.5))
    x = np.asarray(list(_data().unbatch().as_numpy_iterator()))
    board = keras.callbacks.TensorBoard(str(tmp_path / "board"))
    history = model.fit(x, batch_size=BATCH, epochs=2, callbacks=[board], verbose=2)
    # The first step of each epoch is left out: 3 steps in 1.5 s.
    assert history.history["images_per_second"] == [16.0, 16.0]
    assert "images_per_second: 16.0000" in capsys.readouterr().out
    assert _scalars(tmp_path / "board")["epoch_images_per_second"] == [(0, 16.0), (1, 16.0)]


def test_throughput_counts_steps_per_execution_and_skips_one_step_epochs(monkeypatch):
    monkeypatch.setattr(callbacks.time, "perf_counter", _Clock(1.0))
    meter = callbacks.Throughput(examples_per_step=4)
    meter.on_epoch_begin(0)
    logs = {}
    meter.on_train_batch_end(1, logs)  # the first call: steps 0 and 1
    assert logs == {}
    meter.on_train_batch_end(3, logs)  # two more steps in one second
    assert logs == {"images_per_second": 8.0}
    meter.on_epoch_begin(1)
    meter.on_train_batch_end(0, {})
    epoch_logs = {}
    meter.on_epoch_end(1, epoch_logs)
    assert epoch_logs == {}
    with pytest.raises(ValueError, match="examples_per_step"):
        callbacks.Throughput(examples_per_step=0)


def test_fit_adds_no_second_throughput_and_none_where_the_batch_is_unknown(model):
    meter = callbacks.Throughput(examples_per_step=1, name="mine")
    history = _fit(model, [meter], epochs=1)
    assert "mine" in history.history and "images_per_second" not in history.history

    def batches():
        for b in _data():
            yield (b.numpy(),)

    history = model.fit(batches(), epochs=1, steps_per_epoch=3, verbose=0)
    assert "images_per_second" not in history.history


# --- RaiseOnNaN ---------------------------------------------------------------------


def test_raise_on_nan_stops_training_naming_key_epoch_and_batch():
    model = _model()  # its own: NaN gradients poison the weights
    # NaN data in the third batch; start at the second epoch (a resumed run).
    with pytest.raises(FloatingPointError) as info:
        _fit(
            model,
            [callbacks.RaiseOnNaN()],
            epochs=3,
            initial_epoch=1,
            data=_data(nan_batch=2),
        )
    message = str(info.value)
    assert re.search(r"\b(d_loss|g_loss) became nan\b", message), message
    assert "epoch 2, batch 3" in message


def test_raise_on_nan_does_not_interfere_with_finite_training(model):
    history = _fit(model, [callbacks.RaiseOnNaN()], epochs=1)
    assert len(history.history["d_loss"]) == 1
    assert all(math.isfinite(v) for v in history.history["g_loss"])


@pytest.mark.parametrize(
    "logs, key, shown",
    [
        ({"d_loss": 0.3, "g_loss": float("inf")}, "g_loss", "inf"),
        ({"d_loss": -np.inf, "g_loss": 0.7}, "d_loss", "-inf"),
        ({"d_loss": tf.constant(np.nan), "g_loss": 0.7}, "d_loss", "nan"),
        ({"d_loss": np.float32(1.0), "g_loss": np.array(np.nan)}, "g_loss", "nan"),
    ],
)
def test_raise_on_nan_catches_any_non_finite_loss(logs, key, shown):
    cb = callbacks.RaiseOnNaN()
    cb.on_epoch_begin(4)
    with pytest.raises(FloatingPointError) as info:
        cb.on_train_batch_end(6, logs)
    assert f"{key} became {shown} at epoch 5, batch 7" in str(info.value)


def test_raise_on_nan_ignores_unmonitored_and_missing_keys():
    cb = callbacks.RaiseOnNaN(monitor=["g_loss"])
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(0, {"d_loss": np.nan, "g_loss": 0.5})
    cb.on_train_batch_end(1, {"d_real": np.inf})
    cb.on_train_batch_end(2, {})
    cb.on_train_batch_end(3, None)
    with pytest.raises(FloatingPointError, match="g_loss"):
        cb.on_train_batch_end(4, {"g_loss": np.nan})


# --- LossCurves ---------------------------------------------------------------------

KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def test_loss_curves_records_every_n_batches_and_writes_a_png(tmp_path, model):
    path = tmp_path / "plots" / "curves.png"
    cb = callbacks.LossCurves(path, every=3)
    batch_logs = _BatchLogs()
    _fit(model, [cb, batch_logs], epochs=2)

    total = 2 * BATCHES_PER_EPOCH
    assert len(batch_logs.logs) == total
    # The step count runs across epochs: steps 3 and 6 of 8.
    assert cb.steps == [3, 6]
    for key in KEYS:
        assert len(cb.history[key]) == total // 3
        np.testing.assert_allclose(
            cb.history[key], [batch_logs.logs[s - 1][key] for s in cb.steps]
        )

    assert os.listdir(path.parent) == ["curves.png"]
    decoded = _read_png(path)
    assert decoded.shape[:2] == (350, 1000)  # figsize (10, 3.5) at 100 dpi
    assert decoded.std() > 0


def test_loss_curves_records_missing_keys_as_nan_and_skips_empty_plots(tmp_path):
    path = tmp_path / "c.png"
    cb = callbacks.LossCurves(path, every=2, keys=("d_loss", "other"))
    cb.on_epoch_end(0)
    assert not path.exists()  # nothing recorded yet: no plot
    # Keras logs running means since the epoch began: per-batch values
    # 1, 3, 5, 7, 9 arrive as 1, 2, 3, 4, 5. Windows of two batches are
    # recorded as their own means: (1 + 3) / 2 and (5 + 7) / 2.
    for batch in range(5):
        cb.on_train_batch_end(batch, {"d_loss": float(batch + 1)})
    assert cb.steps == [2, 4]
    assert cb.history["d_loss"] == [2.0, 6.0]
    assert all(math.isnan(v) for v in cb.history["other"])
    assert len(cb.history["other"]) == 2
    cb.on_epoch_end(0)
    assert _read_png(path).shape[:2] == (350, 1000)


def test_loss_curves_rejects_every_below_one(tmp_path):
    with pytest.raises(ValueError, match="every"):
        callbacks.LossCurves(tmp_path / "c.png", every=0)


def test_plot_curves_writes_a_png_from_hand_made_data(tmp_path):
    steps = [10, 20, 30, 40]
    history = {
        "d_loss": [1.4, 1.3, 1.35, 1.38],
        "g_loss": [0.7, 0.8, 0.75, 0.72],
        "d_real": [0.6, 0.55, 0.52, 0.5],
        "d_fake": [0.4, 0.45, 0.48, 0.5],
    }
    path = callbacks.plot_curves(steps, history, tmp_path / "a" / "curves.png")
    assert path == tmp_path / "a" / "curves.png"
    assert os.listdir(tmp_path / "a") == ["curves.png"]
    first = _read_png(path)
    assert first.shape[:2] == (350, 1000)

    # Other data draws a different picture; only the loss keys is enough.
    other = callbacks.plot_curves(
        steps, {"d_loss": [0.1, 2.0, 0.1, 2.0]}, tmp_path / "b.png"
    )
    assert not np.array_equal(_read_png(other), first)


# --- HistoryCSV ---------------------------------------------------------------------


def _rows(path):
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))


def test_history_csv_keeps_one_row_per_epoch_through_a_resume(model, tmp_path):
    path = tmp_path / "history.csv"
    history = _fit(model, [callbacks.HistoryCSV(path)], epochs=3)
    rows = _rows(path)
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert sorted(rows[0]) == [
        "d_fake", "d_loss", "d_real", "epoch", "g_loss", "images_per_second"
    ]
    np.testing.assert_allclose(
        [float(r["g_loss"]) for r in rows], history.history["g_loss"], rtol=1e-6
    )
    # A kill after epoch 1's row but before its backup: the run resumes at
    # epoch 1, which replaces rows 1 and 2 rather than adding to them.
    _fit(model, [callbacks.HistoryCSV(path)], epochs=3, initial_epoch=1)
    resumed = _rows(path)
    assert [r["epoch"] for r in resumed] == ["0", "1", "2"]
    assert resumed[0] == rows[0]
    assert resumed[1]["g_loss"] != rows[1]["g_loss"]


def test_history_csv_writes_na_for_keys_an_epoch_lacks(tmp_path):
    path = tmp_path / "history.csv"
    cb = callbacks.HistoryCSV(path)
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    cb.on_epoch_end(0, {"d_loss": np.float32(0.5)})
    cb.on_epoch_end(1, {"d_loss": 0.25, "val_d_loss": 1.0})
    assert path.read_text().splitlines() == [
        "epoch,d_loss,val_d_loss",
        "0,0.5,NA",
        "1,0.25,1.0",
    ]


# --- BackupAndRestore ---------------------------------------------------------------


def test_a_kill_while_a_backup_is_written_restores_the_last_whole_one(tmp_path):
    backup = tmp_path / "backup"
    model = _model()
    _fit(model, [callbacks.BackupAndRestore(backup, delete_checkpoint=False)], 1)
    after_one = model.get_weights()
    real_save = model.save_weights

    def killed_midway(filepath, overwrite=True):
        with open(filepath, "wb") as f:
            f.write(b"\x89HDF\r\n")  # the start of a file, then the kill
        raise KeyboardInterrupt

    model.save_weights = killed_midway
    with pytest.raises(KeyboardInterrupt):
        _fit(model, [callbacks.BackupAndRestore(backup, delete_checkpoint=False)], 3)
    model.save_weights = real_save
    assert sorted(p.name for p in backup.iterdir()) == [
        "epoch_00001.weights.h5",
        "training_metadata.json",
    ]

    resumed = _model(seed=1)
    restore = callbacks.BackupAndRestore(backup, delete_checkpoint=False)
    restore.set_model(resumed)
    restore.on_train_begin()
    assert resumed._initial_epoch == 1
    for a, b in zip(resumed.get_weights(), after_one, strict=True):
        np.testing.assert_array_equal(a, b)


def test_backups_written_by_keras_are_refused_untouched(tmp_path):
    backup = tmp_path / "backup"
    model = _model()
    _fit(
        model,
        [keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)],
        2,
    )
    before = {p.name: p.read_bytes() for p in backup.iterdir()}
    assert "latest.weights.h5" in before
    resumed = _model(seed=1)
    weights = resumed.get_weights()
    restore = callbacks.BackupAndRestore(backup)
    restore.set_model(resumed)
    expected = (
        r"training_metadata.json without a 'weights' entry, the layout of "
        r"keras.callbacks.BackupAndRestore. Resume that training with "
        r"keras.callbacks.BackupAndRestore, or start a new run"
    )
    with pytest.raises(ValueError, match=expected):
        restore.on_train_begin()
    # Keras's weights without its metadata (a kill between its two files).
    (backup / "training_metadata.json").unlink()
    with pytest.raises(ValueError, match="latest.weights.h5 without training_meta"):
        restore.on_train_begin()
    (backup / "training_metadata.json").write_bytes(before["training_metadata.json"])
    assert {p.name: p.read_bytes() for p in backup.iterdir()} == before
    assert not resumed._initial_epoch
    for a, b in zip(resumed.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_backup_yet_restores_nothing(tmp_path):
    model = _model()
    weights = model.get_weights()
    for backup in (tmp_path / "none", tmp_path / "empty"):
        if backup.name == "empty":
            backup.mkdir()
        restore = callbacks.BackupAndRestore(backup)
        restore.set_model(model)
        restore.on_train_begin()
        assert not model._initial_epoch
        assert backup.name == "empty" or not backup.exists()
        for a, b in zip(model.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(a, b)
