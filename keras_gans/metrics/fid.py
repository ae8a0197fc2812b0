"""Fréchet distance between Gaussians fitted to features (FID).

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to
a Local Nash Equilibrium", fit a Gaussian to the features of real and of
generated images and report the squared Fréchet (2-Wasserstein) distance
between the two:

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)).

With Inception-v3 pool features this is FID; with any other extractor it is
the same distance on other features, so always report which features and how
many samples.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from keras_gans.metrics._utils import as_features, check_same_features

_METHODS = ("sqrtm", "eigh")


def activation_statistics(activations):
    """Mean and covariance of features, the Gaussian that FID compares.

    Args:
        activations: array `(num_samples, num_features)`, at least 2 samples.

    Returns:
        `(mu, sigma)`: float64 arrays of shapes `(num_features,)` and
        `(num_features, num_features)`; `sigma` is the unbiased (n - 1)
        sample covariance, as in the reference FID code.
    """
    a = as_features(
        activations, "activations", min_samples=2, why="to estimate a covariance"
    )
    return a.mean(axis=0), np.cov(a, rowvar=False).reshape(a.shape[1], a.shape[1])


def _trace_sqrt_product_sqrtm(sigma1, sigma2, eps):
    # As pytorch-fid and clean-fid do: scipy's Schur-method square root of the
    # (non-symmetric) product; if that is not finite (a near-singular product),
    # add eps to both diagonals and retry; drop an imaginary part that rounding
    # creates, but refuse one too large to be rounding.
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        warnings.warn(
            "The product of the covariances is singular; adding "
            f"{eps} to their diagonals to compute the Fréchet distance.",
            RuntimeWarning,
            stacklevel=3,
        )
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        imag = np.max(np.abs(np.diagonal(covmean).imag))
        if imag > 1e-3:
            raise ValueError(
                "Expected the square root of the covariance product to be real "
                f"up to rounding (|imag| <= 1e-3); received |imag| = {imag:.3g}. "
                "The covariances are probably singular (fewer samples than "
                "features); use more samples or method='eigh'."
            )
        covmean = covmean.real
    return float(np.trace(covmean))


def _psd_sqrt(sigma):
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _trace_sqrt_product_eigh(sigma1, sigma2):
    # tr((S1 S2)^(1/2)) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2))): the product is
    # similar to a symmetric PSD matrix, so two symmetric eigensolvers give
    # real eigenvalues directly; negative ones are rounding and are clipped.
    root1 = _psd_sqrt(sigma1)
    m = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((m + m.T) / 2.0)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2, method="sqrtm", eps=1e-6):
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    `|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))`
    (Dowson & Landau 1982; used as FID by Heusel et al. 2017). Computed in
    float64. The result can be slightly negative (about -1e-9 relative) for
    identical inputs because of rounding; it is not clipped.

    Args:
        mu1: mean of the first Gaussian, shape `(d,)`.
        sigma1: its covariance, shape `(d, d)`, symmetric positive
            semi-definite.
        mu2: mean of the second Gaussian, shape `(d,)`.
        sigma2: its covariance, shape `(d, d)`.
        method: how to compute `tr((sigma1 sigma2)^(1/2))`. `"sqrtm"` is the
            reference algorithm of pytorch-fid and clean-fid
            (`scipy.linalg.sqrtm` of the product; if not finite, `eps` is
            added to both diagonals, which, as there, lowers the result by
            about `2 d eps`; an imaginary part larger than 1e-3 on the
            diagonal raises, a smaller one is dropped). `"eigh"` takes the square roots of the
            eigenvalues of `sigma1^(1/2) sigma2 sigma1^(1/2)` from symmetric
            eigensolvers: always real, about 5x faster at d = 2048, and equal
            to `"sqrtm"` to about 1e-10 relative when the covariances are
            well conditioned. Defaults to `"sqrtm"`.
        eps: diagonal offset for the `"sqrtm"` retry. Defaults to `1e-6`.

    Returns:
        The distance as a Python float.

    Example:

    >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
    4.0
    """
    if method not in _METHODS:
        raise ValueError(f"Expected method in {_METHODS}; received {method!r}.")
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    d = mu1.shape[0]
    for name, value, shape in (
        ("mu1", mu1, (d,)),
        ("mu2", mu2, (d,)),
        ("sigma1", sigma1, (d, d)),
        ("sigma2", sigma2, (d, d)),
    ):
        if value.shape != shape:
            raise ValueError(
                f"Expected `{name}` of shape {shape} (d = {d} from mu1); "
                f"received shape {value.shape}."
            )
    diff = mu1 - mu2
    if method == "sqrtm":
        tr_covmean = _trace_sqrt_product_sqrtm(sigma1, sigma2, eps)
    else:
        tr_covmean = _trace_sqrt_product_eigh(sigma1, sigma2)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def fid_from_activations(real, fake, method="sqrtm", eps=1e-6):
    """Fréchet distance between Gaussians fitted to two sets of features.

    With Inception-v3 pool features (2048-d) this is FID (Heusel et al. 2017).
    The estimate is biased upwards, more so with fewer samples, so only
    compare values computed with the same number of samples and the same
    feature extractor. Fewer samples than features make the covariances
    singular; that warns.

    Args:
        real: features of real examples, `(n_real, d)`, n_real >= 2.
        fake: features of generated examples, `(n_fake, d)`, n_fake >= 2.
        method: `"sqrtm"` or `"eigh"`; see `frechet_distance`. Defaults to
            `"sqrtm"`.
        eps: see `frechet_distance`. Defaults to `1e-6`.

    Returns:
        The distance as a Python float.
    """
    real = as_features(real, "real", min_samples=2, why="to estimate a covariance")
    fake = as_features(fake, "fake", min_samples=2, why="to estimate a covariance")
    check_same_features(real, fake, "real", "fake")
    n = min(len(real), len(fake))
    if n <= real.shape[1]:
        warnings.warn(
            f"Only {n} samples for {real.shape[1]} features: the covariance "
            "estimates are singular and the Fréchet distance is dominated by "
            "estimation bias. Use more samples than features.",
            RuntimeWarning,
            stacklevel=2,
        )
    mu1, sigma1 = activation_statistics(real)
    mu2, sigma2 = activation_statistics(fake)
    return frechet_distance(mu1, sigma1, mu2, sigma2, method=method, eps=eps)
