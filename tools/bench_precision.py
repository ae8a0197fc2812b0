"""bfloat16 against float32: DCGAN images/s, and FID at equal steps over seeds.

On a CPU with bfloat16 units `dtype_policy="mixed_bfloat16"` should train
faster; the questions are how close it comes to the CPU's bfloat16 limit,
where the rest of the time goes, and whether the samples stay as good:

- speed: `DCGAN.fit()` at 28x28 and 64x64 (batch 64) under each policy, in
  the same process, alternated over rounds; median images/s and the ratio.
  Where TensorFlow has no oneDNN bfloat16 convolutions on this CPU, a third
  row trains bfloat16 without keras_gans's float32 convolutions (what
  Keras alone does);
- limits: this CPU's float32 and bfloat16 matmul rate (a 2048x2048
  product), the train step's floating-point operations (TensorFlow's own
  count over the step's graph), and so each policy's share of its limit;
- profile: where a 64x64 step spends its time, per TensorFlow op type
  (TensorFlow's profiler, busy time only);
- quality: DCGAN 28x28 on Fashion-MNIST for the same number of steps under
  each policy, for each seed, then FID of `--n` samples against the test
  split with the shipped classifier's features (`keras_gans.features`).

    python tools/bench_precision.py                    # writes BENCHMARKS.md
    python tools/bench_precision.py --reuse-quality earlier.json   # speed only
    python tools/bench_precision.py --sizes 28 --rounds 1 --steps 2 --seeds 0 1 \\
        --limit 1280 --n 500 --output ''                # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import statistics
import sys
import time
from unittest import mock

import keras
import numpy as np

import keras_gans
from keras_gans import data, evaluation, features

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTION = "## Mixed precision: bfloat16 against float32"
POLICIES = ("float32", "mixed_bfloat16")
KERAS_ALONE = "mixed_bfloat16, Keras alone"


def _variants(xla=True):
    """(name, policy, float32 convolutions, jit_compile) rows of the speed table."""
    from keras_gans.models.base import precision

    rows = [
        ("float32", "float32", None, "auto"),
        ("mixed_bfloat16", "mixed_bfloat16", None, "auto"),
    ]
    if xla:  # Keras's "auto" means no XLA on a CPU; it measured faster on some
        rows += [
            ("float32, XLA", "float32", None, True),
            ("mixed_bfloat16, XLA", "mixed_bfloat16", None, True),
        ]
    if precision.cpu_lacks_bfloat16():
        rows.append((KERAS_ALONE, "mixed_bfloat16", False, "auto"))
    return rows


def _model(size, channels, policy, float32_convolutions, jit_compile="auto"):
    from keras_gans.models.base import precision

    keras.utils.set_random_seed(0)
    # float32_convolutions=False: what Keras alone does (the CPU "has" bfloat16).
    with (
        mock.patch.object(precision, "cpu_lacks_bfloat16", return_value=False)
        if float32_convolutions is False
        else contextlib.nullcontext()
    ):
        model = keras_gans.DCGAN(
            image_shape=(size, size, channels), seed=0, dtype_policy=policy
        )
    model.compile(jit_compile=jit_compile)
    return model


def _dataset(size, channels, steps):
    import tensorflow as tf

    images = np.tanh(
        np.random.default_rng(0).standard_normal((64 * steps, size, size, channels))
    ).astype("float32")
    # tf.data, which keras_gans's fit() runs without autotuning.
    return tf.data.Dataset.from_tensor_slices(images).batch(64).cache(), len(images)


def speed(size, rounds, steps, channels=1):
    dataset, count = _dataset(size, channels, steps)
    # Keras alone is 8x slower: a quarter of the steps keeps the run short.
    slow = max(2, steps // 4)
    models, data = {}, {}
    for name, policy, f32_conv, jit in _variants():
        models[name] = _model(size, channels, policy, f32_conv, jit)
        models[name].fit(dataset.take(2), epochs=1, verbose=0)  # compiles
        keras_alone = name == KERAS_ALONE
        data[name] = (
            (dataset.take(slow), 64 * slow) if keras_alone else (dataset, count)
        )
    rates = {name: [] for name in models}
    names = list(models)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            batches, images = data[name]
            start = time.perf_counter()
            models[name].fit(batches, epochs=1, verbose=0)
            rates[name].append(images / (time.perf_counter() - start))
    return rates


def matmul_limits(n=2048, repeats=5):
    """GFLOP/s of an n x n matrix product in float32 and bfloat16 (medians)."""
    import tensorflow as tf

    limits = {}
    for dtype in ("float32", "bfloat16"):
        a = tf.cast(tf.random.normal((n, n), seed=1), dtype)
        b = tf.cast(tf.random.normal((n, n), seed=2), dtype)
        product = tf.function(tf.matmul)
        product(a, b).numpy()
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            product(a, b).numpy()
            seconds.append(time.perf_counter() - start)
        limits[dtype] = 2 * n**3 / statistics.median(seconds) / 1e9
    return limits


def step_flops(size, channels):
    """Floating-point operations of one DCGAN train step, per image.

    TensorFlow's profiler counts them over the step's graph (convolutions,
    their gradients, products and element-wise ops) from their shapes.
    """
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    model = _model(size, channels, "float32", None)
    step = tf.function(model.train_step)
    graph = step.get_concrete_function(
        tf.TensorSpec((64, size, size, channels), tf.float32)
    ).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    total = model_analyzer.profile(graph, options=options).total_float_ops
    return total / 64


def profile(size, channels, steps=3):
    """Busy time per TensorFlow op type in `steps` 64x64 steps, per row."""
    import glob
    import tempfile

    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin

    dataset, _ = _dataset(size, channels, steps)
    result = {}
    for name, policy, f32_conv, _ in _variants(xla=False):  # XLA: one op
        model = _model(size, channels, policy, f32_conv)
        model.fit(dataset.take(1), epochs=1, verbose=0)
        with tempfile.TemporaryDirectory() as logdir:
            tf.profiler.experimental.start(logdir)
            model.fit(dataset, epochs=1, verbose=0)
            tf.profiler.experimental.stop()
            (path,) = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)
            data, ok = _pywrap_profiler_plugin.xspace_to_tools_data(
                [path], "framework_op_stats", {}
            )
        if not ok:
            raise RuntimeError(f"TensorFlow's profiler said: {data[:200]!r}")
        table = json.loads(data)
        table = table[0] if isinstance(table, list) else table
        cols = [c["id"] for c in table["cols"]]
        times, ops = {}, []
        for row in table["rows"]:
            op = dict(
                zip(cols, [c.get("v") if c else None for c in row["c"]], strict=True)
            )
            if op["type"] != "IDLE":
                times[op["type"]] = times.get(op["type"], 0.0) + op["total_self_time"]
                ops.append(
                    (op["operation"], op["total_self_time"] / max(op["occurrences"], 1))
                )
        result[name] = times
        result[name + " ops"] = sorted(ops, key=lambda op: -op[1])[:6]
    return result


def quality(seeds, epochs, n, limit=None):
    extractor = features.get_extractor()
    real, _ = evaluation.real_images("fashion_mnist", "test", n)
    real_feats = extractor.features(real)
    rows = {p: [] for p in POLICIES}
    for seed in seeds:
        for policy in POLICIES:
            keras.utils.set_random_seed(seed)
            model = keras_gans.DCGAN(
                image_shape=(28, 28, 1), seed=seed, dtype_policy=policy
            )
            model.compile()
            ds = data.load("fashion_mnist", batch_size=128, seed=seed, limit=limit)
            start = time.perf_counter()
            model.fit(ds, epochs=epochs, verbose=0)
            seconds = time.perf_counter() - start
            fake = extractor.features(model.generate(n, seed=seed))
            fid = float(keras_gans.metrics.fid_from_activations(real_feats, fake))
            steps = int(keras.ops.convert_to_numpy(model.g_optimizer.iterations))
            rows[policy].append(
                {"seed": seed, "fid": fid, "steps": steps, "s": seconds}
            )
            print(policy, rows[policy][-1], flush=True)
    return rows


def _mean_se(values):
    v = np.asarray(values, "float64")
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
    return v.mean(), se


def section(result, args, machine):
    lines = [
        SECTION,
        "",
        f"Generated by `python tools/bench_precision.py"
        f"{' ' + ' '.join(args.argv) if args.argv else ''}` on {machine['date']} "
        f"({machine['cpu']}, {machine['usable_cores']} cores; TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}).",
        "",
        f"Speed: `DCGAN.fit()` on a cached tf.data pipeline ({args.channels} "
        f"channel(s), batch 64, {args.steps} steps per timing), the rows in one "
        f"process, alternated; median of {args.rounds} rounds (the Keras-alone "
        "row, where there is one, times a quarter of the steps). XLA: "
        "`compile(jit_compile=True)`. GFLOP/s: the train "
        f"step's floating-point operations (TensorFlow's count over its graph; "
        f"{result['flops'] / 1e9:.2f} GFLOP per 64x64 image) times images/s; "
        "the limit: this CPU's 2048x2048 matmul in the row's compute dtype "
        f"(float32 {result['limits']['float32']:.0f}, bfloat16 "
        f"{result['limits']['bfloat16']:.0f} GFLOP/s).",
        "",
        "| image | row | images/s | / float32 | GFLOP/s | of its matmul limit |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for size, rates in result["speed"].items():
        f32 = statistics.median(rates["float32"])
        for name, values in rates.items():
            rate = statistics.median(values)
            cells = ["-", "-"]
            if int(size) == 64:
                dtype = "float32" if name.startswith("float32") else "bfloat16"
                gflops = rate * result["flops"] / 1e9
                cells = [f"{gflops:.0f}", f"{gflops / result['limits'][dtype]:.0%}"]
            lines.append(
                f"| {size}x{size} | {name} | {rate:.1f} | {rate / f32:.2f}x | "
                + " | ".join(cells)
                + " |"
            )
    lines += [
        "",
        "Profile: the share of busy time (TensorFlow's profiler, idle left out) "
        "per op type over 3 steps of 64x64, each row in the same process.",
        "",
    ]
    prof = {k: v for k, v in result["profile"].items() if not k.endswith(" ops")}
    top = sorted(prof["float32"], key=lambda k: -prof["float32"][k])[:5]
    for times in prof.values():
        top += [k for k in sorted(times, key=lambda k: -times[k])[:5] if k not in top]
    lines += [
        "| op type | " + " | ".join(prof) + " |",
        "|---|" + "---:|" * len(prof),
    ]
    for op in top:
        cells = []
        for times in prof.values():
            total = sum(times.values())
            cells.append(f"{times.get(op, 0.0) / total:.0%}")
        lines.append(f"| `{op}` | " + " | ".join(cells) + " |")
    lines.append(
        "| busy s | "
        + " | ".join(f"{sum(t.values()) / 1e6:.1f}" for t in prof.values())
        + " |"
    )
    lines += [
        "",
        "The slowest single ops of the float32 row (ms per call):",
        "",
        "| op | ms |",
        "|---|---:|",
    ]
    for op, micros in result["profile"]["float32 ops"]:
        lines.append(f"| `{op}` | {micros / 1e3:.0f} |")
    q = result["quality"]
    f32_mean, f32_se = _mean_se([r["fid"] for r in q["float32"]])
    bf_mean, bf_se = _mean_se([r["fid"] for r in q["mixed_bfloat16"]])
    steps = q["float32"][0]["steps"]
    lines += [
        "",
        "Quality: DCGAN 28x28 on Fashion-MNIST"
        + (f" (its first {args.limit} images)" if args.limit else "")
        + f", {args.epochs} epoch(s) = "
        f"{steps} steps at batch 128 under each policy, seeds {args.seeds}; FID of "
        f"{args.n} samples against the first {args.n} test images, features "
        f"`{features.DEFAULT_EXTRACTOR}` (the shipped classifier: not comparable "
        "with Inception FIDs).",
        "",
        "| policy | FID per seed | mean ± standard error | training s per seed |",
        "|---|---|---:|---|",
    ]
    for policy, (mean, se) in (
        ("float32", (f32_mean, f32_se)),
        ("mixed_bfloat16", (bf_mean, bf_se)),
    ):
        fids = ", ".join(f"{r['fid']:.2f}" for r in q[policy])
        seconds = ", ".join(f"{r['s']:.0f}" for r in q[policy])
        lines.append(f"| {policy} | {fids} | {mean:.2f} ± {se:.2f} | {seconds} |")
    within_se = abs(bf_mean - f32_mean) <= 2 * max(f32_se, bf_se)
    within_5 = abs(bf_mean - f32_mean) <= 0.05 * f32_mean
    lines += [
        "",
        f"bfloat16's mean FID is {bf_mean - f32_mean:+.2f} from float32's "
        f"({(bf_mean - f32_mean) / f32_mean:+.1%}): "
        + ("within 2 standard errors" if within_se else "not within 2 standard errors")
        + (", and within 5%." if within_5 else ", and not within 5%."),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[28, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--channels", type=int, default=3, help="speed images")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=None, help="training images")
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--reuse-quality",
        default=None,
        help="take the quality rows from this earlier --json (same settings)",
    )
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument(
        "--render", default=None, help="write the section from this --json only"
    )
    args = parser.parse_args(argv)
    args.argv = argv
    if args.render:
        result = json.loads(pathlib.Path(args.render).read_text())
        output = args.output
        args = parser.parse_args(result["argv"])  # the measuring run's settings
        args.argv, args.output, args.render = result["argv"], output, True
    else:
        result = measure(args)
    sys.path.insert(0, str(ROOT / "tools"))
    from machine import machine_info
    from report import write_report

    machine = result.setdefault("machine", machine_info())
    text = section(result, args, machine)
    print(text)
    if args.json and not args.render:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2))
    if args.output:
        write_report(args.output, text, header=SECTION)


def measure(args):
    result = {
        "speed": {
            s: speed(s, args.rounds, args.steps, args.channels) for s in args.sizes
        },
        "limits": matmul_limits(),
        "flops": step_flops(64, args.channels),
        "profile": profile(64, args.channels),
        "quality": (
            json.loads(pathlib.Path(args.reuse_quality).read_text())["quality"]
            if args.reuse_quality
            else quality(args.seeds, args.epochs, args.n, args.limit)
        ),
        "argv": args.argv,
    }
    return result


if __name__ == "__main__":
    main()
