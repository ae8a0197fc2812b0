"""Tests for keras_gans.data.captions: attributes, caption grammar, the captioned
Fashion-MNIST pipeline, and user (image, text) and (image, embedding) data."""

import itertools
import pathlib
import re

import numpy as np
import pytest
import tensorflow as tf

from keras_gans import data
from keras_gans.data import captions, fashion_mnist, loader
from keras_gans.images import from_uint8

DEBIAN_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def train(fashion_dir):
    """The captioned fixture training split (512 images, 5 captions each)."""
    return captions.load_captioned("train", data_dir=fashion_dir)


def _template_regex(template):
    """A template as a regex: placeholders match their synonyms, "a" also "an"."""
    words = {
        "noun": captions.CLASS_SYNONYMS,
        "shade": captions.SHADE_SYNONYMS,
        "width": captions.WIDTH_SYNONYMS,
    }
    out = []
    for part in re.split(r"(\{\w+\})", template):
        if part.startswith("{"):
            group = [re.escape(w) for ws in words[part[1:-1]] for w in ws]
            out.append("(?:" + "|".join(group) + ")")
        else:
            pieces = re.split(r"(?<![\w-])a(?= )", part)
            out.append("an?".join(re.escape(x) for x in pieces))
    return re.compile("^" + "".join(out) + "$")


def _templates_matching(text, templates):
    return [i for i, t in enumerate(templates) if _template_regex(t).match(text)]


def _every_caption(wording):
    templates = (
        captions.TRAIN_TEMPLATES if wording == "train" else captions.HELD_OUT_TEMPLATES
    )
    out = []
    for label, nouns in enumerate(captions.CLASS_SYNONYMS):
        for shade, shades in enumerate(captions.SHADE_SYNONYMS):
            for width, widths in enumerate(captions.WIDTH_SYNONYMS):
                for t, n, s, w in itertools.product(
                    range(len(templates)),
                    range(len(nouns)),
                    range(len(shades)),
                    range(len(widths)),
                ):
                    text = captions.caption(label, shade, width, t, n, s, w, wording)
                    out.append((text, label, shade, width))
    return out


# --- Attributes --------------------------------------------------------------


def test_attributes_shapes_ranges_and_float_equals_uint8(train):
    images, labels = train.images, train.labels
    measured = captions.measure_attributes(images, labels)
    assert set(measured) == {"shade", "width", "size", "shade_word", "width_word"}
    for key in ("shade", "width", "size"):
        assert measured[key].shape == (512,)
        assert (measured[key] > 0).all() and (measured[key] <= 1).all()
    for key in ("shade_word", "width_word"):
        assert set(np.unique(measured[key])) == {0, 1, 2}
    # The same numbers from float [-1, 1] copies, with or without channel axis.
    for variant in (from_uint8(images), images[..., None], from_uint8(images)[..., 0]):
        again = captions.measure_attributes(variant, labels)
        for key in measured:
            np.testing.assert_array_equal(again[key], measured[key])
    # Without labels: the measurements, no levels.
    assert set(captions.measure_attributes(images)) == {"shade", "width", "size"}


def test_attributes_follow_the_pixels(train):
    images, labels = train.images, train.labels
    before = captions.measure_attributes(images, labels)
    darker = np.rint(images * 0.6).astype(np.uint8)
    after = captions.measure_attributes(darker, labels)
    assert (after["shade"] < before["shade"]).all()
    assert (after["shade_word"] <= before["shade_word"]).all()
    assert after["shade_word"].mean() < before["shade_word"].mean() - 0.5
    # Every other column, centred: the same garment at half the width.
    squeezed = np.zeros_like(images)
    squeezed[:, :, 7:21] = images[:, :, ::2]
    after = captions.measure_attributes(squeezed, labels)
    assert (after["width"] < before["width"]).all()
    assert (after["width_word"] <= before["width_word"]).all()
    assert (after["size"] < before["size"]).all()
    np.testing.assert_allclose(after["shade"], before["shade"], atol=0.1)
    # A hand-made garment: a 10 x 14 block of value 200 in a 28 x 28 image.
    block = np.zeros((1, 28, 28), np.uint8)
    block[0, 9:19, 7:21] = 200
    m = captions.measure_attributes(block)
    np.testing.assert_allclose([m["shade"][0], m["width"][0]], [200 / 255, 0.5])
    np.testing.assert_allclose(m["size"], 140 / 784)
    # Faint pixels below the threshold are background; an empty image is 0.
    block[0, 0, :] = captions.GARMENT_THRESHOLD - 1
    np.testing.assert_allclose(captions.measure_attributes(block)["width"], 0.5)
    empty = captions.measure_attributes(np.zeros((1, 28, 28), np.uint8), [3])
    assert [empty[k][0] for k in ("shade", "width", "shade_word")] == [0, 0, 0]


