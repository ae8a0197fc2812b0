"""DCGAN training throughput: keras_gans `fit()` vs a hand-written `tf.function` loop.

Both sides train the same 28x28x1 DCGAN networks (same initial weights) on the
same in-memory Fashion-MNIST pipeline (the first `--num_images` images,
batched, cached and repeated), with the same non-saturating losses, the same
optimizers (Adam(2e-4, beta_1=0.5)) and the same step structure: one D step on
the real batch and fresh-noise fakes, then one G step with fresh noise.

Every variant is warmed up (traced / compiled) first; then the variants are
timed in alternation, `--steps` steps each per round for `--rounds` rounds, in
an order rotated every round, so that load from other processes on a shared
machine hits all of them alike. Reported: images/s per round, medians, and
ratios against the hand loop (ratio of medians, and the median of per-round
ratios); the same for images per CPU-second of this process, which other
processes and CPU throttling disturb much less than wall-clock time.

Variants (`--variants`; the default set leaves out `train_function` and
`train_step_nometrics`, `--variants all` runs everything):

- `loop`: the hand-written loop: a `@tf.function` step, iterating over the
  dataset, no Keras metrics. The baseline.
- `fit`: `DCGAN.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)`, one
  call per round (Keras caches `train_function`; tracing is counted).
- `fit_spe10`: the same with `compile(steps_per_execution=10)`.
- `train_function`: `fit()`'s compiled `model.train_function` called directly
  on a persistent iterator: Keras's step wrapper without `fit()`'s per-call
  Python work (callbacks, epoch iterator).
- `train_step`: `tf.function(model.train_step)` in the hand loop: keras_gans's
  step code (metrics included) without any Keras training machinery.
- `train_step_nometrics`: the same with keras_gans's four metric updates
  removed (a subclass overriding `_update_metrics`).
- `loop_xla`, `fit_xla`: the hand loop and `fit()` with `jit_compile=True`.

Usage:

    python tools/bench_train.py                      # writes BENCHMARKS.md
    python tools/bench_train.py --rounds 2 --steps 10 --output ''  # quick look
    python tools/bench_train.py --variants all --json /tmp/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import losses as gan_losses  # noqa: E402
from keras_gans.models.dcgan import (  # noqa: E402
    build_dcgan_discriminator,
    build_dcgan_generator,
)

# tools/ holds shared helpers for these scripts; put it on the path also when
# this file is loaded by path (tests) rather than run.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import report  # noqa: E402
from machine import machine_info  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 100
SECTION = "## Training throughput: fit() vs hand-written loop"
ANALYSIS = report.ANALYSIS
BASELINE = "loop"
ALL_VARIANTS = (
    "loop",
    "fit",
    "fit_spe10",
    "train_function",
    "train_step",
    "train_step_nometrics",
    "loop_xla",
    "fit_xla",
)
# The default set; `--variants all` adds the finer-grained diagnostics
# (`train_function`, `train_step_nometrics`).
DEFAULT_VARIANTS = ("loop", "fit", "fit_spe10", "train_step", "loop_xla", "fit_xla")
DESCRIPTIONS = {
    "loop": "hand-written `@tf.function` loop (baseline)",
    "fit": "`DCGAN.fit()`, steps_per_execution=1",
    "fit_spe10": "`DCGAN.fit()`, steps_per_execution=10",
    "train_function": "`model.train_function(iterator)` called directly (fit's "
    "compiled step, no fit() call overhead)",
    "train_step": "`tf.function(model.train_step)` in the hand loop "
    "(keras_gans step code, no Keras machinery)",
    "train_step_nometrics": "as `train_step`, metric updates removed",
    "loop_xla": "hand loop, `jit_compile=True`",
    "fit_xla": "`DCGAN.fit()`, `jit_compile=True`",
}
DEFAULT_OUTPUT = pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


# --- Data ------------------------------------------------------------------------


def make_dataset(num_images, batch_size):
    """The first `num_images` Fashion-MNIST images, batched, cached, repeated.

    Images are float32 in [-1, 1]. One full pass is read here, so that the
    in-memory cache is filled before anything is timed.
    """
    images, _ = keras_gans.data.load_arrays("fashion_mnist")
    images = images[:num_images].astype("float32") / 127.5 - 1.0
    images = images.reshape((-1,) + IMAGE_SHAPE)
    batches = len(images) // batch_size
    if batches < 1:
        raise ValueError(
            f"Expected num_images >= batch_size; received num_images={num_images}, "
            f"batch_size={batch_size}."
        )
    ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.batch(batch_size, drop_remainder=True).take(batches).cache()
    for _ in ds:  # fill the in-memory cache (shared by later iterators)
        pass
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


# --- The hand-written loop -------------------------------------------------------


def _adam():
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def copy_networks(generator, discriminator):
    """Fresh DCGAN networks holding the given networks' weights."""
    g = build_dcgan_generator(IMAGE_SHAPE, LATENT_DIM)
    d = build_dcgan_discriminator(IMAGE_SHAPE)
    g.set_weights(generator.get_weights())
    d.set_weights(discriminator.get_weights())
    return g, d


