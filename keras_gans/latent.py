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

from keras_gans.validation import check_int

__all__ = [
    "LatentSpec",
    "arithmetic",
    "concept_vector",
    "interpolate",
    "interpolation_images",
    "lerp",
    "slerp",
]


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


def path_method(latent_distribution):
    """The interpolation for latents drawn from `latent_distribution`.

    `"lerp"` for `"uniform"` (slerp would leave the [-1, 1] cube the
    generator was trained on), else `"slerp"` (a Gaussian z lies near a
    sphere).
    """
    return "lerp" if latent_distribution == "uniform" else "slerp"


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
        method = path_method(getattr(model, "latent_distribution", "normal"))
    ends = np.asarray(model.sample_latent(2 * rows, seed=seed))
    path = interpolate(ends[:rows], ends[rows:], steps, method)  # (steps, rows, d)
    z = np.swapaxes(path, 0, 1).reshape(rows * steps, -1)
    return model.generate(z)


# --- Structured latent codes (InfoGAN, Chen et al. 2016) ---------------------------

_NOISE_DISTRIBUTIONS = ("uniform", "normal")


class LatentSpec:
    """A generator input made of noise z and structured codes c.

    The input vector is laid out as `[z | one-hot c_1 | ... | one-hot c_m |
    continuous codes]`: `noise_dim` noise values, one one-hot block of K
    entries per categorical code, then the continuous codes, each drawn from
    Unif(-range, range). InfoGAN's MNIST setting (Chen et al. 2016) is
    `LatentSpec(noise_dim=62, categorical=(10,), continuous=2)`.

    One object samples the input, builds batches with chosen codes, and
    splits a batch back into its parts. Sampling uses `keras.random` (an int
    seed or a `keras.random.SeedGenerator`); everything else is NumPy.

    Args:
        noise_dim: size of the incompressible noise z. Defaults to `62`.
        categorical: number of categories K of each categorical code.
            Defaults to `(10,)`.
        continuous: number of continuous codes. Defaults to `2`.
        noise_distribution: `"uniform"` (U(-1, 1), as the paper) or
            `"normal"`. Defaults to `"uniform"`.
        continuous_range: continuous codes are drawn from
            Unif(-continuous_range, continuous_range). Defaults to `1.0`.

    Example:

    ```python
    spec = keras_gans.latent.LatentSpec(noise_dim=62, categorical=(10,), continuous=2)
    z = spec.sample(16, seed=0)                       # (16, 74)
    z = spec.with_codes(z, categorical=3, continuous=[0.5, -1.0])
    grid = spec.sweep_grid(values=np.linspace(-2, 2, 10), seed=0)  # (100, 74)
    ```
    """

    def __init__(
        self,
        noise_dim=62,
        categorical=(10,),
        continuous=2,
        noise_distribution="uniform",
        continuous_range=1.0,
    ):
        if isinstance(categorical, (int, np.integer)):
            categorical = (int(categorical),)
        categorical = tuple(int(k) for k in categorical)
        noise_dim = check_int("noise_dim", noise_dim, minimum=0)
        continuous = check_int("continuous", continuous, minimum=0)
        if any(k < 2 for k in categorical):
            raise ValueError(
                "Each categorical code needs at least 2 categories; received "
                f"categorical={categorical}."
            )
        if noise_distribution not in _NOISE_DISTRIBUTIONS:
            raise ValueError(
                f"`noise_distribution` must be one of {_NOISE_DISTRIBUTIONS}; "
                f"received {noise_distribution!r}."
            )
        if not float(continuous_range) > 0:
            raise ValueError(
                f"Expected continuous_range > 0; received {continuous_range}."
            )
        self.noise_dim = int(noise_dim)
        self.categorical = categorical
        self.continuous = int(continuous)
        self.noise_distribution = noise_distribution
        self.continuous_range = float(continuous_range)
        if self.dim == self.noise_dim:
            raise ValueError(
                "A LatentSpec needs at least one code (categorical or continuous); "
                "received none."
            )

    # --- Layout --------------------------------------------------------------------

    @property
    def code_dim(self):
        """Size of the code part (one-hot blocks plus continuous codes)."""
        return sum(self.categorical) + self.continuous

    @property
    def dim(self):
        """Size of the whole generator input."""
        return self.noise_dim + self.code_dim

    def _categorical_slices(self):
        start = self.noise_dim
        for k in self.categorical:
            yield slice(start, start + k)
            start += k

    @property
    def _continuous_slice(self):
        start = self.noise_dim + sum(self.categorical)
        return slice(start, start + self.continuous)

    def get_config(self):
        return {
            "noise_dim": self.noise_dim,
            "categorical": list(self.categorical),
            "continuous": self.continuous,
            "noise_distribution": self.noise_distribution,
            "continuous_range": self.continuous_range,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, LatentSpec) and self.get_config() == other.get_config()

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"LatentSpec({args})"

    # --- Sampling ------------------------------------------------------------------

    def sample(self, n, seed=None):
        """Draws `n` generator inputs `(n, dim)` as a float32 tensor.

        Args:
            n: how many (an int or a scalar tensor).
            seed: an int, a `keras.random.SeedGenerator`, or `None`.
        """
        import keras

        if isinstance(seed, (int, np.integer)):
            # One int seed for several draws would repeat the same stream
            # (the continuous codes would copy the first noise values).
            seed = keras.random.SeedGenerator(int(seed))
        parts = []
        if self.noise_dim:
            shape = (n, self.noise_dim)
            if self.noise_distribution == "uniform":
                parts.append(keras.random.uniform(shape, -1.0, 1.0, seed=seed))
            else:
                parts.append(keras.random.normal(shape, seed=seed))
        for k in self.categorical:
            logits = keras.ops.zeros((n, k))
            index = keras.random.categorical(logits, 1, seed=seed)[:, 0]
            parts.append(keras.ops.one_hot(index, k, dtype="float32"))
        if self.continuous:
            r = self.continuous_range
            parts.append(keras.random.uniform((n, self.continuous), -r, r, seed=seed))
        return keras.ops.concatenate(parts, axis=-1)

    def split(self, latent):
        """Splits generator inputs into their parts.

        Args:
            latent: `(n, dim)` array or tensor.

        Returns:
            A dict with `"noise"` `(n, noise_dim)`, `"categorical"` (a list of
            `(n, K)` one-hot blocks, one per categorical code) and
            `"continuous"` `(n, continuous)`, of the input's type.
        """
        self._check(latent)
        return {
            "noise": latent[:, : self.noise_dim],
            "categorical": [latent[:, s] for s in self._categorical_slices()],
            "continuous": latent[:, self._continuous_slice],
        }

    def _check(self, latent):
        shape = tuple(latent.shape)
        if len(shape) != 2 or shape[-1] != self.dim:
            raise ValueError(
                f"Expected generator inputs of shape (n, {self.dim}) "
                f"({self.noise_dim} noise + {sum(self.categorical)} one-hot for "
                f"categorical codes {list(self.categorical)} + {self.continuous} "
                f"continuous); received shape {shape}."
            )

    def with_codes(self, latent, categorical=None, continuous=None):
        """A copy of `latent` with some codes set; everything else is kept.

        Args:
            latent: `(n, dim)` generator inputs (e.g. from `sample`).
            categorical: category indices: an int (every row, every
                categorical code), `(n,)` (one code, or every code), or
                `(n, m)` (one column per categorical code); `None` keeps them.
            continuous: values: a scalar, `(c,)` (every row), or `(n, c)`;
                `None` keeps them. Use NaN in a `(c,)` vector to keep one code.

        Returns:
            A float32 NumPy array `(n, dim)`.
        """
        latent = np.array(latent, dtype="float32", copy=True)
        self._check(latent)
        n = latent.shape[0]
        if categorical is not None:
            if not self.categorical:
                raise ValueError(
                    "This LatentSpec has no categorical codes; received categorical="
                    f"{categorical!r}."
                )
            cats = np.asarray(categorical)
            if not np.issubdtype(cats.dtype, np.integer) and not (
                np.issubdtype(cats.dtype, np.floating)
                and np.all(cats == np.round(cats))
            ):
                raise ValueError(
                    f"Expected integer category indices; received {categorical!r}."
                )
            m = len(self.categorical)
            if cats.ndim == 0:
                cats = np.full((n, m), int(cats))
            elif cats.ndim == 1 and cats.shape[0] == n:
                cats = np.repeat(cats[:, None], m, axis=1)
            elif cats.ndim == 1 and cats.shape[0] == m and n != m:
                cats = np.broadcast_to(cats, (n, m))
            if cats.shape != (n, m):
                raise ValueError(
                    f"Expected categorical codes as an int, (n,) or (n, {m}) with "
                    f"n={n}; received shape {np.shape(categorical)}."
                )
            cats = cats.astype("int64")
            for j, (k, s) in enumerate(
                zip(self.categorical, self._categorical_slices(), strict=True)
            ):
                if cats[:, j].min() < 0 or cats[:, j].max() >= k:
                    raise ValueError(
                        f"Categorical code {j} has {k} categories (0..{k - 1}); "
                        f"received indices {sorted(set(cats[:, j].tolist()))}."
                    )
                latent[:, s] = np.eye(k, dtype="float32")[cats[:, j]]
        if continuous is not None:
            if not self.continuous:
                raise ValueError(
                    "This LatentSpec has no continuous codes; received continuous="
                    f"{continuous!r}."
                )
            values = np.asarray(continuous, dtype="float32")
            try:
                values = np.broadcast_to(values, (n, self.continuous))
            except ValueError:
                raise ValueError(
                    f"Expected continuous codes as a scalar, ({self.continuous},) or "
                    f"(n, {self.continuous}) with n={n}; received shape "
                    f"{values.shape}."
                ) from None
            block = latent[:, self._continuous_slice]
            latent[:, self._continuous_slice] = np.where(
                np.isnan(values), block, values
            )
        return latent

    def build(self, n, categorical=None, continuous=None, seed=None):
        """`n` inputs with fresh noise (and codes) from `seed`, then some codes set."""
        latent = np.asarray(self.sample(int(n), seed=seed))
        return self.with_codes(latent, categorical, continuous)

    def category_batch(self, code=0, n_per_category=1, seed=None, continuous=0.0):
        """Every category of one categorical code, the rest held fixed.

        Row `i * K + k` has noise (and other codes) `i` and category `k`, so a
        grid with `K` columns shows one noise per row going through all
        categories.

        Args:
            code: which categorical code. Defaults to `0`.
            n_per_category: how many noise vectors. Defaults to `1`.
            seed: seed of the noise. Defaults to `None`.
            continuous: value of the continuous codes (`None` keeps the
                random draw). Defaults to `0.0`.

        Returns:
            `(n_per_category * K, dim)` float32 NumPy array.
        """
        self._check_code(code, "categorical", len(self.categorical))
        k = self.categorical[code]
        base = np.asarray(self.sample(int(n_per_category), seed=seed))
        base = self.with_codes(base, continuous=continuous) if self.continuous else base
        latent = np.repeat(base, k, axis=0)
        s = list(self._categorical_slices())[code]
        latent[:, s] = np.tile(np.eye(k, dtype="float32"), (int(n_per_category), 1))
        return latent

    def sweep(self, code=0, values=None, n=1, seed=None, hold=0.0):
        """One continuous code swept over `values`, everything else held.

        Row `i * len(values) + j` has noise `i` and the code at `values[j]`.

        Args:
            code: which continuous code. Defaults to `0`.
            values: the code's values. Defaults to 10 points in [-2, 2]
                (beyond the training range +-1, as in the paper's figures).
            n: how many noise vectors (rows). Defaults to `1`.
            seed: seed of the noise and categorical codes. Defaults to `None`.
            hold: value of the other continuous codes (`None` keeps the
                random draw). Defaults to `0.0`.

        Returns:
            `(n * len(values), dim)` float32 NumPy array.
        """
        self._check_code(code, "continuous", self.continuous)
        values = _sweep_values(values)
        base = np.asarray(self.sample(int(n), seed=seed))
        if hold is not None:
            base = self.with_codes(base, continuous=hold)
        latent = np.repeat(base, len(values), axis=0)
        column = self._continuous_slice.start + code
        latent[:, column] = np.tile(values, int(n))
        return latent

    def sweep_grid(self, categorical_code=0, continuous_code=0, values=None, seed=None):
        """Rows: the categories of one code; columns: one continuous code's sweep.

        The noise and the other continuous codes (at 0) are the same in every
        cell, so each row differs only in the category and each column only
        in the swept code.

        Returns:
            `(K * len(values), dim)` float32 NumPy array, row by row.
        """
        self._check_code(categorical_code, "categorical", len(self.categorical))
        self._check_code(continuous_code, "continuous", self.continuous)
        values = _sweep_values(values)
        k = self.categorical[categorical_code]
        base = np.asarray(self.sample(1, seed=seed))
        base = self.with_codes(base, continuous=0.0)
        latent = np.repeat(base, k * len(values), axis=0)
        latent = self.with_codes(
            latent,
            categorical=_category_columns(
                np.repeat(np.arange(k), len(values)),
                base,
                self,
                categorical_code,
            ),
        )
        column = self._continuous_slice.start + continuous_code
        latent[:, column] = np.tile(values, k)
        return latent

    def _check_code(self, code, kind, count):
        if not isinstance(code, (int, np.integer)) or not 0 <= code < count:
            raise ValueError(
                f"Expected a {kind} code index in [0, {count}); received {code!r} "
                f"(this LatentSpec has {count} {kind} code(s))."
            )


def _sweep_values(values):
    if values is None:
        values = np.linspace(-2.0, 2.0, 10)
    values = np.asarray(values, dtype="float32").reshape(-1)
    if values.size < 1:
        raise ValueError("Expected at least one sweep value; received none.")
    return values


def _category_columns(indices, base, spec, code):
    # Keep the other categorical codes at the base row's categories.
    parts = spec.split(base)["categorical"]
    current = [int(np.argmax(p[0])) for p in parts]
    cats = np.tile(np.asarray(current, dtype="int64"), (len(indices), 1))
    cats[:, code] = indices
    return cats
