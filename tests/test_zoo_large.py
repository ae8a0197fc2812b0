"""The zoo recipes on tfds data (dcgan_celeba, gan_cls_cub), offline.

`tfds.testing.mock_data` fakes celeb_a and caltech_birds2011 from their
feature specs (random images; random but deterministic `image/filename`s),
so `tools/train_zoo.py` trains, exports and publishes each recipe here in a
smoke-sized run. CUB captions are written for the mocked file names, as
`load_cub_captions` expects Reed et al.'s `text_c10` layout.
"""

import json
import pathlib

import numpy as np
import pytest

from keras_gans import runs as training
from keras_gans import zoo
from keras_gans.data import cub
from keras_gans.models.gan_cls import runs as gan_cls_runs
from keras_gans.zoo._download import sha256_file

tfds = pytest.importorskip("tensorflow_datasets")
pytestmark = pytest.mark.heavy

REPO = pathlib.Path(__file__).resolve().parents[1]
N = 16  # mocked examples per split, and --limit
# 16 images cannot fill the recipes' batches (128, 64), and the recipe's
# 2,000 style-encoder steps are minutes of CPU: the test copies of the
# recipes change only these.
SMOKE = {"dcgan_celeba": {"batch_size": 8}, "gan_cls_cub": {"batch_size": 8}}
SMOKE["gan_cls_cub"]["style_steps"] = 2
CAPTIONS = ["a small red bird with black wings", "this bird is yellow and grey"]


def _recipe(name):
    return json.loads((REPO / "zoo" / name / "recipe.json").read_text())


def _smoke_zoo(tmp_path, name):
    """A zoo folder holding only `name`'s recipe (smoke-sized) and no models."""
    recipe = _recipe(name)
    recipe["train"].update(SMOKE[name])
    zoo_dir = tmp_path / "zoo"
    (zoo_dir / name).mkdir(parents=True)
    (zoo_dir / name / "recipe.json").write_text(json.dumps(recipe))
    manifest = {"format_version": 1, "base_url": None, "models": {}}
    (zoo_dir / "manifest.json").write_text(json.dumps(manifest))
    return zoo_dir


def _bird_names(split="train"):
    """The mocked `image/filename`s of a caltech_birds2011 split, in order."""
    ds = tfds.load(cub.NAME, split=split, shuffle_files=False)
    return [example["image/filename"].decode() for example in tfds.as_numpy(ds)]


def _write_captions(root, names, lines=CAPTIONS):
    for name in names:
        path = cub.caption_path(root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines))
    return root


def _check_published(zoo_dir, name, cache_dir):
    """The archive, its manifest entry and samples from a fresh load."""
    archive = zoo_dir / name / f"{name}.tar.xz"
    assert archive.is_file()
    entry = json.loads((zoo_dir / "manifest.json").read_text())["models"][name]
    [spec] = entry["files"]
    assert spec["path"] == f"{name}/{name}.tar.xz"
    assert spec["sha256"] == sha256_file(archive)
    assert entry["metrics"] == {}  # --n-eval 0
    assert (zoo_dir / name / "samples.png").is_file()
    assert (zoo_dir / name / "README.md").is_file()
    gan = zoo.load_pretrained(name, zoo_dir=zoo_dir, cache_dir=cache_dir)
    images = gan.generate(4, seed=0)
    assert images.shape == (4, 64, 64, 3)
    assert np.isfinite(images).all()
    assert images.min() >= -1.0 and images.max() <= 1.0
    return gan


# --- the recipes ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["dcgan_celeba", "gan_cls_cub"])
def test_recipes_are_valid_and_skip_fashion_metrics(name):
    recipe = _recipe(name)
    config = training.TrainConfig(**recipe["train"])
    assert config.image_shape == (64, 64, 3)
    assert "Fashion-MNIST classifier" in recipe["evaluate"]["skip"]
    assert "--data-dir" in recipe["description"]
    assert "Fashion-MNIST" not in recipe["license"]


# --- CUB captions ----------------------------------------------------------------


def test_caption_path_follows_reeds_text_c10_layout():
    name = "CUB_200_2011/images/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg"
    assert cub.caption_path("text_c10", name) == pathlib.Path(
        "text_c10/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.txt"
    )
    assert cub.caption_path("c", b"no folder.jpg") == pathlib.Path("c/no folder.txt")


