"""Scoring a clustering (or an unsupervised code) against true labels.

An InfoGAN's categorical code, like any clustering, names its groups
arbitrarily: category 3 may be "Trouser". `cluster_accuracy` therefore
matches clusters to labels one to one so that the most examples agree
(Hungarian matching on the contingency table, as in the unsupervised
classification results of Chen et al. 2016 and the deep-clustering
literature), and reports the share of examples whose cluster maps to their
label. `normalized_mutual_information` is a matching-free score of the same
agreement. `kmeans_accuracy` gives the usual baseline: k-means on raw pixels.

`cluster_accuracy`, `contingency_matrix` and `normalized_mutual_information`
need only NumPy and SciPy; `kmeans_clusters` and `kmeans_accuracy` need
scikit-learn (`pip install "keras-gans[sklearn]"`), imported when called.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from keras_gans.validation import check_int

_AVERAGE_METHODS = ("arithmetic", "geometric", "min", "max")
_SKLEARN_HINT = 'pip install "keras-gans[sklearn]"'


def _as_integer_vector(values, name):
    """`values` as a 1-D int64 array, checked."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"Expected `{name}` to be a 1-D array of integers (one per example); "
            f"received shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(f"Expected at least one example in `{name}`; received 0.")
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or (array != np.round(array)).any():
            raise ValueError(
                f"Expected `{name}` to hold integers; received float values such "
                f"as {array[~(array == np.round(array))][:3].tolist()}."
            )
        return array.astype(np.int64)
    raise ValueError(
        f"Expected `{name}` to hold integers; received dtype {array.dtype}."
    )


def _check_pair(labels, clusters):
    labels = _as_integer_vector(labels, "labels")
    clusters = _as_integer_vector(clusters, "clusters")
    if len(labels) != len(clusters):
        raise ValueError(
            "Expected `labels` and `clusters` to have the same length (one of "
            f"each per example); received {len(labels)} and {len(clusters)}."
        )
    return labels, clusters


def _values_and_codes(values, given, name):
    """Sorted distinct values (or `given`) and each element's index in them."""
    if given is None:
        distinct, codes = np.unique(values, return_inverse=True)
        return distinct, codes.reshape(-1)
    distinct = np.asarray(given, dtype=np.int64).reshape(-1)
    if len(distinct) == 0 or len(np.unique(distinct)) != len(distinct):
        raise ValueError(
            f"Expected distinct values, at least one, in `{name}_values`; received "
            f"{distinct.tolist()}."
        )
    order = np.argsort(distinct, kind="stable")
    sorted_values = distinct[order]
    position = np.searchsorted(sorted_values, values)
    position = np.minimum(position, len(sorted_values) - 1)
    missing = sorted_values[position] != values
    if missing.any():
        raise ValueError(
            f"Expected every value of `{name}` to be in `{name}_values` "
            f"{distinct.tolist()}; received {np.unique(values[missing]).tolist()}."
        )
    return distinct, order[position]


def contingency_matrix(labels, clusters, label_values=None, cluster_values=None):
    """Counts of examples per (label, cluster) pair.

    Rows are labels and columns clusters, as in
    `sklearn.metrics.cluster.contingency_matrix`.

    Args:
        labels: true labels, 1-D integers (any values, e.g. `[3, 7, 7]`).
        clusters: cluster ids of the same examples, 1-D integers.
        label_values: the label value of each row, in order; every label
            must be one of them (values that never occur give rows of
            zeros). Defaults to `None`: the sorted distinct labels.
        cluster_values: the same for the columns. Defaults to `None`: the
            sorted distinct clusters.

    Returns:
        `(table, label_values, cluster_values)`: an int64 array
        `(num_labels, num_clusters)` whose entry `[i, j]` counts the examples
        with label `label_values[i]` in cluster `cluster_values[j]`, and the
        two int64 arrays of row and column values.

    Example:

    >>> table, rows, cols = contingency_matrix([5, 5, 9], [0, 1, 1])
    >>> table.tolist(), rows.tolist(), cols.tolist()
    ([[1, 1], [0, 1]], [5, 9], [0, 1])
    """
    labels, clusters = _check_pair(labels, clusters)
    label_values, label_codes = _values_and_codes(labels, label_values, "labels")
    cluster_values, cluster_codes = _values_and_codes(
        clusters, cluster_values, "clusters"
    )
    table = np.zeros((len(label_values), len(cluster_values)), dtype=np.int64)
    np.add.at(table, (label_codes, cluster_codes), 1)
    return table, label_values, cluster_values


