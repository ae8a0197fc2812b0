"""Pretrains the fashion_captions text encoder and saves it.

Trains `keras_gans.text.TextEncoder` with an image encoder on the 60,000
captioned Fashion-MNIST training images (`pretrain_text_encoder`, symmetric
contrastive loss), then evaluates on the 10,000 test images with held-out
sentence patterns: text <-> image retrieval, class separation and linear
probes for class, shade and width, before and after training. By default the
file goes where the package ships it (`keras_gans/text/`). Prints the
numbers in `docs/text_encoder.md`.

Usage:

    python tools/train_text_encoder.py [--epochs 5] [--out PATH] [--report R.json]
    python tools/train_text_encoder.py --validation-size 5000 --out /tmp/e.keras
"""

import argparse
import json
import os
import pathlib
import platform
import shlex
import sys
import time

import keras
import numpy as np

from keras_gans import data
from keras_gans.data.captions import CaptionedData
from keras_gans.features import base
from keras_gans.text import pretraining
from keras_gans.text.contrastive import JointEmbedding
from keras_gans.text.encoder import TextEncoder

DEFAULT_OUT = (
    pathlib.Path(__file__).resolve().parents[1]
    / "keras_gans"
    / "text"
    / pretraining.FILENAME
)


def _rows(captioned, start, stop):
    return CaptionedData(
        captioned.images[start:stop],
        captioned.labels[start:stop],
        captioned.captions[start:stop],
        {k: v[start:stop] for k, v in captioned.attributes.items()},
    )


def _rounded(metrics):
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=pretraining.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=pretraining.BATCH_SIZE)
    parser.add_argument(
        "--learning-rate", type=float, default=pretraining.LEARNING_RATE
    )
    parser.add_argument("--temperature", type=float, default=pretraining.TEMPERATURE)
    parser.add_argument(
        "--level", default=pretraining.LEVEL, choices=("word", "character")
    )
    parser.add_argument("--architecture", default="cnn", choices=("cnn", "bigru"))
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument(
        "--group-positives",
        action=argparse.BooleanOptionalAction,
        default=pretraining.GROUP_POSITIVES,
        help="captions of the same class, shade and width are positives of each other",
    )
    parser.add_argument("--image-encoder", default="cnn", choices=("cnn", "classifier"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--validation-size",
        type=int,
        default=0,
        help="hold out the last N training images and evaluate on them (held-out "
        "wording) instead of the test split (for choosing the recipe)",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--report", type=pathlib.Path, default=None, help="also write a JSON report"
    )
    parser.add_argument("--verbose", type=int, default=2)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    train = data.load_captioned("train", data_dir=args.data_dir)
    if args.validation_size:
        n = len(train) - args.validation_size
        if not 0 < n < len(train):
            raise SystemExit(
                f"Expected 0 < --validation-size < {len(train)}, received "
                f"{args.validation_size}."
            )
        held_out = data.load_captioned(
            "train", data_dir=args.data_dir, wording="held_out"
        )
        evaluation, train = _rows(held_out, n, len(train)), _rows(train, 0, n)
        evaluated_on = f"last {args.validation_size} training images, held-out wording"
    else:
        evaluation = data.load_captioned(
            "test", data_dir=args.data_dir, wording="held_out"
        )
        evaluated_on = "test split (10,000 images), held-out wording"
    probe = _rows(train, 0, pretraining.PROBE_IMAGES)

    keras.utils.set_random_seed(args.seed)
    encoder = TextEncoder(
        embedding_dim=args.embedding_dim,
        level=args.level,
        architecture=args.architecture,
    ).adapt(train.captions)
    model = JointEmbedding(encoder, args.image_encoder, temperature=args.temperature)
    untrained = pretraining.evaluate_text_encoder(
        encoder, evaluation, image_encoder=model.image_encoder, probe_data=probe
    )

    start = time.perf_counter()
    encoder, metrics = pretraining.pretrain_text_encoder(
        train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        group_positives=args.group_positives,
        seed=args.seed,
        evaluation_data=evaluation,
        probe_data=probe,
        model=model,
        verbose=args.verbose,
    )
    seconds = time.perf_counter() - start
    path = pretraining.save_text_encoder(encoder, args.out)

    # The saved file must embed exactly as the encoder that was evaluated.
    reloaded = pretraining.load_text_encoder(path)
    sample = evaluation.captions[:200]
    if not np.array_equal(reloaded.embed(sample), encoder.embed(sample)):
        raise SystemExit(f"{path} does not reproduce the trained encoder's outputs.")

    history = metrics.pop("history")
    report = {
        "command": shlex.join(["python", "tools/train_text_encoder.py", *argv]),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "evaluated_on": evaluated_on,
        "train_images": len(train),
        "train_seconds": metrics.pop("train_seconds"),
        "seconds_with_evaluation": round(seconds, 1),
        "history": history,
        "trained": _rounded(metrics),
        "untrained": _rounded(untrained),
        "file": str(path),
        "file_bytes": path.stat().st_size,
        "sha256": base.file_digest(path),
        "params": encoder.count_params(),
        "vocabulary_size": encoder.vocabulary_size,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
    }
    print(f"evaluated on the {evaluated_on}")
    print(f"{'metric':36s} {'untrained':>9s} {'trained':>9s}")
    for key, value in report["trained"].items():
        if key in untrained:
            print(f"{key:36s} {report['untrained'][key]:9.4f} {value:9.4f}")
    print(f"training time {report['train_seconds']:.0f} s ({args.epochs} epochs)")
    print(f"{path}: {report['file_bytes']} bytes, sha256 {report['sha256']}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
