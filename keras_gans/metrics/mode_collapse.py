"""Mode-collapse diagnostics from a classifier's verdicts on generated samples.

Classify generated samples and look at the histogram of classes: a collapsed
generator covers few classes, piles its samples into one, and its histogram
is far from the data's. This is the mode count of Metz et al. 2017
("Unrolled GANs") and Srivastava et al. 2017 (VEEGAN) on a labelled dataset.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from keras_gans.validation import check_int


def _class_ids(values, num_classes, name):
    v = np.asarray(values)
    if v.ndim == 2:
        if v.shape[1] != num_classes:
            raise ValueError(
                f"Expected `{name}` probabilities with num_classes={num_classes} "
                f"columns; received shape {v.shape}."
            )
        return np.argmax(v, axis=1)
    if v.ndim != 1:
        raise ValueError(
            f"Expected `{name}` as class ids (n,) or probabilities (n, "
            f"{num_classes}); received shape {v.shape}."
        )
    if v.size and not np.issubdtype(v.dtype, np.integer):
        if not np.all(v == np.round(v)):
            raise ValueError(
                f"Expected integer class ids in `{name}`; received {v.dtype} values "
                "that are not whole numbers."
            )
        v = v.astype(np.int64)
    if v.size and (v.min() < 0 or v.max() >= num_classes):
        raise ValueError(
            f"Expected class ids in [0, {num_classes}) in `{name}`; received values "
            f"in [{v.min()}, {v.max()}]."
        )
    return v.astype(np.int64)


def _smoothed(histogram, epsilon):
    p = histogram / histogram.sum() + epsilon
    return p / p.sum()


def mode_collapse_report(
    predictions, reference_labels=None, num_classes=10, min_count=1, epsilon=1e-10
):
    """Classes covered, KL from the reference histogram, most frequent share.

    `kl_from_reference` is KL(p_gen || p_ref) = sum_c p_gen(c) log(p_gen(c) /
    p_ref(c)) in nats, "the divergence of the generated histogram from the
    data's". This direction is finite whenever the reference has every class
    the generator produces, so it does not hinge on the smoothing; it is 0
    for a perfect match and log(K) when a uniform reference meets a generator
    that makes a single class. Missed classes show in `classes_covered`.
    Both histograms are smoothed as `p <- (p + epsilon) / (1 + K epsilon)`
    so that a class missing from the reference gives a large finite value.

    Args:
        predictions: the classifier's verdicts on generated samples: class
            ids `(n,)` or probabilities `(n, num_classes)` (argmax is taken).
        reference_labels: labels (or probabilities) of real data, same forms;
            `None` compares with the uniform distribution. Defaults to `None`.
        num_classes: number of classes K. Defaults to `10`.
        min_count: samples a class needs to count as covered. Defaults to `1`.
        epsilon: smoothing added to each class probability. Defaults to
            `1e-10`.

    Returns:
        A dict with `classes_covered` (int), `num_classes` (int),
        `kl_from_reference` (float), `most_frequent_class` (int),
        `most_frequent_share` (float: its share of the samples) and
        `histogram` (int64 array `(K,)` of counts).

    Example:

    >>> r = mode_collapse_report([0, 0, 0, 1], num_classes=4)
    >>> r["classes_covered"], r["most_frequent_share"]
    (2, 0.75)
    """
    num_classes = check_int("num_classes", num_classes, minimum=1)
    check_int("min_count", min_count, minimum=1)
    ids = _class_ids(predictions, num_classes, "predictions")
    if ids.size == 0:
        raise ValueError("Expected at least one prediction; received none.")
    histogram = np.bincount(ids, minlength=num_classes)
    if reference_labels is None:
        reference = np.ones(num_classes)
    else:
        ref_ids = _class_ids(reference_labels, num_classes, "reference_labels")
        if ref_ids.size == 0:
            raise ValueError("Expected at least one reference label; received none.")
        reference = np.bincount(ref_ids, minlength=num_classes).astype(np.float64)
    p_gen = _smoothed(histogram.astype(np.float64), epsilon)
    p_ref = _smoothed(reference, epsilon)
    top = int(np.argmax(histogram))
    return {
        "classes_covered": int((histogram >= min_count).sum()),
        "num_classes": num_classes,
        "kl_from_reference": float(scipy.special.rel_entr(p_gen, p_ref).sum()),
        "most_frequent_class": top,
        "most_frequent_share": float(histogram[top] / ids.size),
        "histogram": histogram.astype(np.int64),
    }
