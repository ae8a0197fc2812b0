"""GAN-CLS's run figures: text to image, text interpolation, style transfer."""

from __future__ import annotations

import pathlib

import numpy as np

from keras_gans import data as gan_data
from keras_gans.images import from_uint8, save_captioned_grid

# Noise vectors per caption in the figures.
NOISE_ROWS = 8


def _row_names(texts):
    """Captions as they are; one-hot class conditions as their class names."""
    if isinstance(texts[0], str):
        return list(texts)
    return [gan_data.CLASS_NAMES[int(np.argmax(t))] for t in texts]


def save_gan_cls_figures(model, out_dir, config=None, style_images=None):
    """Writes a GAN-CLS's figures into `out_dir`, captions written beside rows.

    - `text_to_image.png`: one row per preview text (`model.preview_texts`,
      `PREVIEW_CAPTIONS` in a run), 8 noise vectors along the columns.
    - `interpolation.png`: rows are 8 noise vectors, columns 10 steps from
      the embedding of the first preview text to that of the second.
    - `style_transfer.png`: the first row is 8 real test images; each
      further row draws one preview text in the style of each image.

    Args:
        model: a `GANCLS` with `preview_texts` (captions, or conditions such
            as one-hot classes).
        out_dir: the folder to write into.
        config: the run's `TrainConfig` (seed, dataset and data folder).
            Defaults to `None` (seed 0, Fashion-MNIST in the default folder).
        style_images: `(8, H, W, C)` images in [-1, 1] for the style
            columns. Defaults to the first 8 test images of the run's
            dataset (Fashion-MNIST's for `"fashion_captions"` or without a
            `config`), at the model's image shape.

    Returns:
        The list of paths written.
    """
    out_dir = pathlib.Path(out_dir)
    seed = 0 if config is None else config.seed
    texts = model.preview_texts
    if not texts or len(texts) < 2:
        raise ValueError(
            "Expected a GANCLS with at least two preview_texts to draw its "
            f"figures; received {texts!r}."
        )
    names = _row_names(texts)
    conditions = texts if isinstance(texts[0], str) else np.asarray(texts, "float32")
    n = NOISE_ROWS
    written = [
        save_captioned_grid(
            model.generate(conditions, n_per_text=n, seed=seed),
            names,
            out_dir / "text_to_image.png",
            title="GAN-CLS: one caption per row, a new noise vector per column",
        ),
        save_captioned_grid(
            model.interpolate_texts(
                conditions[0], conditions[1], steps=10, n=n, seed=seed
            ),
            [f"noise {i}" for i in range(n)],
            out_dir / "interpolation.png",
            title=f"{names[0]!r}  ->  {names[1]!r}",
            column_labels=[f"{t:.2f}" for t in np.linspace(0, 1, 10)],
        ),
    ]
    if style_images is None:
        style_images = _style_images(config, model.image_shape, n)
    # style_transfer_grid: rows = images, columns = texts; here rows = texts.
    k = len(texts)
    transferred = model.style_transfer_grid(style_images, conditions)
    transferred = transferred.reshape((len(style_images), k) + transferred.shape[1:])
    rows = np.concatenate([style_images[None], transferred.transpose(1, 0, 2, 3, 4)])
    written.append(
        save_captioned_grid(
            rows.reshape((-1,) + rows.shape[2:]),
            ["(style: real test image)"] + names,
            out_dir / "style_transfer.png",
            title="Style transfer: G(S(x), phi(t)), the column's style, the row's text",
        )
    )
    return [pathlib.Path(p) for p in written]


def _style_images(config, image_shape, n):
    """The first `n` test images of the run's dataset, float in [-1, 1]."""
    from keras_gans.data import captions, folders

    if config is not None and config.data is not None:
        folder = folders.open_folder(
            config.data, image_shape=image_shape, crop_box=config.crop_box
        )
        n = min(n, folder.count)
        return from_uint8(folder.read(folder.order(0, config.seed), 0, n)[0])
    if config is None or config.dataset == captions.NAME:
        images = gan_data.load_arrays(
            "fashion_mnist",
            "test",
            data_dir=None if config is None else config.data_dir,
        )[0][:n]
        return from_uint8(images)
    batches = gan_data.load(
        config.dataset,
        split="test",
        batch_size=n,
        image_shape=image_shape,
        shuffle=False,
        drop_remainder=False,
        data_dir=config.data_dir,
        limit=n,
    )
    return next(iter(batches)).numpy()