def test_attribute_words_carry_information_beyond_the_label(train):
    # Within every class every level of each attribute occurs.
    for c in range(10):
        mask = train.labels == c
        assert set(train.attributes["shade_word"][mask]) == {0, 1, 2}, c
        assert set(train.attributes["width_word"][mask]) == {0, 1, 2}, c


def test_thresholds_are_per_class_tertiles(train):
    thresholds = captions.compute_thresholds(train.images, train.labels)
    assert thresholds["shade"].shape == (10, 2) == thresholds["width"].shape
    # On the images they were computed from, each level holds about a third.
    for key in ("shade", "width"):
        values = train.attributes[key]
        for c in range(10):
            v = values[train.labels == c]
            lo, hi = thresholds[key][c]
            assert lo <= hi
            assert abs((v < lo).mean() - 1 / 3) < 0.05
            assert abs((v >= hi).mean() - 1 / 3) < 0.05
    with pytest.raises(ValueError, match="none of class 5 .'Sandal'."):
        captions.compute_thresholds(train.images[:5], np.arange(5))


@pytest.mark.skipif(
    not (DEBIAN_DIR / fashion_mnist.FILES["train"][0]).is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_threshold_constants_reproduce_from_the_training_split():
    images, labels = fashion_mnist.load_split("train", DEBIAN_DIR)
    thresholds = captions.compute_thresholds(images, labels)
    np.testing.assert_array_equal(thresholds["shade"], captions.SHADE_THRESHOLDS)
    np.testing.assert_array_equal(thresholds["width"], captions.WIDTH_THRESHOLDS)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 28, 28, 3), np.uint8), r"\(n, H, W\) or \(n, H, W, 1\)"),
        (np.zeros((28, 28), np.uint8), r"received shape \(28, 28\)"),
        (np.zeros((2, 28, 28), np.int64), "uint8 in .* or float .* dtype int64"),
        (np.full((2, 28, 28), 255.0), r"float images in \[-1, 1\].*as uint8"),
        (np.full((2, 28, 28), np.nan), "finite"),
    ],
)
def test_measure_attributes_errors(images, message):
    with pytest.raises(ValueError, match=message):
        captions.measure_attributes(images)