def cluster_accuracy(labels, clusters, return_mapping=False):
    """Accuracy of clusters as labels under the best one-to-one matching.

    Each cluster is matched to at most one label and each label to at most
    one cluster so that the most examples agree (the Hungarian algorithm,
    `scipy.optimize.linear_sum_assignment`, on the contingency table); the
    result is the share of examples whose cluster is matched to their label.
    With more clusters than labels the unmatched clusters count as wrong;
    with fewer, the unmatched labels are never predicted. Labels and
    clusters may be any integers (they need not be 0..n-1).

    Args:
        labels: true labels, 1-D integers.
        clusters: cluster ids (e.g. an InfoGAN category or a k-means
            assignment) of the same examples, 1-D integers.
        return_mapping: whether to also return the matching. Defaults to
            `False`.

    Returns:
        The accuracy in [0, 1] as a Python float; with `return_mapping=True`,
        `(accuracy, mapping)` where `mapping` is a dict from each matched
        cluster to its label (Python ints; unmatched clusters are absent).

    Example:

    >>> cluster_accuracy([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])
    1.0
    >>> cluster_accuracy([0, 0, 0, 1], [5, 5, 6, 6], return_mapping=True)
    (0.75, {5: 0, 6: 1})
    """
    table, label_values, cluster_values = contingency_matrix(labels, clusters)
    rows, cols = scipy.optimize.linear_sum_assignment(table, maximize=True)
    accuracy = float(table[rows, cols].sum() / table.sum())
    if not return_mapping:
        return accuracy
    mapping = {
        int(cluster_values[c]): int(label_values[r])
        for r, c in sorted(zip(rows, cols, strict=True), key=lambda rc: rc[1])
    }
    return accuracy, mapping


