"""Batches of an `ImageFolder`: a `tf.data.Dataset` on TensorFlow, a `PyDataset` elsewhere.

Both are built on `BatchPlan.uint8_batch(epoch, index)`, which decides
everything (the epoch's order, the flips, the caption drawn) in NumPy, so
the same seed gives the same batches on every backend. Each pass begun over
the dataset is the next epoch (fit() begins one per epoch; on JAX and
PyTorch Keras calls `on_epoch_end`); `fit()`'s first-batch check reads
`peek` instead, so it uses up no epoch.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from keras_gans._lazy import lazy_tensorflow

tf = lazy_tensorflow()


class BatchPlan:
    """What each batch of an `ImageFolder` holds.

    Args:
        folder: the `ImageFolder`.
        batch_size: pictures per (global) batch.
        shuffle: a new order each epoch. Defaults to `True`.
        seed: seeds the orders, flips and captions. Defaults to `None`: a
            fresh one.
        drop_remainder: leave out a last, smaller batch. Defaults to `True`.
        flip: flip each picture left-right with probability 1/2, drawn
            anew each epoch. Defaults to `False`.
        with_labels: add the class labels. Defaults to `False`.
        conditions: `(table, rows)` to yield, in place of each picture's
            caption, a row of `table` (float32 `(u, d)`, e.g. the embeddings
            of the distinct captions): one of `rows[i]` (int arrays, one per
            picture) drawn anew each epoch. Defaults to `None`: captions as
            strings, if the folder has captions.
    """

    def __init__(
        self,
        folder,
        batch_size,
        shuffle=True,
        seed=None,
        drop_remainder=True,
        flip=False,
        with_labels=False,
        conditions=None,
    ):
        self.folder = folder
        self.conditions = conditions
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = (
            int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
        )
        self.drop_remainder = drop_remainder
        self.flip = flip
        self.with_labels = with_labels
        self.with_captions = folder.captions is not None and conditions is None
        full, rest = divmod(folder.count, self.batch_size)
        if drop_remainder and not full:
            raise ValueError(
                f"Expected batch_size <= the number of pictures ({folder.count} in "
                f"{folder.source}), received batch_size={batch_size}. With "
                "drop_remainder=True the dataset would be empty; lower batch_size "
                "or pass drop_remainder=False."
            )
        self.per_epoch = full + (0 if drop_remainder or not rest else 1)
        # The epoch of the first pass: a resumed run sets its next epoch.
        self.first_epoch = 0
        self._epochs = {}

    def _epoch(self, epoch):
        """`(order, flips)` of `epoch`, drawn once (the last two are kept)."""
        found = self._epochs.get(epoch)
        if found is None:
            order = self.folder.order(epoch, self.seed, self.shuffle)
            flips = None
            if self.flip:
                rng = np.random.default_rng([self.seed, epoch, 2])
                flips = rng.random(len(order)) < 0.5
            found = (order, flips)
            self._epochs = {
                **{e: v for e, v in self._epochs.items() if e > epoch - 2},
                epoch: found,
            }
        return found

    def uint8_batch(self, epoch, index, part=0, parts=1):
        """`(images uint8, extras...)` of batch `index` of `epoch`.

        `part` of `parts` reads only its slice of the global batch (a worker
        of several).
        """
        order, flips = self._epoch(epoch)
        start = index * self.batch_size
        stop = min(start + self.batch_size, len(order))
        size = stop - start
        lo, hi = start + size * part // parts, start + size * (part + 1) // parts
        images, indices = self.folder.read(order, lo, hi)
        if flips is not None:
            mine = flips[lo:hi]
            images[mine] = images[mine, :, ::-1]
        out = (images,)
        if self.with_labels:
            out += (self.folder.labels[indices],)
        if self.with_captions:
            out += (self.folder.caption_batch(indices, epoch, self.seed),)
        if self.conditions is not None:
            table, rows = self.conditions
            rng = np.random.default_rng([self.seed, epoch, 1])
            chosen = [rows[i][rng.integers(len(rows[i]))] for i in indices]
            out += (np.asarray(table[chosen], np.float32),)
        return out


def peek(plan, part=0, parts=1):
    """The first batch of the first epoch, in [-1, 1], read directly.

    What `fit()`'s first-batch check reads (`peek_batch`): no pass over the
    dataset begins, so the epochs training then sees are unchanged.
    """
    images, *extras = plan.uint8_batch(0, 0, part, parts)
    return (to_model_range(images), *extras) if extras else to_model_range(images)


def to_model_range(images):
    """uint8 -> float32 in [-1, 1]: 0 -> -1.0 and 255 -> 1.0 exactly."""
    return np.asarray(images, np.float32) / np.float32(127.5) - np.float32(1.0)


class FolderBatches(keras.utils.PyDataset):
    """An `ImageFolder`'s batches for `fit()` on any backend, without TensorFlow.

    Batches are read by `workers` threads ahead of the step; each batch
    decodes its pictures in the folder's own thread pool.

    Args:
        plan: a `BatchPlan`.
        repeat: never end (pass `steps_per_epoch` to `fit`). Defaults to
            `False`.
        workers: batches read at once. Defaults to `2`.
    """

    def __init__(self, plan, repeat=False, workers=2):
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=4)
        self.plan = plan
        self.folder = plan.folder
        self.repeat = repeat
        self.epoch = 0

    @property
    def num_batches(self):
        return None if self.repeat else self.plan.per_epoch

    def __len__(self):
        return self.plan.per_epoch

    def __getitem__(self, index):
        epoch, index = divmod(index, self.plan.per_epoch)
        epoch += self.plan.first_epoch + self.epoch
        images, *extras = self.plan.uint8_batch(epoch, index)
        if not extras:
            return to_model_range(images)
        return (to_model_range(images), *extras)

    def on_epoch_end(self):
        self.epoch += 1

    def __iter__(self):
        """One epoch of batches (endless with `repeat`), as NumPy arrays.

        As on TensorFlow, each pass begun is the next epoch.
        """
        index = 0
        start = self.plan.first_epoch + self.epoch
        self.epoch += 1
        while self.repeat or index < self.plan.per_epoch:
            epoch, step = divmod(index, self.plan.per_epoch)
            images, *extras = self.plan.uint8_batch(start + epoch, step)
            images = to_model_range(images)
            yield (images, *extras) if extras else images
            index += 1


class _EpochClock:
    """Counts the passes begun over a tf.data pipeline."""

    def __init__(self):
        self.epoch = 0


def tf_dataset(plan, repeat=False, part=0, parts=1, per_part_batch=None):
    """The plan's batches as a prefetched `tf.data.Dataset`.

    Args:
        plan: a `BatchPlan`.
        repeat: never end. Defaults to `False`.
        part: this reader's share of each global batch (a worker of
            several). Defaults to `0`.
        parts: readers sharing each global batch. Defaults to `1`.
        per_part_batch: the static batch size of a share, or `None`.
    """
    clock = _EpochClock()
    per_epoch = plan.per_epoch
    if per_part_batch is None and parts == 1:
        per_part_batch = plan.batch_size

    def next_epoch(_):
        # Each pass over the dataset (each iterator, as fit() makes one per
        # epoch) is the next epoch, however far the one before was read.
        epoch = plan.first_epoch + clock.epoch
        clock.epoch += 1
        return np.int64(epoch)

    height, width, channels = plan.folder.image_shape
    signature = [tf.float32]
    if plan.with_labels:
        signature.append(tf.int32)
    if plan.with_captions:
        signature.append(tf.string)
    if plan.conditions is not None:
        signature.append(tf.float32)

    def read(epoch, index):
        images, *extras = plan.uint8_batch(int(epoch), int(index), part, parts)
        # To [-1, 1] here, not in the graph: NumPy's one temporary (it
        # reuses the other) left the peak memory of an epoch of 100,000
        # cached pictures 15-35 MB lower than TensorFlow's cast, divide
        # and subtract, three tensors a batch (BENCHMARKS.md, "Your own
        # pictures").
        extras = [x if x.dtype != object else x.astype(bytes) for x in extras]
        return [to_model_range(images), *extras]

    def load(epoch, index):
        out = tf.numpy_function(read, [epoch, index], signature, stateful=True)
        batch = per_part_batch if plan.drop_remainder else None
        images = tf.ensure_shape(out[0], (batch, height, width, channels))
        extras = [
            tf.ensure_shape(x, (batch,))
            for x in out[1 : len(signature) - (plan.conditions is not None)]
        ]
        if plan.conditions is not None:
            extras.append(
                tf.ensure_shape(out[-1], (batch, plan.conditions[0].shape[-1]))
            )
        return (images, *extras) if extras else images

    # Not `Dataset.from_generator`: its op sets glibc's M_TRIM_THRESHOLD to
    # 128 KiB for the whole process ("Memory patch applied"), after which
    # every training step returns its memory to the kernel and faults it back
    # in: DCGAN 64x64 fit() ran at 0.6x (BENCHMARKS.md, "Your own
    # pictures"). One element per pass asks the clock for its epoch.
    passes = tf.data.Dataset.range(1)
    if repeat:
        passes = passes.repeat()
    epochs = passes.map(
        lambda x: tf.numpy_function(next_epoch, [x], tf.int64, stateful=True)
    )
    ds = epochs.flat_map(
        lambda epoch: tf.data.Dataset.range(per_epoch).map(lambda i: (epoch, i))
    )
    if not repeat:
        ds = ds.apply(tf.data.experimental.assert_cardinality(per_epoch))
    # Two batches in flight: each already decodes on every core.
    ds = ds.map(load, num_parallel_calls=2, deterministic=True)
    return ds.prefetch(2)


def distributed(plan, strategy, repeat=False):
    """The plan's batches for `strategy`, each input pipeline reading its own share.

    `MultiWorkerMirroredStrategy` would otherwise re-shard a plain dataset
    by element, each worker decoding every picture and keeping some.
    """
    if plan.batch_size % strategy.num_replicas_in_sync:
        raise ValueError(
            f"Expected batch_size divisible by the {strategy.num_replicas_in_sync} "
            f"replicas, received batch_size={plan.batch_size}."
        )

    pipelines = []

    def dataset_fn(context):
        pipelines.append((context.input_pipeline_id, context.num_input_pipelines))
        per_part = context.get_per_replica_batch_size(plan.batch_size) * (
            context.num_replicas_in_sync // context.num_input_pipelines
        )
        return tf_dataset(
            plan,
            repeat=repeat,
            part=context.input_pipeline_id,
            parts=context.num_input_pipelines,
            per_part_batch=per_part,
        )

    dataset = strategy.distribute_datasets_from_function(dataset_fn)
    # fit()'s first-batch check reads this worker's share, not the others'.
    dataset.peek_batch = functools.partial(peek, plan, *pipelines[0])
    return dataset
