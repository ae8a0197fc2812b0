"""Tests for keras_gans.data: IDX files, offline Fashion-MNIST and digits, `load()`,
tfds."""

import gzip
import shutil
import struct
import sys

import numpy as np
import pytest

from keras_gans import data
from keras_gans.data import digits, fashion_mnist, idx, loader, local

FILES = fashion_mnist.FILES["train"] + fashion_mnist.FILES["test"]


@pytest.fixture(autouse=True)
def _no_data_dir_env(monkeypatch):
    # The developer's own setting must not change what these tests find.
    monkeypatch.delenv(fashion_mnist.DATA_DIR_ENV, raising=False)


@pytest.fixture
def raw_train(fashion_dir):
    return data.load_arrays("fashion_mnist", "train", data_dir=fashion_dir)


def _idx_bytes(array, code):
    """IDX bytes built by hand from the format description, not by write_idx."""
    header = bytes([0, 0, code, array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _copy_fixture(src, dst, n_train=None):
    """Copies the fixture to `dst`, keeping only `n_train` training examples."""
    dst.mkdir(parents=True)
    for name in FILES:
        shutil.copy(src / name, dst / name)
    if n_train is not None:
        images, labels = fashion_mnist.load_split("train", src)
        idx.write_idx(dst / FILES[0], images[:n_train])
        idx.write_idx(dst / FILES[1], labels[:n_train])
    return dst


# --- IDX files ---------------------------------------------------------------


@pytest.mark.parametrize(
    "array, code",
    [
        (np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4), 0x08),
        (np.array([[-5, 70000], [1, -2]], dtype=np.int32), 0x0C),
        (np.array([0.5, -1.25, 3.0], dtype=np.float32), 0x0D),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_hand_written_files(tmp_path, array, code, compress):
    raw = _idx_bytes(array, code)
    path = tmp_path / "a.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    result = idx.read_idx(path)
    assert result.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(result, array)
    # write_idx produces exactly the format read above.
    idx.write_idx(tmp_path / "b.idx", array)
    assert (tmp_path / "b.idx").read_bytes() == raw


def test_idx_write_gz_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.uint8).reshape(10, 10)
    idx.write_idx(tmp_path / "a.gz", array)
    idx.write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a.gz"), array)


@pytest.mark.parametrize(
    "mangle, expected",
    [
        (lambda raw: raw[:-7], r"expected 24 data bytes .* received 17"),
        (lambda raw: raw + b"\x00", r"expected 24 data bytes .* received 25"),
        (lambda raw: b"\x12\x34" + raw[2:], "magic number"),
        (lambda raw: raw[:2] + b"\x07" + raw[3:], "dtype code .* received 0x07"),
        (lambda raw: raw[:10], "header"),
        (lambda raw: b"", "4-byte header"),
        (lambda raw: gzip.compress(raw)[:-10], "gzip"),
    ],
    ids=["truncated", "too-long", "magic", "dtype", "header", "empty", "bad-gzip"],
)
def test_idx_invalid_files_name_the_file(tmp_path, mangle, expected):
    raw = _idx_bytes(np.zeros((2, 3, 4), np.uint8), 0x08)
    path = tmp_path / "broken-images-idx3-ubyte.gz"
    path.write_bytes(mangle(raw))
    with pytest.raises(ValueError, match=expected) as info:
        idx.read_idx(path)
    assert str(path) in str(info.value)


# --- Fashion-MNIST files -----------------------------------------------------


def test_fixture_arrays(fashion_dir):
    for split, n in [("train", 512), ("test", 128)]:
        images, labels = data.load_arrays("fashion_mnist", split, data_dir=fashion_dir)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.uint8
        assert set(np.unique(labels)) == set(range(10))
        assert images.min() == 0 and images.max() == 255
    assert len(data.CLASS_NAMES) == 10


def test_load_arrays_returns_private_copies(fashion_dir):
    images, _ = data.load_arrays(data_dir=fashion_dir)
    images[:] = 7  # must not corrupt the in-memory cache
    again, _ = data.load_arrays(data_dir=fashion_dir)
    assert again.max() == 255


def test_corrupt_dataset_file_is_reported(fashion_dir, tmp_path):
    copy = _copy_fixture(fashion_dir, tmp_path / "fm")
    label_file = copy / fashion_mnist.FILES["test"][1]
    label_file.write_bytes(label_file.read_bytes()[:-5])
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz"):
        data.load_arrays("fashion_mnist", "test", data_dir=copy)


def test_search_order(fashion_dir, tmp_path, monkeypatch):
    explicit = _copy_fixture(fashion_dir, tmp_path / "explicit")  # 512 examples
    env = _copy_fixture(fashion_dir, tmp_path / "env" / "fashion-mnist", n_train=300)
    default = _copy_fixture(fashion_dir, tmp_path / "default", n_train=200)
    monkeypatch.setattr(
        fashion_mnist, "DEFAULT_SEARCH_DIRS", [tmp_path / "absent", default]
    )

    def count(**kwargs):
        return len(data.load_arrays(**kwargs)[0])

    assert count() == 200  # first default place that has the files
    # The env var may name the directory itself or its parent.
    monkeypatch.setenv(fashion_mnist.DATA_DIR_ENV, str(env.parent))
    assert count() == 300
    monkeypatch.setenv(fashion_mnist.DATA_DIR_ENV, str(env))
    assert count() == 300
    assert count(data_dir=explicit) == 512
    assert count(data_dir=str(explicit)) == 512


def test_explicit_location_is_not_silently_replaced(fashion_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEFAULT_SEARCH_DIRS", [fashion_dir])
    with pytest.raises(data.DataNotFoundError, match="data_dir"):
        data.load_arrays(data_dir=tmp_path)
    monkeypatch.setenv(fashion_mnist.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(data.DataNotFoundError, match="KERAS_GANS_DATA_DIR"):
        data.load_arrays()


def test_missing_data_lists_every_place(fashion_dir, tmp_path, monkeypatch):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(fashion_dir / FILES[0], partial / FILES[0])
    places = [tmp_path / "absent", partial, tmp_path]
    monkeypatch.setattr(fashion_mnist, "DEFAULT_SEARCH_DIRS", places)

    with pytest.raises(data.DataNotFoundError) as info:
        data.load("fashion_mnist")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for place in places:
        assert str(place) in message
    assert f"{tmp_path / 'absent'}: no such directory" in message
    partial_line = next(line for line in message.splitlines() if str(partial) in line)
    assert FILES[0] not in partial_line and FILES[1] in partial_line
    assert "apt-get install dataset-fashion-mnist" in message
    assert "keras.datasets.fashion_mnist.load_data()" in message
    assert "data_dir=" in message


# --- load(): local data ------------------------------------------------------


def test_load_batches_shape_dtype_and_range(fashion_dir):
    ds = data.load("fashion_mnist", batch_size=100, data_dir=fashion_dir, seed=0)
    batches = list(ds)
    assert len(batches) == 5 == ds.cardinality()
    for batch in batches:
        assert batch.shape == (100, 28, 28, 1)
        assert batch.dtype == "float32"
        assert batch.numpy().min() >= -1.0 and batch.numpy().max() <= 1.0


def test_load_pixel_mapping(fashion_dir, raw_train):
    images, _ = raw_train
    ds = data.load("fashion_mnist", batch_size=512, shuffle=False, data_dir=fashion_dir)
    batch = next(iter(ds)).numpy()[..., 0]
    np.testing.assert_allclose(batch, images / 127.5 - 1.0, atol=1e-6)
    assert np.all(batch[images == 0] == -1.0)
    assert np.all(batch[images == 255] == 1.0)


def test_seed_makes_shuffling_reproducible(fashion_dir):
    def first_batch(seed):
        ds = data.load("fashion_mnist", batch_size=64, seed=seed, data_dir=fashion_dir)
        return next(iter(ds)).numpy()

    np.testing.assert_array_equal(first_batch(1), first_batch(1))
    assert not np.array_equal(first_batch(1), first_batch(2))


def test_each_epoch_gets_a_new_order(fashion_dir):
    ds = data.load("fashion_mnist", batch_size=64, seed=3, data_dir=fashion_dir)
    assert not np.array_equal(next(iter(ds)).numpy(), next(iter(ds)).numpy())


@pytest.mark.parametrize("shuffle", [False, True])
def test_labels_stay_with_their_images(fashion_dir, raw_train, shuffle):
    images, labels = raw_train
    ds = data.load(
        "fashion_mnist",
        batch_size=128,
        shuffle=shuffle,
        seed=0,
        with_labels=True,
        data_dir=fashion_dir,
    )
    flat = images.reshape(len(images), -1).astype(np.float32) / 127.5 - 1.0
    seen = []
    for x, y in ds:
        assert y.dtype == "int32"
        # Find each image among the raw ones; its raw label must match.
        x = x.numpy().reshape(len(x), -1)
        where = np.abs(x[:, None, :] - flat[None, :, :]).max(axis=-1).argmin(axis=1)
        np.testing.assert_array_equal(y.numpy(), labels[where])
        seen.extend(where)
    assert sorted(seen) == list(range(512))
    if not shuffle:
        assert seen == list(range(512))


@pytest.mark.parametrize(
    "drop_remainder, sizes", [(True, [32] * 3), (False, [32] * 3 + [4])]
)
def test_drop_remainder_and_limit(fashion_dir, drop_remainder, sizes):
    ds = data.load(
        "fashion_mnist",
        batch_size=32,
        limit=100,
        drop_remainder=drop_remainder,
        data_dir=fashion_dir,
    )
    assert [len(b) for b in ds] == sizes


def test_limit_takes_first_examples_before_shuffling(fashion_dir, raw_train):
    images, _ = raw_train
    ds = data.load(
        "fashion_mnist", batch_size=10, limit=10, seed=0, data_dir=fashion_dir
    )
    batch = np.rint((next(iter(ds)).numpy()[..., 0] + 1.0) * 127.5).astype(np.uint8)
    key = lambda a: sorted(x.tobytes() for x in a)  # noqa: E731
    assert key(batch) == key(images[:10])


def test_repeat_runs_past_one_epoch(fashion_dir):
    ds = data.load(
        "fashion_mnist", batch_size=64, limit=100, repeat=True, data_dir=fashion_dir
    )
    assert len(list(ds.take(5))) == 5


def test_resize_to_rgb(fashion_dir):
    ds = data.load(
        "fashion_mnist", batch_size=16, image_shape=(32, 32, 3), data_dir=fashion_dir
    )
    batch = next(iter(ds)).numpy()
    assert batch.shape == (16, 32, 32, 3) and batch.dtype == np.float32
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    # Grey tiled to RGB: the three channels are equal.
    np.testing.assert_array_equal(batch[..., 0], batch[..., 2])


def test_name_aliases_and_test_split(fashion_dir):
    ds = data.load("Fashion-MNIST", split="test", batch_size=128, data_dir=fashion_dir)
    assert [b.shape[0] for b in ds] == [128]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"batch_size": 0},
            "batch_size to be a positive integer, received batch_size=0",
        ),
        ({"batch_size": 2.5}, "batch_size to be a positive integer"),
        ({"image_shape": (28, 28)}, r"image_shape=\(height, width, channels\)"),
        ({"image_shape": (28, 28, 4)}, "channels 1 or 3, received"),
        ({"image_shape": (0, 28, 1)}, "positive integers"),
        ({"split": "validation"}, r"split in \('train', 'test'\).*'validation'"),
        ({"source": "web"}, r"source in \('auto', 'local', 'tfds'\), received"),
        ({"limit": 0}, "limit to be a positive integer or None"),
        ({"seed": "0"}, "seed to be an integer or None"),
        ({"limit": 10}, "batch_size <= the number of examples"),
    ],
)
def test_bad_arguments(fashion_dir, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load("fashion_mnist", data_dir=fashion_dir, **kwargs)


def test_unknown_local_name():
    with pytest.raises(
        ValueError, match=r"offline datasets \('fashion_mnist', 'digits'\)"
    ):
        data.load_arrays("mnist")
    with pytest.raises(ValueError, match="offline datasets"):
        data.load("mnist", source="local")


def test_missing_tfds_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match=r'pip install "keras-gans\[tfds\]"'):
        data.load("celeb_a")


