"""DCGAN `fit()` throughput on Keras's TensorFlow, JAX and PyTorch backends.

Each measurement is a fresh process (Keras picks its backend at import):
the same DCGAN (28x28x1 or 64x64x1, batch 64, Adam) trains with `fit()` on
the same in-memory images, as a `tf.data` pipeline on TensorFlow and as
`keras_gans.data.arrays.ArrayBatches` on JAX and PyTorch, after a warm-up
epoch that compiles the step. The processes run in alternation, the order
rotated every round, so that load from other processes hits every backend
alike. Each process also times the step alone (the compiled step on one
batch held in memory, no `fit()` loop, no input pipeline): the difference
is what `fit()` spends outside the step. And each network's forward pass
alone (`predict_on_batch`, compiled), to see whether a slower backend is
slower in the networks' layers themselves; and Keras's own `fit()` of D
alone as a classifier and of G alone regressing onto the images, to see whether Keras's own step on these
convolutions is as slow there.

Two more rows: `jax_transpose`, the JAX backend with its transposed
convolutions computed by `jax.lax.conv_transpose` as Keras does (not
keras_gans's sub-pixel form, `keras_gans.models.subpixel`), and
`torch_plain`, the same DCGAN written in plain PyTorch (`tools/bench_gpu.py`'s
reference: same layers, loss and Adam, channels-first, eager), trained on
the same images: what PyTorch itself gives on this CPU.

Reported: medians of images/s over the processes, and ratios to TensorFlow
(ratio of medians).

Usage:

    python tools/bench_backends.py                 # writes BENCHMARKS.md
    python tools/bench_backends.py --rounds 1 --steps 5 --steps-64 2 --output ''
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

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTION = "## Training throughput per Keras backend"
BACKENDS = ("tensorflow", "jax", "torch")
# Rows: a Keras backend, or another way to run the same DCGAN.
VARIANTS = (*BACKENDS, "jax_transpose", "torch_plain")
KERAS_BACKEND = {"jax_transpose": "jax", "torch_plain": "torch"}
BATCH = 64
CHANNELS = 3


def plain_torch(size, steps):
    """images/s of the DCGAN in plain PyTorch (tools/bench_gpu.py), eager on the CPU."""
    sys.path.insert(0, str(ROOT / "tools"))
    from bench_gpu import TorchRunner

    import keras_gans

    filters = keras_gans.DCGAN(image_shape=(size, size, CHANNELS)).g_filters
    runner = TorchRunner(size, "float32", steps, filters, "cpu")  # warms up
    return {"backend": "torch_plain", "fit": runner.run()[0]}


def worker(variant, size, steps):
    import keras
    import numpy as np

    import keras_gans
    from keras_gans.models import subpixel

    if variant == "torch_plain":
        return plain_torch(size, steps)
    if variant == "jax_transpose":
        subpixel.BACKENDS = ()  # Keras's own conv_transpose
    backend = keras.backend.backend()
    rng = np.random.default_rng(0)
    n = BATCH * steps
    shape = (n, size, size, CHANNELS)
    images = np.tanh(rng.standard_normal(shape)).astype("float32")
    model = keras_gans.DCGAN(image_shape=(size, size, CHANNELS), seed=0)
    model.compile()
    if backend == "tensorflow":
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices(images).batch(BATCH).cache()
    else:
        from keras_gans.data.arrays import ArrayBatches

        data = ArrayBatches(images, batch_size=BATCH, seed=0)
    model.fit(data, epochs=1, verbose=0)  # compiles the step
    start = time.perf_counter()
    model.fit(data, epochs=1, verbose=0)
    fit_rate = n / (time.perf_counter() - start)

    batch = images[:BATCH]
    if backend == "tensorflow":
        step = tf.function(model.train_step)
        run = lambda: step(tf.constant(batch))  # noqa: E731
        sync = lambda out: float(out["d_loss"])  # noqa: E731
    elif backend == "jax":
        import jax

        state = model._get_jax_state(
            trainable_variables=True,
            non_trainable_variables=True,
            optimizer_variables=True,
            metrics_variables=True,
        )
        step = jax.jit(model.train_step)
        holder = [state]
        batch = jax.numpy.asarray(batch)

        def run():
            logs, holder[0] = step(holder[0], batch)
            return logs

        sync = lambda out: float(out["d_loss"])  # noqa: E731
    else:
        import torch

        batch = torch.as_tensor(batch)
        run = lambda: model.train_step(batch)  # noqa: E731
        sync = lambda out: float(out["d_loss"])  # noqa: E731
    sync(run())
    start = time.perf_counter()
    for _ in range(steps):
        out = run()
    sync(out)
    step_rate = n / (time.perf_counter() - start)

    # Where the step's time goes: each network's compiled forward pass.
    z = rng.standard_normal((BATCH, model.latent_dim)).astype("float32")
    parts = {}
    for name, network, inputs in (
        ("g_forward", model.generator, z),
        ("d_forward", model.discriminator, images[:BATCH]),
    ):
        network.predict_on_batch(inputs)
        start = time.perf_counter()
        for _ in range(steps):
            network.predict_on_batch(inputs)
        parts[name] = n / (time.perf_counter() - start)
    # Keras's own train step on the same convolutions: D alone as a
    # classifier, plain compile()/fit(), no keras_gans code.
    critic = keras.models.clone_model(model.discriminator)
    critic.compile(
        optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    labels = np.ones((n, 1), "float32")
    critic.fit(images, labels, batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    critic.fit(images, labels, batch_size=BATCH, epochs=1, verbose=0)
    parts["keras_d_fit"] = n / (time.perf_counter() - start)
    # The same for G, regressing its images onto the data.
    painter = keras.models.clone_model(model.generator)
    painter.compile(optimizer="adam", loss="mse")
    noise = rng.standard_normal((n, model.latent_dim)).astype("float32")
    painter.fit(noise, images, batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    painter.fit(noise, images, batch_size=BATCH, epochs=1, verbose=0)
    parts["keras_g_fit"] = n / (time.perf_counter() - start)
    return {"backend": variant, "fit": fit_rate, "step": step_rate, **parts}


def measure(variant, size, steps):
    backend = KERAS_BACKEND.get(variant, variant)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, __file__, "--worker", str(size), "--steps", str(steps)]
    done = subprocess.run(
        [*command, "--variant", variant],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{variant} {size}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


KEYS = ("fit", "step", "g_forward", "d_forward", "keras_d_fit", "keras_g_fit")


def section(results, args):
    import keras

    lines = [
        SECTION,
        "",
        f"`python tools/bench_backends.py {' '.join(args.argv)}`".replace(" `", "`")
        + f", {time.strftime('%Y-%m-%d')}, {_cpu()}, "
        f"Keras {keras.__version__}"
        + "".join(f", {b} {_version(b)}" for b in BACKENDS)
        + f". DCGAN (default widths), {CHANNELS} channels, batch {BATCH}, Adam; "
        f"{args.rounds} fresh processes per row and size, alternated. Images/s, "
        "medians; ratios are medians over TensorFlow's median. `jax_transpose`: "
        "JAX with Keras's own transposed convolutions; `torch_plain`: the same "
        "DCGAN in plain PyTorch (its fit() column is its training loop).",
        "",
        "| image | row | fit() images/s | vs TF | step alone images/s | vs TF "
        "| fit() / step | G forward vs TF | D forward vs TF "
        "| Keras fit() of D alone vs TF | Keras fit() of G alone vs TF |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        medians = {
            v: {
                key: statistics.median(r[key] for r in results[(size, v)])
                for key in KEYS
                if key in results[(size, v)][0]
            }
            for v in args.variants
        }
        base = medians.get("tensorflow", {})

        def ratio(m, key, base=base):
            return f"{m[key] / base[key]:.2f}" if key in m and key in base else ""

        def value(m, key):
            return f"{m[key]:.0f}" if key in m else ""

        for v in args.variants:
            m = medians[v]
            per_step = f"{m['fit'] / m['step']:.2f}" if "step" in m else ""
            lines.append(
                f"| {size}x{size} | {v} | {value(m, 'fit')} | {ratio(m, 'fit')} "
                f"| {value(m, 'step')} | {ratio(m, 'step')} | {per_step} "
                + " ".join(f"| {ratio(m, k)}" for k in KEYS[2:])
                + " |"
            )
        if "torch" in medians and "torch_plain" in medians:
            lines.append(
                f"| {size}x{size} | torch / torch_plain | | "
                f"{medians['torch']['fit'] / medians['torch_plain']['fit']:.2f} "
                "| | | | | | | |"
            )
    lines += [
        "",
        "Every process: "
        + "; ".join(
            f"{size} {v}: "
            + ", ".join(
                f"{r['fit']:.0f}" + (f"/{r['step']:.0f}" if "step" in r else "")
                for r in results[(size, v)]
            )
            for size in args.sizes
            for v in args.variants
        )
        + " (fit/step images/s).",
        "",
    ]
    return "\n".join(lines)


def _cpu():
    sys.path.insert(0, str(ROOT / "tools"))
    from machine import machine_info

    info = machine_info()
    return f"{info['cpu']}, {info['usable_cores']} cores"


def _version(name):
    from importlib.metadata import version

    try:
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="steps at 28x28")
    parser.add_argument(
        "--steps-64",
        type=int,
        default=3,
        help="steps at 64x64 (JAX's step takes seconds there on a CPU)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 64])
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.variant, args.worker, args.steps)))
        return
    args.argv = sys.argv[1:] if argv is None else list(argv)
    variants = args.variants
    results = {(s, v): [] for s in args.sizes for v in variants}
    for r in range(args.rounds):
        for size in args.sizes:
            k = r % len(variants)
            for v in variants[k:] + variants[:k]:
                steps = args.steps_64 if size >= 64 else args.steps
                result = measure(v, size, steps)
                results[(size, v)].append(result)
                print(size, v, result, flush=True)
    text = section(results, args)
    print(text)
    if args.output:
        sys.path.insert(0, str(ROOT / "tools"))
        from bench_train import replace_section

        path = pathlib.Path(args.output)
        path.write_text(replace_section(path.read_text(), text, header=SECTION))


if __name__ == "__main__":
    main()
