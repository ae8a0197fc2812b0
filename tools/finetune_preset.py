"""Fine-tunes a zoo preset on one Fashion-MNIST class and measures what changed.

The fine-tuning example of docs/zoo.md, with numbers: the DCGAN preset is loaded
with `DCGAN.from_preset` (its discriminator and optimizer settings
included), trained for one epoch on one class (sneakers by default), and the
shipped classifier counts the share of samples of that class before and
after, on the same latents. Writes a PNG of the grids before and after.

Usage:

    python tools/finetune_preset.py --png docs/finetune_sneakers.png
    python tools/finetune_preset.py --preset dcgan_fashion_mnist --class-id 7 --n 1000
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

import keras_gans
from keras_gans import data, features, images


def finetune(
    preset="dcgan_fashion_mnist",
    class_id=7,
    epochs=1,
    n=1000,
    seed=0,
    data_dir=None,
    png=None,
    batch_size=32,
):
    """Fine-tunes `preset` on one class; returns the shares before and after.

    Returns:
        A dict: `class`, `share_before`, `share_after` (of `n` samples the
        classifier assigns to `class_id`, same latents), `steps`, `seconds`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    gan = keras_gans.models.from_preset(preset)
    classifier = features.get_extractor("fashion_mnist_classifier")
    latent = gan.sample_latent(n, seed=seed)
    before = gan.generate(latent)
    dataset = data.load(
        "fashion_mnist",
        batch_size=batch_size,
        classes=class_id,
        seed=seed,
        data_dir=data_dir,
    )
    started = time.perf_counter()
    gan.fit(dataset, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - started
    after = gan.generate(latent)
    shares = [
        float(np.mean(classifier.predict_classes(x) == class_id))
        for x in (before, after)
    ]
    if png is not None:
        _figure(
            before[:32],
            after[:32],
            preset,
            epochs,
            data.CLASS_NAMES[class_id],
            shares,
            png,
        )
    return {
        "preset": preset,
        "class": data.CLASS_NAMES[class_id],
        "class_id": class_id,
        "n": n,
        "share_before": shares[0],
        "share_after": shares[1],
        "epochs": epochs,
        "batch_size": batch_size,
        "steps": int(dataset.cardinality()) * epochs,
        "seconds": round(seconds, 1),
    }


def _figure(before, after, preset, epochs, name, shares, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
    for ax, grid, title in (
        (axes[0], before, f"the preset: {shares[0]:.0%} classified {name}"),
        (axes[1], after, f"after {epochs} epoch(s) on {name}s: {shares[1]:.0%}"),
    ):
        ax.imshow(images.image_grid(grid, ncols=8)[..., 0], cmap="gray")
        ax.set_title(title)
        ax.axis("off")
    fig.suptitle(f"from_preset({preset!r}), fine-tuned; the same latents")
    fig.tight_layout()
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="dcgan_fashion_mnist")
    parser.add_argument("--class-id", type=int, default=7, help="7: sneaker")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n", type=int, default=1000, help="samples classified")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--png", default=None)
    args = parser.parse_args(argv)
    result = finetune(
        args.preset,
        args.class_id,
        args.epochs,
        args.n,
        args.seed,
        args.data_dir,
        args.png,
        args.batch_size,
    )
    json.dump(result, sys.stdout, indent=2)
    print()
    return result


if __name__ == "__main__":
    main()
