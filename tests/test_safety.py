"""What a stranger's file may do, and what a run may write (issue 27).

- A preset or `.keras` file whose text encoder names a SavedModel runs
  nothing and touches no file outside the cache unless the caller passes
  `safe_mode=False`.
- `keras-gans train --out` on a folder that is not a run refuses before a
  file is written; a second writer of one run folder is refused while the
  first runs; nothing a run did not write is deleted.
- `--overwrite` is the one way to replace a file a command did not write.
- Each file that used to give a traceback or a misleading error gives one
  line naming it.
"""

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import keras
import pytest
import tensorflow as tf

from keras_gans import callbacks as callbacks_module
from keras_gans import cli, outputs, runs
from keras_gans.callbacks import BackupAndRestore, remove_backups
from keras_gans.files import atomic_path
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.gan_cls import GANCLS
from keras_gans.runs import folder as run_folder
from keras_gans.text import SavedModelTextEncoder
from keras_gans.trust import UnsafeLoadError, load_keras_file


def tree(root):
    """{relative path: sha256} of every file under `root`."""
    root = pathlib.Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- a hostile preset ---------------------------------------------------------------


class _HostileEncoder(tf.Module):
    """A "sentence encoder" whose graph reads one file and writes another."""

    def __init__(self, secret, loot):
        super().__init__()
        self.secret, self.loot = str(secret), str(loot)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, strings):
        stolen = tf.io.read_file(self.secret)
        with tf.control_dependencies([tf.io.write_file(self.loot, stolen)]):
            return tf.zeros([tf.shape(strings)[0], 4])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A GAN-CLS `.keras` file and preset archive whose encoder is that graph."""
    from keras_gans.zoo._download import make_archive

    root = tmp_path_factory.mktemp("hostile")
    secret, loot = root / "secret.txt", root / "loot.txt"
    secret.write_text("the user's secret")
    graph = root / "graph"
    tf.saved_model.save(_HostileEncoder(secret, loot), str(graph))
    keras.utils.set_random_seed(0)
    model = GANCLS(
        text_encoder=SavedModelTextEncoder(graph, signature=None),
        image_shape=(16, 16, 1),
        latent_dim=4,
        projection_dim=4,
        g_filters=4,
        d_filters=4,
    )
    model.compile()
    model.save(root / "model.keras")
    model.save_to_preset(root / "preset", saved_model=False)
    archive = make_archive(root / "preset", root / "preset.tar.gz")
    loot.unlink()  # written while the attacker built the model
    return {"root": root, "loot": loot, "archive": archive, "graph": graph}


def test_a_hostile_preset_runs_no_graph_and_writes_nothing_outside_the_cache(hostile):
    root, loot = hostile["root"], hostile["loot"]
    before = tree(root)
    cache = root / "cache"
    with pytest.raises(UnsafeLoadError, match="safe_mode=False"):
        keras.saving.load_model(root / "model.keras")
    with pytest.raises(UnsafeLoadError, match="SavedModel text encoder"):
        GANCLS.from_preset(hostile["archive"], cache_dir=cache, progress=False)
    with pytest.raises(UnsafeLoadError):
        GANCLS.from_preset(root / "preset", cache_dir=cache, progress=False)
    assert not loot.exists()
    after = {k: v for k, v in tree(root).items() if not k.startswith("cache")}
    assert after == before


def test_a_trusted_file_carries_its_saved_model_inside(hostile, tmp_path):
    # The graph the config names is gone: the archive's own copy is used.
    moved = tmp_path / "moved"
    hostile["graph"].rename(moved)
    try:
        model = keras.saving.load_model(
            hostile["root"] / "model.keras", safe_mode=False
        )
        assert model.text_encoder._source != str(hostile["graph"])
        assert model.text_encoder.embedding_dim == 4
        preset = GANCLS.from_preset(
            hostile["archive"],
            cache_dir=tmp_path / "cache",
            progress=False,
            safe_mode=False,
        )
        assert preset.text_encoder._source != str(hostile["graph"])
        # Loading ran no graph; calling the encoder is the caller's choice.
        assert not hostile["loot"].exists()
    finally:
        moved.rename(hostile["graph"])
        hostile["loot"].unlink(missing_ok=True)


# --- run folders ----------------------------------------------------------------------


def _foreign_folder(root):
    root.mkdir()
    (root / "model.keras").write_bytes(b"my own model")
    (root / "samples.png").write_bytes(b"\x89PNG\r\n\x1a\nmine")
    (root / "curves.png").write_bytes(b"mine too")
    (root / "samples").mkdir()
    (root / "samples" / "epoch_001.png").write_bytes(b"kept")
    (root / "a.weights.h5").write_bytes(b"weights I trained for a week")
    (root / "backup").mkdir()
    (root / "backup" / "b.weights.h5").write_bytes(b"more weights")
    return tree(root)


def test_train_refuses_a_folder_that_is_not_a_run_and_keeps_its_files(
    tmp_path, tiny_dcgan_config, capsys
):
    out = tmp_path / "photos"
    before = _foreign_folder(out)
    with pytest.raises(outputs.OutputExistsError, match="'a.weights.h5' and 5 more"):
        runs.train(tiny_dcgan_config, out, verbose=0)
    assert tree(out) == before
    code = cli.main(
        ["train", "dcgan", "--epochs", "1", "--limit", "64", "--out", str(out)]
    )
    message = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in message
    assert "which no run wrote. Nothing was changed" in message
    assert tree(out) == before and sorted(os.listdir(out)) == sorted(
        [
            "a.weights.h5",
            "backup",
            "curves.png",
            "model.keras",
            "samples",
            "samples.png",
        ]
    )


def test_an_empty_folder_or_one_with_hidden_files_may_become_a_run(tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / ".DS_Store").write_bytes(b"finder")
    assert run_folder.claim_run_folder(tmp_path / "new") is None
    assert run_folder.claim_run_folder(tmp_path / "absent") is None
    (tmp_path / "file").write_text("x")
    with pytest.raises(outputs.OutputExistsError, match="found a file there"):
        run_folder.claim_run_folder(tmp_path / "file")


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path, tiny_dcgan_config):
    out = tmp_path / "run"
    refusals = []

    class SecondTrain(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if refusals:
                return
            with pytest.raises(outputs.FolderBusyError) as caught:
                runs.train(tiny_dcgan_config, out, verbose=0)
            refusals.append(str(caught.value))

    result = runs.train(tiny_dcgan_config, out, verbose=0, callbacks=[SecondTrain()])
    assert result.epochs_completed == 1
    assert "another one is" in refusals[0]
    # Released at the end: the same run again is "already trained".
    assert runs.train(tiny_dcgan_config, out, verbose=0).epochs_completed == 1


def test_the_lock_goes_with_a_killed_process(tmp_path):
    # A process that holds the lock and is then killed, as a crashed run.
    script = (
        "import importlib.util, sys, time\n"
        f"spec = importlib.util.spec_from_file_location('o', {outputs.__file__!r})\n"
        "o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)\n"
        f"lock = o.FolderLock({str(tmp_path)!r}).acquire()\n"
        "print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(outputs.FolderBusyError, match="another one is"):
            outputs.FolderLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    with outputs.FolderLock(tmp_path) as lock:
        assert lock.held


def test_backups_remove_only_their_own_files(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    # Its epoch files, the metadata, and what a kill during their atomic
    # writes leaves (keras_gans.files.atomic_path's temporary names).
    ours = [
        "epoch_00003.weights.h5",
        "training_metadata.json",
        ".epoch_00004.weights.h5.k3_x9a0q.weights.h5",
        ".training_metadata.json.0abc_xyz",
    ]
    # Keras's own layout is not this callback's (it refuses to restore it).
    others = ["latest.weights.h5", "latest.weights.h5.bkp", "mine.weights.h5"]
    for name in [*ours, *others, "notes.txt"]:
        (folder / name).write_text("x")
    remove_backups(folder)
    assert sorted(os.listdir(folder)) == sorted([*others, "notes.txt"])
    for name in ours:
        (tmp_path / "only" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "only" / name).write_text("x")
    remove_backups(tmp_path / "only")
    assert not (tmp_path / "only").exists()
    # Keras's own callback would delete the whole folder at the end.
    callback = BackupAndRestore(folder)
    callback.on_train_end()
    assert sorted(os.listdir(folder)) == sorted([*others, "notes.txt"])
    # The temporary names are the ones atomic_path gives.
    for name, suffix in [("epoch_00005.weights.h5", ".weights.h5"), (ours[1], "")]:
        with atomic_path(tmp_path / "names" / name, suffix=suffix) as tmp:
            assert callbacks_module._is_backup_file(os.path.basename(tmp)), tmp


# --- --overwrite ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = DCGAN(image_shape=(28, 28, 1), latent_dim=4, g_filters=4, d_filters=4)
    model.compile()
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model.save(path)
    return path


def test_sample_rewrites_its_own_png_and_refuses_a_users_file(
    tiny_model_file, tmp_path, capsys
):
    from PIL import Image

    mine = tmp_path / "holiday.png"
    Image.new("RGB", (8, 8), "red").save(mine)
    before = mine.read_bytes()
    args = ["sample", str(tiny_model_file), "--n", "4", "--out", str(mine)]
    assert cli.main(args) == 2
    assert "file it did not write" in capsys.readouterr().err
    assert mine.read_bytes() == before
    assert cli.main([*args, "--overwrite"]) == 0
    assert outputs.is_keras_gans_png(mine)
    assert cli.main(args) == 0  # its own file: rewritten without the flag
    (tmp_path / "report.json").write_text('{"mine": 1}')
    evaluate = [
        "evaluate",
        str(tiny_model_file),
        "--out",
        str(tmp_path / "report.json"),
    ]
    assert cli.main(evaluate) == 2
    assert json.loads((tmp_path / "report.json").read_text()) == {"mine": 1}


def test_export_tflite_rewrites_its_own_files_and_refuses_others(
    tiny_model_file, tmp_path
):
    from keras_gans.export import tflite

    export = keras.saving.load_model(tiny_model_file).export(tmp_path / "exports")
    out = tmp_path / "lite"
    first = tflite.export_tflite(export, out, name="g")
    again = tflite.export_tflite(export, out, name="g")  # its own files
    assert first == again
    (out / "g.none.json").write_text('{"app": "settings"}')
    with pytest.raises(outputs.OutputExistsError, match="g.none.tflite"):
        tflite.export_tflite(export, out, name="g")
    assert json.loads((out / "g.none.json").read_text()) == {"app": "settings"}
    tflite.export_tflite(export, out, name="g", overwrite=True)
    assert json.loads((out / "g.none.json").read_text())["file"] == "g.none.tflite"


# --- one-line errors ------------------------------------------------------------------


def _one_line_error(capsys, argv):
    assert cli.main(argv) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "Traceback" not in message
    return message


def test_run_json_whose_config_is_not_an_object(tmp_path, capsys):
    (tmp_path / "run.json").write_text('{"config": [1, 2], "epochs_completed": 1}')
    message = _one_line_error(capsys, ["train", "dcgan", "--out", str(tmp_path)])
    assert "run.json is not a valid run record" in message
    assert "found 'config' = '[1, 2]'" in message
    (tmp_path / "run.json").write_text("[]")
    with pytest.raises(ValueError, match="found a JSON list"):
        runs.read_run_file(tmp_path)


def test_damaged_keras_files_are_named(tiny_model_file, tmp_path, capsys):
    data = bytearray(tiny_model_file.read_bytes())
    with zipfile.ZipFile(tiny_model_file) as archive:
        info = archive.getinfo("model.weights.h5")
    # One byte inside the weights member's data: its CRC no longer matches.
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 1
    crc = tmp_path / "crc.keras"
    crc.write_bytes(bytes(data))
    for command in (["sample", str(crc)], ["export", str(crc), "--out", "x"]):
        message = _one_line_error(capsys, command)
        assert f"Could not load {crc}" in message
        assert "'model.weights.h5' fails its CRC check" in message
    (tmp_path / "empty.keras").write_bytes(b"")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(tiny_model_file.read_bytes()[:1000])
    with pytest.raises(ValueError, match="found an empty file"):
        load_keras_file(tmp_path / "empty.keras")
    message = _one_line_error(capsys, ["sample", str(truncated)])
    assert "not a zip archive (a truncated or foreign file)" in message
    assert "File not found" not in message


def test_a_compile_block_with_an_unknown_key(tiny_model_file, tmp_path, capsys):
    model = keras.saving.load_model(tiny_model_file)
    preset = model.save_to_preset(tmp_path / "preset", saved_model=False)
    info = json.loads((preset / "preset.json").read_text())
    info["compile"]["learning_rat"] = 1
    (preset / "preset.json").write_text(json.dumps(info))
    message = _one_line_error(capsys, ["sample", str(preset), "--n", "4"])
    assert "compile config of a DCGAN" in message and "learning_rat" in message
    config = model.get_compile_config()
    with pytest.raises(ValueError, match=r"found unknown key\(s\) \['learning_rat'\]"):
        model.compile_from_config({**config, "learning_rat": 1})
    with pytest.raises(ValueError, match=r"found no \['d_optimizer'\]"):
        model.compile_from_config({"g_optimizer": config["g_optimizer"]})
    with pytest.raises(ValueError, match="to be an object; received a list"):
        model.compile_from_config([1])


def test_a_users_history_csv_stops_the_run_before_it_writes(
    tmp_path, tiny_dcgan_config, capsys
):
    out = tmp_path / "run"
    out.mkdir()
    run_folder.write_run_file(out, tiny_dcgan_config, 0, False, 0)
    (out / "history.csv").write_text("step,loss\n1,0.5\n")
    before = tree(out)
    with pytest.raises(ValueError, match="expected an 'epoch' column") as caught:
        runs.train(tiny_dcgan_config, out, verbose=0)
    assert str(out / "history.csv") in str(caught.value)
    assert tree(out) == before and not (out / "logs").exists()
    assert sorted(os.listdir(out)) == ["history.csv", "run.json"]
