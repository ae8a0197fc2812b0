"""Does DiffAugment help DCGAN where data is scarce? Three configs, three seeds.

Trains a zoo recipe that learns from a small folder of pictures (by default
`zoo/dcgan_emoji/recipe.json`: DCGAN 64x64x3 on the 4,009 Twemoji pictures,
its widths, batch, flips and epochs) with three ways to regularise its
discriminator, for several seeds, the same step budget each:

- `baseline`: none;
- `r1`: R1, gamma 0.1 every 16th D update (the Fashion-MNIST zoo recipe's);
- `r1_diffaugment`: the same R1 and DiffAugment "color,translation,cutout"
  on every image D sees (Zhao et al. 2020).

Each run is a `keras_gans.runs` folder trained by `tools/train_zoo.py`'s
`train_run` (it resumes an unfinished run and records its training
seconds), then exported and measured exactly as the zoo card is
(`keras_gans.zoo.publish.measure`, the recipe's "evaluate": KID and FID of
the emoji classifier's features, all the folder's pictures vs as many
samples). A finished run's numbers go to their own JSON file in `--folder`,
so the tool resumes where it stopped; runs may go side by side in separate
processes (`--seeds 0`, `--seeds 1`, ...). `--epochs` sets the step budget
(default the recipe's). The run of the recipe's own settings and seed is
where the zoo model starts: `tools/train_zoo.py NAME --data DIR --run-dir
COPY_OF_FOLDER/runs/CONFIG_seed0` continues it to the recipe's epochs.

    python tools/make_emoji_folder.py --out /tmp/emoji
    python tools/bench_small_data.py --data /tmp/emoji --epochs 1   # as published
    python tools/bench_small_data.py --part report
    python tools/bench_small_data.py --data tests/fixtures/emoji --epochs 1 \\
        --n 64 --seeds 0 --folder /tmp/sd --output /tmp/sd/B.md   # smoke run

The section of BENCHMARKS.md lies between this tool's markers; a
hand-written reading goes under the `### Analysis` heading after them.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import machine  # noqa: E402
import train_zoo  # noqa: E402

from keras_gans.zoo import publish as publish_lib  # noqa: E402
from keras_gans.zoo.pretrained import Pretrained  # noqa: E402

TOOL = "bench_small_data"
# name: (what it adds, the run settings it sets)
CONFIGS = {
    "baseline": (
        "no regulariser",
        {"r1_gamma": 0.0, "r1_interval": 1, "augment": None},
    ),
    "r1": (
        "R1, gamma 0.1, every 16th D update",
        {"r1_gamma": 0.1, "r1_interval": 16, "augment": None},
    ),
    "r1_diffaugment": (
        'R1 as above and DiffAugment "color,translation,cutout"',
        {"r1_gamma": 0.1, "r1_interval": 16, "augment": "color,translation,cutout"},
    ),
}
COLUMNS = (
    ("kid", 4),
    ("fid", 2),
    ("precision", 3),
    ("recall", 3),
    ("classes_covered", 1),
    ("class_kl", 3),
)


def _log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_recipe(recipe, name, seed):
    """The recipe with config `name`'s regularisers and `seed`."""
    settings = {**recipe["train"], **CONFIGS[name][1], "seed": seed}
    return {**recipe, "train": settings}


def run_one(zoo_name, recipe, data, run_dir, n=None, epochs=None, verbose=2):
    """Trains (or resumes) one run, measures its export; returns its row."""
    model, seconds = train_zoo.train_run(
        recipe, run_dir, {"data": data, "epochs": epochs}, verbose
    )
    with tempfile.TemporaryDirectory() as tmp:
        version = model.export(tmp, version=1, name=zoo_name)
        metrics, protocol, eval_seconds = publish_lib.measure(
            Pretrained(zoo_name, version), publish_lib.with_data(recipe, data), n=n
        )
    return {
        "steps": int(model.g_optimizer.iterations),
        "epochs": epochs or recipe["train"]["epochs"],
        "train_seconds": seconds,
        "eval_seconds": eval_seconds,
        "metrics": {k: v["value"] for k, v in metrics.items()},
        "protocol": protocol,
    }


def load_results(folder):
    """Every finished run in `folder`: one JSON file per run, keyed config/seed."""
    results = {}
    for path in sorted(pathlib.Path(folder).glob("*.json")):
        results.update(json.loads(path.read_text()))
    return results


