"""Where a replica's examples sit in the global batch, for losses and noise.

Losses are per example, summed and divided by the *global* batch, so that
gradients summed over replicas equal one device's gradient. Noise is drawn
for the global batch from one seed state and each replica takes its own
slice, so a two-replica step uses exactly the noise one device would.

Replicas can hold different numbers of examples (the last, partial batch of
an epoch), so the global batch and a replica's offset are gathered from all
replicas rather than assumed equal. Only `tf.distribute` runs one step per
replica: on JAX a `keras.distribution` step is one program over the global
batch, and PyTorch runs one device, so there the layout is `(batch, 0)`.
`MirroredStrategy` traces each replica's step in its own thread, on the
same model object: the layout is kept per thread.
"""

from __future__ import annotations

import threading

import keras
from keras import ops

_LAYOUT = threading.local()


def _replica_context():
    if keras.backend.backend() != "tensorflow":
        return None
    from keras_gans._tensorflow import tf

    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return None
    return ctx


def start_step(local_batch):
    """Records this replica's `(global batch, offset)` for the step."""
    ctx = _replica_context()
    if ctx is None:
        _LAYOUT.value = (local_batch, 0)
        return
    from keras_gans._tensorflow import tf

    sizes = ctx.all_gather(tf.reshape(local_batch, [1]), axis=0)
    earlier = tf.range(tf.shape(sizes)[0]) < ctx.replica_id_in_sync_group
    _LAYOUT.value = (
        tf.reduce_sum(sizes),
        tf.reduce_sum(tf.where(earlier, sizes, tf.zeros_like(sizes))),
    )


def global_batch():
    """The number of examples of the step over all replicas."""
    return _LAYOUT.value[0]


def local_slice(values, local_batch):
    """This replica's rows of `values` drawn for the global batch."""
    start = _LAYOUT.value[1]
    return keras.tree.map_structure(lambda v: v[start : start + local_batch], values)


def average(per_example):
    """Sum over this replica / global batch: summed over replicas = mean."""
    total = ops.cast(global_batch(), per_example.dtype)
    return ops.sum(per_example) / total
