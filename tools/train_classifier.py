"""Trains the Fashion-MNIST feature-extractor classifier and saves it.

By default the file goes where the package ships it
(`keras_gans/features/fashion_mnist_classifier.keras`). Prints the test
accuracy, per-class accuracy, training time, file size and sha256: the numbers
in `docs/classifier.md`.

Usage:

    python tools/train_classifier.py [--epochs 12] [--out PATH] [--data-dir DIR]
    python tools/train_classifier.py --validation-size 5000 --out /tmp/c.keras
"""

import argparse
import json
import os
import pathlib
import platform
import shlex
import sys
import time

from keras_gans.features import base, classifier

DEFAULT_OUT = (
    pathlib.Path(__file__).resolve().parents[1]
    / "keras_gans"
    / "features"
    / classifier.FILENAME
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=classifier.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=classifier.BATCH_SIZE)
    parser.add_argument("--learning-rate", type=float, default=classifier.LEARNING_RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--validation-size",
        type=int,
        default=0,
        help="hold out this many training images and report accuracy on them "
        "each epoch (for choosing the recipe; 0 trains on all 60,000)",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--report", type=pathlib.Path, default=None, help="also write a JSON report"
    )
    parser.add_argument("--verbose", type=int, default=2)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model, test_accuracy = classifier.train_fashion_classifier(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        data_dir=args.data_dir,
        validation_size=args.validation_size,
        verbose=args.verbose,
    )
    seconds = time.perf_counter() - start
    path = classifier.save_fashion_classifier(model, args.out)

    # Evaluate the saved file, not the in-memory model: that is what ships.
    result = classifier.evaluate_fashion_classifier(
        classifier.FashionClassifierFeatures(path=path), data_dir=args.data_dir
    )
    report = {
        "command": shlex.join(["python", "tools/train_classifier.py", *argv]),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "train_seconds": round(seconds, 1),
        "test_accuracy_in_memory": test_accuracy,
        "test_accuracy": result["accuracy"],
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion": result["confusion"],
        "file": str(path),
        "file_bytes": path.stat().st_size,
        "sha256": base.file_digest(path),
        "params": model.count_params(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
    }
    print(f"test accuracy {result['accuracy']:.4f} on {result['n']} images")
    for name, accuracy in result["per_class_accuracy"].items():
        print(f"  {name:12s} {accuracy:.3f}")
    print(f"training time {seconds:.0f} s")
    print(f"{path}: {report['file_bytes']} bytes, sha256 {report['sha256']}")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
