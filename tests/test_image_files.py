"""The picture-writing test helpers (image_files.py) write what they promise."""

import collections
import json
import os
import stat
import warnings

import numpy as np
import pytest
from image_files import (
    ALPHA,
    BAD_KINDS,
    BLUE,
    CAPTION_COLOURS,
    CELEBA_FACE_BOX,
    CELEBA_SIZE,
    CELEBA_SKIN,
    DIR_LINK_LOOP,
    MIXED_KINDS,
    RED,
    write_bad_files,
    write_captioned_folder,
    write_celeba_standin,
    write_cub_standin,
    write_mixed_images,
)
from PIL import Image, ImageOps, ImageSequence


def _close(actual, expected, tolerance=4):
    return np.all(
        np.abs(np.asarray(actual, int) - np.asarray(expected, int)) <= tolerance
    )


def _rgb_alpha(image):
    """Mean RGB and alpha of a picture, converted the careful way."""
    if image.mode == "I;16":
        grey = np.asarray(image).astype(np.float64) / 257
        return (grey.mean(),) * 3, 255
    pixels = np.asarray(image.convert("RGBA"), np.float64)
    return tuple(pixels[..., :3].mean(axis=(0, 1))), pixels[..., 3].mean()


def test_mixed_images_match_their_records(tmp_path):
    records = write_mixed_images(tmp_path, n_each=2)
    assert len(records) == 2 * len(MIXED_KINDS)
    assert [r.kind for r in records[::2]] == list(MIXED_KINDS)
    assert any(r.path.startswith("nested/deeper/") for r in records)
    assert any(r.path.endswith(".JPEG") for r in records)
    modes = {r.mode for r in records}
    assert {"RGB", "L", "CMYK", "RGBA", "P", "I;16", "LA"} <= modes
    for record in records:
        with Image.open(tmp_path / record.path) as image:
            assert (image.format, image.mode, image.size) == (
                record.format,
                record.mode,
                record.size,
            ), record
            assert min(image.size) >= 32
            if record.colour is None:
                continue
            rgb, alpha = _rgb_alpha(image)
            assert _close(rgb, record.colour), (record, rgb)
            assert _close(alpha, record.alpha, 0), (record, alpha)


def test_mixed_images_special_kinds(tmp_path):
    records = {r.path: r for r in write_mixed_images(tmp_path, n_each=1)}
    gif = records["gif_animated_0.gif"]
    with Image.open(tmp_path / gif.path) as image:
        assert image.n_frames == 2
        frames = [
            np.asarray(f.convert("RGB")).mean(axis=(0, 1))
            for f in ImageSequence.Iterator(image)
        ]
    assert _close(frames[0], gif.expect["first_frame"]) and gif.colour == RED
    assert _close(frames[1], gif.expect["second_frame"])

    rotated = records["jpeg_exif_rotated_0.jpeg"]
    with Image.open(tmp_path / rotated.path) as image:
        assert image.getexif()[0x0112] == 6
        oriented = np.asarray(ImageOps.exif_transpose(image))
    assert oriented.shape[1::-1] == rotated.expect["oriented_size"]
    half = oriented.shape[0] // 2
    assert _close(oriented[: half - 2].mean(axis=(0, 1)), rotated.expect["top"], 8)
    assert _close(oriented[half + 2 :].mean(axis=(0, 1)), BLUE, 8)
    assert rotated.alpha == 255 and records["png_rgba_0.png"].alpha == ALPHA


