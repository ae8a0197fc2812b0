"""keras_gans.data.load(PATH): folders, archives, bad files, captions, the cache."""

import os
import pathlib
import tarfile
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from image_files import (
    BAD_KINDS,
    BLUE,
    RED,
    write_bad_files,
    write_captioned_folder,
    write_celeba_standin,
    write_cub_standin,
    write_mixed_images,
)
from PIL import Image

from keras_gans import data
from keras_gans.data import folders
from keras_gans.data.folders import cache as cache_lib
from keras_gans.data.folders.decode import BadImageError, decode
from keras_gans.models.base import first_batch

SHAPE = (16, 16, 3)


@pytest.fixture(autouse=True)
def _cache_home(tmp_path, monkeypatch):
    # Decoded pictures go to keras_gans's cache folder: a fresh one per test.
    monkeypatch.setenv("KERAS_GANS_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    records = write_mixed_images(folder, n_each=2)
    bad = write_bad_files(folder / "bad")
    return folder, records, bad


def _all_batches(ds):
    return [
        tuple(np.asarray(x) for x in b) if isinstance(b, tuple) else np.asarray(b)
        for b in ds
    ]


def test_strings_are_paths_by_their_form():
    assert folders.is_path_source("./photos")
    assert folders.is_path_source("~/photos")
    assert folders.is_path_source("a/b")
    assert folders.is_path_source("emoji.zip")
    assert folders.is_path_source(pathlib.Path("photos"))
    assert folders.is_path_source(["x.png"])
    assert not folders.is_path_source("fashion_mnist")
    assert not folders.is_path_source("celeb_a")


def test_a_bare_dataset_name_that_is_also_a_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fashion_mnist").mkdir()
    with pytest.raises(ValueError, match=r"'\./fashion_mnist'"):
        data.load("fashion_mnist")


def test_every_good_picture_is_read_and_every_bad_file_named(mixed):
    folder, records, bad = mixed
    ds = data.load(str(folder), image_shape=SHAPE, batch_size=4, seed=0)
    batches = _all_batches(ds)
    good = {r.path for r in records}
    skipped = ds.folder.skipped
    assert {k.removeprefix("bad/") for k in skipped} == set(bad)
    # Each kind says what is wrong with it.
    words = {
        "corrupt": "not an image",
        "truncated": "truncated",
        "empty": "empty",
        "not_an_image": "not an image",
        "bomb": "bomb",
        "not_regular": "not a regular file",
        "dangling_link": "dangling",
        "link_loop": "loop",
        "too_small": "smaller than the target",
    }
    assert set(bad.values()) <= set(BAD_KINDS)
    for name, kind in bad.items():
        assert words[kind] in skipped[f"bad/{name}"], (name, skipped[f"bad/{name}"])
    # Batches keep their size; the good pictures fill them.
    assert all(b.shape == (4,) + SHAPE for b in batches)
    assert len(batches) == (len(good) + len(bad) - 5) // 4  # 5 set aside unread
    values = np.concatenate(batches)
    assert values.min() >= -1.0 and values.max() <= 1.0
    assert ds.folder.record()["used"] == len(good)


def test_a_folder_with_no_usable_picture_is_an_error_before_training(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(folders.NoImagesError, match="found none"):
        data.load(str(tmp_path / "empty"))
    write_bad_files(tmp_path / "bad")
    ds = data.load(str(tmp_path / "bad"), image_shape=SHAPE, batch_size=2)
    with pytest.raises(Exception, match="none of .* could be decoded"):
        next(iter(ds))


def _pixel(image, x, y):
    return np.asarray(image)[y, x].astype(int)


def test_modes_orientation_frames_and_alpha_are_converted(mixed):
    folder, records, _ = mixed
    by_kind = {}
    for record in records:
        by_kind.setdefault(pathlib.Path(record.path).stem.rsplit("_", 1)[0], record)
    shape = (32, 32, 3)

    def read(kind, **options):
        record = by_kind[kind]
        return record, decode((folder / record.path).read_bytes(), shape, **options)

    record, image = read("jpeg_exif_rotated")
    assert np.abs(image[2, 16] - record.expect["top"]).max() < 40
    assert np.abs(image[29, 16] - record.expect["bottom"]).max() < 40
    record, image = read("gif_animated")
    assert tuple(image[16, 16]) == tuple(record.expect["first_frame"])
    record, image = read("png_grey16")
    assert np.abs(image[16, 16].astype(int) - record.colour).max() <= 1
    for background in ((0, 0, 0), (255, 255, 255)):
        record, image = read("png_rgba", background=background)
        a = record.alpha / 255
        want = np.asarray(record.colour) * a + np.asarray(background) * (1 - a)
        assert np.abs(image[16, 16] - want).max() <= 2
    record, image = read("jpeg_cmyk")
    assert np.abs(image[16, 16].astype(int) - record.colour).max() < 12
    record, image = read("png_palette")
    assert tuple(image[16, 16]) == tuple(record.colour)
    # Grey: ITU-R 601 luma, the same weights as the tf.data pipeline.
    _, grey = read("png_rgb")
    rgb = np.asarray(by_kind["png_rgb"].colour)
    assert grey.shape == (32, 32, 3)
    grey1 = decode((folder / by_kind["png_rgb"].path).read_bytes(), (32, 32, 1))
    assert abs(int(grey1[16, 16, 0]) - rgb @ [0.299, 0.587, 0.114]) <= 1


def test_crops_centre_by_default_or_take_the_box(tmp_path):
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, :20] = RED
    image[:, 20:60] = (0, 255, 0)
    image[:, 60:] = BLUE
    path = tmp_path / "wide.png"
    Image.fromarray(image).save(path)
    centre = decode(path.read_bytes(), (8, 8, 3))
    assert (centre[:, :, 1] > 200).all()  # the middle 40x40 is green
    box = decode(path.read_bytes(), (8, 8, 3), crop_box=(60, 0, 80, 20))
    assert (box[..., 2] > 200).all() and (box[..., 0] < 50).all()
    with pytest.raises(BadImageError, match="crop_box"):
        decode(path.read_bytes(), (8, 8, 3), crop_box=(0, 0, 90, 20))


def test_celeba_crop_keeps_the_face(tmp_path):
    from image_files import CELEBA_FACE_BOX, CELEBA_SKIN

    write_celeba_standin(tmp_path, n=2)
    path = sorted((tmp_path / "img_align_celeba").glob("*.jpg"))[0]
    face = decode(path.read_bytes(), (16, 16, 3), crop_box=CELEBA_FACE_BOX)
    assert np.abs(face[8, 8].astype(int) - CELEBA_SKIN).max() < 30


def test_holdout_is_stable_and_disjoint(tmp_path):
    for i in range(40):
        Image.new("RGB", (16, 16), (i * 6, 0, 0)).save(tmp_path / f"{i:02d}.png")
    kw = dict(image_shape=SHAPE, holdout=0.25, cache=False)
    train = folders.open_folder(str(tmp_path), split="train", **kw).files.keys
    test = folders.open_folder(str(tmp_path), split="test", **kw).files.keys
    assert not set(train) & set(test) and len(train) + len(test) == 40
    assert 3 <= len(test) <= 18
    for i in range(40, 60):  # new files leave the old ones where they were
        Image.new("RGB", (16, 16)).save(tmp_path / f"{i:02d}.png")
    again = folders.open_folder(str(tmp_path), split="test", **kw).files.keys
    assert set(test) <= set(again)


def test_labels_come_from_sorted_class_folders(tmp_path):
    for name, colour in (("zebra", RED), ("apple", BLUE)):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.new("RGB", (16, 16), colour).save(tmp_path / name / f"{i}.png")
    ds = data.load(str(tmp_path), image_shape=SHAPE, batch_size=6, with_labels=True)
    assert ds.folder.class_names == ["apple", "zebra"]
    images, labels = next(iter(ds))
    blue = images.numpy()[:, 8, 8, 2] > 0.9
    np.testing.assert_array_equal(labels.numpy() == 0, blue)
    Image.new("RGB", (16, 16)).save(tmp_path / "loose.png")
    with pytest.raises(ValueError, match="class subfolder.*loose.png"):
        data.load(str(tmp_path), image_shape=SHAPE, with_labels=True)


def test_archives_globs_and_lists_give_the_folders_pictures(mixed, tmp_path):
    folder, records, _ = mixed
    kw = dict(image_shape=SHAPE, batch_size=4, seed=3, cache=False)
    want = _all_batches(data.load(str(folder), **kw))
    good = sorted(r.path for r in records)
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        for name in good:
            archive.write(folder / name, name)
    with tarfile.open(tmp_path / "p.tar", "w") as archive:
        for name in good:
            archive.add(folder / name, name)
    listed = [str(folder / name) for name in good]
    for source in (str(tmp_path / "p.zip"), str(tmp_path / "p.tar"), listed):
        got = _all_batches(data.load(source, **kw))
        assert len(got) == len(good) // 4
        # The bad files are not in these: the same keys in the same order
        # read the same pictures as the folder's first batches wherever they
        # share files; compare set-wise per source.
        assert np.isfinite(np.concatenate(got)).all()
    zipped = folders.open_folder(
        str(tmp_path / "p.zip"), image_shape=SHAPE, cache=False
    )
    plain = folders.open_folder(listed, image_shape=SHAPE, cache=False)
    assert zipped.files.keys == plain.files.keys == good
    for i in range(len(good)):
        np.testing.assert_array_equal(zipped.image(i), plain.image(i))
    globbed = folders.open_folder(str(folder / "**" / "*.png"), image_shape=SHAPE)
    found = set(globbed.files.keys) | set(globbed.skipped)
    assert {k for k in good if k.endswith(".png")} <= found
    assert not any("links/loop" in k for k in found)  # `**` met the link loop
    assert want  # the folder itself read as well
    with pytest.raises(ValueError, match="compressed tar"):
        data.load(str(tmp_path / "p.tar.gz"))


def test_orders_are_seeded_reshuffled_and_a_peek_changes_nothing(tmp_path):
    for i in range(12):
        Image.new("RGB", (16, 16), (i * 20, 0, 0)).save(tmp_path / f"{i:02d}.png")

    def reds(batches):
        return [
            tuple(np.round((b[:, 0, 0, 0] + 1) * 127.5 / 20).astype(int))
            for b in batches
        ]

    kw = dict(image_shape=SHAPE, batch_size=4, seed=1)
    ds = data.load(str(tmp_path), **kw)
    check_first_batch = first_batch.first_batch  # what fit() reads first
    np.testing.assert_array_equal(check_first_batch(ds), next(iter(ds)))
    ds = data.load(str(tmp_path), **kw)
    check_first_batch(ds)
    first = reds(_all_batches(ds))
    second = reds(_all_batches(ds))
    assert first == reds(_all_batches(data.load(str(tmp_path), **kw)))
    assert first != second
    assert sorted(sum(first, ())) == list(range(12))
    flipped = data.load(str(tmp_path), flip=True, **kw)
    assert reds(_all_batches(flipped)) == first  # flips keep the order


def test_the_cache_makes_later_reads_decode_nothing(tmp_path, monkeypatch):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for i in range(8):
        Image.new("RGB", (20, 24), (i * 30, 10, 200)).save(pictures / f"{i}.jpg")
    kw = dict(image_shape=SHAPE, batch_size=4, seed=0, shuffle=False)
    first = np.concatenate(_all_batches(data.load(str(pictures), **kw)))
    entries = cache_lib.entries()
    assert len(entries) == 1 and entries[0][4] == 1.0
    assert str(tmp_path / "home" / "data") in str(entries[0][1])
    assert sorted(p.name for p in pictures.iterdir()) == [f"{i}.jpg" for i in range(8)]

    def refuse(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr("keras_gans.data.folders.folder.decode", refuse)
    again = np.concatenate(_all_batches(data.load(str(pictures), **kw)))
    np.testing.assert_array_equal(first, again)
    # A changed file is a new entry, decoded anew.
    Image.new("RGB", (20, 24)).save(pictures / "0.jpg")
    with pytest.raises(Exception, match="decoded again"):
        _all_batches(data.load(str(pictures), **kw))
    assert len(cache_lib.clear()) == 2 and not cache_lib.entries()


@pytest.mark.parametrize("style", ["txt", "jsonl"])
def test_captions_beside_pictures_pair_with_them(tmp_path, style):
    from image_files import CAPTION_COLOURS

    captions = write_captioned_folder(tmp_path, style, n=12)
    ds = data.load(
        str(tmp_path), image_shape=(32, 32, 3), batch_size=12, captions="auto"
    )
    assert ds.folder.captions == [captions[k] for k in ds.folder.files.keys]
    images, texts = next(iter(ds))
    for image, text in zip(images.numpy(), texts.numpy(), strict=True):
        colour = next(c for c in CAPTION_COLOURS if c in text.decode().split())
        centre = (image[16, 16] + 1) * 127.5
        assert np.abs(centre - CAPTION_COLOURS[colour]).max() < 40


def test_cub_caption_tree_pairs_by_class_and_name(tmp_path):
    paths = write_cub_standin(tmp_path, n_classes=2, per_class=3)
    folder = folders.open_folder(
        str(paths.images), image_shape=SHAPE, captions=str(paths.text)
    )
    assert folder.count == 6 and not folder.skipped
    for key, lines in zip(folder.files.keys, folder.captions, strict=True):
        text = pathlib.Path(paths.text, key).with_suffix(".txt").read_text()
        assert lines == [line for line in text.splitlines() if line.strip()]


def test_pictures_without_captions_are_skipped_and_named(tmp_path):
    write_captioned_folder(tmp_path, "txt", n=6)
    (tmp_path / "img_00.txt").unlink()
    folder = folders.open_folder(str(tmp_path), image_shape=SHAPE, captions="txt")
    assert folder.count == 5 and folder.skipped == {"img_00.png": "no caption"}


def test_bad_arguments_say_what_was_expected(tmp_path):
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    with pytest.raises(ValueError, match="batch_size <= the number of pictures"):
        data.load(str(tmp_path), batch_size=4)
    with pytest.raises(ValueError, match="holdout > 0 with split='test'"):
        data.load(str(tmp_path), split="test")
    with pytest.raises(ValueError, match="crop_box="):
        data.load(str(tmp_path), crop_box=(5, 5, 1, 1))
    with pytest.raises(ValueError, match="data_dir= applies to datasets by name"):
        data.load(str(tmp_path), data_dir="x")
    with pytest.raises(TypeError, match="wording"):
        data.load(str(tmp_path), wording="train")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load(str(tmp_path / "nowhere"))


def test_a_first_batch_reads_a_few_batches_not_the_folder(tmp_path):
    # No picture is decoded before a batch is asked for; then only the
    # batches in flight (two decoding, two prefetched), not a shuffle buffer.
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    for i in range(40):
        Image.new("RGB", (16, 16)).save(pictures / f"{i}.png")
    before = sorted(os.listdir(pictures))
    ds = data.load(str(pictures), image_shape=SHAPE, batch_size=4)
    assert isinstance(ds, tf.data.Dataset)
    assert ds.folder._cache.done() == 0
    next(iter(ds))
    assert 4 <= ds.folder._cache.done() <= 5 * 4
    assert sorted(os.listdir(pictures)) == before  # nothing written there


_OTHER_BACKEND = """
import sys
sys.modules["tensorflow"] = None  # as in an install of keras-gans[jax] or [torch]
import numpy as np
import keras_gans.data as data
out, folder = sys.argv[1], sys.argv[2]
results = {}
for cache in (True, False):  # from TensorFlow's cache, then decoding anew
    ds = data.load(folder, image_shape=(16, 16, 3), batch_size=4, seed=5, cache=cache)
    for epoch in range(2):
        results[f"{cache}{epoch}"] = np.concatenate(list(ds))
np.savez(out, keys=np.asarray(ds.folder.files.keys), kind=type(ds).__name__, **results)
"""


@pytest.mark.backends  # subprocesses of other backends: `-m backends`
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backends_read_the_same_files_in_the_same_order_without_tensorflow(
    mixed, tmp_path, backend
):
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec(backend) is None:
        if os.environ.get("KERAS_GANS_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"Backend not installed: {backend}")
        pytest.skip(f"Backend not installed: {backend}")
    folder = str(mixed[0])
    ds = data.load(folder, image_shape=SHAPE, batch_size=4, seed=5)
    epochs = [np.concatenate(_all_batches(ds)) for _ in range(2)]
    out = tmp_path / "other.npz"
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_BACKEND, str(out), folder],
        env=dict(os.environ, KERAS_BACKEND=backend),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = np.load(out)
    assert str(got["kind"]) == "FolderBatches"
    assert list(got["keys"]) == ds.folder.files.keys
    for cache in (True, False):
        for epoch, want in enumerate(epochs):
            # One decoder (Pillow) everywhere: the same pixels, cached or not.
            np.testing.assert_array_equal(got[f"{cache}{epoch}"], want)


def test_a_resumed_run_goes_on_with_its_next_epochs_order(tmp_path):
    for i in range(8):
        Image.new("RGB", (16, 16), (i * 30, 0, 0)).save(tmp_path / f"{i}.png")
    kw = dict(image_shape=SHAPE, batch_size=4, seed=2, cache=False)
    ds = data.load(str(tmp_path), **kw)
    epochs = [np.concatenate(_all_batches(ds)) for _ in range(3)]
    resumed = data.load(str(tmp_path), **kw)
    resumed.plan.first_epoch = 1  # what the run loop sets after one epoch
    np.testing.assert_array_equal(np.concatenate(_all_batches(resumed)), epochs[1])
    np.testing.assert_array_equal(np.concatenate(_all_batches(resumed)), epochs[2])


def test_bad_members_of_archives_are_skipped_and_named(tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (16, 16), RED).save(good)
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        archive.write(good, "pics/a.png")
        archive.writestr("pics/corrupt.jpg", b"\x00" * 64)
        archive.writestr("pics/empty.png", b"")
        link = zipfile.ZipInfo("pics/link.png")
        link.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(link, "a.png")
    ds = data.load(str(tmp_path / "p.zip"), image_shape=SHAPE, batch_size=1)
    batches = _all_batches(ds)
    assert len(batches) == 2 and all((b[..., 0] > 0.9).all() for b in batches)
    assert ds.folder.skipped == {
        "pics/corrupt.jpg": "not an image Pillow can read",
        "pics/empty.png": "empty file (0 bytes)",
        "pics/link.png": "not a regular file (a link in the archive)",
    }
