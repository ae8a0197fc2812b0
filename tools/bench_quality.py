"""Sample quality of GAN and DCGAN on Fashion-MNIST, with the classifier's features.

Trains each model for the largest budget with several seeds, evaluating at
every budget on the way; measures the real-data floor the same way (train
split against test split); times one FID of 10,000 samples and its peak
memory. Writes a section of BENCHMARKS.md.

    python tools/bench_quality.py                 # 3 seeds, budgets 1 and 3 epochs
    python tools/bench_quality.py --seeds 0 --budgets 1 --n 2000   # quick look
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import platform
import resource
import time

import keras
import numpy as np
import tensorflow as tf

import keras_gans
from keras_gans import data, features, metrics

SECTION = "## Sample quality on Fashion-MNIST (classifier features)"


def evaluate_images(extractor, real_feats, real_labels, images, seed):
    """The metric table row for generated images against real features."""
    feats, probs = extractor.features_and_probabilities(images)
    fid = metrics.fid_from_activations(real_feats, feats)
    kid = metrics.kernel_inception_distance(
        real_feats, feats, num_subsets=100, subset_size=1000, seed=seed
    )
    pr = metrics.precision_recall(real_feats, feats, k=3)
    modes = metrics.mode_collapse_report(probs, reference_labels=real_labels)
    return {
        "fid": fid,
        "kid": kid["mean"],
        "precision": pr["precision"],
        "recall": pr["recall"],
        "classes_covered": modes["classes_covered"],
        "class_kl": modes["kl_from_reference"],
        "top_class_share": modes["most_frequent_share"],
    }


def build(model_name, seed):
    keras.utils.set_random_seed(seed)
    if model_name == "dcgan":
        model = keras_gans.DCGAN(image_shape=(28, 28, 1), seed=seed)
    else:
        model = keras_gans.GAN(data_shape=(28, 28, 1), seed=seed)
    model.compile()
    return model


class _EvaluateAt(keras.callbacks.Callback):
    def __init__(self, budgets, fn):
        super().__init__()
        self.budgets = set(budgets)
        self.fn = fn
        self.rows = {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.budgets:
            self.rows[epoch + 1] = self.fn(self.model)


def run(args):
    extractor = features.get_extractor()
    test_images, test_labels = data.load_arrays("fashion_mnist", "test")
    real = (test_images[: args.n, ..., None].astype("float32") / 127.5) - 1.0
    real_labels = test_labels[: args.n]
    real_feats = extractor.features(real)

    results = {"floor": [], "models": {}}
    train_images, _ = data.load_arrays("fashion_mnist", "train")
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(train_images), args.n, replace=False)
        sample = (train_images[pick, ..., None].astype("float32") / 127.5) - 1.0
        results["floor"].append(
            evaluate_images(extractor, real_feats, real_labels, sample, seed)
        )

    for model_name in args.models:
        rows = {b: [] for b in args.budgets}
        seconds = []
        for seed in args.seeds:
            model = build(model_name, seed)
            ds = data.load("fashion_mnist", batch_size=128, seed=seed)
            cb = _EvaluateAt(
                args.budgets,
                lambda m, s=seed: evaluate_images(
                    extractor, real_feats, real_labels, m.generate(args.n, seed=s), s
                ),
            )
            start = time.perf_counter()
            model.fit(ds, epochs=max(args.budgets), callbacks=[cb], verbose=2)
            seconds.append(time.perf_counter() - start)
            for b in args.budgets:
                rows[b].append(cb.rows[b])
            print(model_name, seed, json.dumps(cb.rows), flush=True)
        results["models"][model_name] = {"rows": rows, "seconds": seconds}

    # Timing and memory of one FID of n samples (features + statistics).
    model = build("dcgan", 0)
    images = model.generate(args.n, seed=0)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        metrics.fid_from_activations(real_feats, extractor.features(images))
        times.append(time.perf_counter() - start)
    results["fid_seconds"] = float(np.median(times))
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _fmt(values, key, digits):
    v = np.array([row[key] for row in values], dtype="float64")
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if len(v) > 1 else 0:.{digits}f}"


def write_section(results, args, path):
    keys = [
        ("fid", 2),
        ("kid", 3),
        ("precision", 3),
        ("recall", 3),
        ("classes_covered", 1),
        ("class_kl", 3),
        ("top_class_share", 3),
    ]
    cpu = "unknown CPU"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    lines = [
        SECTION,
        "",
        f"Generated by `python tools/bench_quality.py --seeds {' '.join(map(str, args.seeds))} "
        f"--budgets {' '.join(map(str, args.budgets))} --n {args.n}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"({cpu}, 2 cores, Python {platform.python_version()}, TF/Keras "
        f"{tf.__version__}/{keras.__version__}).",
        "",
        f"- Features: `{features.DEFAULT_EXTRACTOR}` (128-d penultimate layer of the "
        "shipped classifier, docs/classifier.md), so the numbers are not comparable "
        "with Inception FIDs in papers.",
        f"- Samples: {args.n} generated vs the first {args.n} images of the test split; "
        f"mean ± std over seeds {list(args.seeds)} (seed sets weights, noise, data order).",
        "- Budgets: epochs of 469 steps at batch 128 with Adam(2e-4, beta_1=0.5), the "
        "models' defaults (GAN: MLP 1200-1200 / maxout 240x5-240x5, uniform z; "
        "DCGAN: 64 filters, normal z).",
        "- Floor: real training images scored the same way (what a perfect "
        "generator would get with this many samples).",
        "- KID: unbiased MMD^2, 100 subsets of 1000. Precision/recall: k=3. "
        "Classes: predicted by the classifier; KL(generated || test labels).",
        "",
        "| model | budget | " + " | ".join(k for k, _ in keys) + " |",
        "|---|---|" + "---:|" * len(keys),
        "| real train images (floor) | - | "
        + " | ".join(_fmt(results["floor"], k, d) for k, d in keys)
        + " |",
    ]
    for name, block in results["models"].items():
        for budget, rows in block["rows"].items():
            lines.append(
                f"| {name} | {budget} epoch{'s' if budget > 1 else ''} | "
                + " | ".join(_fmt(rows, k, d) for k, d in keys)
                + " |"
            )
    lines += [
        "",
        "Training time for the largest budget, per seed (s): "
        + "; ".join(
            f"{name} {', '.join(f'{s:.0f}' for s in block['seconds'])}"
            for name, block in results["models"].items()
        )
        + ".",
        "",
        f"One FID of {args.n} samples with the classifier features (feature "
        f"extraction + statistics + matrix square root): median of 3 = "
        f"{results['fid_seconds']:.2f} s; peak RSS of the whole benchmark process "
        f"{results['peak_rss_mb']:.0f} MB.",
        "",
    ]
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        rest = text.find("\n## ", start + len(SECTION))
        text = (
            text[:start] + "\n".join(lines) + (text[rest + 1 :] if rest != -1 else "")
        )
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    path.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["gan", "dcgan"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budgets", nargs="+", type=int, default=[1, 3])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--output", default="BENCHMARKS.md")
    parser.add_argument("--json", default=None, help="also write raw results here")
    args = parser.parse_args(argv)
    args.budgets = sorted(set(args.budgets))
    results = run(args)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))
    write_section(results, args, pathlib.Path(args.output))
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
