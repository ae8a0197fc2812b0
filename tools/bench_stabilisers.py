"""Which stabiliser helps DCGAN on Fashion-MNIST: an ablation at a fixed budget.

Trains DCGAN (the library's defaults: 64 filters, Adam 2e-4 / beta_1 0.5,
batch 128, non-saturating loss) for the same number of steps with one
stabiliser added at a time, on the full training split and on its first
10%, for several seeds. Scores every run with the shipped classifier's
features (FID, KID, precision/recall, mode coverage) at each evaluation
point, and times it. Each run is saved to its own JSON file in `--folder` as soon as it ends,
so the tool resumes where it stopped; run it in parts (side by side if
you like: each run is its own file):

    python tools/bench_stabilisers.py --part full    # 5 configs x 3 seeds
    python tools/bench_stabilisers.py --part small   # the same on 6,000 images
    python tools/bench_stabilisers.py --part timing  # ms per step, machine idle
    python tools/bench_stabilisers.py --part report  # rewrite the section only
    python tools/bench_stabilisers.py --part full --configs baseline --seeds 0 \\
        --steps 20 --eval-every 10 --n 500 --folder /tmp/sb   # smoke run

The section of BENCHMARKS.md lies between this tool's markers; a hand-written
reading goes under its `### Analysis` heading, which the tool keeps.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import keras
import numpy as np

import keras_gans
from keras_gans import data, evaluation, features

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import machine  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
HEADING = "## Stabilisers: an ablation on DCGAN (Fashion-MNIST)"
TOOL = "bench_stabilisers"

# name: (what it adds, constructor kwargs, compile kwargs)
CONFIGS = {
    "baseline": ("the defaults", {}, {}),
    "ema": ("EMA of G, decay 0.999", {"ema_decay": 0.999}, {}),
    "sn_hinge": (
        "spectral norm in D (no batch norm) and the hinge loss",
        {"spectral_norm": True},
        {"loss": "hinge"},
    ),
    "r1": (
        "R1, gamma 0.1, every 16th D update",
        {},
        {"r1_gamma": 0.1, "r1_interval": 16},
    ),
    "diffaugment": (
        "DiffAugment color,translation,cutout",
        {},
        {"augment": "color,translation,cutout"},
    ),
}
DEFAULT_CONFIGS = ("baseline", "ema", "sn_hinge", "r1", "diffaugment")
PARTS = {"full": None, "small": 6000}  # training images (None: all 60,000)
METRICS = (
    ("fid", 2),
    ("kid", 3),
    ("precision", 3),
    ("recall", 3),
    ("classes_covered", 1),
    ("class_kl", 3),
)


def _log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class _Scores(keras.callbacks.Callback):
    """Scores the model after every epoch (an evaluation point); times training."""

    def __init__(self, score):
        super().__init__()
        self.score = score
        self.points, self.losses = [], []
        self.train_seconds = 0.0
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.train_seconds += time.perf_counter() - self._start
        self.losses.append({k: float(v) for k, v in (logs or {}).items()})
        self.points.append(self.score(self.model))


def load_results(folder):
    """Every finished run in `folder`: one JSON file per run, keyed part/config/seed.

    One file per run lets parts run side by side in separate processes.
    """
    results = {}
    for path in sorted(pathlib.Path(folder).glob("*.json")):
        results.update(json.loads(path.read_text()))
    return results


class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = pathlib.Path(args.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.results = load_results(self.folder)
        self._real = None

    def _reference(self):
        if self._real is None:
            real, labels = evaluation.real_images(
                "fashion_mnist", "test", self.args.n, self.args.data_dir
            )
            extractor = features.get_extractor()
            self._real = (extractor, real, labels, extractor.features(real))
        return self._real

    def score(self, images, seed):
        extractor, real, labels, feats = self._reference()
        row = evaluation.score(
            images,
            real,
            labels,
            metrics=("fid", "kid", "pr", "modes"),
            extractor=extractor,
            seed=seed,
            real_features=feats,
        )
        return {k: float(v) for k, v in row.items() if isinstance(v, (int, float))}

    def _points(self, model, seed):
        row = {"sampler": self.score(model.generate(self.args.n, seed=seed), seed)}
        if model.generator_ema is not None:  # the live G too, to see what EMA adds
            z = model.sample_latent(self.args.n, seed=seed)
            live = keras.ops.convert_to_numpy(model.generator.predict(z, verbose=0))
            row["live"] = self.score(live, seed)
        return row

    def _dataset(self, seed, limit=None):
        return data.load(
            "fashion_mnist",
            batch_size=128,
            seed=seed,
            repeat=True,
            limit=limit,
            data_dir=self.args.data_dir,
        )

    def _save(self, key, row):
        """Keeps a finished run and writes it to its own file."""
        self.results[key] = row
        path = self.folder / f"{key.replace('/', '_')}.json"
        path.write_text(json.dumps({key: row}, indent=2) + "\n")

    def run_one(self, part, name, seed):
        model = self.build(name, seed)
        ds = self._dataset(seed, PARTS[part])
        scores = _Scores(lambda m: self._points(m, seed))
        epochs = math.ceil(self.args.steps / self.args.eval_every)
        start = time.perf_counter()
        model.fit(
            ds,
            epochs=epochs,
            steps_per_epoch=self.args.eval_every,
            callbacks=[scores],
            verbose=0,
        )
        return {
            "config": name,
            "seed": seed,
            "steps": epochs * self.args.eval_every,
            "train_seconds": scores.train_seconds,
            "total_seconds": time.perf_counter() - start,
            "losses": scores.losses,
            "points": scores.points,
            "finite": all(
                math.isfinite(v) for row in scores.losses for v in row.values()
            ),
        }

    def build(self, name, seed):
        _, model_kwargs, compile_kwargs = CONFIGS[name]
        keras.utils.set_random_seed(seed)
        model = keras_gans.DCGAN(image_shape=(28, 28, 1), seed=seed, **model_kwargs)
        model.compile(**compile_kwargs)
        return model

    def time_one(self, name):
        """Seconds per training step: the median of timed windows after a warm-up.

        Uses a 16-step window by default (`--timing-window`; a multiple of
        the lazy R1 interval, so each window holds the same share of R1 steps).
        """
        model = self.build(name, 0)
        ds = self._dataset(0)
        window = self.args.timing_window
        model.fit(ds, epochs=1, steps_per_epoch=2 * window, verbose=0)  # trace, warm up
        seconds = []
        for _ in range(self.args.timing_windows):
            start = time.perf_counter()
            model.fit(ds, epochs=1, steps_per_epoch=window, verbose=0)
            seconds.append((time.perf_counter() - start) / window)
        return seconds

    def run_timing(self):
        """Every config in one process, interleaved, so the ratios share one load."""
        rows = {name: [] for name in self.args.configs}
        order = list(self.args.configs)
        for names in (order, order[::-1]):  # the second pass reversed: no order bias
            for name in names:
                _log(f"timing {name}")
                rows[name] += self.time_one(name)
        info = machine.machine_info()
        for name, seconds in rows.items():
            row = {
                "config": name,
                "step_seconds": seconds,
                "window": self.args.timing_window,
                "machine": info,
            }
            self._save(f"timing/{name}/0", row)

    def run_part(self, part):
        for seed in self.args.seeds:
            for name in self.args.configs:
                key = f"{part}/{name}/{seed}"
                if key in self.results and not self.args.rerun:
                    continue
                _log(f"start {key}")
                row = self.run_one(part, name, seed)
                row["machine"] = machine.machine_info()
                self._save(key, row)
                final = row["points"][-1]["sampler"]
                _log(
                    f"done {key}: fid {final['fid']:.2f} recall {final['recall']:.3f} "
                    f"in {row['train_seconds']:.0f} s"
                )


def _mean_std(values, digits):
    v = np.asarray(values, dtype="float64")
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def table(results, part, which="sampler", point=-1):
    """Markdown rows: one per config with mean ± std over its seeds."""
    rows = {}
    for key, row in results.items():
        p, name, _ = key.split("/")
        if p == part and which in row["points"][point]:
            rows.setdefault(name, []).append(row)
    order = [c for c in CONFIGS if c in rows]
    lines = [
        "| config | seeds | "
        + " | ".join(k for k, _ in METRICS)
        + " | train s per run |",
        "|---|---|" + "---:|" * (len(METRICS) + 1),
    ]
    for name in order:
        runs = sorted(rows[name], key=lambda r: r["seed"])
        cells = [
            _mean_std([r["points"][point][which][k] for r in runs], d)
            for k, d in METRICS
        ]
        seconds = _mean_std([r["train_seconds"] for r in runs], 0)
        seeds = ",".join(str(r["seed"]) for r in runs)
        lines.append(f"| {name} | {seeds} | " + " | ".join(cells) + f" | {seconds} |")
    return lines, order


def render(results, args):
    timing = {k: r for k, r in results.items() if k.startswith("timing/")}
    results = {k: r for k, r in results.items() if k not in timing}
    if not results:
        return "No runs yet: run `--part full` or `--part small` first."
    any_row = next(iter(results.values()))
    m = max((r["machine"] for r in results.values()), key=lambda m: m["date"])
    steps, every = any_row["steps"], len(any_row["points"])
    lines = [
        f"Generated by `python tools/bench_stabilisers.py --part full`, then "
        f"`--part small`, on {m['cpu']} ({m['usable_cores']} cores, TF/Keras "
        f"{m['tensorflow']}/{m['keras']}); the last run ended {m['date']}.",
        "",
        f"- DCGAN defaults (64 filters, batch 128, Adam 2e-4 / beta_1 0.5 for "
        f"both, non-saturating loss, normal z of 100), {steps} steps "
        f"({steps / 469:.0f} epochs of the full split), scored {every} times on "
        "the way; one thing added per row:",
    ]
    for name, (what, model_kwargs, compile_kwargs) in CONFIGS.items():
        if any(k.split("/")[1] == name for k in results):
            call = ", ".join(
                f"{k}={v!r}" for k, v in {**model_kwargs, **compile_kwargs}.items()
            )
            lines.append(f"  - `{name}`: {what}" + (f" (`{call}`)" if call else ""))
    lines += [
        f"- Scores: {args.n} samples (`generate(n, seed)`: the EMA copy where "
        f"there is one) vs the first {args.n} test images, features of the "
        "shipped classifier (docs/classifier.md); mean ± std over the seeds "
        "(a seed sets the weights, the noise and the data order).",
        "- Time: seconds of `fit` alone (scoring excluded). Two or three runs "
        "shared the 2 cores at a time, so times compare only roughly; the "
        "step-time cost of each option is the last table (one process, machine idle).",
        "",
    ]
    for part, title in (
        ("full", "All 60,000 training images"),
        ("small", "The first 6,000 training images (10%)"),
    ):
        body, order = table(results, part)
        if not order:
            continue
        lines += [f"**{title}, after {steps} steps**", "", *body, ""]
        mid = table(results, part, point=0)[0] if every > 1 else None
        if mid:
            lines += [
                f"**{title}, after {steps // every} steps (first evaluation)**",
                "",
                *mid,
                "",
            ]
        live, live_order = table(results, part, which="live")
        if live_order:
            lines += [
                f"The live G of the EMA runs (what the EMA copy is compared "
                f"with), after {steps} steps:",
                "",
                *live,
                "",
            ]
        bad = [k for k, r in results.items() if k.startswith(part) and not r["finite"]]
        if bad:
            lines += [f"Runs with a NaN or infinite loss: {', '.join(bad)}.", ""]
    if timing:
        lines += timing_table(timing)
    return "\n".join(lines)


def timing_table(timing):
    """Seconds per step of each config, and the ratio to the baseline's."""
    medians = {
        r["config"]: float(np.median(r["step_seconds"])) for r in timing.values()
    }
    m = next(iter(timing.values()))["machine"]
    base = medians.get("baseline")
    lines = [
        f"**Cost per training step** (`--part timing`, {m['date']}, one process "
        f"with the machine otherwise idle: load average "
        f"{m['loadavg_before'][0]:.2f} at the end; median of "
        f"{len(next(iter(timing.values()))['step_seconds'])} windows of "
        f"{next(iter(timing.values())).get('window', 16)} steps "
        "per config, the configs interleaved in two passes, the second in "
        "reverse order)",
        "",
        "| config | ms per step | vs baseline |",
        "|---|---:|---:|",
    ]
    for name in CONFIGS:
        if name in medians:
            ratio = f"{medians[name] / base:.2f}" if base else "-"
            lines.append(f"| {name} | {1000 * medians[name]:.0f} | {ratio} |")
    return [*lines, ""]