def make_loop_step(generator, discriminator, seed=0, jit_compile=False):
    """The training step a competent user writes by hand.

    One D step on the real batch and fresh-noise fakes, then one G step with
    fresh noise; non-saturating losses; Adam(2e-4, beta_1=0.5) for each.

    Returns:
        A `tf.function` from an image batch to `(d_loss, g_loss)`.
    """
    g_opt, d_opt = _adam(), _adam()
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)
    noise = tf.random.Generator.from_seed(seed)

    @tf.function(jit_compile=jit_compile)
    def step(real):
        batch = tf.shape(real)[0]
        fake = generator(noise.normal((batch, LATENT_DIM)), training=True)
        with tf.GradientTape() as tape:
            d_loss = gan_losses.non_saturating_discriminator_loss(
                discriminator(real, training=True), discriminator(fake, training=True)
            )
        d_vars = discriminator.trainable_variables
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars, strict=True))
        with tf.GradientTape() as tape:
            fake = generator(noise.normal((batch, LATENT_DIM)), training=True)
            g_loss = gan_losses.non_saturating_generator_loss(
                discriminator(fake, training=True)
            )
        g_vars = generator.trainable_variables
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars, strict=True))
        return d_loss, g_loss

    return step


# --- Runners: one per variant, each with run(steps) and tracing_counts() --------


class _NoMetricsDCGAN(keras_gans.DCGAN):
    """DCGAN whose train_step skips keras_gans's four `Mean` metric updates."""

    def _update_metrics(self, d_loss, g_loss, real_out, fake_out):
        return {"d_loss": d_loss, "g_loss": g_loss}


def _tracing_counts(fn, depth=3):
    """Tracing counts of the `tf.function`s reachable from `fn`'s closures."""
    counts = {}

    def visit(obj, level):
        if hasattr(obj, "experimental_get_tracing_count"):
            counts[getattr(obj, "__name__", repr(obj))] = (
                obj.experimental_get_tracing_count()
            )
            obj = getattr(obj, "python_function", None)
        if obj is None or level == 0:
            return
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # empty cell
                continue
            if callable(contents) and not isinstance(contents, keras.Model):
                visit(contents, level - 1)

    visit(fn, depth)
    return counts


class LoopRunner:
    """The hand loop (or a `tf.function` step of keras_gans) over `ds`."""

    def __init__(self, step, ds):
        self.step = step
        self.ds = ds

    def run(self, steps):
        out = None
        for images in self.ds.take(steps):
            out = self.step(images)
        # The step returns when its ops have run; reading a value is cheap and
        # makes sure nothing is left pending.
        tf.nest.map_structure(np.asarray, out)

    def tracing_counts(self):
        return {"step": self.step.experimental_get_tracing_count()}


