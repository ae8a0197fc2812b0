"""InfoGAN's categorical code as an unsupervised classifier, against k-means on pixels.

For each trained InfoGAN (a `.keras` file or a run folder), Q's most likely
category of the first (`--code`) categorical code is taken as a cluster id
for every image of a dataset's labelled test split and scored with the
matched accuracy (`keras_gans.metrics.cluster_accuracy`, Hungarian matching
of categories to classes) and NMI. In the same run, k-means on raw pixels
with k = the number of classes (several seeds, `n_init` initialisations
each, mean ± std) and the best constant assignment (the largest class
share) give the reference points. Prints a table, writes a section of
BENCHMARKS.md between its own markers (one section per dataset), and
optionally the results as JSON and the best model's confusion matrix as PNG.
k-means needs scikit-learn (`pip install "keras-gans[sklearn]"`).

    python tools/bench_infogan.py runs/infogan_fashion_mnist
    python tools/bench_infogan.py runs/a runs/b/checkpoint.keras --dataset digits \\
        --json /tmp/infogan.json --confusion-png docs/infogan_digits_confusion.png
    python tools/bench_infogan.py runs/a --n 2000 --kmeans-seeds 0 --output ''  # quick
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

from keras_gans import data, evaluation, metrics, runs  # noqa: E402
from keras_gans.files import write_atomic  # noqa: E402
from keras_gans.models.infogan import InfoGAN  # noqa: E402

# tools/ holds shared helpers for these scripts; put it on the path also when
# this file is loaded by path (tests) rather than run.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from machine import (  # noqa: E402
    machine_info,
    replace_marked_section,
    section_markers,
)

TITLE = "## InfoGAN's categorical code as a classifier"
# Settings of the model itself worth naming next to its numbers: its network
# settings (the codes are reported on their own) and d_steps.
MODEL_SETTINGS = tuple(
    key for key in InfoGAN._network_config if key != "latent_spec"
) + ("d_steps",)


def _dataset_key(name):
    return name.strip().lower().replace("-", "_")


def markers(dataset):
    """The (begin, end) marker lines of this tool's section for `dataset`."""
    return section_markers("bench_infogan", _dataset_key(dataset))


def class_names(dataset, label_values):
    """Display names of the classes `label_values` of `dataset`."""
    key = _dataset_key(dataset)
    if key == "fashion_mnist":
        return [data.CLASS_NAMES[int(v)] for v in label_values]
    return [str(int(v)) for v in label_values]


def _run_record(path):
    """(file loaded, run.json record or None, epochs the loaded file holds or None)."""
    path = pathlib.Path(path)
    if path.is_dir():
        folder = path
        loaded = next(
            (
                path / name
                for name in (runs.FINAL_MODEL, runs.CHECKPOINT)
                if (path / name).exists()
            ),
            path,
        )
    else:
        folder, loaded = path.parent, path
    record = runs.read_run_file(folder)
    epochs = None
    if record is not None:
        if loaded.name == runs.FINAL_MODEL and record.get("final_model_epochs"):
            epochs = int(record["final_model_epochs"])
        elif loaded.name == runs.CHECKPOINT:
            epochs = int(record["epochs_completed"])
    return loaded, record, epochs


def describe_model(path, model):
    """Settings of a loaded model and of its run (run.json), for the report."""
    loaded, record, epochs = _run_record(path)
    settings = {}
    spec = getattr(model, "spec", None)
    if spec is not None and hasattr(spec, "get_config"):
        settings["latent_spec"] = spec.get_config()
    for key in MODEL_SETTINGS:
        value = getattr(model, key, None)
        if value is not None:
            settings[key] = list(value) if isinstance(value, tuple) else value
    return {
        "path": str(path),
        "file": str(loaded),
        "settings": settings,
        "run": None
        if record is None
        else {
            "config": {k: v for k, v in record["config"].items() if k != "data_dir"},
            "epochs_completed": record.get("epochs_completed"),
            "finished": record.get("finished"),
        },
        "epochs": epochs,
    }


def evaluate_model(path, images, labels, code, batch_size):
    """`evaluation.code_accuracy` of one model file or run folder, with its settings."""
    model = runs.load_trained(path)
    if not hasattr(model, "infer_codes"):
        raise ValueError(
            "Expected an InfoGAN (a model with categorical codes and "
            f"infer_codes()); {path} holds a {type(model).__name__}."
        )
    start = time.perf_counter()
    try:
        result = evaluation.code_accuracy(
            model, images, labels, code=code, batch_size=batch_size
        )
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
    result["seconds"] = time.perf_counter() - start
    return {**describe_model(path, model), **result}


