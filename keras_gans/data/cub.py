"""CUB-200-2011 birds with Reed et al.'s captions, for text-to-image GANs.

GAN-CLS (Reed et al. 2016) trained on Caltech-UCSD Birds 200-2011 with ten
crowd-sourced sentences per image (Reed et al. 2016, "Learning Deep
Representations of Fine-Grained Visual Descriptions"). The images come from
tensorflow-datasets (`caltech_birds2011`, prepared with tfds); the captions
come from a folder you download once, Reed et al.'s `text_c10`:

    text_c10/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.txt
    text_c10/<class folder>/<image file stem>.txt    (one caption per line)

It ships in the CUB caption data linked from github.com/reedscot/icml2016
("birds") and github.com/reedscot/cvpr2016 (`cvpr2016_cub`). An image is
paired with its file through tfds's `image/filename` feature
(`CUB_200_2011/images/001.Black_footed_Albatross/Black_..._0046_18.jpg`):
its last two parts name the class folder and the file (`caption_path`).

Example:

>>> data = load_cub_captions("~/data/cvpr2016_cub/text_c10", limit=64)
>>> data.images.shape, data.captions.shape
((64, 64, 64, 3), (64, 10))
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import numpy as np

from keras_gans._tensorflow import tf
from keras_gans.data import local, tfds_source
from keras_gans.images import to_uint8
from keras_gans.validation import check_int

NAME = "caltech_birds2011"
CAPTIONS_FOLDER = "text_c10"
IMAGE_SHAPE = (64, 64, 3)
CAPTIONS_SOURCE = (
    "Reed et al.'s CUB captions: the text_c10 folder of the 'birds' caption "
    "data linked from https://github.com/reedscot/icml2016 (also in "
    "cvpr2016_cub from https://github.com/reedscot/cvpr2016)"
)
LAYOUT = (
    "<captions_dir>/<class folder>/<image file stem>.txt with one caption per "
    "line, e.g. text_c10/001.Black_footed_Albatross/"
    "Black_Footed_Albatross_0046_18.txt"
)
# Bird descriptions in the style of the CUB captions, written for the
# figures and the zoo's sample grid (not taken from the dataset); a GAN-CLS
# run's first two are interpolated between.
PREVIEW_CAPTIONS = (
    "a small bird with a bright red body and black wings",
    "a small bird with a bright yellow body and black wings",
    "this bird has a white belly, grey wings and a long pointed beak",
    "a large black bird with a thick curved bill",
    "this bird is brown with white spots on its breast and a short tail",
    "a blue bird with a white throat and a small pointed beak",
    "this water bird has white feathers and a long orange beak",
    "a tiny green bird with a thin beak and short wings",
)
# How many expected caption paths an error message shows.
_SHOWN = 3


@dataclasses.dataclass(frozen=True, eq=False)
class CubCaptions:
    """CUB images with their captions: what `load_cub_captions` returns.

    The fields GAN-CLS training reads (`images`, `labels`, `captions`) match
    `keras_gans.data.CaptionedData`'s; there are no Fashion-MNIST attributes.

    Attributes:
        images: uint8 `(n, H, W, 3)` in [0, 255].
        labels: int64 `(n,)` class indices in [0, 200).
        captions: `(n, k)` numpy array of str (dtype object).
        filenames: `(n,)` tfds `image/filename` of each image (dtype object).
    """

    images: np.ndarray
    labels: np.ndarray
    captions: np.ndarray
    filenames: np.ndarray

    def __len__(self):
        return len(self.images)


def caption_path(captions_dir, filename):
    """The caption file of the image tfds names `filename`.

    Args:
        captions_dir: the `text_c10` folder.
        filename: the example's `image/filename`, e.g.
            `"CUB_200_2011/images/001.Black_footed_Albatross/x_0046_18.jpg"`.

    Returns:
        `captions_dir/<class folder>/<stem>.txt`: the folder is the part
        before the last "/" (none when the name has no "/").

    Example:

    >>> caption_path("text_c10", "CUB_200_2011/images/001.A/A_1.jpg").as_posix()
    'text_c10/001.A/A_1.txt'
    """
    if isinstance(filename, bytes):
        filename = filename.decode("utf-8")
    parts = str(filename).replace("\\", "/").split("/")[-2:]
    parts[-1] = os.path.splitext(parts[-1])[0] + ".txt"
    return pathlib.Path(captions_dir).joinpath(*parts)


def read_captions(path):
    """The non-blank lines of a caption file, stripped (UTF-8)."""
    text = pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _captions_folder(captions_dir):
    if captions_dir is None:
        raise ValueError(
            f"{NAME!r} needs its captions: expected captions_dir (train_zoo.py "
            f"--captions-dir) naming a folder laid out as {LAYOUT}; received "
            f"None. They are {CAPTIONS_SOURCE}."
        )
    folder = pathlib.Path(captions_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Expected a folder of CUB captions laid out as {LAYOUT}; {folder} "
            f"does not exist. Download {CAPTIONS_SOURCE}."
        )
    # The folder above text_c10 (e.g. cvpr2016_cub/) works too.
    inner = folder / CAPTIONS_FOLDER
    return inner if inner.is_dir() else folder


def _load_images(split, image_shape, data_dir, limit):
    """uint8 images, labels and file names of a tfds split, in tfds's order."""
    tfds = tfds_source.import_tfds()
    ds, info = tfds.load(
        NAME, split=split, data_dir=data_dir, shuffle_files=False, with_info=True
    )
    source_shape = tuple(info.features["image"].shape)
    if limit is not None:
        ds = ds.take(limit)

    def convert(example):
        # The same crop and resize as keras_gans.data.load(NAME, image_shape=).
        image = local._to_model_range(
            example["image"], source_shape, image_shape, crop=True
        )
        image = tf.ensure_shape(image, image_shape)
        return image, example["label"], example["image/filename"]

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    images, labels, names = [], [], []
    for x, y, f in ds.as_numpy_iterator():
        images.append(to_uint8(x))
        labels.append(y)
        names.extend(n.decode("utf-8") for n in f)
    if not names:
        raise ValueError(f"{NAME!r} split {split!r} holds no images.")
    return (
        np.concatenate(images),
        np.concatenate(labels).astype(np.int64),
        np.array(names, dtype=object),
    )


