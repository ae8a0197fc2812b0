"""Trains the emoji-group feature classifier and saves it.

Reads the folder `tools/make_emoji_folder.py --out DIR` writes (the 4,009
Twemoji pictures in 11 group folders), trains on the pictures outside a
stable 10% holdout, and by default writes the file where the package ships it
(`keras_gans/features/emoji_classifier.keras`). Prints the holdout accuracy,
balanced accuracy, per-group accuracy, training time, file size and sha256:
the numbers in `docs/emoji_classifier.md`.

Usage:

    python tools/make_emoji_folder.py --out /tmp/emoji
    python tools/train_emoji_classifier.py --data /tmp/emoji [--epochs 30]
        [--seed 0] [--out PATH] [--report PATH]
"""

import argparse
import json
import pathlib
import shlex
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from machine import machine_info  # noqa: E402

from keras_gans.features import base, classifier, emoji  # noqa: E402

DEFAULT_OUT = (
    pathlib.Path(__file__).resolve().parents[1]
    / "keras_gans"
    / "features"
    / emoji.FILENAME
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the emoji-group folder")
    parser.add_argument("--epochs", type=int, default=emoji.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=emoji.BATCH_SIZE)
    parser.add_argument("--learning-rate", type=float, default=emoji.LEARNING_RATE)
    parser.add_argument("--holdout", type=float, default=emoji.HOLDOUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--report", type=pathlib.Path, default=None, help="also write a JSON report"
    )
    parser.add_argument("--verbose", type=int, default=2)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = emoji.train_emoji_classifier(
        args.data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        holdout=args.holdout,
        verbose=args.verbose,
    )
    seconds = time.perf_counter() - start
    # No optimizer state in the file (the Fashion classifier's saver is generic).
    path = classifier.save_fashion_classifier(model, args.out)
    # Evaluate the saved file, not the in-memory model: that is what ships.
    saved = emoji.EmojiClassifierFeatures(path=path)
    result = emoji.evaluate_emoji_classifier(saved, args.data, args.holdout)
    train = emoji.evaluate_emoji_classifier(saved, args.data, args.holdout, "train")
    report = {
        "command": shlex.join(["python", "tools/train_emoji_classifier.py", *argv]),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "train_seconds": round(seconds, 1),
        "holdout": result,
        "train_accuracy": train["accuracy"],
        "train_balanced_accuracy": train["balanced_accuracy"],
        "train_n": train["n"],
        "file": str(path),
        "file_bytes": path.stat().st_size,
        "sha256": base.file_digest(path),
        "params": model.count_params(),
        "machine": machine_info(),
    }
    print(
        f"holdout accuracy {result['accuracy']:.4f}, balanced "
        f"{result['balanced_accuracy']:.4f} on {result['n']} pictures "
        f"(train {train['accuracy']:.4f} / {train['balanced_accuracy']:.4f})"
    )
    for name, accuracy in result["per_class_accuracy"].items():
        print(f"  {name:16s} {accuracy:.3f} of {result['per_class_n'][name]}")
    print(f"training time {seconds:.0f} s")
    print(f"{path}: {report['file_bytes']} bytes, sha256 {report['sha256']}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
