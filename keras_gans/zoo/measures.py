"""How the zoo measures a published generator: FID, KID, precision/recall, coverage.

`image_metrics` scores an export's samples against real images (a named
dataset's test split or a folder of pictures) on a feature extractor's
features; it is what a family's `ZooSpec.metrics` starts from.
"""

from __future__ import annotations

import numpy as np

from keras_gans import evaluation

# A recipe's "evaluate" settings, all optional: "data" (a dataset name, default
# "fashion_mnist"'s test split, or "folder": the pictures given with --data, as
# a recipe holds no local path), "extractor" (a keras_gans.features name),
# "metrics", "headline" (the card's lead metrics), "n" (or "all"), "seed", "skip".
EVALUATE_KEYS = ("data", "extractor", "metrics", "headline", "n", "seed", "skip")
FOLDER = "folder"
EXTRACTOR_CARDS = {
    "fashion_mnist_classifier": (
        "the shipped Fashion-MNIST classifier",
        "docs/classifier.md",
    ),
    "emoji_classifier": (
        "the shipped emoji-group classifier",
        "docs/emoji_classifier.md",
    ),
}


def metric_notes(num_classes=10):
    """What each metric key means, for the card's table."""
    return {
        "fid": "Frechet distance of the classifier features; lower is better",
        "kid": "kernel (MMD^2, cubic polynomial kernel) distance of the same "
        "features, mean over subsets; lower is better",
        "kid_std": "standard deviation of KID over the subsets",
        "precision": "improved precision (k=3 neighbours): share of samples on the "
        "real manifold",
        "recall": "improved recall (k=3): share of real images on the samples' "
        "manifold",
        "classes_covered": "classes the classifier finds among the samples "
        f"(of {num_classes})",
        "class_kl": "KL(sample class histogram || real class histogram); lower is "
        "better",
        "top_class_share": "share of samples in the most frequent class "
        f"({1 / num_classes:.2g} if balanced)",
    }


METRIC_NOTES = metric_notes()


def folder_pictures(path, n, image_shape, seed=0):
    """`n` pictures of a folder (drawn with a fixed seed) and their class labels.

    Labels are `None` when the pictures are not in class subfolders.
    Returns `(images in [-1, 1], labels, count of pictures in the folder)`.
    """
    from keras_gans.data import folders
    from keras_gans.images import from_uint8

    try:
        folder = folders.open_folder(path, image_shape=image_shape, with_labels=True)
    except ValueError:  # pictures not in class subfolders
        folder = folders.open_folder(path, image_shape=image_shape)
    n = folder.count if n == "all" else int(n)
    if not 0 < n <= folder.count:
        raise ValueError(
            f"Expected 0 < n <= {folder.count} (the pictures in {path}); "
            f"received n={n}."
        )
    images, indices = folder.read(folder.order(0, seed=seed), 0, n)
    labels = None if folder.labels is None else folder.labels[indices]
    return from_uint8(images), labels, folder.count


def image_metrics(pretrained, data_dir, n, seed, spec=None):
    """FID, KID, precision/recall and mode coverage of an export's samples.

    Args:
        pretrained: the loaded export (`generate(n, seed=)`).
        data_dir: where a named dataset's files are.
        n: samples and real images (`"all"`: every picture of a folder).
        seed: seed of the samples, the folder draw and KID's subsets.
        spec: the recipe's "evaluate" (see `EVALUATE_KEYS`), resolved by
            `with_data`. Defaults to `None`: Fashion-MNIST's test split and
            the Fashion-MNIST classifier.

    Returns `(metrics, protocol)`; the metrics as `{name: {"value", "how"}}`,
    the headline metrics first.
    """
    from keras_gans import features

    spec = spec or {}
    name = spec.get("extractor", features.DEFAULT_EXTRACTOR)
    extractor = features.get_extractor(name)
    described, card = EXTRACTOR_CARDS.get(name, (f"the {name} features", None))
    features_text = f"features of {described}" + (f" ({card})" if card else "")
    wanted = tuple(spec.get("metrics", evaluation.DEFAULT_METRICS))
    if spec.get("data") == FOLDER:
        real, labels, count = folder_pictures(
            spec["path"], n, pretrained.image_shape, seed
        )
        n = len(real)
        scores = evaluation.score(
            pretrained.generate(n, seed=seed), real, labels, wanted, extractor, seed
        )
        protocol = (
            f"keras_gans.zoo.publish on the export: {n} samples (`sample` "
            f"signature, seed {seed}) vs {n} of the {count} training pictures "
            f"(drawn with seed {seed}), {features_text}"
        )
    else:
        dataset = spec.get("data", "fashion_mnist")
        scores = evaluation.evaluate(
            pretrained,
            dataset=dataset,
            metrics=wanted,
            n=n,
            extractor=extractor,
            seed=seed,
            data_dir=data_dir,
        )
        shown = "Fashion-MNIST" if dataset == "fashion_mnist" else dataset
        protocol = (
            f"keras_gans.evaluation.evaluate on the export: {n} samples (`sample` "
            f"signature, seed {seed}) vs the first {n} {shown} test images, "
            f"{features_text}"
        )
    notes = metric_notes(extractor.num_classes or 10)
    flat = _flat_scores(scores)
    order = [k for k in spec.get("headline", ()) if k in flat]
    order += [k for k in flat if k not in order]
    metrics = {key: {"value": flat[key], "how": notes.get(key, key)} for key in order}
    return metrics, protocol


def _flat_scores(scores):
    out = {}
    for key, value in scores.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and key not in (
            "seed",
            "num_fake",
            "num_real",
        ):
            out[key] = float(value)
    return out
