"""tf.data options that keep `fit()` at the speed of the step.

On a small machine, `fit()` of a GAN on a tf.data pipeline ran at the
speed of a hand-written loop in some processes and at about half of it in
most, at random (BENCHMARKS.md, "fit() on tf.data in fresh processes: the
slow mode"). The cause is tf.data's autotuning: `pipeline_options()` turns
it off. Every keras_gans model's `fit()` sets it on a tf.data dataset it is
given, leaving any option the dataset already sets as it is.
"""

from __future__ import annotations

from keras_gans._tensorflow import tf

# (group, option) -> value, applied where the dataset leaves it unset.
# Bisected on a 2-core machine (tools/bench_fit_modes.py, 4 fresh processes
# per variant): with tf.data's defaults 3 of 4 processes ran fit() at half
# the loop's speed; with autotuning off, 0 of 4 (and 0 of 10 afterwards).
# A private thread pool of 1 or no injected prefetch left 1 of 4 slow, one
# intra-op thread 3 of 4. Without autotuning, AUTOTUNE parallelism falls
# back to one thread per core and AUTOTUNE buffers to a fixed size.
SETTINGS = {("autotune", "enabled"): False}


def pipeline_options(base=None):
    """`tf.data.Options` with keras_gans's settings where `base` leaves them unset.

    Args:
        base: the dataset's own options (`dataset.options()`). Defaults to
            `None`: none.

    Returns:
        A `tf.data.Options` to pass to `dataset.with_options`; what `base`
        sets is kept.
    """
    options = tf.data.Options()
    for (group, name), value in SETTINGS.items():
        if base is None or getattr(getattr(base, group), name) is None:
            setattr(getattr(options, group), name, value)
    return options


def with_pipeline_options(dataset):
    """`dataset` with `pipeline_options()` where it leaves them unset."""
    return dataset.with_options(pipeline_options(dataset.options()))