def test_bad_files_fail_the_way_they_say(tmp_path):
    kinds = write_bad_files(tmp_path)
    assert set(kinds.values()) == set(BAD_KINDS)
    for name, kind in kinds.items():
        path = tmp_path / name
        if kind == "not_regular":
            assert stat.S_ISFIFO(path.lstat().st_mode)
        elif kind == "dangling_link":
            assert path.is_symlink() and not path.exists()
        elif kind == "link_loop":
            with pytest.raises(OSError):
                path.stat()
        elif kind == "bomb":
            assert path.stat().st_size < 1000
            with pytest.raises(Image.DecompressionBombError):
                with Image.open(path) as image:
                    image.load()
        elif kind == "too_small":
            with Image.open(path) as image:
                assert image.size == (8, 8)
        elif kind == "truncated":
            with pytest.raises(OSError, match="truncated|broken"):
                with Image.open(path) as image:
                    image.load()
        else:
            with pytest.raises(Image.UnidentifiedImageError):
                Image.open(path)
    loop = tmp_path / DIR_LINK_LOOP
    assert loop.is_symlink() and loop.resolve() == tmp_path.resolve()
    # A walk that does not follow directory links ends.
    assert sum(len(files) for _, _, files in os.walk(tmp_path)) == len(kinds)


def test_bomb_is_refused_even_with_warnings_as_errors(tmp_path):
    write_bad_files(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Image.DecompressionBombError):
            Image.open(tmp_path / "bomb.png")


def test_celeba_standin_layout(tmp_path):
    images = write_celeba_standin(tmp_path, n=10)
    names = sorted(p.name for p in images.iterdir())
    assert names == [f"{i:06d}.jpg" for i in range(1, 11)]
    lines = (tmp_path / "list_eval_partition.txt").read_text().splitlines()
    assert lines[0] == "000001.jpg 0" and lines[-1] == "000010.jpg 2"
    with Image.open(images / "000001.jpg") as image:
        assert image.size == CELEBA_SIZE
        pixels = np.asarray(image)
    left, top, right, bottom = CELEBA_FACE_BOX
    assert (left + right) // 2 == CELEBA_SIZE[0] // 2
    assert _close(pixels[top + 10, (left + right) // 2], CELEBA_SKIN, 6)
    assert not _close(pixels[2, 2], CELEBA_SKIN, 30)


def test_cub_standin_layout(tmp_path):
    paths = write_cub_standin(tmp_path, n_classes=3, per_class=4)
    assert paths.images == tmp_path / "CUB_200_2011/images"
    pictures = sorted(paths.images.glob("*/*.jpg"))
    assert len(pictures) == 12
    assert pictures[0].parent.name == "001.Black_footed_Albatross"
    assert pictures[0].name.startswith("Black_Footed_Albatross_0001_")
    counts = collections.Counter(p.parent.name for p in pictures)
    assert list(counts.values()) == [4, 4, 4]
    for picture in pictures:
        caption = paths.text / picture.parent.name / f"{picture.stem}.txt"
        assert len(caption.read_text().splitlines()) == 10
    listed = (paths.images.parent / "images.txt").read_text().splitlines()
    assert (
        len(listed) == 12
        and listed[0].split()[1] == pictures[0].relative_to(paths.images).as_posix()
    )
    with Image.open(pictures[0]) as image:
        assert image.size == (500, 375)


@pytest.mark.parametrize("style", ["txt", "jsonl"])
def test_captioned_folder_pairs_by_pixels(tmp_path, style):
    captions = write_captioned_folder(tmp_path, style, n=12)
    assert len(captions) == 12 and len({c[0] for c in captions.values()}) == 12
    assert any(path.startswith("sub/") for path in captions)
    if style == "jsonl":
        rows = [
            json.loads(line)
            for line in (tmp_path / "metadata.jsonl").read_text().splitlines()
        ]
        assert {row["file_name"]: [row["text"]] for row in rows} == captions
    else:
        assert not (tmp_path / "metadata.jsonl").exists()
    for relative, lines in captions.items():
        if style == "txt":
            text = (tmp_path / relative).with_suffix(".txt").read_text()
            assert text.splitlines() == lines
        colour_word = lines[0].split()[1]
        with Image.open(tmp_path / relative) as image:
            centre = image.getpixel((16, 16))
        assert centre == CAPTION_COLOURS[colour_word]