def test_measure_attributes_label_errors():
    images = np.zeros((2, 28, 28), np.uint8)
    with pytest.raises(ValueError, match=r"labels as 2 integers .* shape \(3,\)"):
        captions.measure_attributes(images, [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels in \[0, 10\)"):
        captions.measure_attributes(images, [0, 10])
    with pytest.raises(ValueError, match="labels as 2 integers"):
        captions.measure_attributes(images, [0.0, 1.0])


# --- Caption grammar ---------------------------------------------------------


def test_grammar_sizes():
    assert len(captions.TRAIN_TEMPLATES) >= 5
    assert len(captions.HELD_OUT_TEMPLATES) >= 2
    assert not set(captions.TRAIN_TEMPLATES) & set(captions.HELD_OUT_TEMPLATES)
    assert len(captions.CLASS_SYNONYMS) == len(fashion_mnist.CLASS_NAMES)
    assert all(len(set(s)) >= 2 for s in captions.CLASS_SYNONYMS)
    assert all(len(set(s)) >= 2 for s in captions.SHADE_SYNONYMS)
    assert all(len(set(s)) >= 2 for s in captions.WIDTH_SYNONYMS)
    for template in captions.TRAIN_TEMPLATES + captions.HELD_OUT_TEMPLATES:
        assert sorted(re.findall(r"\{(\w+)\}", template)) == ["noun", "shade", "width"]
    # Both orders of the attributes occur in each wording.
    for templates in (captions.TRAIN_TEMPLATES, captions.HELD_OUT_TEMPLATES):
        orders = {t.index("{shade}") < t.index("{width}") for t in templates}
        assert orders == {True, False}


def test_every_caption_parses_back_and_wordings_are_disjoint():
    vocab = {}
    texts = {}
    for wording in captions.WORDINGS:
        every = _every_caption(wording)
        for text, label, shade, width in every:
            assert captions.parse_caption(text) == {
                "label": label,
                "shade_word": shade,
                "width_word": width,
            }, text
        texts[wording] = {t for t, *_ in every}
        assert len(texts[wording]) == len(every)  # all distinct
        vocab[wording] = {w for t in texts[wording] for w in t.replace(",", "").split()}
    assert not texts["train"] & texts["held_out"]
    # Held-out captions only rephrase: no word is new to a model trained on
    # the training captions.
    assert vocab["held_out"] <= vocab["train"]
    # English articles.
    assert "an ankle boot" in " ".join(texts["train"])
    assert not re.search(r"\ba [aeiou]", " ".join(texts["train"] | texts["held_out"]))


def test_caption_examples_and_errors():
    assert captions.caption(1, 2, 0) == "a light narrow pair of trousers"
    assert (
        captions.caption(9, 0, 2, template=1, noun=2)
        == "a wide short boot in a dark tone"
    )
    with pytest.raises(ValueError, match=r"wording in \('train', 'held_out'\)"):
        captions.caption(0, 0, 0, wording="test")
    with pytest.raises(ValueError, match=r"template to be an integer in \[0, 3\)"):
        captions.caption(0, 0, 0, template=3, wording="held_out")
    with pytest.raises(ValueError, match=r"label to be an integer in \[0, 10\)"):
        captions.caption(10, 0, 0)
    with pytest.raises(ValueError, match="shade_word"):
        captions.caption(0, 3, 0)
    assert captions.parse_caption("A Photo of a PALE, slim sneaker") == {
        "label": 7,
        "shade_word": 2,
        "width_word": 0,
    }
    # "shirt" inside "t-shirt" and "grey" inside "mid-grey" are not words.
    assert captions.parse_caption("a mid-grey wide t-shirt")["label"] == 0
    for text in ["a dark wide shirt and a bag", "a wide bag", "a dark bag", "hello"]:
        with pytest.raises(ValueError, match="exactly one"):
            captions.parse_caption(text)


def test_captions_name_the_class_and_the_measured_words(train):
    assert train.captions.shape == (512, 5) and train.captions.dtype == object
    attrs = train.attributes
    for i in range(len(train)):
        label = int(train.labels[i])
        shade, width = int(attrs["shade_word"][i]), int(attrs["width_word"][i])
        for text in train.captions[i]:
            assert any(n in text for n in captions.CLASS_SYNONYMS[label]), text
            assert any(s in text for s in captions.SHADE_SYNONYMS[shade]), text
            assert any(w in text for w in captions.WIDTH_SYNONYMS[width]), text
            assert captions.parse_caption(text) == {
                "label": label,
                "shade_word": shade,
                "width_word": width,
            }


def test_train_and_held_out_wordings_on_real_captions(fashion_dir, train):
    held_out = captions.load_captioned(
        "test", data_dir=fashion_dir, wording="held_out", captions_per_image=6
    )
    used = {"train": set(), "held_out": set()}
    for wording, rows in [("train", train.captions), ("held_out", held_out.captions)]:
        for row in rows:
            matches = []
            for text in row:
                own = _templates_matching(text, captions._TEMPLATES[wording])
                other = "held_out" if wording == "train" else "train"
                assert _templates_matching(text, captions._TEMPLATES[other]) == []
                assert len(own) == 1, text
                matches.append(own[0])
            used[wording].update(matches)
            # One image's captions use different sentence patterns, as long as
            # there are enough of them.
            t = len(captions._TEMPLATES[wording])
            assert len(set(matches)) == min(len(row), t)
    assert used["train"] == set(range(len(captions.TRAIN_TEMPLATES)))
    assert used["held_out"] == set(range(len(captions.HELD_OUT_TEMPLATES)))


def test_captions_are_deterministic_per_image(fashion_dir, train):
    again = captions.load_captioned("train", data_dir=fashion_dir)
    np.testing.assert_array_equal(again.captions, train.captions)
    # The first images of a split get the same captions as in the full split.
    first = captions.load_captioned("train", data_dir=fashion_dir, limit=7)
    np.testing.assert_array_equal(first.captions, train.captions[:7])
    # ... and any subset, given its indices; caption j does not depend on k.
    index = np.array([500, 3, 77])
    subset = {k: v[index] for k, v in train.attributes.items()}
    picked = captions.captions_for(train.labels[index], subset, 3, index=index)
    np.testing.assert_array_equal(picked, train.captions[index, :3])
    # Another seed, other captions.
    other = captions.captions_for(train.labels, train.attributes, seed=1)
    assert (other != train.captions).mean() > 0.5
    # Captions of one image are mostly different from one another.
    assert np.mean([len(set(row)) for row in train.captions]) > 4.5


def test_captions_for_errors(train):
    labels, attrs = train.labels, train.attributes
    with pytest.raises(ValueError, match=r"wording in \('train', 'held_out'\)"):
        captions.captions_for(labels, attrs, wording="heldout")
    with pytest.raises(ValueError, match="n_per_image to be a positive integer"):
        captions.captions_for(labels, attrs, n_per_image=0)
    with pytest.raises(ValueError, match="seed to be a non-negative integer"):
        captions.captions_for(labels, attrs, seed=-1)
    with pytest.raises(ValueError, match="'shade_word' and 'width_word'"):
        captions.captions_for(labels, {"shade": attrs["shade"]})
    with pytest.raises(ValueError, match=r"attributes\['shade_word'\] as 3 levels"):
        captions.captions_for(labels[:3], {k: v[:4] for k, v in attrs.items()})
    with pytest.raises(ValueError, match="index as 3 non-negative integers"):
        captions.captions_for(
            labels[:3], {k: v[:3] for k, v in attrs.items()}, index=[0, 1]
        )
    with pytest.raises(ValueError, match="1-D array of integers"):
        captions.captions_for(labels[None], attrs)


# --- load("fashion_captions") -----------------------------------------------


def test_load_arrays_and_shape_are_fashion_mnist(fashion_dir):
    images, labels = data.load_arrays("fashion_captions", "test", data_dir=fashion_dir)
    raw_images, raw_labels = data.load_arrays("fashion_mnist", "test", fashion_dir)
    np.testing.assert_array_equal(images, raw_images)
    np.testing.assert_array_equal(labels, raw_labels)
    assert loader.local_image_shape("Fashion-Captions") == (28, 28, 1)
    assert "fashion_captions" in data.CAPTIONED_DATASETS
    assert "fashion_captions" not in data.LOCAL_DATASETS


def test_load_pairs_shapes_ranges_and_captions(fashion_dir, train):
    ds = data.load(
        "fashion_captions", batch_size=100, shuffle=False, data_dir=fashion_dir
    )
    batches = list(ds)
    assert len(batches) == 5  # 512 // 100, remainder dropped
    images, texts = batches[0]
    assert images.shape == (100, 28, 28, 1) and images.dtype == tf.float32
    assert texts.shape == (100,) and texts.dtype == tf.string
    assert images.numpy().min() == -1.0 and images.numpy().max() == 1.0
    np.testing.assert_allclose(images.numpy(), from_uint8(train.images[:100]))
    for i, text in enumerate(texts.numpy()):
        assert text.decode() in train.captions[i]


def test_load_with_labels_limit_and_seed(fashion_dir, train):
    def run(**kwargs):
        options = dict(batch_size=32, limit=64, seed=3, data_dir=fashion_dir)
        options.update(kwargs)
        return list(data.load("fashion_captions", with_labels=True, **options))

    batches = run()
    assert [len(b) for b in batches] == [3, 3]
    images, texts, labels = (np.concatenate([b[i] for b in batches]) for i in range(3))
    assert labels.dtype == np.int32 and images.shape == (64, 28, 28, 1)
    # Each example is one of the first 64 images with its own label and one
    # of its own captions.
    index = {im.tobytes(): i for i, im in enumerate(train.images[:64])}
    pixels = np.rint((images[..., 0] + 1.0) * 127.5).astype(np.uint8)
    positions = [index[p.tobytes()] for p in pixels]
    assert sorted(positions) == list(range(64))
    np.testing.assert_array_equal(labels, train.labels[positions])
    for text, i in zip(texts, positions, strict=True):
        assert text.decode() in train.captions[i]
    # The same seed gives the same batches.
    again = run()
    for a, b in zip(batches, again, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_load_draws_a_new_caption_each_epoch(fashion_dir):
    ds = data.load(
        "fashion_captions",
        batch_size=64,
        limit=64,
        shuffle=False,
        seed=0,
        data_dir=fashion_dir,
    )
    epochs = [next(iter(ds))[1].numpy() for _ in range(3)]
    assert (epochs[0] != epochs[1]).mean() > 0.5
    assert (epochs[1] != epochs[2]).mean() > 0.5
    # With repeat=True the draws go on changing across epochs.
    ds = data.load(
        "fashion_captions",
        batch_size=64,
        limit=64,
        shuffle=False,
        seed=0,
        repeat=True,
        data_dir=fashion_dir,
    )
    first, second = (b[1].numpy() for b in ds.take(2))
    assert (first != second).mean() > 0.5


def test_load_held_out_wording_and_options(fashion_dir):
    ds = data.load(
        "fashion_captions",
        split="test",
        batch_size=128,
        wording="held_out",
        captions_per_image=2,
        image_shape=(32, 32, 3),
        data_dir=fashion_dir,
    )
    images, texts = next(iter(ds))
    assert images.shape == (128, 32, 32, 3)
    for text in texts.numpy():
        text = text.decode()
        assert len(_templates_matching(text, captions.HELD_OUT_TEMPLATES)) == 1
        assert not _templates_matching(text, captions.TRAIN_TEMPLATES)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"wording": "test"}, ValueError, r"wording in \('train', 'held_out'\)"),
        ({"captions_per_image": 0}, ValueError, "captions_per_image to be a positive"),
        ({"split": "validation"}, ValueError, r"split in \('train', 'test'\)"),
        ({"limit": 10}, ValueError, "batch_size <= the number of examples"),
        ({"batch_size": 0}, ValueError, "batch_size to be a positive integer"),
        ({"wordings": "train"}, TypeError, r"\['wordings'\].*'wording'"),
    ],
)
def test_load_errors(fashion_dir, kwargs, error, message):
    with pytest.raises(error, match=message):
        data.load("fashion_captions", data_dir=fashion_dir, **kwargs)


