"""Evaluating a generator: the metrics on features of real and generated images.

`evaluate(model, ...)` computes any of the metrics in `keras_gans.metrics` for
one model; `EvaluationCallback` does it during `fit()` every N epochs and puts
the numbers into the logs, so `History`, TensorBoard and
`keras.callbacks.ModelCheckpoint(monitor="fid", mode="min")` see them. Every
result records which feature extractor and how many samples produced it,
because FIDs from different extractors or sample counts are not comparable.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_gans import data as gan_data
from keras_gans import features as gan_features
from keras_gans import metrics as gan_metrics
from keras_gans.images import from_uint8
from keras_gans.validation import check_int

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "EvaluationCallback",
    "caption_agreement",
    "code_accuracy",
    "evaluate",
    "likelihood_of",
    "nll_summary",
    "real_images",
    "score",
]

METRICS = ("fid", "kid", "is", "pr", "dc", "modes", "parzen", "nll")
"""The names `score` and `evaluate` take: FID, KID, Inception Score,
precision/recall, density/coverage, mode counts, Parzen and exact NLL."""
DEFAULT_METRICS = ("fid", "kid", "pr", "modes")
"""What `score` computes when no metric is named."""
# Keys every `score` result has: how `keras-gans evaluate --out` knows a JSON
# file it may rewrite.
REPORT_KEYS = ("extractor", "num_fake", "num_real")


def _check_metrics(names):
    names = tuple(names)
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise ValueError(
            f"Expected metrics from {METRICS}; received {list(names)} "
            f"(unknown: {unknown})."
        )
    return names


def real_images(
    dataset="fashion_mnist", split="test", n=10000, data_dir=None, image_shape=None
):
    """The first `n` images of a split as float32 in [-1, 1], with their labels.

    For a path (a folder, glob or archive of your pictures), `n` of its
    pictures drawn with a fixed seed, at `image_shape`, without labels.
    """
    from keras_gans.data import folders

    if folders.is_path_source(dataset):
        return _folder_images(dataset, n, data_dir, image_shape), None
    images, labels = gan_data.load_arrays(dataset, split, data_dir=data_dir)
    if n > len(images):
        raise ValueError(
            f"Expected n <= {len(images)} (the size of the {split!r} split); "
            f"received n={n}."
        )
    return from_uint8(images[:n]), labels[:n]


def _folder_images(path, n, data_dir, image_shape):
    from keras_gans.data import folders

    if data_dir is not None:
        raise ValueError(
            f"data_dir is for datasets by name; received data_dir={data_dir!r} "
            f"with the path {path!r}."
        )
    folder = folders.open_folder(path, image_shape=image_shape)
    if n > folder.count:
        raise ValueError(
            f"Expected n <= {folder.count} (the pictures in {path}); received n={n}."
        )
    # A seeded draw: sorted paths would take the first classes only.
    images, _ = folder.read(folder.order(0, seed=0), 0, n)
    return from_uint8(images)


def score(
    fake,
    real,
    real_labels=None,
    metrics=DEFAULT_METRICS,
    extractor=None,
    seed=0,
    parzen_validation=None,
    real_features=None,
):
    """Scores generated images against real ones.

    Args:
        fake: generated images `(n, H, W, C)` in [-1, 1].
        real: real images, same layout.
        real_labels: the real images' labels, for the class-histogram KL of
            `"modes"`. Defaults to `None` (compare with uniform classes).
        metrics: names from `METRICS`. Defaults to `DEFAULT_METRICS`.
        extractor: a `keras_gans.features` extractor or its name. Defaults to
            the shipped Fashion-MNIST classifier.
        seed: seed of KID's subsets. Defaults to `0`.
        parzen_validation: real images for choosing Parzen's sigma (needed for
            `"parzen"`). Defaults to `None`.
        real_features: `extractor.features(real)` if already computed (a
            fixed real set scored many times). Defaults to `None`.

    Returns:
        A flat dict of floats (`fid`, `kid`, `kid_std`, `inception_score`,
        `precision`, `recall`, `density`, `coverage`, `classes_covered`,
        `class_kl`, `top_class_share`, `parzen_ll`, `parzen_se`), plus
        `extractor` (its description), `num_fake` and `num_real`.
    """
    metrics = _check_metrics(metrics)
    if extractor is None or isinstance(extractor, str):
        extractor = gan_features.get_extractor(
            extractor or gan_features.DEFAULT_EXTRACTOR
        )
    real_feats = extractor.features(real) if real_features is None else real_features
    fake_feats, fake_probs = extractor.features_and_probabilities(fake)
    out = {
        "extractor": extractor.describe(),
        "num_fake": int(len(fake)),
        "num_real": int(len(real)),
    }
    if "fid" in metrics:
        out["fid"] = float(gan_metrics.fid_from_activations(real_feats, fake_feats))
    if "kid" in metrics:
        kid = gan_metrics.kernel_inception_distance(
            real_feats,
            fake_feats,
            subset_size=min(1000, len(real_feats), len(fake_feats)),
            seed=seed,
        )
        out["kid"], out["kid_std"] = float(kid["mean"]), float(kid["std"])
    if "is" in metrics:
        out["inception_score"] = float(gan_metrics.inception_score(fake_probs)["mean"])
    if "pr" in metrics:
        out.update(gan_metrics.precision_recall(real_feats, fake_feats))
    if "dc" in metrics:
        out.update(gan_metrics.density_coverage(real_feats, fake_feats))
    if "modes" in metrics:
        report = gan_metrics.mode_collapse_report(
            fake_probs,
            reference_labels=real_labels,
            num_classes=fake_probs.shape[-1],
        )
        out["classes_covered"] = int(report["classes_covered"])
        out["class_kl"] = float(report["kl_from_reference"])
        out["top_class_share"] = float(report["most_frequent_share"])
    if "parzen" in metrics:
        if parzen_validation is None:
            raise ValueError(
                "The Parzen estimate needs validation images to choose sigma "
                "(parzen_validation=...); received None."
            )
        parzen = gan_metrics.parzen_evaluate(fake, parzen_validation, real)
        out["parzen_ll"] = float(parzen["mean"])
        out["parzen_se"] = float(parzen["std_error"])
        out["parzen_sigma"] = float(parzen["sigma"])
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in out.items()}


def evaluate(
    model,
    dataset="fashion_mnist",
    metrics=DEFAULT_METRICS,
    n=10000,
    extractor=None,
    seed=0,
    data_dir=None,
):
    """Evaluates a model's samples against a dataset's test split.

    Args:
        model: anything with `generate(n, seed=)` returning images in [-1, 1].
        dataset: an offline dataset name, or the path of your pictures (a
            folder, glob or archive: `n` of them drawn with a fixed seed, at
            the model's image shape). Defaults to `"fashion_mnist"`.
        metrics: names from `METRICS`. Defaults to `DEFAULT_METRICS`.
        n: generated and real samples (real: the first n of the test split;
            Parzen's validation set: the last min(n, 10000) training images).
            Defaults to `10000`.
        extractor: feature extractor or its name. Defaults to the classifier.
        seed: seed of the samples and KID's subsets. Defaults to `0`.
        data_dir: where the dataset's files are. Defaults to `None`.

    Returns:
        The dict of `score`, with `dataset` and `seed` added.
    """
    metrics = _check_metrics(metrics)
    shape = getattr(model, "image_shape", None)
    real, labels = real_images(
        dataset, "test", n, data_dir, tuple(shape) if shape is not None else None
    )
    likelihood = likelihood_of(model, real) if "nll" in metrics else {}
    metrics = tuple(m for m in metrics if m != "nll")
    if not metrics:  # the likelihood alone: no samples to draw
        return {
            "dataset": dataset,
            "seed": seed,
            "num_real": len(real),
            "num_fake": 0,
            "extractor": {"name": "none"},
            **likelihood,
        }
    validation = None
    if "parzen" in metrics:
        train, _ = gan_data.load_arrays(dataset, "train", data_dir=data_dir)
        validation = from_uint8(train[-min(n, 10000) :])
    fake = model.generate(n, seed=seed)
    result = score(
        fake,
        real,
        labels,
        metrics,
        extractor,
        seed=seed,
        parzen_validation=validation,
    )
    return {"dataset": dataset, "seed": seed, **result, **likelihood}


def likelihood_of(model, images):
    """The metric `"nll"`: -log p(x) of `images` under a likelihood model.

    Returns `nll_nats` (mean nats per image), its standard error
    `nll_nats_se`, and `bits_per_dim`. Exact for the autoregressive models;
    for a VAE, the IWAE bound (k = 64), so an upper bound of -log p(x).
    """
    log_prob = getattr(model, "log_prob", None)
    if log_prob is None:
        raise ValueError(
            "The metric 'nll' needs a model with a likelihood (a VAE or an "
            f"autoregressive model, which have log_prob); received a "
            f"{type(model).__name__}. A GAN's samples can be scored with 'parzen'."
        )
    return nll_summary(log_prob(images), np.prod(images.shape[1:]))


def nll_summary(log_p, dims):
    """`nll_nats` (mean -log p), `nll_nats_se` and `bits_per_dim` of per-image log p.

    Args:
        log_p: log p(x) (or a bound of it) per image, in nats.
        dims: pixels times channels of an image.
    """
    nats = -np.asarray(log_p, "float64")
    return {
        "nll_nats": float(nats.mean()),
        "nll_nats_se": float(nats.std(ddof=1) / np.sqrt(len(nats)))
        if len(nats) > 1
        else 0.0,
        "bits_per_dim": float(nats.mean() / (dims * np.log(2.0))),
    }


class EvaluationCallback(keras.callbacks.Callback):
    """Computes sample-quality metrics every N epochs and adds them to the logs.

    Put it before `ModelCheckpoint` in the callback list so that
    `ModelCheckpoint(monitor="fid", mode="min", save_best_only=True)` sees the
    value; `History` and `keras.callbacks.TensorBoard` record it as well.

    Args:
        real: real images `(n, H, W, C)` in [-1, 1] (a fixed set: the same
            images every time, so epochs are comparable).
        every: epochs between evaluations. Defaults to `1`.
        n: generated samples per evaluation. Defaults to `len(real)`.
        metrics: names from `METRICS` (not `"parzen"`). Defaults to `("fid",)`.
        extractor: feature extractor or its name. Defaults to the classifier.
        real_labels: labels of `real` for the class KL. Defaults to `None`.
        seed: seed of the generated samples (fixed across epochs). Defaults
            to `0`.

    Example:

    ```python
    real, _ = keras_gans.evaluation.real_images(n=2000)
    gan.fit(ds, epochs=10, callbacks=[
        keras_gans.evaluation.EvaluationCallback(real, every=2),
        keras.callbacks.ModelCheckpoint("best.keras", monitor="fid", mode="min",
                                        save_best_only=True),
    ])
    ```
    """

    def __init__(
        self,
        real,
        every=1,
        n=None,
        metrics=("fid",),
        extractor=None,
        real_labels=None,
        seed=0,
    ):
        super().__init__()
        check_int("every", every, minimum=1)
        self.metrics = _check_metrics(metrics)
        if "parzen" in self.metrics:
            raise ValueError("EvaluationCallback does not compute 'parzen' (slow).")
        self.real = np.asarray(real, dtype="float32")
        self.every = int(every)
        self.n = int(n or len(self.real))
        self.real_labels = real_labels
        self.seed = seed
        if extractor is None or isinstance(extractor, str):
            extractor = gan_features.get_extractor(
                extractor or gan_features.DEFAULT_EXTRACTOR
            )
        self.extractor = extractor
        self._real_features = None  # extracted once, at the first evaluation
        self.results = {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if self._real_features is None:
            self._real_features = self.extractor.features(self.real)
        result = score(
            self.model.generate(self.n, seed=self.seed),
            self.real,
            self.real_labels,
            self.metrics,
            self.extractor,
            seed=self.seed,
            real_features=self._real_features,
        )
        numbers = {
            k: v
            for k, v in result.items()
            if isinstance(v, (int, float)) and k not in ("num_fake", "num_real")
        }
        self.results[epoch + 1] = numbers
        if logs is not None:
            logs.update(numbers)


def _code_images(model, images):
    """`images` as float32 `(n, *model.image_shape)` in [-1, 1], checked."""
    images = np.asarray(images)
    want = tuple(int(d) for d in model.image_shape)
    if images.dtype == np.uint8:
        images = from_uint8(images)  # adds a channel axis to (n, H, W)
    elif images.dtype.kind == "f":
        if images.ndim == 3:
            images = images[..., None]
        images = images.astype("float32")
        if images.size and not np.isfinite(images).all():
            raise ValueError("Expected finite images; received NaN or inf.")
        if images.size and (images.min() < -1.001 or images.max() > 1.001):
            raise ValueError(
                "Expected float images scaled to [-1, 1]; received values in "
                f"[{images.min():.3g}, {images.max():.3g}]. Pass uint8 images "
                "as they are, or scale with keras_gans.images.from_uint8."
            )
    else:
        raise ValueError(
            "Expected uint8 images in [0, 255] or float images in [-1, 1]; "
            f"received dtype {images.dtype}."
        )
    if images.ndim != 4 or tuple(images.shape[1:]) != want:
        raise ValueError(
            f"Expected images of shape (n, {', '.join(map(str, want))}) for this "
            f"model (or (n, {want[0]}, {want[1]}) when it has one channel); "
            f"received shape {np.shape(images)}."
        )
    if len(images) == 0:
        raise ValueError("Expected at least one image; received 0.")
    return images


def code_accuracy(model, images, labels, code=0, batch_size=256):
    """How well an InfoGAN's categorical code classifies labelled images.

    Q's most likely category for each image (`model.infer_codes(images)
    ["categories"][:, code]`) is scored against the labels after matching
    categories to labels one to one (`keras_gans.metrics.cluster_accuracy`),
    and by normalized mutual information, which needs no matching. The model
    never saw the labels, so this measures what the code learned on its own.

    Args:
        model: a trained `keras_gans.InfoGAN`, or anything with
            `image_shape` and `infer_codes(images, batch_size=...)` returning
            `"categories"` `(n, m)` ints and `"categorical"` a list of
            `(n, K_i)` probabilities.
        images: `(n, H, W, C)` float images in [-1, 1], or uint8 images in
            [0, 255] (scaled with `keras_gans.images.from_uint8`); `(n, H, W)`
            gets a channel axis when the model has one channel.
        labels: the images' true labels, `(n,)` integers (any values).
        code: which categorical code to score. Defaults to `0`.
        batch_size: batch size of `infer_codes`. Defaults to `256`.

    Returns:
        A dict: `"accuracy"` (matched accuracy in [0, 1]), `"nmi"`
        (normalized mutual information), `"mapping"` (dict category ->
        label of the matched pairs; categories left unmatched, or never
        predicted, are absent and count as wrong), `"confusion"` (counts as
        nested lists, `K` rows for categories `0..K-1` by
        `len(label_values)` columns), `"label_values"` (the label of each
        column, sorted), `"code"` and `"n"` (the number of images).

    Example:

    >>> images, labels = keras_gans.data.load_arrays("fashion_mnist", "test")
    >>> code_accuracy(infogan, images, labels)["accuracy"]
    """
    images = _code_images(model, images)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"Expected one label per image: shape ({len(images)},); received "
            f"shape {labels.shape}."
        )
    inferred = model.infer_codes(images, batch_size=batch_size)
    categories = np.asarray(inferred["categories"])
    num_codes = categories.shape[1] if categories.ndim == 2 else 0
    if num_codes == 0:
        raise ValueError(
            "Expected a model with at least one categorical code; this one has "
            "none (infer_codes returned no categories)."
        )
    check_int("code", code)
    if not 0 <= code < num_codes:
        raise ValueError(
            f"Expected code in 0..{num_codes - 1} (the model has {num_codes} "
            f"categorical code{'s' if num_codes > 1 else ''}); received {code}."
        )
    num_categories = np.shape(inferred["categorical"][code])[-1]
    predicted = categories[:, code]
    accuracy, mapping = gan_metrics.cluster_accuracy(
        labels, predicted, return_mapping=True
    )
    # Rows: every category 0..K-1, also those Q never predicts; columns: labels.
    labels_by_category, _, label_values = gan_metrics.contingency_matrix(
        predicted, labels, label_values=np.arange(num_categories)
    )
    return {
        "accuracy": accuracy,
        "nmi": gan_metrics.normalized_mutual_information(labels, predicted),
        "mapping": mapping,
        "confusion": labels_by_category.tolist(),
        "label_values": [int(v) for v in label_values],
        "code": int(code),
        "n": int(len(images)),
    }


def caption_agreement(
    model,
    captions,
    conditions=None,
    classifier=None,
    n_per_caption=1,
    seed=0,
    batch_size=256,
):
    """How well a text-to-image model draws what its captions ask for.

    Each caption names a Fashion-MNIST class and a shade and width level
    (`keras_gans.data.captions.parse_caption` reads them back). For the
    images drawn from each caption this measures:

    - **class agreement**: the fraction whose class, as predicted by the
      Fashion-MNIST classifier (`docs/classifier.md`, test accuracy 0.92),
      is the caption's class. Chance is 0.1.
    - **shade / width agreement**: the fraction whose measured level
      (`measure_attributes` with the caption's class, so the class's own
      tertiles) is the caption's level. A model that gets the class right
      and ignores the attribute scores 1/3 (the tertiles split each class
      into thirds), which is the chance level to compare with.
    - **shade / width rank correlation**: Spearman's rho between the
      asked level (0, 1, 2) and the measured value (mean intensity, width)
      within each class, averaged over the classes weighted by their
      images. It credits "darker when asked for dark" without an exact hit.
      Within a class, because the levels are relative to the class (a
      "wide" pair of trousers is narrower than a "narrow" bag). A class
      whose images all measure the same, or that is asked for one level
      only, has no correlation and is left out; NaN if every class is.

    Args:
        model: a `GANCLS` or anything with `generate(conditions,
            n_per_text=, seed=)` returning `(n, 28, 28, 1)` images in [-1, 1].
        captions: `n` caption strings that name a class, a shade and a width.
        conditions: what to draw from instead of the captions themselves,
            one per caption (e.g. one-hot classes for a class-conditional
            baseline: `keras.ops.one_hot(labels, 10)`). Defaults to `None`:
            the captions.
        classifier: a `keras.Model` from `(n, 28, 28, 1)` images in [-1, 1]
            to 10 logits. Defaults to the shipped Fashion-MNIST classifier.
        n_per_caption: images per caption. Defaults to `1`.
        seed: seed of the noise. Defaults to `0`.
        batch_size: batch size of generation and classification. Defaults
            to `256`.

    Returns:
        A dict: `"n"` (images), `"class_agreement"`, `"shade_agreement"`,
        `"width_agreement"`, `"shade_rank_correlation"`,
        `"width_rank_correlation"`, `"per_class"` (class name -> class
        agreement), and `"chance"` (the chance level of each agreement).

    Raises:
        ValueError: For captions that do not name one class and one level of
            each attribute, or conditions of another length.
    """
    from keras_gans.data import captions as captions_lib
    from keras_gans.features.classifier import load_fashion_classifier

    if isinstance(captions, str):
        captions = [captions]
    captions = [str(c) for c in np.asarray(captions, dtype=object).ravel()]
    if not captions:
        raise ValueError("Expected at least one caption; received none.")
    parsed = [captions_lib.parse_caption(c) for c in captions]
    asked = {
        key: np.repeat([p[key] for p in parsed], int(n_per_caption))
        for key in ("label", "shade_word", "width_word")
    }
    if conditions is not None:
        conditions = np.asarray(conditions)
        if len(conditions) != len(captions):
            raise ValueError(
                f"Expected one condition per caption ({len(captions)}); received "
                f"{len(conditions)}."
            )
    images = model.generate(
        captions if conditions is None else conditions,
        n_per_text=int(n_per_caption),
        seed=seed,
        batch_size=batch_size,
    )
    if images.shape[1:] != (28, 28, 1):
        raise ValueError(
            "Expected the model to draw 28x28x1 Fashion-MNIST images; it drew "
            f"{images.shape[1:]}."
        )
    classifier = classifier or load_fashion_classifier()
    logits = classifier.predict(images, batch_size=batch_size, verbose=0)
    predicted = np.argmax(logits, axis=-1)
    measured = captions_lib.measure_attributes(images, asked["label"])
    result = {
        "n": int(len(images)),
        "class_agreement": float(np.mean(predicted == asked["label"])),
    }
    for key in ("shade", "width"):
        result[f"{key}_agreement"] = float(
            np.mean(measured[f"{key}_word"] == asked[f"{key}_word"])
        )
        result[f"{key}_rank_correlation"] = _within_class_rank_correlation(
            asked["label"], asked[f"{key}_word"], measured[key]
        )
    names = gan_data.CLASS_NAMES
    result["per_class"] = {
        names[c]: float(np.mean(predicted[asked["label"] == c] == c))
        for c in sorted(set(asked["label"].tolist()))
    }
    result["chance"] = {
        "class_agreement": 1 / len(names),
        "shade_agreement": 1 / 3,
        "width_agreement": 1 / 3,
        "shade_rank_correlation": 0.0,
        "width_rank_correlation": 0.0,
    }
    return result


def _within_class_rank_correlation(labels, levels, values):
    """Spearman's rho of `levels` vs `values` per class, mean weighted by count."""
    import scipy.stats

    total, weight = 0.0, 0
    for c in np.unique(labels):
        mask = labels == c
        if np.ptp(levels[mask]) == 0 or np.ptp(values[mask]) == 0:
            continue  # no variation: no correlation to measure
        rho = scipy.stats.spearmanr(levels[mask], values[mask]).statistic
        total += float(rho) * int(mask.sum())
        weight += int(mask.sum())
    return total / weight if weight else float("nan")
