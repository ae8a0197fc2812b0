"""What a GAN-CLS run needs beyond the shared loop: captions, conditions, its encoder.

A run trains on `fashion_captions` (offline) or on CUB (tfds images with
Reed et al.'s captions in `captions_dir`), conditioned on caption embeddings
of a text encoder (the shipped one, a file, or `text_encoder="train"`: a
character-level encoder pretrained on the run's own captions and kept in the
run folder), or on one-hot classes (`condition="labels"`, the baseline).
"""

from __future__ import annotations

import json
import pathlib

import keras
import numpy as np

from keras_gans import data as gan_data
from keras_gans.data.captions import parse_caption
from keras_gans.files import write_atomic

# What a GAN-CLS run is conditioned on: caption embeddings, or (the
# class-conditional baseline) one-hot class labels.
CONDITIONS = ("captions", "labels")
# Held-out-wording captions the GAN-CLS figures draw, one per row: varied
# classes, shades and widths (the first two are interpolated between).
PREVIEW_CAPTIONS = (
    "a photo of a pair of trousers that is dark and wide",
    "a photo of a pair of trousers that is light and narrow",
    "this slim dress looks pale",
    "a pullover in a dim tone with a broad shape",
    "this thin sneaker looks grey",
    "a photo of a handbag that is bright and roomy",
    "an ankle boot in a dark tone with a narrow shape",
    "this wide t-shirt looks mid-grey",
)
# text_encoder="train": a character-level TextEncoder (CNN) pretrained on the
# run's own captions with an image encoder (`pretrain_run_text_encoder`).
TRAIN_TEXT_ENCODER = "train"
TEXT_ENCODER_FILE = "text_encoder.keras"
# 50 epochs of CUB's 5,994 training images in batches of 128 are about the
# 2,345 steps of the shipped fashion_captions encoder (5 epochs of 60,000).
TEXT_ENCODER_EPOCHS = 50
# Characters kept per caption: Reed et al.'s char-CNN-RNN reads 201.
TEXT_ENCODER_SEQUENCE_LENGTH = 201


def load_captioned(config):
    """The run's images and captions: fashion_captions, or CUB with captions_dir."""
    from keras_gans.data import captions, cub

    if config.dataset == cub.NAME:
        if config.condition != "captions":
            raise ValueError(
                f"condition={config.condition!r} (one-hot Fashion-MNIST classes) "
                f"applies to {captions.NAME!r} only; {cub.NAME!r} trains on "
                "captions: expected condition='captions'."
            )
        return cub.load_cub_captions(
            config.captions_dir,
            "train",
            image_shape=config.image_shape,
            data_dir=config.data_dir,
            limit=config.limit,
        )
    if config.dataset != captions.NAME:
        raise ValueError(
            f"keras-gans train gan_cls trains on {captions.NAME!r} (the offline "
            f"captioned dataset) or {cub.NAME!r} (tfds images with Reed et al.'s "
            f"captions in captions_dir); received dataset={config.dataset!r}. "
            "Train on your own (image, text) pairs from Python: "
            "GANCLS(...).fit(keras_gans.data.from_pairs(images, texts))."
        )
    if config.captions_dir is not None:
        raise ValueError(
            f"captions_dir applies to dataset={cub.NAME!r} only; {captions.NAME!r} "
            f"makes its own captions. Received captions_dir={config.captions_dir!r}."
        )
    if config.image_shape != captions.IMAGE_SHAPE:
        raise ValueError(
            f"{captions.NAME!r} has images of shape {captions.IMAGE_SHAPE}; "
            f"received image_shape={config.image_shape}."
        )
    return captions.load_captioned("train", config.data_dir, limit=config.limit)


def open_captioned_folder(config):
    """The run's pictures and captions from `config.data` (an `ImageFolder`).

    Captions come from `captions_dir` (a parallel caption tree such as CUB's
    `text_c10/`), else a `metadata.jsonl` or `.txt` files beside the
    pictures; a picture without any is skipped and named.
    """
    from keras_gans.data import folders

    if config.condition != "captions":
        raise ValueError(
            f"condition={config.condition!r} (one-hot Fashion-MNIST classes) applies "
            "to fashion_captions; a run on your pictures (data) trains on their "
            "captions: expected condition='captions'."
        )
    return folders.open_folder(
        config.data,
        image_shape=config.image_shape,
        limit=config.limit,
        crop_box=config.crop_box,
        captions=config.captions_dir or "auto",
    )