def test_dataset_options_only_for_captioned_data(fashion_dir):
    with pytest.raises(TypeError, match="dataset options apply only to"):
        data.load("fashion_mnist", data_dir=fashion_dir, wording="train")
    with pytest.raises(ValueError, match=r"captioned datasets \('fashion_captions',\)"):
        data.load_arrays("mnist")


# --- User data ---------------------------------------------------------------


def test_from_pairs_one_or_several_texts_per_image():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 8, 8), dtype=np.uint8)
    texts = [f"caption {i}" for i in range(6)]
    ds = data.from_pairs(images, texts, batch_size=6, shuffle=False)
    x, t = next(iter(ds))
    assert x.shape == (6, 8, 8, 1) and x.dtype == tf.float32
    np.testing.assert_allclose(x.numpy(), from_uint8(images))
    assert [s.decode() for s in t.numpy()] == texts
    # k texts per image: one of them each time; float images pass through.
    floats = from_uint8(images)[..., [0, 0, 0]]
    several = [[f"{i}a", f"{i}b", f"{i}c"] for i in range(6)]
    ds = data.from_pairs(floats, several, batch_size=4, seed=0, labels=np.arange(6))
    x, t, y = (np.concatenate(parts) for parts in zip(*ds, strict=True))
    assert x.shape == (4, 8, 8, 3) and y.dtype == np.int32
    for image, text, label in zip(x, t, y, strict=True):
        np.testing.assert_allclose(image, floats[label])
        assert text.decode() in several[label]
    seen = {s.decode() for _ in range(8) for s in next(iter(ds))[1].numpy()}
    assert len(seen) > 6


