"""Kernel distance between features (KID): unbiased polynomial-kernel MMD^2.

Bińkowski et al. 2018, "Demystifying MMD GANs", proposed the Kernel
Inception Distance: the squared maximum mean discrepancy between real and
generated features under the kernel k(x, y) = (gamma x.y + coef0)^degree
(by default gamma = 1/d, coef0 = 1, degree = 3), estimated without bias, and
averaged over random subsets. Unlike FID its estimator is unbiased, so values
from different sample sizes are comparable and the same distribution gives 0
on average (single estimates can be negative).
"""

from __future__ import annotations

import warnings

import numpy as np

from keras_gans.metrics._utils import as_features, check_same_features
from keras_gans.validation import check_int


def _mmd2_unbiased(x, y, degree, gamma, coef0):
    # Equal sizes m: the U-statistic for the within-set terms (diagonals
    # dropped) and all m^2 pairs for the cross term, as in Bińkowski et al.'s
    # code and clean-fid.
    m = x.shape[0]
    k_xx = (gamma * (x @ x.T) + coef0) ** degree
    k_yy = (gamma * (y @ y.T) + coef0) ** degree
    k_xy = (gamma * (x @ y.T) + coef0) ** degree
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.sum() / (m * m)


def kernel_inception_distance(
    real,
    fake,
    num_subsets=100,
    subset_size=1000,
    degree=3,
    gamma=None,
    coef0=1,
    seed=0,
):
    """Kernel (Inception) distance: unbiased MMD^2 with a polynomial kernel.

    Follows Bińkowski et al. 2018 and clean-fid: `num_subsets` times, draw
    `subset_size` real and `subset_size` generated examples without
    replacement and compute the unbiased MMD^2 estimate

        1/(m(m-1)) sum_{i!=j} [k(x_i, x_j) + k(y_i, y_j)]
        - 2/m^2 sum_{i,j} k(x_i, y_j),   k(x, y) = (gamma x.y + coef0)^degree.

    If `subset_size` exceeds the smaller set it is reduced to that size with
    a warning (then every subset of the smaller set is the whole set).
    Computed in float64; memory is three `subset_size^2` kernel matrices.

    Args:
        real: features of real examples, `(n_real, d)`, n_real >= 2.
        fake: features of generated examples, `(n_fake, d)`, n_fake >= 2.
        num_subsets: number of random subsets. Defaults to `100`.
        subset_size: examples per set in each subset. Defaults to `1000`.
        degree: polynomial degree. Defaults to `3`.
        gamma: scale of the dot product; `None` means `1 / d`. Defaults to
            `None`.
        coef0: constant added to the scaled dot product. Defaults to `1`.
        seed: seed of the NumPy generator that draws the subsets. Defaults to
            `0`.

    Returns:
        `{"mean": ..., "std": ...}`: the mean of the subset estimates (the KID)
        and their standard deviation (ddof = 0, as in the reference code).
        Subsets overlap, so the std describes one subset's estimate, not the
        standard error of the mean.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(500, 8)), rng.normal(1.0, size=(500, 8))
    >>> kernel_inception_distance(x, y, subset_size=200)["mean"] > 0.5
    True
    """
    real = as_features(real, "real", min_samples=2, why="for an unbiased MMD")
    fake = as_features(fake, "fake", min_samples=2, why="for an unbiased MMD")
    check_same_features(real, fake, "real", "fake")
    check_int("num_subsets", num_subsets, minimum=1)
    check_int("subset_size", subset_size, minimum=2)
    m = min(int(subset_size), len(real), len(fake))
    if m < subset_size:
        warnings.warn(
            f"subset_size={subset_size} is larger than the smaller set "
            f"({len(real)} real, {len(fake)} fake examples); using subsets of {m}.",
            UserWarning,
            stacklevel=2,
        )
    gamma = 1.0 / real.shape[1] if gamma is None else float(gamma)
    rng = np.random.default_rng(seed)
    estimates = np.empty(int(num_subsets))
    for s in range(int(num_subsets)):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        estimates[s] = _mmd2_unbiased(x, y, degree, gamma, coef0)
    return {"mean": float(estimates.mean()), "std": float(estimates.std())}