def folder_previews(folder, n=8):
    """Captions for a run's figures: the first caption of `n` pictures spread over the folder."""
    step = max(1, folder.count // n)
    return [folder.captions[i][0] for i in range(0, folder.count, step)][:n]


def folder_conditions(model, folder, config):
    """`(dataset, table)`: a folder's batches of (images, caption embeddings).

    Each distinct caption is embedded once into `table`; every epoch each
    picture is paired with one of its captions' rows, drawn anew. Pictures
    stream from the folder (and its cache); only the captions' embeddings are
    held in memory.
    """
    from keras_gans.data.folders import batches

    texts = [text for captions in folder.captions for text in captions]
    unique = np.asarray(sorted(set(texts)))
    index = {text: i for i, text in enumerate(unique)}
    rows = [np.asarray([index[t] for t in caps], np.int64) for caps in folder.captions]
    table = np.concatenate(
        [
            keras.ops.convert_to_numpy(model.embed_texts(unique[i : i + 4096]))
            for i in range(0, len(unique), 4096)
        ]
    ).astype("float32")
    plan = batches.BatchPlan(
        folder,
        config.batch_size,
        seed=config.seed,
        flip=config.flip,
        conditions=(table, rows),
    )
    if keras.backend.backend() == "tensorflow":
        dataset = batches.tf_dataset(plan)
    else:
        dataset = batches.FolderBatches(plan)
    dataset.plan, dataset.folder = plan, folder
    return dataset, table


def _captioned_pairs(captioned, batch_size, seed):
    """`(captions, image count, pairs dataset)` of in-memory data or a folder."""
    from keras_gans.data.captions import from_pairs

    if getattr(captioned, "files", None) is not None:  # an ImageFolder
        from keras_gans.data.folders import batches

        texts = np.asarray([t for caps in captioned.captions for t in caps])
        size = min(batch_size, captioned.count)
        plan = batches.BatchPlan(captioned, size, seed=seed)
        return texts, captioned.count, batches.tf_dataset(plan)
    size = min(batch_size, len(captioned.images))
    pairs = from_pairs(captioned.images, captioned.captions, batch_size=size, seed=seed)
    return captioned.captions, len(captioned.images), pairs


def pretrain_run_text_encoder(config, out_dir, captioned, verbose=0):
    """`text_encoder="train"`: the run's own text encoder, pretrained once.

    A character-level `keras_gans.text.TextEncoder` (CNN, 128-d, the first
    `TEXT_ENCODER_SEQUENCE_LENGTH` characters) is adapted to the run's
    captions and trained with a CNN image encoder on the run's (image,
    caption) pairs (`keras_gans.text.pretrain_text_encoder`: symmetric
    contrastive loss, each image against the other images of its batch of up
    to 128, one of its captions drawn each epoch) for `TEXT_ENCODER_EPOCHS`,
    seeded by `config.seed`. It is saved as `out_dir/text_encoder.keras`
    with its training record in `text_encoder.json`; when the file exists
    (a resumed run), it is loaded instead.

    Args:
        config: the run's `TrainConfig`.
        out_dir: the run folder.
        captioned: the run's data (`images`, `captions`), or its
            `ImageFolder` with captions (streamed).
        verbose: passed to `fit()`. Defaults to `0`.

    Returns:
        The encoder, as loaded from `text_encoder.keras`.
    """
    from keras_gans.text import (
        TextEncoder,
        build_image_encoder,
        load_text_encoder,
        pretrain_text_encoder,
        pretraining,
        save_text_encoder,
    )

    path = pathlib.Path(out_dir) / TEXT_ENCODER_FILE
    if not path.is_file():
        keras.utils.set_random_seed(config.seed)
        texts, count, pairs = _captioned_pairs(
            captioned, pretraining.BATCH_SIZE, config.seed
        )
        encoder = TextEncoder(
            level="character", sequence_length=TEXT_ENCODER_SEQUENCE_LENGTH
        ).adapt(texts)
        batch_size = min(pretraining.BATCH_SIZE, count)
        image_encoder = build_image_encoder(
            encoder.embedding_dim, "cnn", image_shape=config.image_shape
        )
        print(
            f"Pretraining the run's text encoder on {texts.size} "
            f"captions of {count} images ({TEXT_ENCODER_EPOCHS} "
            "epochs)."
        )
        encoder, metrics = pretrain_text_encoder(
            pairs,
            epochs=TEXT_ENCODER_EPOCHS,
            text_encoder=encoder,
            image_encoder=image_encoder,
            seed=config.seed,
            verbose=verbose,
        )
        record = {
            "what": "keras_gans.text.TextEncoder(level='character', "
            f"sequence_length={TEXT_ENCODER_SEQUENCE_LENGTH}) pretrained by "
            "keras_gans.text.pretrain_text_encoder on the run's captions",
            "dataset": config.dataset if config.data is None else config.data,
            "images": count,
            "captions": int(texts.size),
            "epochs": TEXT_ENCODER_EPOCHS,
            "batch_size": batch_size,
            "seed": config.seed,
            "vocabulary_size": encoder.vocabulary_size,
            **metrics,
        }
        # The record first: the encoder's file is what marks it as done.
        write_atomic(
            path.with_suffix(".json"), (json.dumps(record, indent=2) + "\n").encode()
        )
        save_text_encoder(encoder, path)
    return load_text_encoder(path)


def conditions_and_previews(config, text_encoder=None):
    """`(text_encoder, text_dim, preview_texts)` of the GANCLS a run builds.

    With `condition="labels"` (the class-conditional baseline): no encoder,
    one-hot classes of 10 and the preview captions' classes. Otherwise the
    encoder given (the run's pretrained one) or named by `text_encoder`.
    """
    if config.condition == "labels":
        previews = [_one_hot(parse_caption(t)["label"]) for t in PREVIEW_CAPTIONS]
        return None, len(gan_data.CLASS_NAMES), previews
    from keras_gans.text import get_encoder

    encoder = text_encoder
    if encoder is None:
        if config.text_encoder == TRAIN_TEXT_ENCODER:
            raise ValueError(
                f"text_encoder={TRAIN_TEXT_ENCODER!r} is pretrained on a "
                "run's captions by train(); to build the model alone, pass "
                "build_model(config, text_encoder=<a trained encoder>)."
            )
        encoder = get_encoder(config.text_encoder)
    # Loading an encoder may draw random numbers: the GAN's weights are
    # seeded after it, as if it had been there first.
    keras.utils.set_random_seed(config.seed)
    return encoder, None, list(preview_captions(config.dataset))


def preview_captions(dataset):
    """The captions a GAN-CLS run on `dataset` draws in its figures and grids.

    `keras_gans.data.cub.PREVIEW_CAPTIONS` (birds) for `"caltech_birds2011"`,
    else `PREVIEW_CAPTIONS` (held-out wordings of fashion_captions).
    """
    from keras_gans.data import cub

    return cub.PREVIEW_CAPTIONS if dataset == cub.NAME else PREVIEW_CAPTIONS


def _one_hot(label):
    row = [0.0] * len(gan_data.CLASS_NAMES)
    row[int(label)] = 1.0
    return row


def gan_cls_conditions(model, captions, labels):
    """What a GAN-CLS run trains on: `(n, k, d)` embeddings of `(n, k)` captions.

    With a text encoder, each distinct caption is embedded once (the
    fashion captions repeat a few thousand sentences) and the frozen
    encoder stays out of the training step; without one (the
    class-conditional baseline), one-hot `labels` `(n, 10)`.
    """
    if model.text_encoder is None:
        return keras.ops.convert_to_numpy(
            keras.ops.one_hot(np.asarray(labels), model.text_dim)
        ).astype("float32")
    captions = np.asarray(captions)
    unique, inverse = np.unique(captions.ravel().astype(str), return_inverse=True)
    table = np.concatenate(
        [
            keras.ops.convert_to_numpy(model.embed_texts(unique[i : i + 4096]))
            for i in range(0, len(unique), 4096)
        ]
    )
    return table[inverse].reshape(captions.shape + (table.shape[-1],))
