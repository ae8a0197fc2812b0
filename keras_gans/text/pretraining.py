"""Pretraining a `TextEncoder` on (image, caption) pairs, evaluating it, shipping it.

`pretrain_text_encoder` fits a `JointEmbedding` (the text encoder plus an
image encoder, symmetric contrastive loss) and returns the text encoder;
`evaluate_text_encoder` measures an encoder on captioned data (retrieval,
class structure, attribute probes). `tools/train_text_encoder.py` runs the
shipped recipe; its card is `docs/text_encoder.md`.
"""

from __future__ import annotations

import importlib.resources
import pathlib
import time

import keras
import numpy as np

from keras_gans import files
from keras_gans._tensorflow import tf
from keras_gans.data import captions as captions_lib
from keras_gans.images import from_uint8
from keras_gans.text import retrieval
from keras_gans.text.contrastive import JointEmbedding
from keras_gans.text.encoder import TextEncoder

NAME = "fashion_captions"
FILENAME = "fashion_captions_encoder.keras"

# The recipe (docs/text_encoder.md), chosen on images held out of the
# training split (`tools/train_text_encoder.py --validation-size 5000`).
EPOCHS = 5
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
TEMPERATURE = 0.1
LEVEL = "character"
GROUP_POSITIVES = True
# Images of the training split whose captions fit the attribute probes.
PROBE_IMAGES = 5000


def _captioned(data, arg):
    if not isinstance(data, captions_lib.CaptionedData):
        raise TypeError(
            f"Expected {arg} as a keras_gans.data.CaptionedData (from "
            f"load_captioned), received {type(data).__name__}."
        )
    return data


