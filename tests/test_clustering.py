"""Tests for keras_gans.metrics.clustering, evaluation.code_accuracy and
tools/bench_infogan.py."""

import itertools
import json
import sys

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import evaluation
from keras_gans.metrics import (
    cluster_accuracy,
    contingency_matrix,
    kmeans_accuracy,
    kmeans_clusters,
    normalized_mutual_information,
)


def _from_table(table):
    """Labels and clusters whose contingency table (rows labels) is `table`."""
    labels, clusters = [], []
    for (i, j), count in np.ndenumerate(np.asarray(table)):
        labels += [i] * int(count)
        clusters += [j] * int(count)
    return np.array(labels), np.array(clusters)


# --- cluster_accuracy ------------------------------------------------------------


def test_permuted_labels_score_one():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    clusters = np.array([2, 2, 0, 0, 1, 1, 1])
    accuracy, mapping = cluster_accuracy(labels, clusters, return_mapping=True)
    assert accuracy == 1.0
    assert mapping == {2: 0, 0: 1, 1: 2}
    assert all(type(k) is int and type(v) is int for k, v in mapping.items())


def test_known_table_optimum_beats_greedy():
    # Permutations (cluster for labels 0, 1, 2) give 7, 9, 10, 5, 7, 0 matches;
    # the best is label 0 -> cluster 1, label 1 -> cluster 0, label 2 -> cluster
    # 2 (10 of 19). Greedy matching (largest entry first: 5, then 3, then 1)
    # would find only 9.
    table = [[5, 4, 0], [4, 0, 1], [0, 3, 2]]
    labels, clusters = _from_table(table)
    accuracy, mapping = cluster_accuracy(labels, clusters, return_mapping=True)
    assert accuracy == pytest.approx(10 / 19)
    assert mapping == {1: 0, 0: 1, 2: 2}


def test_matches_brute_force_on_random_tables():
    rng = np.random.default_rng(0)
    for _ in range(20):
        k = int(rng.integers(2, 6))
        table = rng.integers(0, 6, size=(k, k))
        table[0, 0] += 1  # never empty
        labels, clusters = _from_table(table)
        best = max(
            sum(table[i, p[i]] for i in range(k))
            for p in itertools.permutations(range(k))
        )
        assert cluster_accuracy(labels, clusters) == pytest.approx(best / table.sum())


def test_more_clusters_than_labels_leaves_some_unmatched():
    labels = [0, 0, 0, 1, 1, 1]
    clusters = [0, 0, 1, 2, 2, 2]
    accuracy, mapping = cluster_accuracy(labels, clusters, return_mapping=True)
    assert accuracy == pytest.approx(5 / 6)
    assert mapping == {0: 0, 2: 1}  # cluster 1 is unmatched: its example is wrong


def test_fewer_clusters_than_labels():
    labels = [0, 0, 1, 1, 2, 2, 2]
    clusters = [0, 0, 0, 0, 1, 1, 1]
    accuracy, mapping = cluster_accuracy(labels, clusters, return_mapping=True)
    assert accuracy == pytest.approx(5 / 7)
    assert mapping[1] == 2 and mapping[0] in (0, 1) and len(mapping) == 2


def test_arbitrary_label_and_cluster_values():
    labels = np.array([10, 10, -3, -3, 7], dtype=np.int16)
    clusters = np.array([100, 100, 5, 5, 42], dtype=np.uint8)
    accuracy, mapping = cluster_accuracy(labels, clusters, return_mapping=True)
    assert accuracy == 1.0
    assert mapping == {100: 10, 5: -3, 42: 7}
    # Whole-number floats are integers too.
    assert cluster_accuracy([1.0, 1.0, 2.0], [0, 0, 1]) == 1.0


def test_single_example():
    assert cluster_accuracy([4], [9], return_mapping=True) == (1.0, {9: 4})


@pytest.mark.parametrize(
    "labels, clusters, message",
    [
        ([0, 1, 2], [0, 1], "same length"),
        ([], [], "at least one example"),
        ([[0, 1], [1, 0]], [0, 1, 1, 0], "1-D"),
        ([0, 1], [[0], [1]], "1-D"),
        ([0.5, 1.0], [0, 1], "integers"),
        ([0, np.nan], [0, 1], "integers"),
        (["a", "b"], [0, 1], "integers"),
    ],
)
def test_cluster_accuracy_errors(labels, clusters, message):
    with pytest.raises(ValueError, match=message):
        cluster_accuracy(labels, clusters)