# --- scikit-learn's digits --------------------------------------------------


@pytest.fixture
def sklearn_digits():
    """scikit-learn's own copy: (images (1797, 8, 8) in 0..16, labels)."""
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = datasets.load_digits()
    return bunch.images, bunch.target


def test_digits_arrays(sklearn_digits):
    for split, n in [("train", 1497), ("test", 300)]:
        images, labels = data.load_arrays("digits", split)
        assert images.shape == (n, 16, 16) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.uint8
        assert set(np.unique(labels)) == set(range(10))
        assert images.min() == 0 and images.max() == 255


def test_digits_split_is_fixed_disjoint_and_complete(sklearn_digits, monkeypatch):
    raw, raw_labels = sklearn_digits
    train = digits.split_indices(len(raw), "train")
    test = digits.split_indices(len(raw), "test")
    assert len(train) == 1497 and len(test) == 300
    assert not set(train) & set(test)
    assert sorted(np.concatenate([train, test])) == list(range(len(raw)))
    # The arrays are those images, nearest-upscaled, with their labels.
    for split, index in [("train", train), ("test", test)]:
        images, labels = data.load_arrays("digits", split)
        np.testing.assert_array_equal(labels, raw_labels[index])
        np.testing.assert_array_equal(images[:, ::2, ::2], images[:, 1::2, 1::2])
        np.testing.assert_array_equal(images[:, ::2, ::2], images[:, 1::2, ::2])
        np.testing.assert_array_equal(images[:, ::2, ::2], images[:, ::2, 1::2])
        np.testing.assert_allclose(
            images[:, ::2, ::2] / 255.0, raw[index] / 16.0, atol=0.5 / 255
        )
    # The same on every call, also when read again rather than from the cache.
    first = data.load_arrays("digits", "test")
    monkeypatch.setattr(local, "_ARRAY_CACHE", {})
    again = data.load_arrays("digits", "test")
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])


