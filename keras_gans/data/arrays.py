"""Image batches from NumPy arrays, for `fit()` on JAX and PyTorch.

`load()` returns an `ArrayBatches` there: a `keras.utils.PyDataset` with the
same batching, per-epoch shuffling and [-1, 1] scaling as the `tf.data`
pipeline on TensorFlow, and no TensorFlow import. (The shuffled orders are
NumPy's, not tf.data's: a seed reproduces a run on the same backend.)
"""

from __future__ import annotations

import keras
import numpy as np

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def to_model_range(images, image_shape):
    """uint8 images `(n, h, w, c)` -> float32 in [-1, 1] of `image_shape`.

    As the tf.data pipeline: RGBA drops alpha, RGB to grey by BT.601 luma,
    bilinear resizing with antialiasing, grey tiled to RGB; 0 -> -1 and
    255 -> 1 exactly.
    """
    images = np.asarray(images, np.float32)
    height, width, channels = image_shape
    if images.shape[-1] == 4:
        images = images[..., :3]
    if images.shape[-1] == 3 and channels == 1:
        images = np.sum(images * _LUMA, axis=-1, keepdims=True)
    if images.shape[1:3] != (height, width):
        images = keras.ops.convert_to_numpy(
            keras.ops.image.resize(
                images, (height, width), interpolation="bilinear", antialias=True
            )
        )
    if images.shape[-1] == 1 and channels == 3:
        images = np.repeat(images, 3, axis=-1)
    return np.clip(images / 127.5 - 1.0, -1.0, 1.0).astype(np.float32)


class ArrayBatches(keras.utils.PyDataset):
    """Batches of `images` (and `labels`), reshuffled every epoch.

    Args:
        images: float32 `(n, H, W, C)` in [-1, 1].
        labels: `(n,)` ints, or `None` for batches of images alone.
        batch_size: examples per batch.
        shuffle: reshuffle all examples every epoch. Defaults to `True`.
        seed: seed of the shuffles (`None`: a fresh one). Defaults to `None`.
        drop_remainder: leave out a last, smaller batch. Defaults to `True`.
        repeat: never end (pass `steps_per_epoch` to `fit`). Defaults to
            `False`.
    """

    def __init__(
        self,
        images,
        labels=None,
        batch_size=128,
        shuffle=True,
        seed=None,
        drop_remainder=True,
        repeat=False,
    ):
        super().__init__()
        self.images = images
        self.labels = labels
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = (
            int(np.random.SeedSequence().entropy % 2**31) if seed is None else seed
        )
        self.drop_remainder = drop_remainder
        self.repeat = repeat
        self.epoch = 0
        n = len(images)
        full, rest = divmod(n, self.batch_size)
        self.per_epoch = full + (0 if drop_remainder or not rest else 1)

    @property
    def num_batches(self):
        return None if self.repeat else self.per_epoch

    def __len__(self):
        return self.per_epoch

    def _order(self, epoch):
        n = len(self.images)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __getitem__(self, index):
        epoch, index = divmod(index, self.per_epoch)
        order = self._order(self.epoch + epoch)
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.labels is None:
            return self.images[rows]
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self):
        self.epoch += 1

    def __iter__(self):
        """One epoch of batches (or endless ones with `repeat`), as NumPy arrays."""
        index = 0
        while self.repeat or index < self.per_epoch:
            yield self[index]
            index += 1
