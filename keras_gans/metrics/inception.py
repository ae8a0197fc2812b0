"""Inception score (IS) from class probabilities.

Salimans et al. 2016, "Improved Techniques for Training GANs":
IS = exp(E_x KL(p(y|x) || p(y))), with p(y|x) a classifier's prediction for a
generated example and p(y) their average. It is high when each prediction is
confident and the predictions are spread over the classes: it lies between 1
(every example gets the same prediction, or every prediction is uniform) and
K, the number of classes (confident predictions, evenly spread). With a
classifier other than Inception-v3 it is an "Inception-style" score; name the
classifier with the number.
"""

from __future__ import annotations

import numpy as np
import scipy.special


def _as_probabilities(probs, name="probs", atol=1e-3):
    """`probs` as float64 `(n, K)` rows of probabilities, checked."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(
            f"Expected `{name}` of shape (num_samples, num_classes); "
            f"received shape {p.shape}."
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError(
            f"Expected `{name}` to hold probabilities (finite, >= 0); received "
            f"values in [{np.nanmin(p):.3g}, {np.nanmax(p):.3g}]. Apply a softmax "
            "to logits first."
        )
    sums = p.sum(axis=1)
    worst = np.max(np.abs(sums - 1.0)) if len(sums) else 0.0
    if worst > atol:
        raise ValueError(
            f"Expected each row of `{name}` to sum to 1 (within {atol}); received "
            f"a row summing to {sums[np.argmax(np.abs(sums - 1.0))]:.6g}. Apply a "
            "softmax to logits first."
        )
    return p


def _split_score(p):
    marginal = p.mean(axis=0)
    # rel_entr(p, q) = p log(p / q) with 0 log 0 = 0, so one-hot rows are exact.
    kl = scipy.special.rel_entr(p, marginal[None, :]).sum(axis=1)
    return np.exp(kl.mean())


def inception_score(probs, splits=10):
    """Inception score of class probabilities, mean and std over splits.

    As in Salimans et al. 2016 and their reference code: the examples are cut
    into `splits` contiguous parts (sizes differ by at most one); each part
    gets `exp(mean_x KL(p(y|x) || p_part(y)))` with its own marginal
    `p_part(y)`; the result is the mean and std (ddof = 0) of the parts'
    scores. Computed in float64.

    Args:
        probs: class probabilities `(num_samples, num_classes)`, rows summing
            to 1 (softmax outputs, not logits).
        splits: number of parts. Defaults to `10`.

    Returns:
        `{"mean": ..., "std": ...}`.

    Example:

    >>> round(inception_score(np.eye(10), splits=1)["mean"], 6)
    10.0
    """
    p = _as_probabilities(probs)
    n = p.shape[0]
    splits = int(splits)
    if splits < 1 or n < splits:
        raise ValueError(
            f"Expected 1 <= splits <= num_samples; received splits={splits} "
            f"with {n} samples."
        )
    scores = np.array(
        [
            _split_score(p[i * n // splits : (i + 1) * n // splits])
            for i in range(splits)
        ]
    )
    return {"mean": float(scores.mean()), "std": float(scores.std())}