def write(results, args):
    text = render(results, args)
    path = pathlib.Path(args.output)
    old = path.read_text() if path.is_file() else "# Benchmarks\n"
    path.write_text(
        machine.replace_marked_section(old, TOOL, "ablation", HEADING, text)
    )
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=(*PARTS, "timing", "report"), default="full")
    parser.add_argument(
        "--configs", nargs="+", choices=CONFIGS, default=DEFAULT_CONFIGS
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=938, help="training steps per run")
    parser.add_argument(
        "--eval-every", type=int, default=469, help="steps between evaluations"
    )
    parser.add_argument("--n", type=int, default=10000, help="samples and test images")
    parser.add_argument(
        "--timing-windows", type=int, default=3, help="timed windows per pass"
    )
    parser.add_argument(
        "--timing-window",
        type=int,
        default=16,
        help="training steps per timed window (keep it a multiple of the R1 interval)",
    )
    parser.add_argument("--rerun", action="store_true", help="redo finished runs")
    parser.add_argument("--folder", default=str(ROOT / "runs" / "bench_stabilisers"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    bench = Bench(args)
    if args.part == "timing":
        bench.run_timing()
    elif args.part != "report":
        bench.run_part(args.part)
    print(write(bench.results, args))


if __name__ == "__main__":
    main()
