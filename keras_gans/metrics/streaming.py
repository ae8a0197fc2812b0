"""`keras.metrics.Metric` versions of the metrics, with bounded memory.

Each accumulates over `update_state` calls and computes the metric in
`result()`, so features can be streamed batch by batch:

```python
fid = keras_gans.metrics.FrechetDistance(num_features=128)
for real_batch, z in batches:
    fid.update_state(real_features=extractor(real_batch),
                     fake_features=extractor(generator(z)))
print(float(fid.result()))
```

Memory does not grow with the number of samples:

- `FrechetDistance` keeps the count, sum and sum of outer products of each
  side in float64: `2 (d^2 + d + 1)` numbers (67 MB at d = 2048), exact
  moments (up to float64 rounding) of everything seen. Sums add across
  replicas, so it also works under `tf.distribute`.
- `InceptionScore` assigns samples round-robin to its splits and keeps, per
  split, the count, the sum of p(y|x) and the sum of sum_y p log p:
  `splits (K + 2)` numbers. That is enough, since
  mean_x KL(p(y|x) || p(y)) = mean_x sum_y p log p - sum_y p(y) log p(y).
- `KernelDistance`, `PrecisionRecall` and `DensityCoverage` need the samples
  themselves. Each keeps a uniform random subset of at most `max_samples`
  per side (bottom-k reservoir sampling: every sample gets a random key and
  the `max_samples` smallest keys stay), in float32:
  `2 * 4 * max_samples * d` bytes (164 MB for 10,000 x 2048; 10 MB at
  d = 128), plus as much again briefly during an update. While fewer than
  `max_samples` have been seen, they hold everything and `result()` equals
  the pure function on all samples. `samples()` returns what they hold.
  Their `result()` runs the NumPy function through `tf.numpy_function`
  (host CPU; not for TPU or SavedModel graphs). Under `tf.distribute` only
  the first replica's reservoir is read.

`result()` is NaN until there are enough samples (2 per side for FID and
KID, k + 1 for the k-NN metrics, one per split for IS).
"""

from __future__ import annotations

import keras
import numpy as np

from keras_gans._tensorflow import tf
from keras_gans.metrics.kid import kernel_inception_distance
from keras_gans.metrics.manifold import density_coverage, precision_recall
from keras_gans.validation import check_int

_SIDES = ("real", "fake")


def _no_sample_weight(sample_weight, name):
    if sample_weight is not None:
        raise ValueError(
            f"{name} does not support `sample_weight`; received {sample_weight!r}."
        )


def _as_rows(x, width, name, dtype):
    x = tf.cast(tf.convert_to_tensor(x), dtype)
    if x.shape.rank is not None and x.shape.rank != 2:
        raise ValueError(
            f"Expected `{name}` of shape (batch, {width}); received shape {x.shape}."
        )
    if x.shape.rank is not None and x.shape[-1] is not None and x.shape[-1] != width:
        raise ValueError(
            f"Expected `{name}` with {width} features (the metric's "
            f"num_features / num_classes); received shape {x.shape}."
        )
    return x


def _psd_sqrt(sigma):
    w, v = tf.linalg.eigh(sigma)
    return tf.matmul(v * tf.sqrt(tf.maximum(w, 0.0))[None, :], v, transpose_b=True)


def _frechet_distance_eigh(mu1, sigma1, mu2, sigma2):
    # The "eigh" method of `frechet_distance`, in TensorFlow so that
    # `result()` also runs inside a compiled step.
    root1 = _psd_sqrt(sigma1)
    m = tf.matmul(root1, tf.matmul(sigma2, root1))
    eigenvalues = tf.linalg.eigvalsh((m + tf.transpose(m)) / 2.0)
    tr_covmean = tf.reduce_sum(tf.sqrt(tf.maximum(eigenvalues, 0.0)))
    diff = mu1 - mu2
    return (
        tf.reduce_sum(diff * diff)
        + tf.linalg.trace(sigma1)
        + tf.linalg.trace(sigma2)
        - 2.0 * tr_covmean
    )


