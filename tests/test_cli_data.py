"""keras-gans train/evaluate/preview-data --data PATH: runs on your own pictures."""

import json

import numpy as np
import pytest
from image_files import (
    write_bad_files,
    write_captioned_folder,
    write_cub_standin,
    write_mixed_images,
)
from PIL import Image

from keras_gans import cli


@pytest.fixture(autouse=True)
def _cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path / "home"))


def _small(*args):
    return [*args, "--batch-size", "8", "--verbose", "0", "--latent-dim", "8"]


@pytest.mark.slow
def test_dcgan_trains_at_64x64x3_on_a_folder_with_bad_files(tmp_path, capsys):
    pictures = tmp_path / "pictures"
    records = write_mixed_images(pictures, n_each=2)
    bad = write_bad_files(pictures / "bad")
    # Pictures whose square centre crop is under 64 pixels are too small.
    small = {r.path for r in records if min(r.size) < 64}
    assert 0 < len(small) < len(records)
    out = tmp_path / "run"
    args = _small("train", "dcgan", "--data", str(pictures), "--out", str(out))
    args += ["--g-filters", "8", "--d-filters", "8"]
    assert cli.main(args + ["--epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "Training on" in printed and "skipped" in printed
    record = json.loads((out / "run.json").read_text())
    assert record["config"]["image_shape"] == [64, 64, 3]
    assert record["config"]["dataset"] is None and "data" not in record["config"]
    data = record["data"]
    # The fingerprint counts the regular files listed; the rest were set
    # aside before reading.
    unlisted = {"empty", "not_regular", "dangling_link", "link_loop"}
    listed = 26 + sum(kind not in unlisted for kind in bad.values())
    assert data["path"] == str(pictures) and data["files"] == listed
    skipped = data["skipped"]
    assert {k.removeprefix("bad/") for k in skipped if k.startswith("bad/")} == set(bad)
    assert {k for k in skipped if not k.startswith("bad/")} == small
    assert all("smaller than the target" in skipped[k] for k in small)
    assert data["used"] == 26 - len(small)
    with Image.open(out / "samples.png") as grid:
        assert grid.mode == "RGB"

    # The folder changed: resuming says what changed, unless allowed.
    Image.new("RGB", (64, 64)).save(pictures / "new.png")
    assert cli.main(args + ["--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "changed since it started" in err and f"now {listed + 1}" in err
    assert "--allow-changed-data" in err
    assert cli.main(args + ["--epochs", "2", "--allow-changed-data"]) == 0
    assert json.loads((out / "run.json").read_text())["data"]["files"] == listed + 1


def test_evaluate_data_scores_against_the_folders_pictures(tmp_path, capsys):
    import keras_gans

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for i in range(20):
        Image.new("L", (40, 40), i * 12).save(pictures / f"{i}.png")
    model = tmp_path / "g.keras"
    keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=4, g_filters=4).save(model)
    report = tmp_path / "eval.json"
    argv = ["evaluate", str(model), "--data", str(pictures), "--n", "16"]
    assert cli.main(argv + ["--metrics", "kid", "--out", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["num_real"] == 16 and result["dataset"] == str(pictures)
    assert cli.main(argv[:-1] + ["21"]) == 2
    assert "Expected n <= 20 (the pictures in" in capsys.readouterr().err


def test_preview_data_writes_what_the_model_sees(tmp_path, capsys):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for i in range(6):
        image = np.zeros((40, 80, 3), np.uint8)
        image[:, 20:60] = (0, 200, 0)
        Image.fromarray(image).save(pictures / f"{i}.png")
    grid = tmp_path / "preview.png"
    argv = ["preview-data", str(pictures), "--image-shape", "8,8,3", "--n", "4"]
    assert cli.main(argv + ["--out", str(grid)]) == 0
    assert "Wrote 4 of 6 pictures" in capsys.readouterr().out
    pixels = np.asarray(Image.open(grid).convert("RGB")).astype(int)
    # The centre crop keeps only the green band.
    assert (pixels[pixels.sum(-1) < 700][:, 1] > 150).mean() > 0.95
    assert cli.main(["preview-data", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_data_flags_are_checked(tmp_path, capsys):
    out = str(tmp_path / "run")
    argv = ["train", "dcgan", "--data", str(tmp_path), "--dataset", "digits"]
    assert cli.main(argv + ["--out", out]) == 2
    assert "Expected either --dataset=NAME or --data=PATH" in capsys.readouterr().err
    assert cli.main(["train", "dcgan", "--flip", "--out", out]) == 2
    assert "apply to runs on your pictures (--data=PATH)" in capsys.readouterr().err
    assert cli.main(["train", "dcgan", "--data", str(tmp_path), "--out", out]) == 2
    assert "found none usable" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_cache_list_and_clear_show_decoded_pictures(tmp_path, capsys):
    from keras_gans import data

    for i in range(4):
        Image.new("RGB", (16, 16)).save(tmp_path / f"{i}.png")
    list(data.load(str(tmp_path), image_shape=(8, 8, 3), batch_size=2))
    assert cli.main(["cache", "list"]) == 0
    listed = capsys.readouterr().out
    assert "4 pictures at 8x8x3, 100% decoded" in listed
    assert cli.main(["cache", "clear", "data"]) == 0
    assert "Removed 1 decoded-picture entries" in capsys.readouterr().out
    assert not list((tmp_path / "home" / "data").iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["txt", "jsonl", "cub"])
def test_gan_cls_trains_on_a_captioned_folder(tmp_path, layout, capsys):
    out = tmp_path / "run"
    args = ["--image-shape", "16,16,3", "--style-steps", "1", "--epochs", "1"]
    if layout == "cub":
        paths = write_cub_standin(tmp_path / "cub", n_classes=2, per_class=4)
        args += ["--data", str(paths.images), "--captions-dir", str(paths.text)]
    else:
        write_captioned_folder(tmp_path / "pictures", layout, n=8)
        args += ["--data", str(tmp_path / "pictures")]
    argv = _small("train", "gan_cls", "--out", str(out), *args)
    assert cli.main(argv) == 0, capsys.readouterr().err
    record = json.loads((out / "run.json").read_text())
    assert record["data"]["used"] == 8 and not record["data"]["skipped"]
    assert (out / "interpolation.png").exists()