def test_digits_load_range_shape_and_labels(sklearn_digits):
    raw, _ = sklearn_digits
    ds = data.load("Digits", batch_size=300, split="test", shuffle=False)
    batches = list(ds)
    assert [b.shape for b in batches] == [(300, 16, 16, 1)]
    batch = batches[0].numpy()[..., 0]
    assert batch.dtype == np.float32
    assert batch.min() == -1.0 and batch.max() == 1.0
    # 0..16 maps to [-1, 1] (0 -> -1, 16 -> 1) within uint8 rounding, 1/255.
    index = digits.split_indices(len(raw), "test")
    np.testing.assert_allclose(
        batch[:, ::2, ::2], raw[index] / 8.0 - 1.0, atol=1.0 / 255 + 1e-6
    )
    ds = data.load("digits", batch_size=100, seed=0, with_labels=True)
    labels = np.concatenate([y.numpy() for _, y in ds])
    assert len(labels) == 1400  # 1497 with the remainder dropped
    assert labels.dtype == np.int32 and set(labels.tolist()) == set(range(10))


def test_digits_resize_and_errors(sklearn_digits):
    ds = data.load("digits", batch_size=8, image_shape=(28, 28, 3), limit=8)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (8, 28, 28, 3)
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    with pytest.raises(ValueError, match=r"split in \('train', 'test'\)"):
        data.load_arrays("digits", "validation")
    assert loader.local_image_shape("digits") == (16, 16, 1)
    assert loader.local_image_shape("Fashion-MNIST") == (28, 28, 1)
    assert loader.local_image_shape("celeb_a") is None


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    monkeypatch.setattr(local, "_ARRAY_CACHE", {})  # nothing read before
    with pytest.raises(ImportError, match=r'pip install "keras-gans\[sklearn\]"'):
        data.load_arrays("digits")
    with pytest.raises(ImportError, match="scikit-learn is not installed"):
        data.load("digits", batch_size=8)