def _mean_std(values, digits):
    v = np.asarray(values, dtype="float64")
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def render(results, recipe_name, recipe):
    if not results:
        return "No runs yet."
    rows = {}
    for row in results.values():
        rows.setdefault(row["config"], []).append(row)
    any_row = next(iter(results.values()))
    m = max((r["machine"] for r in results.values()), key=lambda m: m["date"])
    train = {
        k: v
        for k, v in recipe["train"].items()
        if k not in CONFIGS["r1_diffaugment"][1] and k not in ("seed", "epochs")
    }
    spec = recipe["evaluate"]
    lines = [
        f"Generated by `python tools/bench_small_data.py --data DIR --epochs "
        f"{any_row.get('epochs', '?')}` on {m['cpu']} "
        f"({m['usable_cores']} usable cores, no GPU; TF/Keras "
        f"{m['tensorflow']}/{m['keras']}); the last run ended {m['date']}.",
        "",
        f"- Data: {recipe.get('dataset', '--data')}, read at 64x64 on white.",
        f"- Runs: `zoo/{recipe_name}/recipe.json`'s settings except the "
        f"regularisers (`{json.dumps(train)}`), "
        f"{any_row['steps']} steps of batch {train.get('batch_size')} each "
        f"(`--epochs {any_row.get('epochs', '?')}`); one row per regulariser:",
    ]
    for name, (what, _) in CONFIGS.items():
        if name in rows:
            lines.append(f"  - `{name}`: {what}")
    lines += [
        f"- Scores: {any_row['protocol']}. Mean ± std over the training seeds "
        "(a seed sets the weights, the noise and the data order); the samples "
        f"and the KID subsets use seed {spec.get('seed', 0)} in every run.",
        "- Time: wall-clock minutes of training per run (scoring excluded). Runs "
        "may go side by side (one process per seed) and other jobs shared the 2 "
        "cores, so times compare only roughly.",
        "",
        "| config | seeds | "
        + " | ".join("KID (emoji features)" if k == "kid" else k for k, _ in COLUMNS)
        + " | train min per run |",
        "|---|---|" + "---:|" * (len(COLUMNS) + 1),
    ]
    for name in CONFIGS:
        if name not in rows:
            continue
        runs = sorted(rows[name], key=lambda r: r["seed"])
        cells = [
            _mean_std([r["metrics"][k] for r in runs], d)
            for k, d in COLUMNS
            if k in runs[0]["metrics"]
        ]
        minutes = _mean_std([r["train_seconds"] / 60 for r in runs], 1)
        seeds = ",".join(str(r["seed"]) for r in runs)
        lines.append(f"| {name} | {seeds} | " + " | ".join(cells) + f" | {minutes} |")
    lines += [
        "",
        "KID per run (mean ± std over KID's subsets of one run):",
        "",
        "| config | " + " | ".join(f"seed {s}" for s in _seeds(results)) + " |",
        "|---|" + "---:|" * len(_seeds(results)),
    ]
    for name in CONFIGS:
        if name in rows:
            by_seed = {r["seed"]: r["metrics"] for r in rows[name]}
            cells = [
                f"{by_seed[s]['kid']:.4f} ± {by_seed[s]['kid_std']:.4f}"
                if s in by_seed
                else "-"
                for s in _seeds(results)
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seeds(results):
    return sorted({r["seed"] for r in results.values()})


def write(results, args, recipe):
    heading = f"## Small data: DiffAugment and R1 on {args.recipe} (3 seeds)"
    text = render(results, args.recipe, recipe)
    path = pathlib.Path(args.output)
    old = path.read_text() if path.is_file() else "# Benchmarks\n"
    path.write_text(
        machine.replace_marked_section(old, TOOL, args.recipe, heading, text)
    )
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="the recipe's folder of pictures")
    parser.add_argument("--recipe", default="dcgan_emoji", help="a zoo recipe name")
    parser.add_argument("--part", choices=("runs", "report"), default="runs")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="the step budget (default the recipe's)",
    )
    parser.add_argument("--n", default=None, help="samples per metric (smoke runs)")
    parser.add_argument("--folder", default=str(REPO / "runs" / TOOL))
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    recipe = publish_lib.load_recipe(args.recipe, REPO / "zoo")
    folder = pathlib.Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = load_results(folder)
    if args.part == "runs":
        if args.data is None:
            parser.error("--data DIR: the folder of pictures the runs learn from")
        for seed in args.seeds:
            for name in args.configs:
                key = f"{name}/{seed}"
                if key in results:
                    continue
                _log(f"start {key}")
                row = run_one(
                    args.recipe,
                    run_recipe(recipe, name, seed),
                    args.data,
                    folder / "runs" / f"{name}_seed{seed}",
                    n=args.n if args.n in (None, "all") else int(args.n),
                    epochs=args.epochs,
                    verbose=args.verbose,
                )
                row.update(config=name, seed=seed, machine=machine.machine_info())
                results[key] = row
                (folder / f"{name}_seed{seed}.json").write_text(
                    json.dumps({key: row}, indent=2) + "\n"
                )
                _log(
                    f"done {key}: kid {row['metrics'].get('kid')} fid "
                    f"{row['metrics'].get('fid')} in {row['train_seconds']:.0f} s"
                )
    print(write(results, args, recipe))


if __name__ == "__main__":
    main()
