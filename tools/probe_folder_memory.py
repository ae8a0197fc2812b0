"""Peak memory of one cached epoch, by where each batch goes to [-1, 1].

The probe behind "The cached pass's memory" in BENCHMARKS.md: reads one
epoch of an already cached folder (fill it first with one pass of
`keras_gans.data.load`, e.g. `tools/bench_folders.py --parts memory` with
the same KERAS_GANS_HOME) through a pipeline that converts each batch

- `graph`: with `tf.cast`, `/` and `-` in the tf.data graph (before the fix);
- `numpy`: in NumPy inside the `numpy_function` (what `load()` does now);
- `uint8`: not at all (for scale),

and prints RssAnon after `load()` and its peak over the epoch, in MiB.
Run each variant in its own process:

    python tools/probe_folder_memory.py FOLDER graph
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
from bench_folders import BATCH, SHAPE, read_status  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.data.folders import batches  # noqa: E402

VARIANTS = ("graph", "numpy", "uint8")


def rss_anon_mib():
    return read_status(("RssAnon",)).get("RssAnon", 0) // 1024


def pipeline(plan, variant):
    def read(index):
        images = plan.uint8_batch(0, int(index))[0]
        return batches.to_model_range(images) if variant == "numpy" else images

    dtype = tf.float32 if variant == "numpy" else tf.uint8

    def load(index):
        images = tf.numpy_function(read, [index], dtype, stateful=True)
        images = tf.ensure_shape(images, (BATCH, *SHAPE))
        if variant == "graph":
            images = tf.cast(images, tf.float32) / 127.5 - 1.0
        return images

    ds = tf.data.Dataset.range(plan.per_epoch)
    return ds.map(load, num_parallel_calls=2, deterministic=True).prefetch(2)


def main(folder, variant):
    if variant not in VARIANTS:
        raise SystemExit(f"Expected a variant in {VARIANTS}, received {variant!r}.")
    ds = keras_gans.data.load(folder, image_shape=SHAPE, batch_size=BATCH, seed=0)
    plan = batches.BatchPlan(ds.folder, BATCH, seed=0)
    after_load = rss_anon_mib()
    peak = after_load
    for _ in pipeline(plan, variant):
        peak = max(peak, rss_anon_mib())
    print(
        f"{variant}: {plan.per_epoch} batches, RssAnon after load() {after_load} "
        f"MiB, peak {peak} MiB, peak - after load() {peak - after_load} MiB"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
