"""Does `fit()` on tf.data run at the hand loop's speed in every fresh process?

`fit()` of a DCGAN on a tf.data pipeline used to be bimodal across
processes on this 2-core machine: about the hand loop's speed in some, a
flat 0.55-0.69x in more than half (DESIGN.md, "Measured on this machine").
Each measurement here is a fresh process, which times one variant:

- `loop`: the compiled `train_step` called in a Python loop on batches
  held as tensors (no tf.data, no `fit()`);
- `fit`: `DCGAN.fit()` on a cached, repeated tf.data pipeline of the same
  images, with the tf.data options keras_gans now sets on every dataset
  `fit()` gets (`keras_gans.data.pipeline_options`);
- `fit_tf_defaults`: the same `fit()` with tf.data's own defaults (the
  options left as they come), to show the slow mode;
- `fit_<option>`: TensorFlow's defaults but one of the options (for the
  bisection): `private_threadpool`, `intra_op`, `autotune`,
  `inject_prefetch`;
- `fit_numpy`, `fit_pydataset`, `fit_generator`: `DCGAN.fit()` on the same
  images as a NumPy array (`batch_size=64`), a `keras.utils.PyDataset` of
  batches, or a Python generator of batches: what keras_gans's `fit()`
  makes of them on TensorFlow (`keras_gans.data.keras_input`);
- `fit_numpy_keras`, `fit_pydataset_keras`: the same input read by the
  data adapter Keras itself makes from it (tf.data autotuning on, and
  `from_generator` for the `PyDataset`), handed to `fit()` as it is.

Processes of the variants alternate, so load from elsewhere hits them alike.
Reported: every process's images/s, and each `fit` process as a ratio to
the loop's median.

    python tools/bench_fit_modes.py                       # writes BENCHMARKS.md
    python tools/bench_fit_modes.py --variants loop fit_tf_defaults fit_autotune \\
        --processes 6 --output ''                         # a bisection step
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTION = "## fit() on tf.data in fresh processes: the slow mode"
# Where runs of the input variants go (keras_gans.data.keras_input).
INPUT_SECTION = "## fit() on NumPy arrays, PyDatasets and generators (TensorFlow)"
SIZE = 64
BATCH = 64
OPTIONS = ("private_threadpool", "intra_op", "autotune", "inject_prefetch")
INPUTS = ("numpy", "pydataset", "generator", "numpy_keras", "pydataset_keras")
VARIANTS = (
    "loop",
    "fit",
    "fit_tf_defaults",
    *(f"fit_{o}" for o in OPTIONS),
    *(f"fit_{i}" for i in INPUTS),
)


def _options(variant):
    import tensorflow as tf

    from keras_gans.data import pipeline_options

    if variant == "fit":
        return pipeline_options()
    options = tf.data.Options()
    name = variant.removeprefix("fit_")
    if name == "private_threadpool":
        options.threading.private_threadpool_size = 1
    elif name == "intra_op":
        options.threading.max_intra_op_parallelism = 1
    elif name == "autotune":
        options.autotune.enabled = False
    elif name == "inject_prefetch":
        options.experimental_optimization.inject_prefetch = False
    return options


def worker(variant, steps):
    import keras
    import tensorflow as tf

    import keras_gans

    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((BATCH * 8, SIZE, SIZE, 1))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras_gans.DCGAN(image_shape=(SIZE, SIZE, 1), seed=0)
    model.compile()
    warmup = 3
    if variant == "loop":
        step = tf.function(model.train_step)
        batches = [tf.constant(images[i : i + BATCH]) for i in range(0, 512, BATCH)]
        for i in range(warmup):
            float(step(batches[i % 8])["d_loss"])
        start = time.perf_counter()
        for i in range(steps):
            logs = step(batches[i % 8])
        float(logs["d_loss"])
        return BATCH * steps / (time.perf_counter() - start)
    if variant.removeprefix("fit_") in INPUTS:
        return _fit_rate(model, _python_input(variant, images), warmup, steps)
    ds = tf.data.Dataset.from_tensor_slices(images).batch(BATCH).cache().repeat()
    ds = ds.prefetch(tf.data.AUTOTUNE)
    if variant != "fit":
        # What keras_gans's fit() would set, undone: TensorFlow's defaults
        # (or one option) instead.
        model._pipeline_options = lambda dataset: _options(variant)
    return _fit_rate(model, dict(x=ds), warmup, steps)


def _fit_rate(model, data, warmup, steps):
    """images/s of `model.fit(**data)` over `steps` steps, after `warmup` steps."""
    import keras

    model.fit(**data, steps_per_epoch=warmup, epochs=1, verbose=0)

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

    clock = Clock()
    model.fit(**data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[clock])
    # fit() returns once every step has run (the slow mode shows there).
    return BATCH * steps / (time.perf_counter() - clock.start)


def _python_input(variant, images):
    """`fit()`'s data for a `fit_<input>` variant: endless, so any step count fits."""
    import itertools

    import keras
    from keras.src.trainers.data_adapters import array_data_adapter, py_dataset_adapter

    n = len(images) // BATCH

    class Batches(keras.utils.PyDataset):
        num_batches = None  # endless, as a repeated dataset

        def __getitem__(self, i):
            start = (i % n) * BATCH
            return (images[start : start + BATCH],)

    def generator():
        for i in itertools.count():
            yield (images[(i % n) * BATCH : (i % n + 1) * BATCH],)

    # Arrays of many epochs, so that each fit() reads within one pass.
    many = np.concatenate([images] * 8)
    kind = variant.removeprefix("fit_")
    if kind == "numpy":
        return dict(x=many, batch_size=BATCH, shuffle=False)
    if kind == "numpy_keras":
        adapter = array_data_adapter.ArrayDataAdapter(many, batch_size=BATCH)
        return dict(x=adapter)
    if kind == "pydataset":
        return dict(x=Batches(), shuffle=False)
    if kind == "pydataset_keras":
        return dict(x=py_dataset_adapter.PyDatasetAdapter(Batches()))
    return dict(x=generator(), shuffle=False)


