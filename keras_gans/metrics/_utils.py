"""Input checks and chunked distance helpers shared by the metric modules."""

from __future__ import annotations

import numpy as np

from keras_gans.validation import check_int


def as_features(x, name, min_samples=1, why=None):
    """`x` as a float64 `(num_samples, num_features)` array, checked."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(
            f"Expected `{name}` to be a 2-D array of shape "
            f"(num_samples, num_features); received shape {x.shape}."
        )
    if x.shape[0] < min_samples:
        reason = f" {why}" if why else ""
        raise ValueError(
            f"Expected at least {min_samples} samples in `{name}`{reason}; "
            f"received {x.shape[0]}."
        )
    if not np.isfinite(x).all():
        raise ValueError(f"Expected finite values in `{name}`; received NaN or inf.")
    return x


def check_same_features(a, b, name_a, name_b):
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"Expected `{name_a}` and `{name_b}` to have the same number of "
            f"features; received {a.shape[-1]} and {b.shape[-1]}."
        )


def check_batch_size(batch_size):
    return check_int("batch_size", batch_size, minimum=1)


def chunks(n, batch_size):
    """`slice`s covering `range(n)` in pieces of at most `batch_size`."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def squared_distances(a, b, a_sq=None, b_sq=None):
    """Squared Euclidean distances `(len(a), len(b))` in float64, >= 0.

    Uses |a|^2 + |b|^2 - 2 a.b, one matrix product; callers centre the data
    first so that the cancellation in the subtraction stays small.
    """
    if a_sq is None:
        a_sq = np.einsum("ij,ij->i", a, a)
    if b_sq is None:
        b_sq = np.einsum("ij,ij->i", b, b)
    d2 = a @ b.T
    d2 *= -2.0
    d2 += a_sq[:, None]
    d2 += b_sq[None, :]
    np.maximum(d2, 0.0, out=d2)
    return d2
