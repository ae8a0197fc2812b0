"""`keras-gans train gan_cls`, `keras-gans generate-text` and GAN-CLS runs."""

import json
import pathlib

import pytest
import tensorflow as tf

from keras_gans import cli
from keras_gans import runs as training
from keras_gans.models import GANCLS
from keras_gans.models.gan_cls import PREVIEW_CAPTIONS
from keras_gans.models.registry import get_family
from keras_gans.runs.spec import run_spec

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "fashion-mnist"
TRAIN_ARGS = ["train", "gan_cls", "--dataset", "fashion_captions", "--epochs", "1"]
TRAIN_ARGS += ["--limit", "64", "--batch-size", "32", "--verbose", "0"]
TRAIN_ARGS += ["--latent-dim", "8", "--projection-dim", "8", "--style-steps", "5"]
TRAIN_ARGS += ["--data-dir", str(FIXTURES)]


def read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gan_cls")
    made = {}
    for condition in ("captions", "labels"):
        out = root / condition
        args = TRAIN_ARGS + ["--condition", condition, "--out", str(out)]
        assert cli.main(args) == 0
        made[condition] = (out, args)
    return made


def test_a_run_writes_the_model_and_the_text_figures(runs):
    run, _ = runs["captions"]
    for name in (
        "model.keras",
        "samples.png",
        "text_to_image.png",
        "interpolation.png",
        "style_transfer.png",
        "run.json",
        "history.csv",
    ):
        assert (run / name).is_file(), name
    config = json.loads((run / "run.json").read_text())["config"]
    assert config["condition"] == "captions"
    assert config["text_encoder"] == "fashion_captions"
    assert config["projection_dim"] == 8 and config["style_steps"] == 5
    assert "hidden" not in config  # InfoGAN-only settings stay out
    assert "d_wrong" in (run / "history.csv").read_text().splitlines()[0]
    model = training.load_trained(run)
    assert isinstance(model, GANCLS) and model.text_encoder is not None
    assert model.preview_texts == list(PREVIEW_CAPTIONS)
    # samples.png: the 8 preview captions as rows of 8 (64 images, 28x28).
    assert read_png(run / "samples.png").shape == (8 * 30 + 2, 8 * 30 + 2, 1)


def test_the_baseline_is_conditioned_on_one_hot_classes(runs, capsys):
    run, _ = runs["labels"]
    model = training.load_trained(run)
    assert model.text_encoder is None and model.text_dim == 10
    assert (run / "text_to_image.png").is_file()
    code = cli.main(["generate-text", "a dark bag", "--model", str(run)])
    assert code == 2
    assert "no text encoder" in capsys.readouterr().err


def test_generate_text_draws_one_row_per_caption(runs, tmp_path, capsys):
    run, _ = runs["captions"]
    out = tmp_path / "grid.png"
    code = cli.main(
        ["generate-text", "a dark ankle boot", "this slim dress looks pale"]
        + ["--model", str(run), "--n", "3", "--seed", "1", "--out", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 caption(s) x 3 images" in printed and "a dark ankle boot" in printed
    picture = read_png(out)
    assert picture.shape[0] > 2 * 28 and picture.shape[1] > 3 * 28
    # `sample` on a GAN-CLS run draws its preview captions.
    assert (
        cli.main(["sample", str(run), "--n", "16", "--out", str(tmp_path / "s.png")])
        == 0
    )
    assert cli.main(["sweep", str(run), "--out", str(tmp_path / "w.png")]) == 2


def test_rerunning_a_finished_run_does_not_train_again(runs, capsys):
    run, args = runs["captions"]
    before = (run / "model.keras").stat().st_mtime_ns
    assert cli.main(args) == 0
    assert "already holds a model trained for 1 epochs" in capsys.readouterr().out
    assert (run / "model.keras").stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "dcgan", "--beta", "0.3"], "--beta only apply to gan_cls"),
        (["train", "gan_cls", "--hidden", "64"], "--hidden only apply to infogan"),
        (["train", "gan_cls", "--dataset", "fashion_mnist"], "fashion_captions"),
        (
            ["train", "gan_cls", "--beta", "1.5"],
            "--beta to be a finite number >= 0 and <= 1",
        ),
        (["train", "gan_cls", "--style-steps", "-1"], "--style-steps"),
        (["train", "gan_cls", "--image-shape", "32,32,1"], "(28, 28, 1)"),
    ],
)
def test_bad_settings_get_a_clear_error_and_no_run_folder(
    args, message, tmp_path, capsys
):
    out = tmp_path / "run"
    assert cli.main(args + ["--out", str(out), "--data-dir", str(FIXTURES)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_other_models_record_no_gan_cls_settings():
    # A run's identity holds its own family's settings, never GAN-CLS's.
    gan_cls = {o.name for o in run_spec(get_family("gan_cls")).options}
    for model in ("gan", "dcgan", "infogan"):
        own = {o.name for o in run_spec(get_family(model)).options}
        identity = training.TrainConfig(model=model).identity()
        assert not (gan_cls - own) & set(identity), model
        assert own <= set(identity), model
    # GAN-CLS's own, but for the resumable captions_dir.
    identity = training.TrainConfig(model="gan_cls").identity()
    assert gan_cls - set(identity) == {"captions_dir"}
    with pytest.raises(ValueError, match="only apply to model='gan_cls'"):
        training.TrainConfig(model="dcgan", condition="labels")


def test_the_benchmark_scores_models_and_writes_its_section(runs, tmp_path, load_tool):
    bench = load_tool("bench_gan_cls")
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nkept\n")
    args = [str(runs["captions"][0]), "--baseline", str(runs["labels"][0])]
    args += ["--data-dir", str(FIXTURES), "--n", "64", "--output", str(output)]
    args += ["--json", str(tmp_path / "r.json"), "--png", str(tmp_path / "r.png")]
    results = bench.main(args)
    names = [row["name"] for row in results["rows"]]
    assert names == [
        "GAN-CLS, held-out wording",
        "GAN-CLS, training wording",
        "class-conditional baseline (one-hot class)",
        "real test images behind the captions",
    ]
    real = results["rows"][-1]
    # The captions were measured from these images: the ceiling is exact.
    assert real["shade_agreement"] == real["width_agreement"] == 1.0
    assert all(row["n"] == 64 for row in results["rows"])
    text = output.read_text()
    assert "kept" in text and bench.TITLE in text
    assert text.count("<!-- bench_gan_cls fashion_captions: begin") == 1
    bench.main(args)  # a rerun replaces the section, never duplicates it
    assert output.read_text().count(bench.TITLE) == 1
    assert read_png(tmp_path / "r.png").shape[0] > 100
    with pytest.raises(SystemExit, match="not a class-conditional"):
        bench.main(
            [str(runs["captions"][0])]
            + args[1:2]
            + [str(runs["captions"][0])]
            + args[3:]
        )