def pretrain_text_encoder(
    data,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    text_encoder=None,
    image_encoder="cnn",
    learning_rate=LEARNING_RATE,
    temperature=TEMPERATURE,
    group_positives=GROUP_POSITIVES,
    seed=0,
    evaluation_data=None,
    probe_data=None,
    model=None,
    verbose=0,
):
    """Trains a text encoder with a joint image-text embedding objective.

    A `JointEmbedding` (the text encoder, an image encoder and a learned
    temperature) is fitted with `symmetric_contrastive_loss` (see
    `keras_gans.text.contrastive` for why this loss), Adam with the learning
    rate decayed to 0 on a cosine over all steps.

    Args:
        data: A `CaptionedData` (`keras_gans.data.load_captioned`): each epoch
            pairs every image with one of its captions drawn at random. Or a
            `tf.data.Dataset` of `(images, texts)` batches (e.g.
            `keras_gans.data.load("fashion_captions")` or `from_pairs`), or
            `(images, texts, groups)` to treat pairs of one group as
            positives of each other (class labels as groups, e.g. from
            `load(..., with_labels=True)`, teach the class only, as DS-SJE
            does: captions then need not tell shades or widths apart).
        epochs: Passes over the images. Defaults to `EPOCHS` (5).
        batch_size: Pairs per batch, for `CaptionedData` (the in-batch
            negatives). Defaults to `128`.
        text_encoder: The `TextEncoder` to train. Without a vocabulary it is
            adapted to the training captions first. Defaults to `None`:
            `TextEncoder(level=LEVEL)`, character level as in the shipped
            recipe (it retrieved better than word level on held-out
            sentence patterns; docs/text_encoder.md).
        image_encoder: `"cnn"`, `"classifier"` (see `build_image_encoder`) or
            a Keras model. Defaults to `"cnn"`.
        learning_rate: Adam's initial learning rate. Defaults to `1e-3`.
        temperature: Initial (learned) temperature. Defaults to `0.1`.
        group_positives: With `CaptionedData`, treat captions of the same
            class, shade and width as positives of each other (not as
            negatives). Defaults to `GROUP_POSITIVES` (`True`); `False`
            contrasts each image with its own caption only.
        seed: Seeds weights, shuffling and caption choice. Defaults to `0`.
        evaluation_data: Optional `CaptionedData` to evaluate on afterwards
            (e.g. the test split with `wording="held_out"`). Defaults to
            `None`.
        probe_data: `CaptionedData` that fits the attribute probes of the
            evaluation. Defaults to `None`: the first `PROBE_IMAGES` (5,000)
            images of `data` when it is a `CaptionedData`.
        model: A `JointEmbedding` to train instead of building one (then
            `text_encoder`, `image_encoder` and `temperature` are ignored);
            e.g. to evaluate it before and after. Defaults to `None`.
        verbose: Passed to `fit()`. Defaults to `0`.

    Returns:
        `(text_encoder, metrics)`: the trained encoder and a dict with
        `"history"` (per-epoch loss and in-batch accuracy), `"train_seconds"`,
        `"steps"`, `"temperature"` and, with `evaluation_data`, the results of
        `evaluate_text_encoder` (retrieval through the trained image encoder
        included).

    Example:

    >>> train = keras_gans.data.load_captioned("train")
    >>> test = keras_gans.data.load_captioned("test", wording="held_out")
    >>> encoder, metrics = pretrain_text_encoder(train, evaluation_data=test)
    >>> metrics["class_text_to_image_top1"]
    """
    keras.utils.set_random_seed(seed)
    if isinstance(data, captions_lib.CaptionedData):
        groups = None
        if group_positives:
            groups = retrieval.description_keys(data.labels, data.attributes)
        dataset = captions_lib.from_pairs(
            data.images, data.captions, batch_size=batch_size, seed=seed, labels=groups
        )
        vocabulary_texts = data.captions
        if probe_data is None:
            probe_data = _subset(data, PROBE_IMAGES)
    elif isinstance(data, tf.data.Dataset):
        dataset = data
        vocabulary_texts = data.map(lambda *batch: batch[1])
    else:
        raise TypeError(
            "Expected data as a CaptionedData or a tf.data.Dataset of (images, "
            f"texts) batches, received {type(data).__name__}."
        )

    if model is None:
        if text_encoder is None:
            text_encoder = TextEncoder(level=LEVEL)
        if isinstance(text_encoder, TextEncoder) and text_encoder.vocabulary is None:
            text_encoder.adapt(vocabulary_texts)
        model = JointEmbedding(text_encoder, image_encoder, temperature=temperature)
    elif not isinstance(model, JointEmbedding):
        raise TypeError(
            f"Expected model as a JointEmbedding, received {type(model).__name__}."
        )

    steps_per_epoch = int(dataset.cardinality())
    schedule = learning_rate
    if steps_per_epoch > 0 and epochs > 0:
        schedule = keras.optimizers.schedules.CosineDecay(
            learning_rate, epochs * steps_per_epoch
        )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, verbose=verbose) if epochs else None
    seconds = time.perf_counter() - start
    metrics = {
        "history": {
            k: [float(v) for v in vals]
            for k, vals in (history.history if history else {}).items()
        },
        "train_seconds": round(seconds, 1),
        "steps": epochs * max(steps_per_epoch, 0),
        "temperature": model.current_temperature(),
    }
    if evaluation_data is not None:
        metrics.update(
            evaluate_text_encoder(
                model.text_encoder,
                evaluation_data,
                image_encoder=model.image_encoder,
                probe_data=probe_data,
            )
        )
    return model.text_encoder, metrics


def _subset(data, n):
    if n >= len(data):
        return data
    return captions_lib.CaptionedData(
        data.images[:n],
        data.labels[:n],
        data.captions[:n],
        {k: v[:n] for k, v in data.attributes.items()},
    )


def _embed(encoder, texts, batch_size=1024):
    if hasattr(encoder, "embed"):
        return encoder.embed(texts, batch_size=batch_size)
    flat = np.asarray(texts, dtype=object).ravel().astype(str)
    parts = [
        np.asarray(encoder(tf.constant(flat[i : i + batch_size])))
        for i in range(0, len(flat), batch_size)
    ]
    return np.concatenate(parts).astype(np.float32)