@keras.saving.register_keras_serializable(package="keras_gans")
class FrechetDistance(keras.metrics.Metric):
    """Fréchet distance (FID) accumulated over batches of features.

    Keeps running float64 sums per side, so memory is O(d^2) however many
    samples are seen, and `result()` equals
    `fid_from_activations(all_real, all_fake, method="eigh")` up to float64
    rounding (about 1e-10 relative).

    Args:
        num_features: feature dimension d.
        name: metric name. Defaults to `"frechet_distance"`.
        dtype: Keras metric dtype (the state is float64 regardless).
            Defaults to `None`.

    Example:

    >>> m = FrechetDistance(num_features=4)
    >>> rng = np.random.default_rng(0)
    >>> m.update_state(real_features=rng.normal(size=(100, 4)))
    >>> m.update_state(fake_features=rng.normal(size=(100, 4)))
    >>> bool(m.result() < 1.0)
    True
    """

    def __init__(self, num_features, name="frechet_distance", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_features = int(num_features)
        d = self.num_features
        for side in _SIDES:
            setattr(self, f"{side}_count", self._state((), f"{side}_count"))
            setattr(self, f"{side}_sum", self._state((d,), f"{side}_sum"))
            setattr(self, f"{side}_outer", self._state((d, d), f"{side}_outer"))

    def _state(self, shape, name):
        return self.add_variable(shape, "zeros", dtype="float64", name=name)

    def update_state(self, real_features=None, fake_features=None, sample_weight=None):
        """Adds a batch of real and/or generated features `(batch, d)`."""
        _no_sample_weight(sample_weight, type(self).__name__)
        for side, x in zip(_SIDES, (real_features, fake_features), strict=True):
            if x is None:
                continue
            x = _as_rows(x, self.num_features, f"{side}_features", "float64")
            getattr(self, f"{side}_count").assign_add(
                tf.cast(tf.shape(x)[0], "float64")
            )
            getattr(self, f"{side}_sum").assign_add(tf.reduce_sum(x, axis=0))
            getattr(self, f"{side}_outer").assign_add(tf.matmul(x, x, transpose_a=True))

    def _moments(self, side):
        n = tf.convert_to_tensor(getattr(self, f"{side}_count"))
        total = tf.convert_to_tensor(getattr(self, f"{side}_sum"))
        outer = tf.convert_to_tensor(getattr(self, f"{side}_outer"))
        mu = total / tf.maximum(n, 1.0)
        sigma = (outer - n * mu[:, None] * mu[None, :]) / tf.maximum(n - 1.0, 1.0)
        # Keep the eigensolvers away from a meaningless matrix; result() is
        # NaN in that case anyway.
        sigma = tf.where(n >= 2.0, sigma, tf.eye(self.num_features, dtype="float64"))
        return n, mu, sigma

    def result(self):
        n1, mu1, sigma1 = self._moments("real")
        n2, mu2, sigma2 = self._moments("fake")
        fid = _frechet_distance_eigh(mu1, sigma1, mu2, sigma2)
        enough = tf.logical_and(n1 >= 2.0, n2 >= 2.0)
        return tf.where(enough, fid, tf.constant(np.nan, "float64"))

    def reset_fake_state(self):
        """Forgets the generated side only (keep fixed real statistics)."""
        for suffix in ("count", "sum", "outer"):
            v = getattr(self, f"fake_{suffix}")
            v.assign(tf.zeros(v.shape, "float64"))

    def get_config(self):
        return {**super().get_config(), "num_features": self.num_features}


@keras.saving.register_keras_serializable(package="keras_gans")
class InceptionScore(keras.metrics.Metric):
    """Inception score accumulated over batches of class probabilities.

    Sample i of the stream goes to split `i % splits` (the stream's length is
    not known in advance, so contiguous parts as in `inception_score` are not
    possible; on shuffled data the two agree in distribution). Exactly,
    `result_dict()` equals `inception_score(q, splits)` where `q` lists the
    samples split by split: `np.concatenate([p[s::splits] for s in
    range(splits)])`, when `splits` divides the number of samples.

    Args:
        num_classes: number of classes K.
        splits: number of splits. Defaults to `10`.
        name: metric name. Defaults to `"inception_score"`.
        dtype: Keras metric dtype (the state is float64 regardless).
            Defaults to `None`.
    """

    def __init__(self, num_classes, splits=10, name="inception_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.splits = check_int("splits", splits, minimum=1)
        self.seen = self._state((), "seen")
        self.counts = self._state((self.splits,), "counts")
        self.sum_p = self._state((self.splits, self.num_classes), "sum_p")
        self.sum_p_log_p = self._state((self.splits,), "sum_p_log_p")

    def _state(self, shape, name):
        return self.add_variable(shape, "zeros", dtype="float64", name=name)

    def update_state(self, probabilities, sample_weight=None):
        """Adds a batch of class probabilities `(batch, num_classes)`."""
        _no_sample_weight(sample_weight, type(self).__name__)
        p = _as_rows(probabilities, self.num_classes, "probabilities", "float64")
        n = tf.shape(p)[0]
        tf.debugging.assert_non_negative(
            p, message="Expected probabilities >= 0; apply a softmax to logits."
        )
        tf.debugging.assert_near(
            tf.reduce_sum(p, axis=1),
            tf.ones([n], "float64"),
            atol=1e-3,
            message="Expected probability rows summing to 1; apply a softmax.",
        )
        index = tf.convert_to_tensor(self.seen) + tf.range(n, dtype="float64")
        split = tf.cast(tf.math.floormod(index, float(self.splits)), "int32")

        def add(values):
            return tf.math.unsorted_segment_sum(values, split, self.splits)

        self.counts.assign_add(add(tf.ones([n], "float64")))
        self.sum_p.assign_add(add(p))
        self.sum_p_log_p.assign_add(add(tf.reduce_sum(tf.math.xlogy(p, p), axis=1)))
        self.seen.assign_add(tf.cast(n, "float64"))

    def _split_scores(self):
        counts = tf.convert_to_tensor(self.counts)
        safe = tf.maximum(counts, 1.0)
        marginal = self.sum_p / safe[:, None]
        mean_kl = self.sum_p_log_p / safe - tf.reduce_sum(
            tf.math.xlogy(marginal, marginal), axis=1
        )
        scores = tf.exp(mean_kl)
        nan = tf.constant(np.nan, "float64")
        return tf.where(tf.reduce_all(counts > 0), scores, nan * scores)

    def result(self):
        """The mean score over splits."""
        return tf.reduce_mean(self._split_scores())

    def result_dict(self):
        """`{"mean": ..., "std": ...}` over splits, like `inception_score`."""
        scores = self._split_scores()
        return {"mean": tf.reduce_mean(scores), "std": tf.math.reduce_std(scores)}

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "splits": self.splits,
        }


class _ReservoirMetric(keras.metrics.Metric):
    """Keeps a uniform random subset of at most `max_samples` per side."""

    # Keys of the dict the NumPy function returns; result() returns the dict,
    # or its only value.
    _result_keys = ()
    _min_samples = 2

    def __init__(self, num_features, max_samples, seed, name, dtype):
        super().__init__(name=name, dtype=dtype)
        self.num_features = int(num_features)
        self.max_samples = int(max_samples)
        self.seed = int(seed)
        if self.max_samples < self._min_samples:
            raise ValueError(
                f"Expected max_samples >= {self._min_samples}; received {max_samples}."
            )
        m, d = self.max_samples, self.num_features
        for side in _SIDES:
            # Every replica samples its own stream; only the first one's
            # reservoir is read, since reservoirs cannot be summed.
            state = {
                "features": ((m, d), "float32", "zeros"),
                "keys": ((m,), "float64", keras.initializers.Constant(np.inf)),
                "order": ((m,), "float64", "zeros"),
                "count": ((), "float64", "zeros"),
            }
            for what, (shape, dtype_, init) in state.items():
                v = self.add_variable(
                    shape,
                    init,
                    dtype=dtype_,
                    aggregation="only_first_replica",
                    name=f"{side}_{what}",
                )
                setattr(self, f"{side}_{what}", v)

    def update_state(self, real_features=None, fake_features=None, sample_weight=None):
        """Adds a batch of real and/or generated features `(batch, d)`."""
        _no_sample_weight(sample_weight, type(self).__name__)
        for i, (side, x) in enumerate(
            zip(_SIDES, (real_features, fake_features), strict=True)
        ):
            if x is not None:
                self._add(
                    i,
                    side,
                    _as_rows(x, self.num_features, f"{side}_features", "float32"),
                )

    def _add(self, side_index, side, x):
        features = getattr(self, f"{side}_features")
        keys = getattr(self, f"{side}_keys")
        order = getattr(self, f"{side}_order")
        count = getattr(self, f"{side}_count")
        n = tf.shape(x)[0]
        seen = tf.convert_to_tensor(count)
        # A different stateless stream for each side and each batch position.
        seed = tf.stack(
            [tf.constant(self.seed, "int64"), tf.cast(seen, "int64") * 2 + side_index]
        )
        new_keys = tf.random.stateless_uniform([n], seed=seed, dtype="float64")
        all_keys = tf.concat([tf.convert_to_tensor(keys), new_keys], axis=0)
        _, keep = tf.math.top_k(-all_keys, k=self.max_samples)
        features.assign(tf.gather(tf.concat([features, x], axis=0), keep))
        order.assign(
            tf.gather(
                tf.concat([order, seen + tf.range(n, dtype="float64")], axis=0), keep
            )
        )
        keys.assign(tf.gather(all_keys, keep))
        count.assign_add(tf.cast(n, "float64"))

    @staticmethod
    def _held(features, order, count, max_samples):
        # The reservoir is sorted by key, so the filled slots come first;
        # return them in the order they arrived.
        held = int(min(count, max_samples))
        return features[:held][np.argsort(order[:held], kind="stable")]

    def samples(self):
        """The held `(real, fake)` features as float32 NumPy arrays, in arrival order."""
        return tuple(
            self._held(
                np.asarray(getattr(self, f"{side}_features")),
                np.asarray(getattr(self, f"{side}_order")),
                float(np.asarray(getattr(self, f"{side}_count"))),
                self.max_samples,
            )
            for side in _SIDES
        )

    def _compute(self, real, fake):
        raise NotImplementedError

    def _numpy_result(self, rf, ro, rc, ff, fo, fc):
        real = self._held(rf, ro, rc, self.max_samples)
        fake = self._held(ff, fo, fc, self.max_samples)
        if min(len(real), len(fake)) < self._min_samples:
            return tuple(np.float64(np.nan) for _ in self._result_keys)
        out = self._compute(real, fake)
        return tuple(np.float64(out[key]) for key in self._result_keys)

    def _result_dict(self):
        inputs = [
            tf.convert_to_tensor(getattr(self, f"{side}_{what}"))
            for side in _SIDES
            for what in ("features", "order", "count")
        ]
        values = tf.numpy_function(
            self._numpy_result,
            inputs,
            [tf.float64] * len(self._result_keys),
            stateful=False,
        )
        for v in values:
            v.set_shape([])
        return dict(zip(self._result_keys, values, strict=True))

    def result(self):
        out = self._result_dict()
        return out if len(out) > 1 else next(iter(out.values()))

    def reset_state(self):
        for side in _SIDES:
            self._reset_side(side)

    def reset_fake_state(self):
        """Forgets the generated side only (keep a fixed real set)."""
        self._reset_side("fake")

    def _reset_side(self, side):
        for what in ("features", "keys", "order", "count"):
            v = getattr(self, f"{side}_{what}")
            fill = np.inf if what == "keys" else 0.0
            v.assign(tf.fill(v.shape, tf.constant(fill, v.dtype)))

    def get_config(self):
        return {
            **super().get_config(),
            "num_features": self.num_features,
            "max_samples": self.max_samples,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_gans")
class KernelDistance(_ReservoirMetric):
    """Kernel (Inception) distance over a bounded reservoir of features.

    `result()` is the KID mean of `kernel_inception_distance` on the held
    samples (see `samples()`); `result_dict()` adds the std over subsets.

    Args:
        num_features: feature dimension d.
        max_samples: reservoir size per side. Defaults to `10000`.
        num_subsets: see `kernel_inception_distance`. Defaults to `100`.
        subset_size: see `kernel_inception_distance`. Defaults to `1000`.
        degree: polynomial degree. Defaults to `3`.
        gamma: kernel scale; `None` means `1 / d`. Defaults to `None`.
        coef0: kernel constant. Defaults to `1`.
        seed: seeds the reservoir keys and the subsets. Defaults to `0`.
        name: metric name. Defaults to `"kernel_distance"`.
        dtype: Keras metric dtype. Defaults to `None`.
    """

    _result_keys = ("mean", "std")

    def __init__(
        self,
        num_features,
        max_samples=10000,
        num_subsets=100,
        subset_size=1000,
        degree=3,
        gamma=None,
        coef0=1,
        seed=0,
        name="kernel_distance",
        dtype=None,
    ):
        super().__init__(num_features, max_samples, seed, name, dtype)
        self.num_subsets = num_subsets
        self.subset_size = subset_size
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0

    def _compute(self, real, fake):
        return kernel_inception_distance(
            real,
            fake,
            num_subsets=self.num_subsets,
            subset_size=self.subset_size,
            degree=self.degree,
            gamma=self.gamma,
            coef0=self.coef0,
            seed=self.seed,
        )

    def result(self):
        """The KID (mean over subsets)."""
        return self._result_dict()["mean"]

    def result_dict(self):
        """`{"mean": ..., "std": ...}`, like `kernel_inception_distance`."""
        return self._result_dict()

    def get_config(self):
        return {
            **super().get_config(),
            "num_subsets": self.num_subsets,
            "subset_size": self.subset_size,
            "degree": self.degree,
            "gamma": self.gamma,
            "coef0": self.coef0,
        }


@keras.saving.register_keras_serializable(package="keras_gans")
class PrecisionRecall(_ReservoirMetric):
    """Improved precision and recall over a bounded reservoir of features.

    `result()` is `{"precision": ..., "recall": ...}` from `precision_recall`
    on the held samples (Keras logs the two keys).

    Args:
        num_features: feature dimension d.
        k: neighbour that sets the ball radii. Defaults to `3`.
        max_samples: reservoir size per side. Defaults to `10000`.
        batch_size: rows per distance block. Defaults to `500`.
        seed: seeds the reservoir keys. Defaults to `0`.
        name: metric name. Defaults to `"precision_recall"`.
        dtype: Keras metric dtype. Defaults to `None`.
    """

    _result_keys = ("precision", "recall")

    def __init__(
        self,
        num_features,
        k=3,
        max_samples=10000,
        batch_size=500,
        seed=0,
        name="precision_recall",
        dtype=None,
    ):
        self.k = int(k)
        self._min_samples = self.k + 1
        super().__init__(num_features, max_samples, seed, name, dtype)
        self.batch_size = batch_size

    def _compute(self, real, fake):
        return precision_recall(real, fake, k=self.k, batch_size=self.batch_size)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "batch_size": self.batch_size}


@keras.saving.register_keras_serializable(package="keras_gans")
class DensityCoverage(PrecisionRecall):
    """Density and coverage over a bounded reservoir of features.

    `result()` is `{"density": ..., "coverage": ...}` from `density_coverage`
    on the held samples.

    Args:
        num_features: feature dimension d.
        k: neighbour that sets the real ball radii. Defaults to `5`.
        max_samples: reservoir size per side. Defaults to `10000`.
        batch_size: rows per distance block. Defaults to `500`.
        seed: seeds the reservoir keys. Defaults to `0`.
        name: metric name. Defaults to `"density_coverage"`.
        dtype: Keras metric dtype. Defaults to `None`.
    """

    _result_keys = ("density", "coverage")

    def __init__(
        self,
        num_features,
        k=5,
        max_samples=10000,
        batch_size=500,
        seed=0,
        name="density_coverage",
        dtype=None,
    ):
        super().__init__(num_features, k, max_samples, batch_size, seed, name, dtype)

    def _compute(self, real, fake):
        return density_coverage(real, fake, k=self.k, batch_size=self.batch_size)


__all__ = [
    "DensityCoverage",
    "FrechetDistance",
    "InceptionScore",
    "KernelDistance",
    "PrecisionRecall",
]