def _entropy(counts):
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def normalized_mutual_information(labels, clusters, average_method="arithmetic"):
    """Normalized mutual information between labels and clusters.

    `NMI = I(labels; clusters) / mean(H(labels), H(clusters))` in nats, from
    the empirical joint distribution. Independent of how clusters are named
    and needs no matching; 1 for identical partitions, near 0 for
    independent ones (it is not adjusted for chance, so small samples of
    independent partitions score a little above 0). Computed with NumPy,
    with the definition and edge cases of scikit-learn's
    `normalized_mutual_info_score` (equal to it to rounding): two partitions
    with a single group each score 1, and zero mutual information scores 0.

    Args:
        labels: true labels, 1-D integers.
        clusters: cluster ids of the same examples, 1-D integers.
        average_method: how to average the two entropies: `"arithmetic"`,
            `"geometric"`, `"min"` or `"max"`. Defaults to `"arithmetic"`
            (scikit-learn's default).

    Returns:
        The NMI in [0, 1] as a Python float.

    Example:

    >>> normalized_mutual_information([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    if average_method not in _AVERAGE_METHODS:
        raise ValueError(
            f"Expected average_method in {_AVERAGE_METHODS}; received "
            f"{average_method!r}."
        )
    table, _, _ = contingency_matrix(labels, clusters)
    if table.shape[0] == table.shape[1] == 1:
        return 1.0
    n = table.sum()
    joint = table / n
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    nonzero = joint > 0
    mi = float((joint[nonzero] * np.log(joint[nonzero] / outer[nonzero])).sum())
    mi = max(mi, 0.0)
    if mi == 0.0:
        return 0.0
    h_labels, h_clusters = _entropy(table.sum(axis=1)), _entropy(table.sum(axis=0))
    if average_method == "arithmetic":
        normalizer = (h_labels + h_clusters) / 2
    elif average_method == "geometric":
        normalizer = np.sqrt(h_labels * h_clusters)
    elif average_method == "min":
        normalizer = min(h_labels, h_clusters)
    else:
        normalizer = max(h_labels, h_clusters)
    return float(min(mi / normalizer, 1.0))


def _kmeans_class():
    try:
        from sklearn.cluster import KMeans
    except ImportError as e:
        raise ImportError(
            f"k-means needs scikit-learn, which is not installed: {_SKLEARN_HINT}"
        ) from e
    return KMeans


def _flat_pixels(images):
    x = np.asarray(images)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(
            "Expected `images` as a non-empty batch (n, ...) such as (n, H, W) "
            f"or (n, H, W, C); received shape {x.shape}."
        )
    if x.dtype.kind not in "iubf":
        raise ValueError(
            f"Expected numeric pixel values in `images`; received dtype {x.dtype}."
        )
    x = x.reshape(len(x), -1).astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError("Expected finite values in `images`; received NaN or inf.")
    return x


def kmeans_clusters(images, k, seed=0, n_init=10):
    """k-means clusters of images on their raw, flattened pixels.

    scikit-learn's `KMeans` (k-means++ initialisation, Lloyd iterations, the
    best of `n_init` runs by inertia) on float32 pixels as given: uint8
    `[0, 255]` and `[-1, 1]` images give the same clusters, since k-means is
    unchanged by one scale and shift of all pixels.

    Args:
        images: `(n, ...)` images (e.g. `(n, 28, 28)` uint8 or
            `(n, H, W, C)` floats); n >= k.
        k: number of clusters, >= 1.
        seed: `random_state` of `KMeans`. Defaults to `0`.
        n_init: number of initialisations. Defaults to `10`.

    Returns:
        int64 cluster ids `(n,)` in `0..k-1`.

    Raises:
        ImportError: if scikit-learn is not installed.
    """
    x = _flat_pixels(images)
    if isinstance(k, bool) or int(k) != k or int(k) < 1:
        raise ValueError(f"Expected k to be an integer >= 1; received k={k!r}.")
    k = int(k)
    if len(x) < k:
        raise ValueError(
            f"Expected at least k={k} images to form {k} clusters; received {len(x)}."
        )
    n_init = check_int("n_init", n_init, minimum=1)
    kmeans = _kmeans_class()(n_clusters=k, n_init=n_init, random_state=seed)
    return kmeans.fit_predict(x).astype(np.int64)


def kmeans_accuracy(images, labels, k=None, seed=0, n_init=10):
    """`cluster_accuracy` of k-means on raw pixels: a baseline for InfoGAN codes.

    Args:
        images: `(n, ...)` images; see `kmeans_clusters`.
        labels: their true labels, 1-D integers of length n.
        k: number of clusters. Defaults to `None`: the number of distinct
            labels.
        seed: `random_state` of `KMeans`. Defaults to `0`.
        n_init: number of initialisations. Defaults to `10`.

    Returns:
        The matched accuracy in [0, 1] as a Python float.

    Raises:
        ImportError: if scikit-learn is not installed.
    """
    labels = _as_integer_vector(labels, "labels")
    n_images = np.shape(images)[0] if np.ndim(images) else 0
    if n_images != len(labels):
        raise ValueError(
            "Expected one label per image; received "
            f"{n_images} images and {len(labels)} labels."
        )
    if k is None:
        k = len(np.unique(labels))
    clusters = kmeans_clusters(images, k, seed=seed, n_init=n_init)
    return cluster_accuracy(labels, clusters)


__all__ = [
    "cluster_accuracy",
    "contingency_matrix",
    "kmeans_accuracy",
    "kmeans_clusters",
    "normalized_mutual_information",
]
