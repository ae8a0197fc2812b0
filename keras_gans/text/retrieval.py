"""How good a text embedding is: retrieval, class structure, attribute probes.

All functions take embeddings as numpy arrays (computed once, e.g. with
`TextEncoder.embed`), separately from the networks that made them, and
return plain floats, so their results go straight into a report.

- `retrieval_accuracy`: text -> image and image -> text top-k accuracy,
  a query counting as right when its key (its class, or its whole
  description: class, shade and width) is among the first k distinct keys
  of the items of the other modality ranked by cosine similarity.
- `class_separation`: mean cosine of same-class and of different-class
  caption pairs; captions of one class should sit together.
- `linear_probe_accuracy`: a ridge-regression linear probe fitted on one
  set of embeddings and scored on another, e.g. predicting a caption's
  shade or width level: whether the embedding carries the attributes and
  not only the class.
"""

from __future__ import annotations

import numpy as np

# Similarities held at once (float32 and a boolean copy: ~20 MB).
_BLOCK = 4_000_000


def _unit(x):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"Expected (n, d) embeddings, received shape {x.shape}.")
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _keys(keys, n, arg):
    keys = np.asarray(keys)
    if keys.shape != (n,):
        raise ValueError(
            f"Expected {arg} as {n} keys (one per embedding), received shape "
            f"{keys.shape}."
        )
    return keys