def test_load_cub_captions_pairs_images_with_their_files(tmp_path):
    import tensorflow as tf

    names = [
        "CUB_200_2011/images/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg",
        "CUB_200_2011/images/002.Laysan_Albatross/Laysan_Albatross_0002_1027.jpg",
        "CUB_200_2011/images/002.Laysan_Albatross/Laysan_Albatross_0003_1033.jpg",
    ]
    shades = [20, 120, 220]

    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices(
            {
                "image": np.stack([np.full((30, 40, 3), s, np.uint8) for s in shades]),
                "label": np.array([0, 1, 1], np.int64),
                "image/filename": np.array(names),
            }
        )

    # The folder above text_c10 (as Reed et al.'s archives unpack) works too.
    text_c10 = tmp_path / "cvpr2016_cub" / "text_c10"
    _write_captions(text_c10, names[:1], [f"caption {j}" for j in range(10)])
    _write_captions(text_c10, names[1:2], ["first", "second"])
    _write_captions(text_c10, names[2:], ["one", "", "  two  ", "three"])
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        data = cub.load_cub_captions(tmp_path / "cvpr2016_cub", image_shape=(8, 8, 3))
        first_two = cub.load_cub_captions(text_c10, limit=2, captions_per_image=2)
    assert len(data) == 3 and data.images.shape == (3, 8, 8, 3)
    assert data.images.dtype == np.uint8
    assert [int(np.unique(x)[0]) for x in data.images] == shades
    assert data.labels.tolist() == [0, 1, 1]
    assert data.filenames.tolist() == names
    assert data.captions.shape == (3, 10)
    assert data.captions[0].tolist() == [f"caption {j}" for j in range(10)]
    # Fewer captions than the most any file has: repeated in order.
    assert data.captions[1].tolist() == ["first", "second"] * 5
    assert data.captions[2, :4].tolist() == ["one", "two", "three", "one"]
    assert first_two.images.shape == (2, 64, 64, 3)
    assert first_two.captions.tolist() == [
        ["caption 0", "caption 1"],
        ["first", "second"],
    ]


def test_missing_captions_dir_is_a_clear_error(tmp_path, train_zoo):
    zoo_dir = _smoke_zoo(tmp_path, "gan_cls_cub")
    args = [
        "gan_cls_cub",
        "--zoo-dir",
        str(zoo_dir),
        "--run-dir",
        str(tmp_path / "run"),
    ]
    with tfds.testing.mock_data(num_examples=4):
        with pytest.raises(ValueError, match=r"needs its captions.*--captions-dir"):
            train_zoo.main(args)
        missing = tmp_path / "nowhere"
        with pytest.raises(FileNotFoundError, match=r"text_c10.*reedscot"):
            train_zoo.main([*args, "--captions-dir", str(missing)])
    assert not (tmp_path / "run").exists()  # no run folder for bad data


def test_images_without_caption_files_are_a_clear_error(tmp_path):
    with tfds.testing.mock_data(num_examples=5):
        names = _bird_names()
        _write_captions(tmp_path, names[3:])
        with pytest.raises(FileNotFoundError, match="No caption file for 3 of 5") as e:
            cub.load_cub_captions(tmp_path)
        assert str(cub.caption_path(tmp_path, names[0])) in str(e.value)


def test_empty_caption_files_are_a_clear_error(tmp_path):
    with tfds.testing.mock_data(num_examples=5):
        names = _bird_names()
        _write_captions(tmp_path, names)
        cub.caption_path(tmp_path, names[2]).write_text("\n  \n")
        with pytest.raises(ValueError, match="1 of 5 caption files .* are empty"):
            cub.load_cub_captions(tmp_path)


def test_gan_cls_settings_that_do_not_fit_the_dataset(tmp_path):
    bad = [
        ({"dataset": cub.NAME, "condition": "labels"}, "condition='labels'"),
        ({"captions_dir": str(tmp_path)}, "captions_dir applies to"),
        ({"dataset": "celeb_a"}, "trains on 'fashion_captions'"),
    ]
    for settings, message in bad:
        config = training.TrainConfig(model="gan_cls", **settings)
        with pytest.raises(ValueError, match=message):
            training.train(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="only apply to model='gan_cls'"):
        training.TrainConfig(model="dcgan", captions_dir=str(tmp_path))
    # A location: it may change when a run resumes, so it is not identity.
    config = training.TrainConfig(model="gan_cls", captions_dir=tmp_path)
    assert config.captions_dir == str(tmp_path)
    assert "captions_dir" not in config.identity()


# --- end to end: train_zoo.py trains, exports and publishes --------------------------


@pytest.mark.slow
def test_dcgan_celeba_recipe_end_to_end(tmp_path, train_zoo):
    zoo_dir = _smoke_zoo(tmp_path, "dcgan_celeba")
    args = [
        "dcgan_celeba",
        "--zoo-dir",
        str(zoo_dir),
        "--run-dir",
        str(tmp_path / "run"),
    ]
    args += ["--epochs", "1", "--limit", str(N), "--n-eval", "0", "--verbose", "0"]
    with tfds.testing.mock_data(num_examples=N):
        entry = train_zoo.main(args)
    assert entry["dataset"] == "celeb_a" and entry["kind"] == "dcgan"
    assert entry["evaluation"] == _recipe("dcgan_celeba")["evaluate"]["skip"]
    _check_published(zoo_dir, "dcgan_celeba", tmp_path / "cache")


