"""Where a replica's examples sit in the global batch, for losses and noise.

Losses are per example, summed and divided by the *global* batch, so that
gradients summed over replicas equal one device's gradient. Noise is drawn
for the global batch from one seed state and each replica takes its own
slice, so a two-replica step uses exactly the noise one device would.

Replicas can hold different numbers of examples (the last, partial batch of
an epoch), so the global batch and a replica's offset are gathered from all
replicas rather than assumed equal. `MirroredStrategy` traces each replica's
step in its own thread, on the same model object: the layout is kept per
thread (`STEP_STATE`), which is also where a step's hooks leave values for
the metric update of the same replica.
"""

from __future__ import annotations

import threading

import tensorflow as tf

STEP_STATE = threading.local()


def start_step(local_batch):
    """Records this replica's `(global batch, offset)` for the step."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        layout = (local_batch, 0)
    else:
        sizes = ctx.all_gather(tf.reshape(local_batch, [1]), axis=0)
        earlier = tf.range(tf.shape(sizes)[0]) < ctx.replica_id_in_sync_group
        layout = (
            tf.reduce_sum(sizes),
            tf.reduce_sum(tf.where(earlier, sizes, tf.zeros_like(sizes))),
        )
    STEP_STATE.layout = layout


def global_batch():
    """The number of examples of the step over all replicas."""
    return STEP_STATE.layout[0]


def local_slice(values, local_batch):
    """This replica's rows of `values` drawn for the global batch."""
    start = STEP_STATE.layout[1]
    return tf.nest.map_structure(lambda v: v[start : start + local_batch], values)


def average(per_example):
    """Sum over this replica / global batch: summed over replicas = mean."""
    total = tf.cast(global_batch(), per_example.dtype)
    return tf.reduce_sum(per_example) / total