def evaluate_text_encoder(encoder, data, image_encoder=None, probe_data=None):
    """Measures a text encoder on captioned images.

    Args:
        encoder: A `TextEncoder` or any layer / callable from a batch of
            strings to `(b, d)` (see `get_encoder`).
        data: `CaptionedData` to evaluate on, all its captions (e.g. the test
            split with `wording="held_out"`).
        image_encoder: The image side of a `JointEmbedding`, for retrieval.
            Defaults to `None` (text-only metrics).
        probe_data: `CaptionedData` whose captions fit the linear probes.
            Defaults to `None`: the first half of `data`'s images fit them
            and the second half scores them.

    Returns:
        A dict of floats:

            - `"same_class_cosine"`, `"different_class_cosine"`, `"class_gap"`:
              `class_separation` of all captions;
            - `"probe_class_accuracy"`, `"probe_shade_accuracy"`,
              `"probe_width_accuracy"`: linear probes from a caption's embedding
              to its class (chance 0.1), shade and width levels (chance 1/3);
            - with `image_encoder`, `"class_text_to_image_top1"`, `..._top5`,
              `"class_image_to_text_top1"`, `..._top5` (a hit when the query's
              class is among the first 1 or 5 distinct classes of the items
              ranked by cosine similarity; `retrieval.top_k_hits`) and the same
              with prefix `"description_"` (class, shade and width: 90 keys).
    """
    data = _captioned(data, "data")
    k = data.captions.shape[1]
    text_embeddings = _embed(encoder, data.captions)
    text_labels = np.repeat(data.labels.astype(np.int64), k)
    result = dict(retrieval.class_separation(text_embeddings, text_labels))

    targets = {
        "class": data.labels,
        "shade": data.attributes["shade_word"],
        "width": data.attributes["width_word"],
    }
    if probe_data is None:
        half = len(data) // 2
        fit_embeddings, fit_k = text_embeddings[: half * k], k
        fit_targets = {key: values[:half] for key, values in targets.items()}
        score_embeddings = text_embeddings[half * k :]
        score_targets = {key: values[half:] for key, values in targets.items()}
    else:
        probe_data = _captioned(probe_data, "probe_data")
        fit_k = probe_data.captions.shape[1]
        fit_embeddings = _embed(encoder, probe_data.captions)
        fit_targets = {
            "class": probe_data.labels,
            "shade": probe_data.attributes["shade_word"],
            "width": probe_data.attributes["width_word"],
        }
        score_embeddings, score_targets = text_embeddings, targets
    for key in targets:
        result[f"probe_{key}_accuracy"] = retrieval.linear_probe_accuracy(
            fit_embeddings,
            np.repeat(fit_targets[key], fit_k),
            score_embeddings,
            np.repeat(score_targets[key], k),
        )

    if image_encoder is not None:
        images = from_uint8(data.images)[..., None]
        image_embeddings = np.asarray(
            image_encoder.predict(images, batch_size=500, verbose=0), np.float32
        )
        descriptions = retrieval.description_keys(data.labels, data.attributes)
        result.update(
            retrieval.retrieval_accuracy(
                image_embeddings,
                text_embeddings,
                data.labels,
                text_labels,
                prefix="class_",
            )
        )
        result.update(
            retrieval.retrieval_accuracy(
                image_embeddings,
                text_embeddings,
                descriptions,
                np.repeat(descriptions, k),
                prefix="description_",
            )
        )
    return result


# --- the shipped encoder -----------------------------------------------------------


def default_encoder_path():
    """Returns the path of the text encoder shipped in this package."""
    return importlib.resources.files("keras_gans.text") / FILENAME


def _local_path(path):
    return files.local_file(path, "keras_gans.text", FILENAME)


def load_text_encoder(path=None):
    """Loads a `TextEncoder` saved with `save_text_encoder`.

    Args:
        path: A `.keras` file. Defaults to `None`: the encoder shipped in
            `keras_gans/text/` (pretrained on `fashion_captions`, card
            `docs/text_encoder.md`).

    Raises:
        FileNotFoundError: If the file does not exist.
    """
    with _local_path(path) as local:
        if not local.is_file():
            raise FileNotFoundError(
                f"Expected a text encoder .keras file, found nothing at {local}. "
                "Train one with `python tools/train_text_encoder.py`."
            )
        return keras.saving.load_model(local, compile=False)


def save_text_encoder(encoder, path):
    """Saves a `TextEncoder` (weights and vocabulary, no optimizer) atomically.

    Returns:
        The path written, as a `pathlib.Path`.
    """
    if not isinstance(encoder, TextEncoder):
        raise TypeError(
            f"Expected a TextEncoder, received {type(encoder).__name__}; save other "
            "Keras models with model.save()."
        )
    if not encoder.built:
        # An unbuilt model saves no weights (nor a build config to load them).
        encoder.build((None,))
    path = pathlib.Path(path)
    with files.atomic_path(path, suffix=".keras") as tmp:
        encoder.save(tmp)
    return path