@pytest.mark.parametrize(
    "images, texts, kwargs, message",
    [
        (np.zeros((3, 8, 8), np.uint8), ["a", "b"], {}, r"texts as 3 strings"),
        (np.zeros((3, 8, 8), np.uint8), "abc", {}, "a single string"),
        (np.zeros((3, 8, 8), np.uint8), ["a", "b", 3], {}, "string, received int 3"),
        (np.zeros((3, 8), np.uint8), ["a", "b", "c"], {}, r"received shape \(3, 8\)"),
        (np.zeros((3, 8, 8, 2), np.uint8), ["a"] * 3, {}, "C 1 or 3"),
        (np.zeros((3, 8, 8), np.int32), ["a"] * 3, {}, "dtype int32"),
        (np.full((3, 8, 8), 2.0), ["a"] * 3, {}, r"in \[-1, 1\]"),
        (np.zeros((3, 8, 8), np.uint8), ["a"] * 3, {"labels": [1, 2]}, "labels as 3"),
        (np.zeros((3, 8, 8), np.uint8), ["a"] * 3, {"batch_size": 4}, "batch_size <="),
        (np.zeros((3, 8, 8), np.uint8), ["a"] * 3, {"seed": 1.5}, "seed to be"),
    ],
)
def test_from_pairs_errors(images, texts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.from_pairs(images, texts, batch_size=kwargs.pop("batch_size", 2), **kwargs)


def test_from_embeddings_like_the_cub_release():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    embeddings = rng.normal(size=(5, 10, 32))
    ds = data.from_embeddings(images, embeddings, batch_size=5, seed=1)
    x, e = next(iter(ds))
    assert x.shape == (5, 16, 16, 3) and e.shape == (5, 32) and e.dtype == tf.float32
    # Each embedding is one of the 10 of its image.
    index = {im.tobytes(): i for i, im in enumerate(from_uint8(images))}
    for image, emb in zip(x.numpy(), e.numpy(), strict=True):
        rows = embeddings[index[image.tobytes()]].astype(np.float32)
        assert (np.abs(rows - emb).max(axis=1) == 0).any()
    # One embedding per image, with labels.
    ds = data.from_embeddings(
        images, embeddings[:, 0], batch_size=2, shuffle=False, labels=[4, 3, 2, 1, 0]
    )
    x, e, y = next(iter(ds))
    np.testing.assert_allclose(e.numpy(), embeddings[:2, 0].astype(np.float32))
    assert y.numpy().tolist() == [4, 3]
    for bad, message in [
        (embeddings[:4], r"\(5, d\) or \(5, k, d\)"),
        (embeddings[:, 0, 0], r"shape \(5,\)"),
        (np.full((5, 3), "x"), "<U1"),
        (np.full((5, 3), np.inf), "finite"),
    ]:
        with pytest.raises(ValueError, match=message):
            data.from_embeddings(images, bad, batch_size=2)
