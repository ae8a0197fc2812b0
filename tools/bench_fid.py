"""Time and peak memory of one FID of N generated samples, in a fresh process.

Measures, with the shipped Fashion-MNIST classifier's features: generating N
samples with a DCGAN, extracting features of N real and N generated images,
and the Fréchet distance itself; reports medians of several repeats and the
process's peak resident memory above its state after imports and model
loading. Writes a section of BENCHMARKS.md.

    python tools/bench_fid.py --n 10000 --repeats 5
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import resource
import time

import numpy as np

import keras_gans
from keras_gans import evaluation, features, metrics

SECTION = "## Cost of one FID (classifier features)"


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n, repeats):
    extractor = features.get_extractor()
    model = keras_gans.DCGAN(image_shape=(28, 28, 1), seed=0)
    real, _ = evaluation.real_images(n=n)
    model.generate(16, seed=0)
    extractor.features(real[:16])
    baseline = _rss_mb()
    parts = {"generate": [], "features (real + fake)": [], "frechet_distance": []}
    for r in range(repeats):
        t0 = time.perf_counter()
        fake = model.generate(n, seed=r)
        t1 = time.perf_counter()
        real_feats = extractor.features(real)
        fake_feats = extractor.features(fake)
        t2 = time.perf_counter()
        metrics.fid_from_activations(real_feats, fake_feats)
        t3 = time.perf_counter()
        parts["generate"].append(t1 - t0)
        parts["features (real + fake)"].append(t2 - t1)
        parts["frechet_distance"].append(t3 - t2)
    totals = [sum(p[i] for p in parts.values()) for i in range(repeats)]
    return {
        "medians": {k: float(np.median(v)) for k, v in parts.items()},
        "total": float(np.median(totals)),
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
        "extractor": extractor.describe()["name"],
    }


def write_section(result, n, repeats, path):
    rows = "\n".join(f"| {k} | {v:.3f} |" for k, v in result["medians"].items())
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    text_block = (
        f"{SECTION}\n\n"
        f"`python tools/bench_fid.py --n {n} --repeats {repeats}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"({cpu}, 2 cores). Features: `{result['extractor']}`; {n} real (test "
        f"split) and {n} generated images (DCGAN 28x28). Medians of {repeats}:\n\n"
        "| part | seconds |\n|---|---:|\n"
        f"{rows}\n| **one FID of {n} samples** | **{result['total']:.3f}** |\n\n"
        f"Peak resident memory: {result['peak_mb']:.0f} MB for the whole process, "
        f"{result['peak_mb'] - result['baseline_mb']:.0f} MB above its state after "
        "importing TensorFlow and loading both models "
        f"({result['baseline_mb']:.0f} MB). The streaming "
        "`keras_gans.metrics.FrechetDistance` needs O(d^2) state (d = 128 here) "
        "whatever the sample count.\n"
    )
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        rest = text.find("\n## ", start + len(SECTION))
        text = text[:start] + text_block + (text[rest + 1 :] if rest != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + text_block
    path.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", default="BENCHMARKS.md")
    args = parser.parse_args(argv)
    result = measure(args.n, args.repeats)
    write_section(result, args.n, args.repeats, pathlib.Path(args.output))
    print(result)


if __name__ == "__main__":
    main()