def top_k_hits(queries, gallery, query_keys, gallery_keys, ks=(1, 5)):
    """For each k, the fraction of queries whose key is among the k best keys.

    Gallery items are ranked by cosine similarity to the query and read as
    a list of keys, repeats dropped: a query is right at k when its own key
    is among the first k distinct keys (equivalently, when fewer than k
    other keys have an item closer than the query key's closest item).
    Dropping repeats matters: the 5 captions nearest an image are often 5
    wordings of one description, so "one of the 5 nearest items" would say
    little more than top-1.

    Args:
        queries: `(n, d)` embeddings.
        gallery: `(m, d)` embeddings of the other modality.
        query_keys: `(n,)` integer keys (e.g. class labels) of the queries.
        gallery_keys: `(m,)` integer keys of the gallery items.
        ks: Cut-offs. Defaults to `(1, 5)`.

    Returns:
        `{k: fraction}` of floats in [0, 1]. A query whose key no gallery
        item has is a miss.
    """
    queries, gallery = _unit(queries), _unit(gallery)
    query_keys = _keys(query_keys, len(queries), "query_keys")
    gallery_keys = _keys(gallery_keys, len(gallery), "gallery_keys")
    # Gallery sorted by key, so that each key's best score is one reduceat.
    order = np.argsort(gallery_keys, kind="stable")
    gallery, gallery_keys = gallery[order], gallery_keys[order]
    unique, starts = np.unique(gallery_keys, return_index=True)
    own = np.searchsorted(unique, query_keys)
    known = (own < len(unique)) & (
        unique[np.minimum(own, len(unique) - 1)] == query_keys
    )
    own = np.minimum(own, len(unique) - 1)
    hits = {k: 0 for k in ks}
    chunk = max(1, _BLOCK // max(len(gallery), 1))
    for start in range(0, len(queries), chunk):
        rows = slice(start, start + chunk)
        scores = queries[rows] @ gallery.T
        best = np.maximum.reduceat(scores, starts, axis=1)
        own_best = best[np.arange(len(best)), own[rows]]
        rank = np.sum(best > own_best[:, None], axis=1)
        for k in ks:
            hits[k] += int(np.sum((rank < k) & known[rows]))
    return {k: hits[k] / max(len(queries), 1) for k in ks}


def retrieval_accuracy(
    image_embeddings, text_embeddings, image_keys, text_keys, ks=(1, 5), prefix=""
):
    """Top-k retrieval accuracy in both directions, at the level of `keys`.

    Args:
        image_embeddings: `(n, d)`.
        text_embeddings: `(m, d)`, e.g. all `n * k` captions flattened.
        image_keys: `(n,)` keys of the images: class labels for class-level
            retrieval, or a class-shade-width code for the full description.
        text_keys: `(m,)` keys of the texts.
        ks: Cut-offs. Defaults to `(1, 5)`.
        prefix: Put before each metric name. Defaults to `""`.

    Returns:
        A dict `{f"{prefix}text_to_image_top{k}": ..., f"{prefix}image_to_text_top{k}": ...}`.
    """
    result = {}
    for name, args in (
        ("text_to_image", (text_embeddings, image_embeddings, text_keys, image_keys)),
        ("image_to_text", (image_embeddings, text_embeddings, image_keys, text_keys)),
    ):
        for k, value in top_k_hits(*args, ks=ks).items():
            result[f"{prefix}{name}_top{k}"] = value
    return result


def class_separation(embeddings, labels):
    """Mean cosine similarity of pairs from the same class and from different ones.

    Computed exactly from per-class sums (no n x n matrix). Self-pairs are
    left out.

    Args:
        embeddings: `(n, d)`.
        labels: `(n,)` integer classes.

    Returns:
        A dict with `"same_class_cosine"`, `"different_class_cosine"` and
        their difference `"class_gap"` (positive when classes cluster).
    """
    x = _unit(embeddings).astype(np.float64)
    labels = _keys(labels, len(x), "labels")
    self_total = float(np.sum(x * x))
    total = x.sum(axis=0)
    all_pairs = float(total @ total) - self_total
    same_pairs, same_count = 0.0, 0
    for c in np.unique(labels):
        members = x[labels == c]
        s = members.sum(axis=0)
        same_pairs += float(s @ s) - float(np.sum(members * members))
        same_count += len(members) * (len(members) - 1)
    n = len(x)
    different_count = n * (n - 1) - same_count
    same = same_pairs / max(same_count, 1)
    different = (all_pairs - same_pairs) / max(different_count, 1)
    return {
        "same_class_cosine": same,
        "different_class_cosine": different,
        "class_gap": same - different,
    }


def linear_probe_accuracy(
    train_embeddings, train_targets, test_embeddings, test_targets, l2=1e-3
):
    """Accuracy of a linear probe (ridge regression to one-hot targets).

    Closed form, deterministic: weights `(X'X + l2 n I)^-1 X'Y` on the
    training embeddings with a bias column, prediction the argmax.

    Args:
        train_embeddings: `(n, d)`.
        train_targets: `(n,)` integer classes in [0, c).
        test_embeddings: `(m, d)`.
        test_targets: `(m,)` integer classes.
        l2: Ridge penalty per example. Defaults to `1e-3`.

    Returns:
        Accuracy on the test embeddings, a float.
    """
    x = np.asarray(train_embeddings, dtype=np.float64)
    y = _keys(train_targets, len(x), "train_targets").astype(np.int64)
    test = np.asarray(test_embeddings, dtype=np.float64)
    test_y = _keys(test_targets, len(test), "test_targets").astype(np.int64)
    classes = int(max(y.max(), test_y.max())) + 1
    x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    test = np.concatenate([test, np.ones((len(test), 1))], axis=1)
    onehot = np.eye(classes)[y]
    gram = x.T @ x + l2 * len(x) * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, x.T @ onehot)
    return float(np.mean(np.argmax(test @ weights, axis=1) == test_y))


def description_keys(labels, attributes):
    """One integer per (class, shade level, width level): `label * 9 + shade * 3 + width`."""
    labels = np.asarray(labels).astype(np.int64)
    return (
        labels * 9
        + np.asarray(attributes["shade_word"]).astype(np.int64) * 3
        + np.asarray(attributes["width_word"]).astype(np.int64)
    )


__all__ = [
    "class_separation",
    "description_keys",
    "linear_probe_accuracy",
    "retrieval_accuracy",
    "top_k_hits",
]