def test_contingency_matrix_with_fixed_values():
    table, rows, cols = contingency_matrix([5, 5, 9], [0, 1, 1])
    assert table.tolist() == [[1, 1], [0, 1]]
    assert rows.tolist() == [5, 9] and cols.tolist() == [0, 1]
    # Unseen values give rows of zeros, in the order given.
    table, rows, _ = contingency_matrix([2, 0], [1, 1], label_values=[2, 1, 0])
    assert table.tolist() == [[1], [0], [1]] and rows.tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match=r"in `labels_values`.*\[7\]"):
        contingency_matrix([0, 7], [0, 0], label_values=[0, 1])
    with pytest.raises(ValueError, match="distinct values"):
        contingency_matrix([0, 1], [0, 0], label_values=[0, 1, 1])


# --- normalized_mutual_information -----------------------------------------------


def test_nmi_identical_and_renamed_partitions_are_one():
    labels = [0, 0, 1, 1, 2, 2, 2]
    assert normalized_mutual_information(labels, labels) == pytest.approx(1.0)
    assert normalized_mutual_information(
        labels, [9, 9, 4, 4, 7, 7, 7]
    ) == pytest.approx(1.0)


def test_nmi_independent_partitions_are_zero():
    # Every cluster holds each label equally often: exactly zero information.
    assert normalized_mutual_information([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0
    rng = np.random.default_rng(0)
    labels, clusters = rng.integers(0, 10, 20000), rng.integers(0, 10, 20000)
    assert 0.0 <= normalized_mutual_information(labels, clusters) < 0.005


def test_nmi_edge_cases_and_known_value():
    assert normalized_mutual_information([3, 3, 3], [1, 1, 1]) == 1.0
    assert normalized_mutual_information([0, 1, 2], [5, 5, 5]) == 0.0
    # labels {0,0,1,1}, clusters {0,0,0,1}: I = H(c) - H(c|l) = h(1/4) - 1/2 h(1/2),
    # normalised by (H(l) + H(c)) / 2 = (log 2 + h(1/4)) / 2.
    h = lambda p: -(p * np.log(p) + (1 - p) * np.log(1 - p))  # noqa: E731
    expected = (h(0.25) - 0.5 * np.log(2)) / ((np.log(2) + h(0.25)) / 2)
    assert normalized_mutual_information([0, 0, 1, 1], [0, 0, 0, 1]) == (
        pytest.approx(expected)
    )
    with pytest.raises(ValueError, match="average_method"):
        normalized_mutual_information([0, 1], [0, 1], average_method="mean")


def test_nmi_equals_sklearn():
    sk_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for method in ("arithmetic", "geometric", "min", "max"):
        labels = rng.integers(0, 5, 300)
        clusters = np.where(rng.random(300) < 0.6, labels, rng.integers(0, 7, 300))
        ours = normalized_mutual_information(labels, clusters, average_method=method)
        theirs = sk_metrics.normalized_mutual_info_score(
            labels, clusters, average_method=method
        )
        assert ours == pytest.approx(theirs, abs=1e-12)


# --- k-means ---------------------------------------------------------------------


def _blobs(seed=0, per_class=30):
    rng = np.random.default_rng(seed)
    centres = np.eye(4, 16) * 50.0
    labels = np.repeat(np.array([3, 8, 20, 21]), per_class)
    images = np.repeat(centres, per_class, axis=0) + rng.normal(size=(len(labels), 16))
    order = rng.permutation(len(labels))
    return images[order].reshape(-1, 4, 4, 1), labels[order]


def test_kmeans_accuracy_on_separated_blobs():
    pytest.importorskip("sklearn")
    images, labels = _blobs()
    assert kmeans_accuracy(images, labels, seed=0, n_init=3) == 1.0
    clusters = kmeans_clusters(images, 4, seed=1, n_init=2)
    assert clusters.shape == (len(labels),) and set(clusters.tolist()) == {0, 1, 2, 3}
    # uint8 input works as well (raw pixels).
    as_uint8 = np.clip(images * 2 + 20, 0, 255).astype(np.uint8)
    assert kmeans_accuracy(as_uint8[..., 0], labels, n_init=3) == 1.0


def test_kmeans_errors():
    pytest.importorskip("sklearn")
    images, labels = _blobs(per_class=1)
    with pytest.raises(ValueError, match="at least k=5 images"):
        kmeans_clusters(images, 5)
    with pytest.raises(ValueError, match="k to be an integer >= 1"):
        kmeans_clusters(images, 0)
    with pytest.raises(ValueError, match="one label per image"):
        kmeans_accuracy(images, labels[:3])
    with pytest.raises(ValueError, match="non-empty batch"):
        kmeans_clusters(np.zeros((0, 4)), 1)


def test_kmeans_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.cluster", None)
    images, labels = _blobs(per_class=2)
    with pytest.raises(ImportError, match=r'pip install "keras-gans\[sklearn\]"'):
        kmeans_accuracy(images, labels)


# --- evaluation.code_accuracy ----------------------------------------------------


class StubInfoGAN:
    """infer_codes: category = index of the pixel-value band of pixel (0, 0)."""

    image_shape = (4, 4, 1)

    def __init__(self, num_categories=4):
        self.num_categories = num_categories
        self.seen = None

    def infer_codes(self, images, batch_size=256):
        self.seen = images
        categories = np.clip(
            ((images[:, 0, 0, 0] + 1.0) / 2.0 * self.num_categories).astype(int),
            0,
            self.num_categories - 1,
        )
        probs = np.eye(self.num_categories)[categories]
        return {"categories": categories[:, None], "categorical": [probs]}


def _banded_uint8(categories, num_categories=4):
    # Pixel values in the middle of each category's band of [0, 255].
    values = ((np.asarray(categories) + 0.5) * 256 / num_categories).astype(np.uint8)
    return np.repeat(values, 16).reshape(-1, 4, 4)


def test_code_accuracy_with_float_images():
    categories = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    labels = np.array([7, 7, 5, 5, 9, 9, 5, 7])
    images = keras_gans.images.from_uint8(_banded_uint8(categories))
    model = StubInfoGAN()
    result = evaluation.code_accuracy(model, images, labels)
    assert result["accuracy"] == pytest.approx(7 / 8)
    assert result["mapping"] == {0: 7, 1: 5, 2: 9}
    assert result["n"] == 8 and result["code"] == 0
    assert result["label_values"] == [5, 7, 9]
    # K = 4 rows (category 3 is never predicted), one column per label value.
    assert result["confusion"] == [[0, 3, 0], [2, 0, 0], [1, 0, 2], [0, 0, 0]]
    assert result["nmi"] == pytest.approx(
        normalized_mutual_information(labels, categories)
    )
    json.dumps(result)  # plain Python types


def test_code_accuracy_scales_uint8_and_adds_the_channel_axis():
    categories = np.array([3, 2, 1, 0, 3])
    model = StubInfoGAN()
    result = evaluation.code_accuracy(model, _banded_uint8(categories), categories)
    assert result["accuracy"] == 1.0
    assert model.seen.dtype == np.float32 and model.seen.shape == (5, 4, 4, 1)
    assert -1.0 <= model.seen.min() and model.seen.max() <= 1.0
    # (n, H, W) floats get the channel axis too.
    floats = keras_gans.images.from_uint8(_banded_uint8(categories))[..., 0]
    assert evaluation.code_accuracy(model, floats, categories)["accuracy"] == 1.0


@pytest.mark.parametrize(
    "images, labels, kwargs, message",
    [
        (np.zeros((3, 5, 5, 1), "float32"), [0, 1, 2], {}, r"shape \(n, 4, 4, 1\)"),
        (np.zeros((3, 4, 4, 3), "uint8"), [0, 1, 2], {}, r"shape \(n, 4, 4, 1\)"),
        (np.zeros((3, 4, 4), "int64"), [0, 1, 2], {}, "uint8 images"),
        (np.full((3, 4, 4, 1), 200.0), [0, 1, 2], {}, r"scaled to \[-1, 1\]"),
        (np.zeros((3, 4, 4, 1), "float32"), [0, 1], {}, "one label per image"),
        (np.zeros((0, 4, 4, 1), "float32"), [], {}, "at least one image"),
        (np.zeros((3, 4, 4, 1), "float32"), [0, 1, 2], {"code": 1}, "code in 0..0"),
    ],
)
def test_code_accuracy_errors(images, labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        evaluation.code_accuracy(StubInfoGAN(), images, labels, **kwargs)


# --- tools/bench_infogan.py ------------------------------------------------------


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_infogan")


def _tiny_infogan(path, image_shape, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras_gans.InfoGAN(
        image_shape=image_shape,
        latent_spec=keras_gans.latent.LatentSpec(
            noise_dim=4, categorical=(3,), continuous=1
        ),
        g_filters=8,
        d_filters=8,
        hidden=32,
        q_hidden=16,
        seed=seed,
    )
    model.compile()
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model


def test_replace_section_between_markers(bench):
    begin, end = bench.markers("fashion_mnist")
    text = "# Benchmarks\n\n## Other\n\nkept\n"
    once = bench.replace_section(text, "fashion_mnist", "first body\n")
    assert once.startswith(text.rstrip("\n")) and "first body" in once
    assert once.index(begin) < once.index("first body") < once.index(end)
    twice = bench.replace_section(
        once + "\n## After\n\nalso kept\n", "fashion_mnist", "2"
    )
    assert "first body" not in twice and "\n2\n" in twice
    assert twice.count(begin) == 1 and "also kept" in twice and "kept\n" in twice
    # Another dataset gets its own section.
    assert bench.markers("digits")[0] in bench.replace_section(twice, "digits", "x")
    with pytest.raises(ValueError, match="markers"):
        bench.replace_section(text + begin + "\n", "fashion_mnist", "body")


def test_bench_infogan_end_to_end(bench, tmp_path, fashion_dir, capsys):
    pytest.importorskip("sklearn")
    run_dir = tmp_path / "run"
    _tiny_infogan(run_dir / "model.keras", (28, 28, 1), seed=0)
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "config": {"model": "infogan", "epochs": 3, "seed": 0},
                "epochs_requested": 3,
                "epochs_completed": 3,
                "finished": True,
                "final_model_epochs": 3,
            }
        )
    )
    lone = tmp_path / "lone.keras"
    _tiny_infogan(lone, (28, 28, 1), seed=1)
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Something else\n\nstays\n")
    argv = [
        str(run_dir),
        str(lone),
        "--data-dir",
        str(fashion_dir),
        "--n",
        "100",
        "--kmeans-seeds",
        "0",
        "1",
        "--n-init",
        "2",
        "--output",
        str(output),
        "--json",
        str(tmp_path / "out" / "results.json"),
        "--confusion-png",
        str(tmp_path / "out" / "confusion.png"),
    ]
    results = bench.main(argv)

    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["n"] == 100 and saved["dataset"] == "fashion_mnist"
    assert len(saved["models"]) == 2 and len(saved["kmeans"]["runs"]) == 2
    first, second = results["models"]
    assert first["file"].endswith("model.keras") and first["epochs"] == 3
    assert first["run"]["config"]["model"] == "infogan"
    assert second["run"] is None
    assert first["settings"]["latent_spec"]["categorical"] == [3]
    for row in results["models"]:
        assert 0.0 <= row["accuracy"] <= 1.0 and 0.0 <= row["nmi"] <= 1.0
        assert np.array(row["confusion"]).shape == (3, len(saved["class_counts"]))
        assert np.sum(row["confusion"]) == 100
    km = results["kmeans"]
    assert km["k"] == len(saved["class_counts"]) and 0.0 < km["accuracy"] <= 1.0
    counts = np.array(list(results["class_counts"].values()))
    assert results["constant"]["accuracy"] == pytest.approx(counts.max() / 100)

    png = (tmp_path / "out" / "confusion.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    text = output.read_text()
    assert "stays" in text and text.count(bench.markers("fashion_mnist")[0]) == 1
    assert "k-means on raw pixels" in text
    best = max(results["models"], key=lambda r: r["accuracy"])
    assert all(
        f"{c} → {keras_gans.data.CLASS_NAMES[label]}" in text
        for c, label in best["mapping"].items()
    )
    assert "run.json: model infogan" in text and "--n 100" in text
    assert "| method | accuracy (matched) | NMI |" in capsys.readouterr().out

    # A second run replaces the section instead of adding one.
    bench.main(argv[:1] + argv[2:])
    again = output.read_text()
    assert again.count(bench.markers("fashion_mnist")[0]) == 1
    assert "lone.keras" not in again and "stays" in again


def test_bench_infogan_errors(bench, tmp_path, fashion_dir):
    _tiny_infogan(tmp_path / "small.keras", (16, 16, 1))
    common = ["--data-dir", str(fashion_dir), "--output", ""]
    with pytest.raises(ValueError, match=r"small.keras: Expected images of shape"):
        bench.main([str(tmp_path / "small.keras"), *common])
    with pytest.raises(ValueError, match=r"1 <= --n <= 128"):
        bench.main([str(tmp_path / "small.keras"), "--n", "500", *common])
    model = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=4, seed=0)
    model.compile()
    model.save(tmp_path / "dcgan.keras")
    with pytest.raises(ValueError, match="Expected an InfoGAN"):
        bench.main(
            [
                str(tmp_path / "dcgan.keras"),
                "--data-dir",
                str(fashion_dir),
                "--output",
                "",
            ]
        )


def test_bench_infogan_on_digits(bench, tmp_path):
    if "digits" not in keras_gans.data.LOCAL_DATASETS:
        pytest.skip("the digits dataset is not available yet")
    pytest.importorskip("sklearn")
    _tiny_infogan(tmp_path / "digits.keras", (16, 16, 1))
    results = bench.main(
        [
            str(tmp_path / "digits.keras"),
            "--dataset",
            "digits",
            "--kmeans-seeds",
            "0",
            "--n-init",
            "1",
            "--output",
            str(tmp_path / "BENCHMARKS.md"),
            "--confusion-png",
            str(tmp_path / "confusion.png"),
        ]
    )
    assert results["class_names"] == [str(d) for d in range(10)]
    assert results["kmeans"]["k"] == 10
    assert (tmp_path / "confusion.png").exists()