# --- load(): tensorflow-datasets ---------------------------------------------
# tfds.testing.mock_data works offline for datasets whose builder code ships
# in the tfds package (mnist, cifar10, celeb_a, caltech_birds2011 were
# checked): it fakes random examples from the feature specs, so nothing is
# downloaded or prepared.


@pytest.fixture
def tfds():
    return pytest.importorskip("tensorflow_datasets")


def test_tfds_mnist_to_rgb(tfds):
    with tfds.testing.mock_data(num_examples=40):
        ds = data.load(
            "mnist", batch_size=8, image_shape=(32, 32, 3), with_labels=True, seed=0
        )
    batches = list(ds)
    assert len(batches) == 5
    for x, y in batches:
        assert x.shape == (8, 32, 32, 3) and x.dtype == "float32"
        assert x.numpy().min() >= -1.0 and x.numpy().max() <= 1.0
        assert y.shape == (8,) and y.dtype == "int32"
        assert y.numpy().min() >= 0 and y.numpy().max() <= 9


def test_tfds_native_shape_and_limit(tfds):
    with tfds.testing.mock_data(num_examples=50):
        ds = data.load("cifar10", batch_size=4, limit=10, drop_remainder=False)
    assert [x.shape for x in ds] == [(4, 32, 32, 3)] * 2 + [(2, 32, 32, 3)]