def measure(variant, steps):
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, __file__, "--worker", variant, "--steps", str(steps)]
    out = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=900
    )
    return float(out.stdout.strip().splitlines()[-1])


def _header(variants):
    inputs = any(v.removeprefix("fit_") in INPUTS for v in variants)
    return INPUT_SECTION if inputs else SECTION


def section(results, args, machine):
    loop = statistics.median(results["loop"]) if results.get("loop") else None
    fit = statistics.median(results["fit"]) if results.get("fit") else None
    lines = [
        _header(args.variants),
        "",
        f"Generated by `python tools/bench_fit_modes.py"
        f"{' ' + ' '.join(args.argv) if args.argv else ''}` on {machine['date']}"
        f" ({machine['cpu']}, {machine['usable_cores']} cores; TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}). DCGAN "
        f"{SIZE}x{SIZE}x1, batch {BATCH}, {args.steps} timed steps per process "
        "after 3 warm-up steps; each process times one variant, variants "
        "alternating.",
        "",
        "| variant | processes | median images/s | min | max | every process / "
        + ("loop" if loop else "`fit`")
        + " median |",
        "|---|---:|---:|---:|---:|---|",
    ]
    base = loop or fit
    for variant in args.variants:
        rates = results[variant]
        ratios = (
            ", ".join(f"{r / base:.2f}" for r in rates)
            if base and variant != "loop" and (loop or variant != "fit")
            else ""
        )
        lines.append(
            f"| `{variant}` | {len(rates)} | {statistics.median(rates):.0f} | "
            f"{min(rates):.0f} | {max(rates):.0f} | {ratios} |"
        )
    if loop and "fit" in results:
        worst = min(results["fit"]) / loop
        slow = sum(r / loop < 0.95 for r in results["fit"])
        lines += [
            "",
            f"`fit` (keras_gans's tf.data options): slowest process "
            f"{worst:.2f}x the loop's median; {slow} of {len(results['fit'])} "
            "processes below 0.95x.",
        ]
    if loop and "fit_tf_defaults" in results:
        slow = sum(r / loop < 0.95 for r in results["fit_tf_defaults"])
        lines.append(
            f"`fit_tf_defaults` (tf.data's own options): {slow} of "
            f"{len(results['fit_tf_defaults'])} processes below 0.95x."
        )
    if fit and any(results.get(f"fit_{kind}") for kind in INPUTS):
        lines.append("")
    for kind in INPUTS:
        rates = results.get(f"fit_{kind}")
        if fit and rates:
            lines.append(
                f"`fit_{kind}` against the `fit` median (tf.data): median "
                f"{statistics.median(rates) / fit:.2f}x, slowest process "
                f"{min(rates) / fit:.2f}x, {sum(r / fit < 0.8 for r in rates)} of "
                f"{len(rates)} processes below 0.8x."
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANTS,
        default=["loop", "fit", "fit_tf_defaults"],
    )
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--render",
        default=None,
        help="write the section from a --json file of an earlier run (its "
        "variants, steps and command) instead of measuring",
    )
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.worker:
        print(worker(args.worker, args.steps))
        return None
    args.argv = argv
    if args.render:
        saved = json.loads(pathlib.Path(args.render).read_text())
        results, meta = saved["results"], saved["run"]
        args.variants, args.steps, args.argv = meta["variants"], meta["steps"], meta["argv"]
        return _write(results, args, meta["machine"])
    results = {v: [] for v in args.variants}
    for i in range(args.processes):
        order = (
            args.variants[i % len(args.variants) :]
            + args.variants[: i % len(args.variants)]
        )
        for variant in order:
            rate = measure(variant, args.steps)
            results[variant].append(rate)
            print(f"{i} {variant} {rate:.1f}", flush=True)
    sys.path.insert(0, str(ROOT / "tools"))
    from machine import machine_info

    machine = machine_info()
    if args.json:
        run = dict(variants=args.variants, steps=args.steps, argv=argv, machine=machine)
        saved = dict(results=results, run=run)
        pathlib.Path(args.json).write_text(json.dumps(saved, indent=2))
    return _write(results, args, machine)


def _write(results, args, machine):
    sys.path.insert(0, str(ROOT / "tools"))
    text = section(results, args, machine)
    print(text)
    if args.output:
        from report import write_report

        write_report(args.output, text, header=_header(args.variants))
    return results


if __name__ == "__main__":
    main()