@pytest.mark.slow
def test_gan_cls_cub_recipe_end_to_end(tmp_path, train_zoo, monkeypatch):
    zoo_dir = _smoke_zoo(tmp_path, "gan_cls_cub")
    run = tmp_path / "run"
    monkeypatch.setattr(gan_cls_runs, "TEXT_ENCODER_EPOCHS", 5)
    args = ["gan_cls_cub", "--zoo-dir", str(zoo_dir), "--run-dir", str(run)]
    args += ["--epochs", "1", "--limit", str(N), "--n-eval", "0", "--verbose", "0"]
    with tfds.testing.mock_data(num_examples=N):
        captions = _write_captions(tmp_path / "text_c10", _bird_names())
        entry = train_zoo.main([*args, "--captions-dir", str(captions)])
    assert entry["dataset"] == cub.NAME and entry["kind"] == "gan_cls"
    gan = _check_published(zoo_dir, "gan_cls_cub", tmp_path / "cache")
    images = gan.text_to_image(["a small red bird"])
    assert images.shape == (1, 64, 64, 3) and np.isfinite(images).all()
    assert gan.metadata["preview_texts"] == list(cub.PREVIEW_CAPTIONS)

    # The run's own text encoder, pretrained on the CUB captions, is kept
    # in the run folder, and a resumed run loads it instead of training.
    record = json.loads((run / "text_encoder.json").read_text())
    assert record["images"] == N and record["captions"] == N * len(CAPTIONS)
    assert record["epochs"] == 5 and len(record["history"]["loss"]) == 5
    for figure in ("text_to_image.png", "interpolation.png", "style_transfer.png"):
        assert (run / figure).is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("pretrained again")

    import keras_gans.text

    monkeypatch.setattr(keras_gans.text, "pretrain_text_encoder", no_training)
    config = training.TrainConfig(**_recipe("gan_cls_cub")["train"])
    encoder = gan_cls_runs.pretrain_run_text_encoder(config, run, captioned=None)
    model = training.load_trained(run)
    np.testing.assert_allclose(
        encoder(["a small red bird"]), model.text_encoder(["a small red bird"])
    )


# --- the folders people have (issue 28) --------------------------------------------


@pytest.mark.slow
def test_dcgan_celeba_recipe_on_celebas_own_folder(tmp_path, train_zoo, monkeypatch):
    from image_files import CELEBA_SKIN, write_celeba_standin

    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path / "home"))
    write_celeba_standin(tmp_path / "celeba", n=N)
    zoo_dir = _smoke_zoo(tmp_path, "dcgan_celeba")
    folder = tmp_path / "celeba" / "img_align_celeba"
    args = ["dcgan_celeba", "--zoo-dir", str(zoo_dir), "--run-dir", str(tmp_path / "r")]
    args += ["--data", f"{folder}/", "--epochs", "1", "--n-eval", "0", "--verbose", "0"]
    entry = train_zoo.main(args)
    assert entry["kind"] == "dcgan"
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    assert record["config"]["crop_box"] == [25, 45, 153, 173]
    assert record["data"]["used"] == N and not record["data"]["skipped"]
    _check_published(zoo_dir, "dcgan_celeba", tmp_path / "cache")
    # The recipe's crop keeps the face: the centre of every crop is skin.
    from keras_gans import data

    faces = next(
        iter(data.load(str(folder), batch_size=N, crop_box=(25, 45, 153, 173)))
    )
    centre = (faces.numpy()[:, 28:36, 28:36].mean(axis=(1, 2)) + 1) * 127.5
    assert np.abs(centre - CELEBA_SKIN).max() < 40


@pytest.mark.slow
def test_gan_cls_cub_recipe_on_cubs_own_folders(tmp_path, train_zoo, monkeypatch):
    from image_files import write_cub_standin

    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(gan_cls_runs, "TEXT_ENCODER_EPOCHS", 2)
    paths = write_cub_standin(tmp_path / "cub", n_classes=2, per_class=4)
    zoo_dir = _smoke_zoo(tmp_path, "gan_cls_cub")
    run = tmp_path / "run"
    args = ["gan_cls_cub", "--zoo-dir", str(zoo_dir), "--run-dir", str(run)]
    args += ["--data", str(paths.images), "--captions-dir", str(paths.text)]
    entry = train_zoo.main(args + ["--epochs", "1", "--n-eval", "0", "--verbose", "0"])
    assert entry["kind"] == "gan_cls"
    gan = _check_published(zoo_dir, "gan_cls_cub", tmp_path / "cache")
    # The figures' captions are the folder's own.
    assert len(gan.metadata["preview_texts"]) == 8
    assert json.loads((run / "run.json").read_text())["data"]["used"] == 8


def test_the_not_published_message_says_how_to_train_from_the_folders(tmp_path):
    import keras_gans

    with pytest.raises(zoo.NotPublishedError, match="--data img_align_celeba/"):
        keras_gans.DCGAN.from_preset("dcgan_celeba", cache_dir=tmp_path)
    with pytest.raises(zoo.NotPublishedError, match="--data CUB_200_2011/images"):
        keras_gans.GANCLS.from_preset("gan_cls_cub", cache_dir=tmp_path)