def test_tfds_non_square_is_centre_cropped(tfds):
    # celeb_a is 218x178: a white 178x178 centre between black bands must come
    # out all white if the crop keeps the centre square and drops the bands.
    image = np.zeros((218, 178, 3), np.uint8)
    image[20:198] = 255

    def as_dataset(self, *args, **kwargs):
        import tensorflow as tf

        return tf.data.Dataset.from_tensors({"image": image}).repeat(3)

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        ds = data.load("celeb_a", batch_size=3, image_shape=(64, 64, 1))
    batch = next(iter(ds)).numpy()
    assert batch.shape == (3, 64, 64, 1)
    np.testing.assert_allclose(batch, 1.0, atol=1e-5)


def test_tfds_variable_size_needs_image_shape(tfds):
    with tfds.testing.mock_data(num_examples=6):
        with pytest.raises(ValueError, match="vary in size"):
            data.load("caltech_birds2011", batch_size=2)
        ds = data.load("caltech_birds2011", batch_size=2, image_shape=(24, 32, 3))
    for x in ds:
        assert x.shape == (2, 24, 32, 3)
        assert x.numpy().min() >= -1.0 and x.numpy().max() <= 1.0


def test_tfds_missing_label(tfds):
    with tfds.testing.mock_data(num_examples=2):
        with pytest.raises(ValueError, match="'label' feature"):
            data.load("celeb_a", batch_size=2, image_shape=(8, 8, 3), with_labels=True)


def test_unknown_tfds_name(tfds):
    with pytest.raises(
        ValueError, match=r"offline datasets \('fashion_mnist', 'digits'\).*not a tfds"
    ):
        data.load("no_such_dataset_xyz")


def test_classes_keeps_only_those_labels(fashion_dir):
    _, labels = data.load_arrays("fashion_mnist", "train", data_dir=str(fashion_dir))
    ds = data.load(
        "fashion_mnist",
        batch_size=8,
        classes=7,
        with_labels=True,
        drop_remainder=False,
        data_dir=str(fashion_dir),
    )
    seen = np.concatenate([y.numpy() for _, y in ds])
    assert set(seen.tolist()) == {7} and len(seen) == int((labels == 7).sum())
    two = data.load(
        "fashion_mnist",
        batch_size=4,
        classes=[5, 9],
        limit=6,
        with_labels=True,
        shuffle=False,
        data_dir=str(fashion_dir),
    )
    assert set(np.concatenate([y.numpy() for _, y in two]).tolist()) <= {5, 9}
    with pytest.raises(ValueError, match="classes among the labels"):
        data.load("fashion_mnist", classes=42, data_dir=str(fashion_dir))
    with pytest.raises(ValueError, match="classes to be a tuple of integers"):
        data.load("fashion_mnist", classes="sneaker", data_dir=str(fashion_dir))
