"""Tests for keras_gans.images: uint8 conversion, grids and atomic PNG writes."""

import math
import os
import re
import stat

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import files, images


def _read_png(path):
    return tf.io.decode_png(tf.io.read_file(str(path))).numpy()


def _constant_batch(values, h=4, w=6, c=1):
    """One uint8 image of constant value per entry of `values`."""
    return np.stack([np.full((h, w, c), v, dtype="uint8") for v in values])


# --- to_uint8 -----------------------------------------------------------------------


def test_to_uint8_maps_the_ends_and_the_middle_of_the_range():
    out = images.to_uint8(np.array([-1.0, 0.0, 1.0], "float32"))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [0, 128, 255])


def test_to_uint8_is_linear_with_rounding():
    out = images.to_uint8([-0.5, 0.5, 2 / 255 - 1])
    # (x + 1) * 127.5 = 63.75, 191.25, 1.0.
    np.testing.assert_array_equal(out, [64, 191, 1])


def test_to_uint8_clips_values_outside_the_range():
    out = images.to_uint8(np.array([-5.0, -1.001, 1.001, 7.0, -np.inf, np.inf]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [0, 0, 255, 255, 0, 255])


def test_to_uint8_keeps_the_shape():
    x = np.random.default_rng(0).uniform(-1, 1, size=(3, 4, 5, 1))
    out = images.to_uint8(x)
    assert out.shape == (3, 4, 5, 1)
    assert out.dtype == np.uint8


# --- image_grid ---------------------------------------------------------------------


def test_image_grid_shape_for_two_partial_rows():
    grid = images.image_grid(_constant_batch(range(5)), ncols=3, padding=2)
    assert grid.shape == (2 * (4 + 2) + 2, 3 * (6 + 2) + 2, 1)
    assert grid.dtype == np.uint8


@pytest.mark.parametrize("pad_value", [255, 7])
def test_image_grid_places_each_image_at_its_offset_and_pads_the_rest(pad_value):
    values = [10, 20, 30, 40, 50]
    h, w, p = 4, 6, 2
    grid = images.image_grid(
        _constant_batch(values, h, w), ncols=3, padding=p, pad_value=pad_value
    )
    covered = np.zeros(grid.shape[:2], dtype=bool)
    for i, v in enumerate(values):
        r, c = divmod(i, 3)
        top, left = p + r * (h + p), p + c * (w + p)
        block = grid[top : top + h, left : left + w, 0]
        np.testing.assert_array_equal(block, np.full((h, w), v), err_msg=f"image {i}")
        covered[top : top + h, left : left + w] = True
    # Everything else, including the empty sixth cell, is padding.
    assert np.all(grid[~covered, 0] == pad_value)
    # The empty cell (row 1, column 2) is entirely padding.
    top, left = p + 1 * (h + p), p + 2 * (w + p)
    assert np.all(grid[top : top + h, left : left + w] == pad_value)


def test_image_grid_converts_float_images_from_minus_one_one():
    batch = np.stack(
        [np.full((2, 3, 3), -1.0), np.full((2, 3, 3), 1.0), np.zeros((2, 3, 3))]
    ).astype("float32")
    grid = images.image_grid(batch, ncols=3, padding=1, pad_value=9)
    assert grid.dtype == np.uint8
    assert grid.shape == (1 * (2 + 1) + 1, 3 * (3 + 1) + 1, 3)
    assert np.all(grid[1:3, 1:4] == 0)
    assert np.all(grid[1:3, 5:8] == 255)
    assert np.all(grid[1:3, 9:12] == 128)
    assert np.all(grid[0] == 9)


def test_image_grid_passes_uint8_through_unchanged():
    batch = np.random.default_rng(1).integers(0, 256, (4, 5, 3, 3), dtype=np.uint8)
    grid = images.image_grid(batch, ncols=2, padding=1)
    for i in range(4):
        r, c = divmod(i, 2)
        top, left = 1 + r * 6, 1 + c * 4
        np.testing.assert_array_equal(grid[top : top + 5, left : left + 3], batch[i])


@pytest.mark.parametrize("n", [1, 2, 4, 5, 9, 10, 17])
def test_image_grid_default_ncols_is_ceil_sqrt_n(n):
    h, w, p = 3, 5, 2
    grid = images.image_grid(_constant_batch(range(n), h, w), padding=p)
    ncols = math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    assert grid.shape == (nrows * (h + p) + p, ncols * (w + p) + p, 1)


def test_image_grid_accepts_a_batch_without_channel_axis():
    batch = _constant_batch([5, 6], 4, 6)[..., 0]
    assert batch.shape == (2, 4, 6)
    grid = images.image_grid(batch, ncols=2, padding=2)
    assert grid.shape == (4 + 4, 2 * 8 + 2, 1)
    assert np.all(grid[2:6, 2:8] == 5)
    assert np.all(grid[2:6, 10:16] == 6)


@pytest.mark.parametrize(
    "shape", [(4, 6), (5,), (1, 2, 4, 6, 1), (5, 4, 6, 2), (5, 4, 6, 5)]
)
def test_image_grid_rejects_wrong_rank_or_channels_showing_the_shape(shape):
    with pytest.raises(ValueError, match=re.escape(f"received shape {shape}")):
        images.image_grid(np.zeros(shape, "float32"))


def test_image_grid_padding_zero_tiles_images_edge_to_edge():
    grid = images.image_grid(_constant_batch([1, 2, 3, 4], 2, 2), ncols=2, padding=0)
    np.testing.assert_array_equal(
        grid[..., 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    )


# --- save_png / write_atomic --------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_save_png_round_trips_uint8(tmp_path, channels):
    image = np.random.default_rng(2).integers(0, 256, (7, 5, channels), dtype=np.uint8)
    path = images.save_png(tmp_path / "x.png", image)
    assert os.fspath(path) == os.fspath(tmp_path / "x.png")
    np.testing.assert_array_equal(_read_png(path), image)


def test_save_png_converts_float_images(tmp_path):
    image = np.random.default_rng(3).uniform(-1.2, 1.2, (6, 4, 3)).astype("float32")
    path = images.save_png(tmp_path / "f.png", image)
    decoded = _read_png(path)
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, images.to_uint8(image))


def test_save_png_accepts_a_2d_image(tmp_path):
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = images.save_png(tmp_path / "g.png", image)
    np.testing.assert_array_equal(_read_png(path), image[..., None])


def test_save_png_creates_parent_folders_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "a" / "b" / "c" / "img.png"
    images.save_png(target, np.zeros((2, 2, 1), "uint8"))
    assert target.is_file()
    assert sorted(os.listdir(target.parent)) == ["img.png"]


def test_save_png_overwrites_an_existing_file(tmp_path):
    target = tmp_path / "img.png"
    images.save_png(target, np.zeros((2, 2, 1), "uint8"))
    images.save_png(target, np.full((3, 3, 1), 200, "uint8"))
    np.testing.assert_array_equal(_read_png(target), np.full((3, 3, 1), 200))
    assert os.listdir(tmp_path) == ["img.png"]


def test_write_atomic_failure_keeps_the_existing_file_and_no_temp_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old contents")
    with pytest.raises(TypeError):
        files.write_atomic(target, "a str, not bytes")
    assert target.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_write_atomic_failure_on_a_new_path_creates_nothing(tmp_path):
    with pytest.raises(TypeError):
        files.write_atomic(tmp_path / "sub" / "new.bin", 12345)
    assert os.listdir(tmp_path / "sub") == []


def test_write_atomic_gives_files_the_usual_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = images.save_png(tmp_path / "img.png", np.zeros((2, 2, 1), "uint8"))
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


# --- save_image_grid ----------------------------------------------------------------


def test_save_image_grid_round_trips(tmp_path):
    batch = np.random.default_rng(4).uniform(-1, 1, (5, 4, 6, 1)).astype("float32")
    path = images.save_image_grid(batch, tmp_path / "grids" / "g.png", ncols=3)
    decoded = _read_png(path)
    expected = images.image_grid(batch, ncols=3, padding=2)
    assert decoded.shape == (14, 26, 1)
    np.testing.assert_array_equal(decoded, expected)
    assert os.listdir(tmp_path / "grids") == ["g.png"]


def test_save_image_grid_passes_padding_through(tmp_path):
    batch = _constant_batch([1, 2, 3, 4], 3, 3, 3)
    path = images.save_image_grid(batch, tmp_path / "g.png", padding=0)
    decoded = _read_png(path)
    assert decoded.shape == (6, 6, 3)
    np.testing.assert_array_equal(decoded, images.image_grid(batch, padding=0))


def test_from_uint8_is_the_inverse_range_map_of_to_uint8():
    pixels = np.array([[[0, 128], [255, 64]]], dtype="uint8")  # (1, 2, 2)
    x = images.from_uint8(pixels)
    assert x.shape == (1, 2, 2, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    np.testing.assert_array_equal(images.to_uint8(x)[..., 0], pixels)
