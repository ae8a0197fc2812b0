"""Walking and doing arithmetic in a generator's latent space.

Radford et al. 2015 showed that a DCGAN's z space is smooth (interpolations
change images gradually) and roughly linear in concepts: averaging the z of
three "smiling woman" samples, subtracting "neutral woman" and adding "neutral
man" gives a "smiling man". Averaging several z per concept is what made the
arithmetic stable, so `concept_vector` does that.

All functions take and return NumPy float32 arrays.
"""

from __future__ import annotations

import numpy as np


def _as_vectors(z, name):
    z = np.asarray(z, dtype="float32")
    if z.ndim not in (1, 2):
        raise ValueError(
            f"Expected `{name}` to be a latent vector (d,) or a batch (n, d); "
            f"received shape {z.shape}."
        )
    return z


def _check_pair(z0, z1):
    z0, z1 = _as_vectors(z0, "z0"), _as_vectors(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(
            f"Expected z0 and z1 of the same shape; received {z0.shape} and {z1.shape}."
        )
    return z0, z1


def _fractions(steps):
    if int(steps) < 2:
        raise ValueError(f"Expected steps >= 2 (both endpoints); received {steps}.")
    return np.linspace(0.0, 1.0, int(steps), dtype="float32")


def lerp(z0, z1, steps=8):
    """Linear interpolation from `z0` to `z1`, endpoints included.

    Args:
        z0: start, `(d,)` or a batch `(n, d)`.
        z1: end, same shape as `z0`.
        steps: number of points. Defaults to `8`.

    Returns:
        `(steps, d)` for vectors, `(steps, n, d)` for batches.
    """
    z0, z1 = _check_pair(z0, z1)
    t = _fractions(steps).reshape((-1,) + (1,) * z0.ndim)
    return ((1.0 - t) * z0 + t * z1).astype("float32")


def slerp(z0, z1, steps=8):
    """Spherical interpolation from `z0` to `z1` (White 2016, "Sampling Generative Networks").

    A Gaussian z concentrates near a sphere of radius sqrt(d); the linear
    midpoint of two such vectors is shorter than typical z and can give washed
    out samples. Slerp follows the great circle instead. Falls back to lerp
    for (nearly) parallel vectors.

    Args:
        z0: start, `(d,)` or a batch `(n, d)`.
        z1: end, same shape as `z0`.
        steps: number of points. Defaults to `8`.

    Returns:
        `(steps, d)` for vectors, `(steps, n, d)` for batches.
    """
    z0, z1 = _check_pair(z0, z1)
    a = z0.reshape(-1, z0.shape[-1]).astype("float64")
    b = z1.reshape(-1, z1.shape[-1]).astype("float64")
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    cos = np.sum(a * b, axis=1, keepdims=True) / np.maximum(na * nb, 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    t = _fractions(steps).astype("float64").reshape(-1, 1, 1)
    parallel = sin < 1e-6
    safe_sin = np.where(parallel, 1.0, sin)
    w0 = np.where(parallel, 1.0 - t, np.sin((1.0 - t) * omega) / safe_sin)
    w1 = np.where(parallel, t, np.sin(t * omega) / safe_sin)
    out = w0 * a + w1 * b
    return out.reshape((-1,) + z0.shape).astype("float32")


def interpolate(z0, z1, steps=8, method="slerp"):
    """`lerp` or `slerp` by name.

    Args:
        z0: start.
        z1: end.
        steps: number of points. Defaults to `8`.
        method: `"slerp"` or `"lerp"`. Defaults to `"slerp"`.
    """
    if method == "slerp":
        return slerp(z0, z1, steps)
    if method == "lerp":
        return lerp(z0, z1, steps)
    raise ValueError(f"Expected method 'slerp' or 'lerp'; received {method!r}.")


def concept_vector(zs):
    """The mean of several latent vectors that show one concept.

    Args:
        zs: `(n, d)` latent vectors whose samples share a visual concept.

    Returns:
        `(d,)` mean vector.
    """
    zs = _as_vectors(zs, "zs")
    return zs.reshape(-1, zs.shape[-1]).mean(axis=0).astype("float32")


def arithmetic(a, b, c):
    """Latent vector arithmetic `a - b + c`, each side averaged first.

    `arithmetic(smiling_woman, neutral_woman, neutral_man)` points towards
    "smiling man" (Radford et al. 2015, Fig. 7).

    Args:
        a: `(d,)` or `(n, d)` latents of the concept to start from.
        b: latents of the concept to remove.
        c: latents of the concept to add.

    Returns:
        `(d,)` result vector.
    """
    va, vb, vc = concept_vector(a), concept_vector(b), concept_vector(c)
    if not va.shape == vb.shape == vc.shape:
        raise ValueError(
            "Expected latents of one size; received sizes "
            f"{va.shape[0]}, {vb.shape[0]}, {vc.shape[0]}."
        )
    return (va - vb + vc).astype("float32")


def interpolation_images(model, rows=8, steps=10, seed=0, method=None):
    """Samples along `rows` interpolation paths between random latent pairs.

    Smooth changes along each row (no sudden jumps) are the DCGAN paper's
    evidence that a generator has learned a meaningful latent space rather
    than memorised examples.

    Args:
        model: a keras_gans model (anything with `sample_latent` and
            `generate`).
        rows: number of paths. Defaults to `8`.
        steps: images per path, endpoints included. Defaults to `10`.
        seed: seed of the endpoints. Defaults to `0`.
        method: `"slerp"` or `"lerp"`. Defaults to `"slerp"` for Gaussian
            latents and `"lerp"` for uniform ones (slerp would leave the
            [-1, 1] cube the generator was trained on).

    Returns:
        `(rows * steps, ...)` generated examples, row by row, ready for
        `keras_gans.images.image_grid(images, ncols=steps)`.
    """
    if method is None:
        uniform = getattr(model, "latent_distribution", "normal") == "uniform"
        method = "lerp" if uniform else "slerp"
    ends = np.asarray(model.sample_latent(2 * rows, seed=seed))
    path = interpolate(ends[:rows], ends[rows:], steps, method)  # (steps, rows, d)
    z = np.swapaxes(path, 0, 1).reshape(rows * steps, -1)
    return model.generate(z)