def _rectangle(per_image, k):
    # Images with fewer than k captions repeat theirs in order, so that every
    # image keeps all its captions and the same weight in training.
    return np.array(
        [[lines[i % len(lines)] for i in range(k)] for lines in per_image],
        dtype=object,
    )


def load_cub_captions(
    captions_dir,
    split="train",
    image_shape=IMAGE_SHAPE,
    data_dir=None,
    limit=None,
    captions_per_image=None,
):
    """CUB-200-2011 images (tfds) paired with their captions, as numpy arrays.

    Args:
        captions_dir: Reed et al.'s `text_c10` folder (or the folder holding
            it): `<class folder>/<image file stem>.txt`, one caption per line.
        split: a tfds split of `caltech_birds2011` (`"train"`: 5,994 images,
            `"test"`: 5,794; or e.g. `"train[:10%]"`). Defaults to `"train"`.
        image_shape: `(H, W, C)` the images are centre-cropped to (aspect
            ratio) and resized to, as `keras_gans.data.load` does. Defaults
            to `(64, 64, 3)`.
        data_dir: tfds's `data_dir`. Defaults to `None` (tfds's default).
        limit: only the first `limit` images of the split. Defaults to `None`.
        captions_per_image: k, the captions kept per image: the first k
            lines of each file. Defaults to `None`: the most any file has
            (10 in `text_c10`). Images with fewer repeat theirs in order.

    Returns:
        A `CubCaptions` (images, labels, captions, filenames).

    Raises:
        ValueError: `captions_dir` is None, a caption file is empty, or an
            argument is invalid.
        FileNotFoundError: `captions_dir` does not exist, or images have no
            caption file (the message counts them and shows expected paths).
        ImportError: tensorflow-datasets is not installed.
    """
    folder = _captions_folder(captions_dir)
    check_int("limit", limit, minimum=1, allow_none=True)
    check_int("captions_per_image", captions_per_image, minimum=1, allow_none=True)
    image_shape = local._check_image_shape(image_shape)
    if image_shape is None:
        raise ValueError(
            f"Expected image_shape=(height, width, channels): {NAME!r} images "
            "vary in size; received None."
        )
    images, labels, names = _load_images(split, image_shape, data_dir, limit)

    paths = [caption_path(folder, name) for name in names]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        shown = ", ".join(str(p) for p in missing[:_SHOWN])
        raise FileNotFoundError(
            f"No caption file for {len(missing)} of {len(paths)} images of "
            f"{NAME!r} split {split!r} in {folder}; expected {LAYOUT}. "
            f"Missing, e.g.: {shown}."
        )
    per_image = [read_captions(p) for p in paths]
    empty = [p for p, lines in zip(paths, per_image, strict=True) if not lines]
    if empty:
        shown = ", ".join(str(p) for p in empty[:_SHOWN])
        raise ValueError(
            f"Expected at least one caption per file; {len(empty)} of "
            f"{len(paths)} caption files in {folder} are empty, e.g.: {shown}."
        )
    k = captions_per_image or max(len(lines) for lines in per_image)
    return CubCaptions(images, labels, _rectangle(per_image, k), names)
