"""GAN-CLS text-image agreement on held-out captions, against a class-conditional baseline.

Every Fashion-MNIST test image gets one caption in the *held-out* sentence
patterns (never seen in training; `keras_gans.data.captions`). Each model
draws one image per caption and `keras_gans.evaluation.caption_agreement`
scores it:

- class agreement: the shipped Fashion-MNIST classifier (test accuracy
  0.92, docs/classifier.md) predicts the caption's class (chance 0.1);
- shade / width agreement: the measured level of the image is the caption's
  (chance 1/3: the levels are the class's tertiles);
- shade / width rank correlation: Spearman's rho between asked level and
  measured value within each class (0 for a model that ignores them).

Rows, all in one run: the GAN-CLS model on the held-out captions and on the
training wording of the same captions (does new phrasing cost anything?), a
class-conditional baseline (a GAN-CLS trained on one-hot classes,
`keras-gans train gan_cls --condition labels`, drawn from the caption's
class), the real test images behind the captions (the ceiling the
classifier allows) and chance. Prints a table, writes a BENCHMARKS.md
section between its own markers, and optionally JSON and a bar chart.

    python tools/bench_gan_cls.py runs/gan_cls --baseline runs/gan_cls_labels \\
        --png docs/gan_cls_fashion_captions_agreement.png
    python tools/bench_gan_cls.py runs/gan_cls --n 500 --output ''  # quick look
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import shlex
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

from keras_gans import runs  # noqa: E402
from keras_gans.data import captions as captions_lib  # noqa: E402
from keras_gans.evaluation import caption_agreement  # noqa: E402
from keras_gans.features.classifier import load_fashion_classifier  # noqa: E402
from keras_gans.files import write_atomic  # noqa: E402
from keras_gans.images import from_uint8  # noqa: E402
from keras_gans.models import GANCLS  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from machine import machine_info, replace_marked_section  # noqa: E402

TOOL = "bench_gan_cls"
TITLE = "## GAN-CLS: do the images match their captions?"
COLUMNS = (
    ("class_agreement", "class"),
    ("shade_agreement", "shade"),
    ("width_agreement", "width"),
    ("shade_rank_correlation", "shade rho"),
    ("width_rank_correlation", "width rho"),
)


class _RealImages:
    """Answers each caption with the real test image it describes."""

    def __init__(self, images):
        self.images = images

    def generate(self, texts, n_per_text=1, seed=0, batch_size=256):
        return np.repeat(self.images[: len(texts)], n_per_text, axis=0)


def _describe(path, model):
    record = runs.read_run_file(path) if pathlib.Path(path).is_dir() else None
    config = (record or {}).get("config", {})
    parts = [
        f"{type(model).__name__}",
        f"conditioned on {'text embeddings' if model.text_encoder else 'one-hot classes'}"
        f" ({model.text_dim}-d)",
        f"latent_dim {model.latent_dim}",
        f"projection_dim {model.projection_dim}",
        f"GAN-INT weight {model.interpolation_weight}, beta {model.beta}",
        f"generator {model.generator.count_params():,} parameters",
    ]
    if record:
        parts.append(
            f"{record.get('epochs_completed')} epochs of batch "
            f"{config.get('batch_size')}, Adam {config.get('learning_rate')} "
            f"(beta_1 {config.get('beta_1')}), seed {config.get('seed')}"
        )
    return ", ".join(parts)


def run(args):
    test = captions_lib.load_captioned(
        "test", args.data_dir, captions_per_image=1, wording="held_out"
    )
    trained_wording = captions_lib.load_captioned(
        "test", args.data_dir, captions_per_image=1, wording="train"
    )
    n = min(args.n or len(test), len(test))
    held_out = test.captions[:n, 0].tolist()
    classifier = load_fashion_classifier()
    results = {"n": n, "seed": args.seed, "rows": []}

    def add(name, model, captions, conditions=None, file=None, described=""):
        scores = caption_agreement(
            model,
            captions,
            conditions=conditions,
            classifier=classifier,
            seed=args.seed,
            batch_size=args.batch_size,
        )
        row = {"name": name, "file": file, "model": described, **scores}
        results["rows"].append(row)
        print(
            f"{name:<48}"
            + "  ".join(f"{label} {row[key]:.3f}" for key, label in COLUMNS)
        )

    model = runs.load_trained(args.model)
    if not isinstance(model, GANCLS) or model.text_encoder is None:
        raise SystemExit(f"{args.model} is not a GAN-CLS model with a text encoder.")
    described = _describe(args.model, model)
    add("GAN-CLS, held-out wording", model, held_out, None, args.model, described)
    add(
        "GAN-CLS, training wording",
        model,
        trained_wording.captions[:n, 0].tolist(),
        None,
        args.model,
        described,
    )
    if args.baseline:
        baseline = runs.load_trained(args.baseline)
        if not isinstance(baseline, GANCLS) or baseline.text_encoder is not None:
            raise SystemExit(
                f"{args.baseline} is not a class-conditional GAN-CLS "
                "(keras-gans train gan_cls --condition labels)."
            )
        one_hot = np.eye(baseline.text_dim, dtype="float32")[test.labels[:n]]
        add(
            "class-conditional baseline (one-hot class)",
            baseline,
            held_out,
            one_hot,
            args.baseline,
            _describe(args.baseline, baseline),
        )
    real = from_uint8(test.images[:n])
    add("real test images behind the captions", _RealImages(real), held_out)
    results["chance"] = results["rows"][0]["chance"]
    return results


def render_table(results):
    lines = [
        "| images for held-out captions | class | shade | width | shade rho | width rho |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        cells = " | ".join(f"{row[key]:.3f}" for key, _ in COLUMNS)
        lines.append(f"| {row['name']} | {cells} |")
    chance = results["chance"]
    cells = " | ".join(f"{chance[key]:.3f}" for key, _ in COLUMNS)
    lines.append(f"| chance | {cells} |")
    return lines


def render_section(results, machine, command):
    lines = [
        "",
        f"Generated by `{command}` on {machine['date']}.",
        "",
        f"- Machine: {machine['cpu']}, {machine['logical_cores']} logical cores, "
        f"{machine['gpus'] or 'no'} GPU; Python {machine['python']}, TensorFlow "
        f"{machine['tensorflow']}, Keras {machine['keras']}, keras_gans "
        f"{machine['keras_gans']}.",
        f"- Captions: the first {results['n']} Fashion-MNIST test images, one "
        "caption each in the held-out sentence patterns (class, shade and "
        "width, as measured from the image); one generated image per caption, "
        f"noise seed {results['seed']}.",
        "- class: the shipped classifier (test accuracy 0.92) predicts the "
        "caption's class. shade / width: the generated image's measured level "
        "(per-class tertiles) is the caption's; a model that draws the right "
        "class and ignores the attribute scores 1/3. rho: Spearman's rank "
        "correlation of asked level and measured value within each class, "
        "averaged over classes.",
        "",
        *render_table(results),
        "",
        "Models:",
        "",
    ]
    for row in results["rows"]:
        if row.get("file"):
            lines.append(f"- {row['name']}: `{row['file']}`: {row['model']}.")
    per_class = results["rows"][0]["per_class"]
    lines += [
        "",
        "Class agreement of GAN-CLS per asked class (held-out wording): "
        + ", ".join(f"{k} {v:.2f}" for k, v in per_class.items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def save_png(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["rows"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(rows)
    x = np.arange(len(COLUMNS))
    for i, row in enumerate(rows):
        ax.bar(
            x + (i - (len(rows) - 1) / 2) * width,
            [row[key] for key, _ in COLUMNS],
            width,
            label=row["name"],
        )
    chance = [results["chance"][key] for key, _ in COLUMNS]
    for xi, c in zip(x, chance, strict=True):
        ax.hlines(c, xi - 0.42, xi + 0.42, colors="k", linestyles="--", lw=1)
    ax.set_xticks(x, [label for _, label in COLUMNS])
    ax.set_ylim(min(0.0, min(row[k] for row in rows for k, _ in COLUMNS)), 1.0)
    ax.set_ylabel("agreement / correlation")
    ax.set_title(
        f"Text-image agreement on {results['n']} held-out captions (dashed: chance)"
    )
    ax.legend(fontsize=7, loc="upper right")
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="GAN-CLS run folder or .keras file")
    parser.add_argument(
        "--baseline", default=None, help="class-conditional run (--condition labels)"
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--n", type=int, default=None, help="first N test captions (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--output", default="BENCHMARKS.md", help="Markdown file; '' to skip"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--png", default=None, help="also write a bar chart here")
    return parser.parse_args(argv)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    machine = machine_info()
    command = "python tools/bench_gan_cls.py " + shlex.join(argv)
    results = run(args)
    results["machine"] = machine
    results["command"] = command
    print("\n".join(render_table(results)))
    if args.json:
        write_atomic(args.json, json.dumps(results, indent=2).encode())
        print(f"Wrote {args.json}")
    if args.png:
        save_png(results, args.png)
        print(f"Wrote {args.png}")
    if args.output:
        path = pathlib.Path(args.output)
        text = path.read_text() if path.exists() else "# Benchmarks\n"
        body = render_section(results, machine, command)
        write_atomic(
            path,
            replace_marked_section(
                text, TOOL, "fashion_captions", TITLE, body
            ).encode(),
        )
        print(f"Wrote {args.output}")
    return results


if __name__ == "__main__":
    main()
