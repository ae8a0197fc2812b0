"""Parzen-window log-likelihood of test data under generated samples.

The evaluation of Goodfellow et al. 2014 ("Generative Adversarial Nets",
table 1), after Breuleux et al. 2011: put an isotropic Gaussian of width
sigma on each of N generated samples s_i and score held-out data x with

    log p(x) = log (1/N sum_i N(x; s_i, sigma^2 I)),

choosing sigma by the mean log-likelihood of a validation split and reporting
the mean and its standard error on the test split. The estimate is known to
be poor in high dimensions (Theis et al. 2016, "A note on the evaluation of
generative models"); it is here to reproduce the papers' numbers.
Inputs may be images: everything after the first axis is flattened.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.special

from keras_gans.metrics._utils import (
    check_batch_size,
    check_same_features,
    chunks,
    squared_distances,
)

DEFAULT_SIGMAS = np.logspace(-1, 0, 10)


def _flat(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 1:
        raise ValueError(
            f"Expected `{name}` of shape (num_examples, ...) with at least one "
            f"example; received shape {x.shape}."
        )
    if not np.isfinite(x).all():
        raise ValueError(f"Expected finite values in `{name}`; received NaN or inf.")
    return x.reshape(x.shape[0], -1)


def _sigmas(sigmas):
    s = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    if s.ndim != 1 or s.size == 0 or not (s > 0).all():
        raise ValueError(
            f"Expected positive sigma value(s); received {np.asarray(sigmas)!r}."
        )
    return s


def _log_likelihoods(samples, data, sigmas, batch_size):
    """`(len(sigmas), len(data))` Parzen log-densities, `batch_size` rows at a time."""
    samples = _flat(samples, "samples")
    data = _flat(data, "data")
    check_same_features(samples, data, "samples", "data")
    batch_size = check_batch_size(batch_size)
    # Distances do not change under a shift; centring keeps the expansion
    # |x|^2 + |s|^2 - 2 x.s accurate.
    centre = samples.mean(axis=0)
    samples, data = samples - centre, data - centre
    n, d = samples.shape
    s_sq = np.einsum("ij,ij->i", samples, samples)
    out = np.empty((len(sigmas), len(data)))
    for rows in chunks(len(data), batch_size):
        d2 = squared_distances(data[rows], samples, b_sq=s_sq)
        for j, sigma in enumerate(sigmas):
            # log-mean-exp: logsumexp subtracts the max, so far points and
            # small sigma do not underflow to log(0).
            out[j, rows] = scipy.special.logsumexp(-d2 / (2 * sigma**2), axis=1)
    log_norm = np.log(n) + d * (np.log(sigmas) + 0.5 * np.log(2 * np.pi))
    return out - log_norm[:, None]


def parzen_log_likelihood(samples, test, sigma, batch_size=100):
    """Log-density of each test example under a Gaussian Parzen window.

    `log p(x) = logsumexp_i(-|x - s_i|^2 / (2 sigma^2)) - log N
    - (d/2) log(2 pi sigma^2)`, in float64.

    Args:
        samples: generated samples `(N, ...)`; the kernel centres.
        test: examples to score `(n, ...)`, same trailing shape.
        sigma: kernel width (standard deviation), > 0.
        batch_size: test examples per block; besides float64 copies of the
            inputs, peak memory is about `24 * batch_size * N` bytes.
            Defaults to `100`.

    Returns:
        float64 array `(n,)` of log-densities (nats).

    Example:

    >>> float(parzen_log_likelihood(np.zeros((1, 1)), np.zeros((1, 1)), 1.0)[0])
    -0.9189385332046727
    """
    sigma = _sigmas(sigma)
    if sigma.size != 1:
        raise ValueError(f"Expected one sigma; received {sigma.size} values.")
    return _log_likelihoods(samples, test, sigma, batch_size)[0]


def select_parzen_sigma(samples, validation, sigmas=DEFAULT_SIGMAS, batch_size=100):
    """The sigma with the highest mean validation log-likelihood.

    Warns when the best sigma is at either end of `sigmas`: the optimum is
    probably outside the grid (`sigmas` must suit the data's scale; the
    default grid, 0.1 to 1, is Goodfellow et al.'s for pixels in [0, 1]).

    Args:
        samples: generated samples `(N, ...)`.
        validation: held-out data `(n, ...)`, same trailing shape.
        sigmas: candidate widths. Defaults to `np.logspace(-1, 0, 10)`.
        batch_size: validation examples per block. Defaults to `100`.

    Returns:
        The selected sigma as a Python float.
    """
    sigmas = _sigmas(sigmas)
    means = _log_likelihoods(samples, validation, sigmas, batch_size).mean(axis=1)
    best = int(np.argmax(means))
    if len(sigmas) > 1 and sigmas[best] in (sigmas.min(), sigmas.max()):
        warnings.warn(
            f"The best Parzen sigma, {sigmas[best]:.4g}, is at the edge of the "
            f"grid [{sigmas.min():.4g}, {sigmas.max():.4g}]; widen `sigmas`.",
            UserWarning,
            stacklevel=2,
        )
    return float(sigmas[best])


def parzen_evaluate(samples, validation, test, sigmas=DEFAULT_SIGMAS, batch_size=100):
    """Goodfellow et al. 2014's Parzen-window evaluation, end to end.

    Chooses sigma on `validation` with `select_parzen_sigma`, then scores
    `test`. The standard error is `std(log p) / sqrt(n_test)` (ddof = 0), as
    in the paper's code.

    Args:
        samples: generated samples `(N, ...)` (the paper used 10,000).
        validation: held-out data for choosing sigma.
        test: held-out data to report on.
        sigmas: candidate widths. Defaults to `np.logspace(-1, 0, 10)`.
        batch_size: examples per block. Defaults to `100`.

    Returns:
        `{"mean": ..., "std_error": ..., "sigma": ...}`.
    """
    sigma = select_parzen_sigma(samples, validation, sigmas, batch_size)
    ll = parzen_log_likelihood(samples, test, sigma, batch_size)
    return {
        "mean": float(ll.mean()),
        "std_error": float(ll.std() / np.sqrt(len(ll))),
        "sigma": sigma,
    }