class FitRunner:
    """`model.fit()` over `ds`, one call per timing."""

    def __init__(self, model, ds):
        self.model = model
        self.ds = ds

    def run(self, steps):
        self.model.fit(self.ds, steps_per_epoch=steps, epochs=1, verbose=0)

    def tracing_counts(self):
        return _tracing_counts(self.model.train_function)


class TrainFunctionRunner:
    """`model.train_function` called directly on one persistent iterator."""

    def __init__(self, model, ds):
        self.model = model
        self.model.make_train_function()
        self.iterator = iter(ds)

    def run(self, steps):
        spe = self.model.steps_per_execution
        logs = None
        for _ in range(-(-steps // spe)):
            logs = self.model.train_function(self.iterator)
        tf.nest.map_structure(np.asarray, logs)

    def tracing_counts(self):
        return _tracing_counts(self.model.train_function)


def _model(cls, generator, discriminator, seed, **compile_kwargs):
    model = cls(image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, seed=seed)
    model.generator.set_weights(generator.get_weights())
    model.discriminator.set_weights(discriminator.get_weights())
    model.compile(g_optimizer=_adam(), d_optimizer=_adam(), **compile_kwargs)
    return model


def make_runner(name, ds, generator, discriminator, seed=0):
    """The runner of variant `name`, starting from the given networks' weights."""
    if name in ("loop", "loop_xla"):
        g, d = copy_networks(generator, discriminator)
        step = make_loop_step(g, d, seed=seed, jit_compile=name == "loop_xla")
        return LoopRunner(step, ds)
    if name in ("fit", "fit_spe10", "fit_xla"):
        kwargs = {"steps_per_execution": 10} if name == "fit_spe10" else {}
        # Keras's default jit_compile="auto" means no XLA on the TF backend here;
        # be explicit so the comparison does not depend on that default.
        kwargs["jit_compile"] = name == "fit_xla"
        model = _model(keras_gans.DCGAN, generator, discriminator, seed, **kwargs)
        return FitRunner(model, ds)
    if name == "train_function":
        model = _model(
            keras_gans.DCGAN, generator, discriminator, seed, jit_compile=False
        )
        return TrainFunctionRunner(model, ds)
    if name in ("train_step", "train_step_nometrics"):
        cls = keras_gans.DCGAN if name == "train_step" else _NoMetricsDCGAN
        model = _model(cls, generator, discriminator, seed, jit_compile=False)
        # Like Keras (whose step wrapper is `do_not_convert`), no autograph:
        # train_step has no tensor-dependent Python control flow. This also keeps
        # autograph from re-reading library source edited while the run goes on.
        return LoopRunner(tf.function(model.train_step, autograph=False), ds)
    raise ValueError(f"Unknown variant {name!r}; expected one of {ALL_VARIANTS}.")


# --- Measuring -------------------------------------------------------------------


def _cpu_busy_seconds():
    """Seconds of busy CPU time summed over all cores, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    # user nice system idle iowait irq softirq steal ...
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    t = os.times()
    return t.user + t.system


class LoadMeter:
    """CPU used by *other* processes (in cores) while a block runs."""

    def __enter__(self):
        self.wall = time.perf_counter()
        self.busy = _cpu_busy_seconds()
        self.own = _own_cpu_seconds()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.wall
        busy = _cpu_busy_seconds() - self.busy
        own = _own_cpu_seconds() - self.own
        self.other_cores = max(busy - own, 0.0) / wall if wall > 0 else float("nan")
        self.own_cores = own / wall if wall > 0 else float("nan")
        return False


def time_run(runner, steps):
    """Wall-clock and CPU seconds (all this process's threads) of `runner.run`."""
    cpu = _own_cpu_seconds()
    start = time.perf_counter()
    runner.run(steps)
    return time.perf_counter() - start, _own_cpu_seconds() - cpu


def rotated(names, offset):
    offset %= len(names)
    return list(names[offset:]) + list(names[:offset])


def benchmark(variants, rounds, steps, batch_size, num_images, warmup_steps, seed=0):
    """Builds, warms up and times every variant, alternating them by round.

    Returns:
        A dict with per-variant warm-up seconds, per-round seconds and images/s,
        tracing counts before/after the timed rounds, and load measurements.
    """
    if BASELINE not in variants:
        variants = [BASELINE] + list(variants)
    ds = make_dataset(num_images, batch_size)
    keras.utils.set_random_seed(seed)
    generator = build_dcgan_generator(IMAGE_SHAPE, LATENT_DIM)
    discriminator = build_dcgan_discriminator(IMAGE_SHAPE)

    runners, warmup_seconds, traces_after_warmup = {}, {}, {}
    for name in variants:
        runners[name] = make_runner(name, ds, generator, discriminator, seed=seed)
        warmup_seconds[name] = time_run(runners[name], warmup_steps)[0]
        traces_after_warmup[name] = runners[name].tracing_counts()
        print(f"warm-up {name:22s} {warmup_seconds[name]:7.1f} s", flush=True)

    # Throughput of the input pipeline alone, for scale.
    data_runner = LoopRunner(lambda x: x[0, 0, 0, 0], ds)
    data_runner.run(steps)
    data_seconds = time_run(data_runner, steps)[0]

    seconds = {name: [] for name in variants}
    cpu_seconds = {name: [] for name in variants}
    other_load, loadavg = [], []
    for r in range(rounds):
        with LoadMeter() as meter:
            for name in rotated(variants, r):
                wall, cpu = time_run(runners[name], steps)
                seconds[name].append(wall)
                cpu_seconds[name].append(cpu)
        other_load.append(meter.other_cores)
        loadavg.append(os.getloadavg()[0])
        line = "  ".join(
            f"{n}={steps * batch_size / seconds[n][-1]:.0f}" for n in variants
        )
        print(
            f"round {r + 1}/{rounds}: {line}  (other processes: "
            f"{meter.other_cores:.2f} cores)",
            flush=True,
        )

    return {
        "variants": list(variants),
        "rounds": rounds,
        "steps": steps,
        "batch_size": batch_size,
        "num_images": num_images,
        "warmup_steps": warmup_steps,
        "warmup_seconds": warmup_seconds,
        "seconds": seconds,
        "images_per_second": {
            n: [steps * batch_size / s for s in secs] for n, secs in seconds.items()
        },
        "cpu_seconds": cpu_seconds,
        "images_per_cpu_second": {
            n: [steps * batch_size / s for s in secs] for n, secs in cpu_seconds.items()
        },
        "data_images_per_second": steps * batch_size / data_seconds,
        "tracing_after_warmup": traces_after_warmup,
        "tracing_at_end": {n: r.tracing_counts() for n, r in runners.items()},
        "other_process_cores": other_load,
        "loadavg_1min": loadavg,
    }


def summarize(images_per_second, baseline=BASELINE):
    """Medians, ratio of medians and median per-round ratio vs `baseline`.

    Args:
        images_per_second: variant -> list of per-round images/s (same rounds
            for every variant).

    Returns:
        variant -> dict(median, ratio_of_medians, round_ratios,
        median_round_ratio, min, max).
    """
    base = images_per_second[baseline]
    base_median = statistics.median(base)
    summary = {}
    for name, values in images_per_second.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        summary[name] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "ratio_of_medians": statistics.median(values) / base_median,
            "round_ratios": ratios,
            "median_round_ratio": statistics.median(ratios),
        }
    return summary


# --- Report ----------------------------------------------------------------------


def _ratio(summary, a, b):
    """(ratio of medians a/b, median per-round ratio a/b), or None if missing."""
    if a not in summary or b not in summary:
        return None
    ra, rb = summary[a]["round_ratios"], summary[b]["round_ratios"]
    return (
        summary[a]["median"] / summary[b]["median"],
        statistics.median(x / y for x, y in zip(ra, rb, strict=True)),
    )


def _best_ratio(summary, a, b):
    """Ratio of the best rounds (highest images/s) of a and b."""
    return summary[a]["max"] / summary[b]["max"]


def _fmt_ratio(pair):
    return f"{pair[0]:.3f}x (per-round {pair[1]:.3f}x)"


# (numerator, denominator, what the ratio isolates)
COMPARISONS = (
    ("fit", "loop", "`fit()` vs the hand loop: the headline"),
    (
        "train_step",
        "loop",
        "keras_gans's `train_step` (its noise drawing, per-example losses, replica "
        "slicing and four `Mean` metrics) vs the hand step, both in a plain "
        "`tf.function` loop",
    ),
    (
        "train_step",
        "train_step_nometrics",
        "keras_gans's four metric updates alone",
    ),
    (
        "fit",
        "train_step",
        "Keras's training machinery (compiled step wrapper plus `fit()`'s "
        "per-call work) around the same `train_step`",
    ),
    (
        "train_function",
        "train_step",
        "Keras's compiled step wrapper (`distribute_strategy.run`, iterator "
        "`get_next` inside the function, Optional outputs)",
    ),
    (
        "fit",
        "train_function",
        "`fit()`'s per-call Python work (epoch iterator, callbacks, logs)",
    ),
    ("fit_spe10", "fit", "`steps_per_execution=10` vs 1"),
    ("loop_xla", "loop", "XLA (`jit_compile=True`) in the hand loop"),
    ("fit_xla", "fit", "XLA in `fit()`"),
    ("fit_xla", "loop_xla", "`fit()` vs the hand loop, both with XLA"),
)


def findings(wall, cpu, result):
    """Plain statements derived from the numbers, for the report."""
    lines = []
    fit = _ratio(wall, "fit", "loop")
    if fit:
        best = _best_ratio(wall, "fit", "loop")
        fit_cpu = _ratio(cpu, "fit", "loop")
        robust = min(fit_cpu[0], best)
        verdict = "meets" if robust >= 0.95 else "misses"
        lines.append(
            f"- Target `fit()` >= 0.95x the hand loop: {verdict} it on the measures "
            "that load and CPU throttling disturb least (the lower of images per "
            "CPU-second, "
            f"{fit_cpu[0]:.3f}x, and best round, {best:.3f}x). Wall-clock medians: "
            f"{_fmt_ratio(fit)}."
        )
    lines += [
        "",
        "| ratio | wall-clock medians | wall-clock best rounds | per CPU-second "
        "| isolates |",
        "|---|---|---|---|---|",
    ]
    for a, b, what in COMPARISONS:
        pair = _ratio(wall, a, b)
        if pair:
            lines.append(
                f"| `{a}` / `{b}` | {_fmt_ratio(pair)} | "
                f"{_best_ratio(wall, a, b):.3f}x | "
                f"{_fmt_ratio(_ratio(cpu, a, b))} | {what} |"
            )
    lines += [
        "",
        f"- Input pipeline alone: {result['data_images_per_second']:,.0f} images/s "
        f"(training: {wall[BASELINE]['median']:,.0f} images/s), so tf.data is not "
        "what limits either side.",
    ]
    traced = []
    for name in result["variants"]:
        before = result["tracing_after_warmup"][name]
        after = result["tracing_at_end"][name]
        changed = {
            k: after[k] - before.get(k, 0)
            for k in after
            if after[k] != before.get(k, 0)
        }
        total = ", ".join(f"{k} {v}" for k, v in after.items())
        traced.append(
            f"`{name}` ({total}; "
            + (f"retraced {changed}" if changed else "no new trace")
            + ")"
        )
    lines.append(
        "- Tracing: no variant may trace during the timed rounds (each fit variant "
        f"made {result['rounds']} more `fit()` calls after warm-up; Keras keeps "
        "`model.train_function` between calls). Trace counts at the end: "
        + "; ".join(traced)
        + "."
    )
    return lines


def render_section(result, machine, command):
    """The Markdown section (starting with `SECTION`)."""
    variants = result["variants"]
    wall = summarize(result["images_per_second"])
    cpu = summarize(result["images_per_cpu_second"])
    steps, batch = result["steps"], result["batch_size"]
    other = result["other_process_cores"]
    out = [
        SECTION,
        "",
        f"Generated by `tools/bench_train.py` on {machine['date']}, in "
        f"{result['total_seconds'] / 60:.1f} minutes.",
        "",
        f"- Machine: {machine['cpu']} ({machine['cpu_detail']}), "
        f"{machine['logical_cores']} logical cores ({machine['usable_cores']} "
        f"usable), no GPU. Python {machine['python']}, TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}, keras_gans "
        f"{machine['keras_gans']}.",
        f"- Load: 1-min load average {machine['loadavg_before'][0]:.2f} before the "
        "run. CPU used by *other* processes during each timed round (/proc/stat "
        "busy time minus this process's): "
        + ", ".join(f"{c:.2f}" for c in other)
        + f" of {machine['logical_cores']} cores. The machine is shared, so "
        "wall-clock numbers are noisy; the variants alternate within each round "
        "(order rotated every round) so that load hits all of them alike. "
        "Images per CPU-second of this process are also given: they are much "
        "less sensitive to other processes.",
        f"- Command: `{command}`",
        f"- Workload: DCGAN 28x28x1 (latent 100, 64 filters), batch {batch}, the "
        f"first {result['num_images']} Fashion-MNIST images in memory (batched, "
        "cached, repeated, prefetched; the same `tf.data.Dataset` for every "
        "variant), non-saturating losses, Adam(2e-4, beta_1=0.5) for G and for D, "
        "one D step (real batch + fresh-noise fakes) then one G step (fresh "
        "noise). Every variant starts from the same weights. Warm-up "
        f"{result['warmup_steps']} steps per variant, then {result['rounds']} "
        f"rounds x {steps} steps per variant.",
        "",
        "### Medians",
        "",
        "| variant | what | images/s (median) | min | max | ratio of medians "
        "vs `loop` | median per-round ratio | best-round ratio | images per "
        "CPU-s | ratio (CPU) | cores busy |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in variants:
        w, c = wall[name], cpu[name]
        cores = statistics.median(
            a / b
            for a, b in zip(
                result["cpu_seconds"][name], result["seconds"][name], strict=True
            )
        )
        out.append(
            f"| `{name}` | {DESCRIPTIONS[name]} | {w['median']:,.0f} | "
            f"{w['min']:,.0f} | {w['max']:,.0f} | {w['ratio_of_medians']:.3f} | "
            f"{w['median_round_ratio']:.3f} | {_best_ratio(wall, name, BASELINE):.3f} "
            f"| {c['median']:,.0f} | "
            f"{c['ratio_of_medians']:.3f} | {cores:.2f} |"
        )
    out += [
        "",
        "Best-round ratio: highest images/s over the rounds, vs the same for "
        "`loop` (like timeit's minimum: noise only ever slows a round down). "
        "Images per CPU-s: images per second of CPU time of this process (all "
        "its threads). Cores busy: median over rounds of this process's CPU "
        "time / wall time.",
    ]
    out += [
        "",
        "### Per round",
        "",
        "Wall-clock images/s (ratio vs `loop` in the same round); last column: "
        "CPU used by other processes.",
        "",
        "| round | " + " | ".join(f"`{n}`" for n in variants) + " | other CPU |",
        "|---:|" + "---:|" * (len(variants) + 1),
    ]
    for r in range(result["rounds"]):
        cells = []
        for name in variants:
            ips = result["images_per_second"][name][r]
            ratio = wall[name]["round_ratios"][r]
            cells.append(
                f"{ips:,.0f}" if name == BASELINE else f"{ips:,.0f} ({ratio:.2f})"
            )
        out.append(f"| {r + 1} | " + " | ".join(cells) + f" | {other[r]:.2f} |")
    out += [
        "",
        "Images per CPU-second of this process (ratio vs `loop` in the same round):",
        "",
        "| round | " + " | ".join(f"`{n}`" for n in variants) + " |",
        "|---:|" + "---:|" * len(variants),
    ]
    for r in range(result["rounds"]):
        cells = []
        for name in variants:
            ips = result["images_per_cpu_second"][name][r]
            ratio = cpu[name]["round_ratios"][r]
            cells.append(
                f"{ips:,.0f}" if name == BASELINE else f"{ips:,.0f} ({ratio:.2f})"
            )
        out.append(f"| {r + 1} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Warm-up (tracing, XLA compilation and "
        f"{result['warmup_steps']} steps), seconds: "
        + ", ".join(f"`{n}` {result['warmup_seconds'][n]:.1f}" for n in variants)
        + ".",
        "",
        "### Findings (generated from the numbers above)",
        "",
        *findings(wall, cpu, result),
    ]
    return "\n".join(out) + "\n"


def replace_section(text, section_text, header=SECTION):
    """`report.replace_section`, for this tool's section by default."""
    return report.replace_section(text, section_text, header)


def write_report(path, section_text):
    """Writes this tool's section into the Markdown file `path`."""
    report.write_report(path, section_text, SECTION)


# --- Main ------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Many short rounds rather than a few long ones: on the VMs this was written
    # on, throughput flips between two plateaus for seconds at a time whatever
    # the code does, and short alternating blocks spread that over all variants.
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds")
    parser.add_argument(
        "--steps",
        type=int,
        default=20,
        help="training steps per variant per round (one fit() call for fit variants)",
    )
    parser.add_argument("--warmup_steps", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument(
        "--num_images",
        type=int,
        default=10240,
        help="first N training images, cached in memory and repeated",
    )
    parser.add_argument(
        "--variants",
        default=",".join(DEFAULT_VARIANTS),
        help=f"comma-separated subset of {','.join(ALL_VARIANTS)}, or 'all' "
        "(loop is always run)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="Markdown file whose section to write; '' to only print",
    )
    parser.add_argument("--json", default="", help="also write raw results here")
    args = parser.parse_args(argv)
    if args.variants.strip() == "all":
        args.variants = list(ALL_VARIANTS)
    else:
        args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(args.variants) - set(ALL_VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; expected some of {ALL_VARIANTS}")
    if args.rounds < 1 or args.steps < 1 or args.warmup_steps < 1:
        parser.error("--rounds, --steps and --warmup_steps must be >= 1")
    # fit(steps_per_epoch=s) with steps_per_execution=k runs ceil(s / k) * k
    # steps, so timings would be off unless k divides s.
    if "fit_spe10" in args.variants and (args.steps % 10 or args.warmup_steps % 10):
        parser.error(
            "with fit_spe10, --steps and --warmup_steps must be multiples of 10"
        )
    return args


def main(argv=None):
    args = parse_args(argv)
    machine = machine_info()
    print(
        f"{machine['cpu']}, {machine['usable_cores']} cores, TF {machine['tensorflow']}, "
        f"Keras {machine['keras']}; load average {machine['loadavg_before']}",
        flush=True,
    )
    start = time.perf_counter()
    result = benchmark(
        args.variants,
        rounds=args.rounds,
        steps=args.steps,
        batch_size=args.batch_size,
        num_images=args.num_images,
        warmup_steps=args.warmup_steps,
        seed=args.seed,
    )
    result["total_seconds"] = time.perf_counter() - start
    command = "python " + " ".join(
        [os.path.relpath(sys.argv[0], DEFAULT_OUTPUT.parent)] + sys.argv[1:]
        if argv is None
        else ["tools/bench_train.py", *argv]
    )
    section = render_section(result, machine, command)
    print()
    print(section)
    print(f"total {result['total_seconds']:.0f} s")
    if args.output:
        write_report(args.output, section)
        print(f"wrote {args.output}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "result": result}, f, indent=1)


if __name__ == "__main__":
    main()
