"""Pixel and latent distributions of the likelihood families, in `keras.ops`.

Every log-probability is in nats and summed over all but the batch axis, so
a model's loss is `-log p(x)` per example. Images arrive as integer *levels*
`0 .. L-1` (float tensors): `L = 2` for binarised images, `256` for 8-bit
ones (`LikelihoodModel.to_levels`). Sampling is by inverse CDF from given
uniforms, so the same uniforms give the same pixels in NumPy, in a model's
`generate()` and in an exported SavedModel.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)
# The smallest log-scale of a discretised logistic (PixelCNN++ uses -7).
MIN_LOG_SCALE = -7.0


def _sum_but_batch(x):
    return ops.sum(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, in nats.

    The VAE's regulariser in closed form (Kingma and Welling 2014, App. B):
    -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2), >= 0 with equality at
    mean 0, variance 1.
    """
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)


def normal_log_prob(z, mean=0.0, log_var=0.0):
    """log N(z; mean, exp(log_var)) per row, summed over the last axis."""
    z = ops.cast(z, "float32")
    mean = ops.cast(mean, "float32")
    log_var = ops.cast(log_var, "float32")
    return -0.5 * ops.sum(
        LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1
    )


def bernoulli_log_prob(logits, x):
    """log p(x) of independent Bernoulli pixels with `logits`; `x` in {0, 1}."""
    logits = ops.cast(logits, "float32")
    x = ops.cast(x, "float32")
    # log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) = -softplus(l).
    return -_sum_but_batch(x * ops.softplus(-logits) + (1.0 - x) * ops.softplus(logits))


def categorical_log_prob(logits, x):
    """log p(x) of pixels with `logits` `(..., L)` over levels; `x` levels `(...)`."""
    logits = ops.cast(logits, "float32")
    levels = logits.shape[-1]
    log_p = ops.log_softmax(logits, axis=-1)
    one_hot = ops.one_hot(ops.cast(x, "int32"), levels, dtype="float32")
    return _sum_but_batch(ops.sum(one_hot * log_p, axis=-1))


def discretized_logistic_log_prob(mean, log_scale, x, levels):
    """log p(x) of pixels from a logistic discretised into `levels` bins.

    Level k is the bin of width 2 / (L - 1) around -1 + 2k / (L - 1); the
    first and last bins take the tails, so the L probabilities sum to 1
    (Salimans et al. 2017, PixelCNN++, with one component).

    Args:
        mean, log_scale: the logistic's location (in [-1, 1] units) and log
            scale, shaped like `x`.
        x: levels `0 .. levels - 1`.
        levels: L.
    """
    mean = ops.cast(mean, "float32")
    log_scale = ops.maximum(ops.cast(log_scale, "float32"), MIN_LOG_SCALE)
    x = ops.cast(x, "float32")
    half = 1.0 / (levels - 1)
    centered = x * (2.0 * half) - 1.0 - mean
    inv_scale = ops.exp(-log_scale)
    plus = inv_scale * (centered + half)
    minus = inv_scale * (centered - half)
    log_cdf_plus = plus - ops.softplus(plus)  # log sigmoid(plus): the lowest bin
    log_sf_minus = -ops.softplus(minus)  # log(1 - sigmoid(minus)): the highest
    delta = ops.sigmoid(plus) - ops.sigmoid(minus)
    # Where the bin's mass underflows, its density times the width.
    mid = inv_scale * centered
    log_density = mid - log_scale - 2.0 * ops.softplus(mid) + math.log(2.0 * half)
    log_mid = ops.where(delta > 1e-5, ops.log(ops.maximum(delta, 1e-12)), log_density)
    log_p = ops.where(
        x < 0.5, log_cdf_plus, ops.where(x > levels - 1.5, log_sf_minus, log_mid)
    )
    return _sum_but_batch(log_p)


# --- Sampling by inverse CDF (NumPy) ---------------------------------------------


def sample_bernoulli(logits, uniforms):
    """Levels in {0, 1}: 1 where the uniform falls below sigmoid(logit)."""
    p = 1.0 / (1.0 + np.exp(-np.asarray(logits, "float64")))
    return (np.asarray(uniforms) < p).astype("float32")


def sample_categorical(logits, uniforms):
    """Levels `0 .. L-1` from logits `(..., L)`: the first level whose CDF passes u."""
    logits = np.asarray(logits, "float64")
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cdf = np.cumsum(p, axis=-1) / p.sum(axis=-1, keepdims=True)
    level = np.sum(cdf < np.asarray(uniforms)[..., None], axis=-1)
    return np.minimum(level, logits.shape[-1] - 1).astype("float32")