def kmeans_baseline(images, labels, seeds, n_init):
    """Matched accuracy and NMI of k-means on raw pixels, k = number of classes."""
    k = len(np.unique(labels))
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        clusters = metrics.kmeans_clusters(images, k, seed=seed, n_init=n_init)
        rows.append(
            {
                "seed": int(seed),
                "accuracy": metrics.cluster_accuracy(labels, clusters),
                "nmi": metrics.normalized_mutual_information(labels, clusters),
                "seconds": time.perf_counter() - start,
            }
        )
        print(f"k-means seed {seed}: accuracy {rows[-1]['accuracy']:.4f}", flush=True)
    summary = {"k": k, "n_init": int(n_init), "runs": rows}
    for key in ("accuracy", "nmi"):
        values = np.array([r[key] for r in rows])
        summary[key] = float(values.mean())
        summary[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return summary


def run(args):
    """All measurements, as a JSON-ready dict."""
    images, labels = data.load_arrays(args.dataset, "test", data_dir=args.data_dir)
    split_size = len(images)
    if args.n is not None:
        if not 1 <= args.n <= len(images):
            raise ValueError(
                f"Expected 1 <= --n <= {len(images)} (the size of the test split of "
                f"{args.dataset!r}); received --n {args.n}."
            )
        images, labels = images[: args.n], labels[: args.n]
    label_values, counts = np.unique(labels, return_counts=True)
    results = {
        "dataset": args.dataset,
        "split": "test",
        "n": int(len(images)),
        "split_size": int(split_size),
        "code": args.code,
        "class_counts": {
            int(v): int(c) for v, c in zip(label_values, counts, strict=True)
        },
        "class_names": class_names(args.dataset, label_values),
        "constant": {
            "accuracy": float(counts.max() / counts.sum()),
            "nmi": 0.0,
            "label": int(label_values[np.argmax(counts)]),
        },
        "models": [],
    }
    for path in args.models:
        row = evaluate_model(path, images, labels, args.code, args.batch_size)
        print(
            f"{path}: accuracy {row['accuracy']:.4f}, NMI {row['nmi']:.4f}",
            flush=True,
        )
        results["models"].append(row)
    results["kmeans"] = kmeans_baseline(images, labels, args.kmeans_seeds, args.n_init)
    return results


def _pm(mean, std, digits=3):
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _describe_settings(row):
    parts = []
    spec = row["settings"].get("latent_spec")
    if spec:
        parts.append(
            f"noise {spec['noise_dim']} ({spec['noise_distribution']}), categorical "
            f"{tuple(spec['categorical'])}, continuous {spec['continuous']}"
        )
    parts.append(
        ", ".join(
            f"{k} {tuple(v) if isinstance(v, list) else v}"
            for k, v in row["settings"].items()
            if k != "latent_spec"
        )
    )
    if row["run"] is not None:
        config = ", ".join(f"{k} {v}" for k, v in row["run"]["config"].items())
        run_text = f"run.json: {config}"
        if row["epochs"] is not None:
            run_text += f"; this file holds {row['epochs']} epochs"
        else:
            run_text += f"; epochs completed {row['run']['epochs_completed']}"
        parts.append(run_text)
    else:
        parts.append("no run.json next to the model")
    return "; ".join(p for p in parts if p)


def render_table(results):
    """The results table as Markdown lines (also printed)."""
    code = results["code"]
    km = results["kmeans"]
    lines = [
        "| method | accuracy (matched) | NMI |",
        "|---|---:|---:|",
    ]
    for i, row in enumerate(results["models"], 1):
        lines.append(
            f"| InfoGAN #{i} `{row['path']}`, categorical code {code} | "
            f"{row['accuracy']:.3f} | {row['nmi']:.3f} |"
        )
    lines += [
        f"| k-means on raw pixels (k = {km['k']}, n_init = {km['n_init']}, "
        f"{len(km['runs'])} seed{'s' if len(km['runs']) > 1 else ''}) | "
        f"{_pm(km['accuracy'], km['accuracy_std'])} | "
        f"{_pm(km['nmi'], km['nmi_std'])} |",
        "| best constant (every image in the largest class) | "
        f"{results['constant']['accuracy']:.3f} | 0.000 |",
    ]
    return lines


def render_section(results, machine, command):
    """This tool's Markdown for BENCHMARKS.md, without heading and markers."""
    km = results["kmeans"]
    seeds = [r["seed"] for r in km["runs"]]
    n, size = results["n"], results["split_size"]
    which = f"all {n} images" if n == size else f"the first {n} of the {size} images"
    lines = [
        "",
        f"Generated by `{command}` on {machine['date']}.",
        "",
        f"- Machine: {machine['cpu']}, {machine['logical_cores']} logical cores "
        f"({machine['usable_cores']} usable), "
        f"{machine['gpus'] or 'no'} GPU{'s' if machine['gpus'] != 1 else ''}; "
        f"Python {machine['python']}, TensorFlow {machine['tensorflow']}, Keras "
        f"{machine['keras']}, keras_gans {machine['keras_gans']}; 1-min load "
        f"average {machine['loadavg_before'][0]:.2f} before the run.",
        f"- Data: {which} of the `{results['dataset']}` test split, "
        f"{len(results['class_counts'])} classes (largest class share "
        f"{results['constant']['accuracy']:.3f}). The models never saw the labels.",
        f"- InfoGAN: Q's most likely category of categorical code "
        f"{results['code']} for each test image, matched one to one to the "
        "classes so that the most images agree (Hungarian matching; categories "
        "left unmatched count as wrong). NMI: normalized mutual information "
        "(arithmetic mean of the entropies), no matching.",
        f"- k-means: scikit-learn `KMeans` on the flattened raw pixels, k = "
        f"{km['k']}, n_init = {km['n_init']}, seeds {seeds}; mean ± std "
        f"(ddof = 1) over seeds, scored like the InfoGAN code.",
        "",
        *render_table(results),
        "",
        "Models:",
        "",
    ]
    for i, row in enumerate(results["models"], 1):
        lines.append(f"{i}. `{row['file']}`: {_describe_settings(row)}.")
    best = max(results["models"], key=lambda r: r["accuracy"])
    names = dict(
        zip(
            [int(v) for v in results["class_counts"]],
            results["class_names"],
            strict=True,
        )
    )
    matched = ", ".join(
        f"{c} → {names[label]}" for c, label in sorted(best["mapping"].items())
    )
    lines += [
        "",
        f"Matching of the best model (#{results['models'].index(best) + 1}), "
        f"category → class: {matched}.",
        "",
    ]
    return "\n".join(lines)


def replace_section(text, dataset, body):
    """`text` with this tool's section for `dataset` replaced, or appended."""
    return replace_marked_section(
        text, "bench_infogan", _dataset_key(dataset), f"{TITLE} ({dataset})", body
    )


def write_section(results, machine, command, path):
    """Writes the section for the results' dataset into the Markdown file `path`."""
    path = pathlib.Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    body = render_section(results, machine, command)
    write_atomic(path, replace_section(text, results["dataset"], body).encode())


def matched_order(num_categories, mapping, label_values):
    """Categories ordered by their matched class (columns' order), unmatched last."""
    column = {int(v): i for i, v in enumerate(label_values)}
    matched = sorted(mapping, key=lambda c: column[mapping[c]])
    return matched + [c for c in range(num_categories) if c not in mapping]


def save_confusion_png(row, names, path, title):
    """The confusion matrix of one model as a PNG: learned categories x classes."""
    from matplotlib.figure import Figure

    confusion = np.asarray(row["confusion"])
    order = matched_order(len(confusion), row["mapping"], row["label_values"])
    confusion = confusion[order]
    column = {int(v): name for v, name in zip(row["label_values"], names, strict=True)}
    row_names = [
        f"{c} → {column[row['mapping'][c]]}"
        if c in row["mapping"]
        else f"{c} (unmatched)"
        for c in order
    ]
    k, m = confusion.shape
    fig = Figure(figsize=(1.0 + 0.62 * m, 1.2 + 0.5 * k))
    ax = fig.subplots()
    ax.imshow(confusion, cmap="Blues", aspect="auto")
    top = confusion.max() if confusion.size else 0
    for i in range(k):
        for j in range(m):
            ax.text(
                j,
                i,
                str(confusion[i, j]),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if confusion[i, j] > top / 2 else "black",
            )
    ax.set_xticks(range(m), names, rotation=45, ha="right")
    ax.set_yticks(range(k), row_names)
    ax.set_xlabel("true class")
    ax.set_ylabel("learned category → matched class")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return write_atomic(path, buffer.getvalue())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "models", nargs="+", help="trained InfoGANs: .keras files or run folders"
    )
    parser.add_argument(
        "--dataset", default="fashion_mnist", help="offline dataset with test labels"
    )
    parser.add_argument(
        "--data-dir", default=None, help="where the dataset's files are"
    )
    parser.add_argument(
        "--n", type=int, default=None, help="first N test images (default: all)"
    )
    parser.add_argument("--code", type=int, default=0, help="categorical code")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--kmeans-seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--n-init", type=int, default=10, help="k-means initialisations per seed"
    )
    parser.add_argument(
        "--output", default="BENCHMARKS.md", help="Markdown file; '' to skip"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument(
        "--confusion-png",
        default=None,
        help="write the best model's confusion matrix here",
    )
    return parser.parse_args(argv)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    machine = machine_info()
    command = "python tools/bench_infogan.py " + shlex.join(argv)
    results = run(args)
    results["machine"] = machine
    results["command"] = command
    print("\n".join(render_table(results)))
    if args.json:
        write_atomic(args.json, json.dumps(results, indent=2).encode())
        print(f"Wrote {args.json}")
    if args.confusion_png:
        best = max(results["models"], key=lambda r: r["accuracy"])
        save_confusion_png(
            best,
            class_names(args.dataset, best["label_values"]),
            args.confusion_png,
            f"{pathlib.Path(best['path']).name}: code {args.code} on "
            f"{results['n']} {args.dataset} test images, accuracy "
            f"{best['accuracy']:.3f}, NMI {best['nmi']:.3f}",
        )
        print(f"Wrote {args.confusion_png}")
    if args.output:
        write_section(results, machine, command, args.output)
        print(f"Wrote {args.output}")
    return results


if __name__ == "__main__":
    main()
