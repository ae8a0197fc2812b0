"""`load_folder`: what `keras_gans.data.load(path)` returns for a path."""

from __future__ import annotations

import functools

import keras

from keras_gans import distribute
from keras_gans.data.folders.batches import (
    BatchPlan,
    FolderBatches,
    distributed,
    peek,
    tf_dataset,
)
from keras_gans.data.folders.decode import DEFAULT_BACKGROUND
from keras_gans.data.folders.folder import ImageFolder

# The image shape a folder is read at when none is given.
DEFAULT_IMAGE_SHAPE = (64, 64, 3)
# Keyword arguments of `load()` that apply to paths only.
FOLDER_OPTIONS = (
    "crop_box",
    "background",
    "flip",
    "holdout",
    "captions",
    "cache",
    "cache_dir",
    "strategy",
)


def open_folder(
    path,
    image_shape=None,
    split="train",
    limit=None,
    with_labels=False,
    crop_box=None,
    background=DEFAULT_BACKGROUND,
    holdout=0.0,
    captions=None,
    cache=True,
    cache_dir=None,
):
    """The `ImageFolder` `load(path, ...)` batches (see `load_folder`)."""
    return ImageFolder(
        path,
        image_shape or DEFAULT_IMAGE_SHAPE,
        split=split,
        holdout=holdout,
        limit=limit,
        crop_box=crop_box,
        background=background,
        with_labels=with_labels,
        captions=captions,
        cache=cache,
        cache_dir=cache_dir,
    )


def load_folder(
    path,
    split="train",
    batch_size=128,
    image_shape=None,
    shuffle=True,
    seed=None,
    with_labels=False,
    drop_remainder=True,
    repeat=False,
    limit=None,
    flip=False,
    strategy=None,
    **folder_options,
):
    """Batches of the pictures `path` names, in [-1, 1].

    Args:
        path: a folder, glob, list of files, `.zip` or `.tar`.
        split, batch_size, image_shape, shuffle, seed, with_labels,
            drop_remainder, repeat, limit: as `keras_gans.data.load`
            (`image_shape` defaults to 64x64x3 here).
        flip: random left-right flips. Defaults to `False`.
        strategy: a `tf.distribute` strategy whose input pipelines each
            read their own share of every batch (multi-worker training).
            Defaults to `None`.
        **folder_options: `crop_box`, `background`, `holdout`, `captions`,
            `cache`, `cache_dir` (`keras_gans.data.folders.ImageFolder`).

    Returns:
        On TensorFlow a `tf.data.Dataset` (a distributed dataset with a
        multi-worker `strategy`); on JAX and PyTorch a `keras.utils.PyDataset`.
        Batches are float32 images, then int32 labels with
        `with_labels=True`, then string captions with `captions`. Its
        `folder` attribute is the `ImageFolder` (its `skipped` names the
        files left out).
    """
    folder = open_folder(
        path,
        image_shape=image_shape,
        split=split,
        limit=limit,
        with_labels=with_labels,
        **folder_options,
    )
    plan = BatchPlan(
        folder,
        batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        flip=flip,
        with_labels=with_labels,
    )
    if keras.backend.backend() != "tensorflow":
        if strategy is not None:
            raise ValueError(
                "strategy= is a tf.distribute strategy, for the TensorFlow backend; "
                f"received one on {keras.backend.backend()!r}."
            )
        dataset = FolderBatches(plan, repeat=repeat)
    elif strategy is not None and distribute.is_multi_worker(strategy):
        dataset = distributed(plan, strategy, repeat=repeat)
    else:
        dataset = tf_dataset(plan, repeat=repeat)
    dataset.folder, dataset.plan = folder, plan
    if not hasattr(dataset, "peek_batch"):  # distributed() reads a share
        dataset.peek_batch = functools.partial(peek, plan)
    return dataset
