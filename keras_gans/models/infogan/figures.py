"""InfoGAN's figures: code sweeps, categories, and samples of one category."""

from __future__ import annotations

import pathlib

import numpy as np

from keras_gans.files import write_atomic
from keras_gans.images import save_image_grid
from keras_gans.latent import _sweep_values
from keras_gans.validation import check_int, is_int

# Values of the code-sweep figures written at the end of an InfoGAN run.
SWEEP_VALUES = np.linspace(-2.0, 2.0, 10)
SWEEP_NOISE_ROWS = 8


def save_code_sweep(
    model, path, categorical_code=0, continuous_code=0, values=None, seed=0
):
    """Writes `model.code_sweep(...)` as a PNG grid (rows: categories).

    Returns:
        The path written.
    """
    values = _sweep_values(values)
    images = model.code_sweep(categorical_code, continuous_code, values, seed)
    return save_image_grid(images, path, ncols=len(values))


def save_code_figures(model, out_dir, seed=0):
    """Writes an InfoGAN's code figures into `out_dir` (atomically).

    - `code_sweep.png`: rows are the categories of categorical code 0,
      columns continuous code 0 at `SWEEP_VALUES` (10 values in [-2, 2]);
      without categorical codes, rows are `SWEEP_NOISE_ROWS` noise vectors.
    - `code_sweep_c{j}.png`: the same with continuous code j swept, one per
      continuous code (`code_sweep_c0.png` is `code_sweep.png`).
    - `categories.png`: rows are `SWEEP_NOISE_ROWS` noise vectors, columns
      the K categories of code 0 (continuous codes at 0).

    Figures that need a kind of code the model lacks are not written.

    Args:
        model: an `InfoGAN`.
        out_dir: the folder to write into.
        seed: seed of the noise. Defaults to `0`.

    Returns:
        The list of paths written.
    """
    out_dir = pathlib.Path(out_dir)
    spec = model.spec
    written = []
    for j in range(spec.continuous):
        if spec.categorical:
            path = save_code_sweep(
                model,
                out_dir / f"code_sweep_c{j}.png",
                categorical_code=0,
                continuous_code=j,
                values=SWEEP_VALUES,
                seed=seed,
            )
        else:
            latent = spec.sweep(j, SWEEP_VALUES, n=SWEEP_NOISE_ROWS, seed=seed)
            path = save_image_grid(
                model.generate(latent),
                out_dir / f"code_sweep_c{j}.png",
                ncols=len(SWEEP_VALUES),
            )
        written.append(path)
        if j == 0:
            headline = out_dir / "code_sweep.png"
            write_atomic(headline, pathlib.Path(path).read_bytes())
            written.append(headline)
    if spec.categorical:
        latent = spec.category_batch(0, n_per_category=SWEEP_NOISE_ROWS, seed=seed)
        written.append(
            save_image_grid(
                model.generate(latent),
                out_dir / "categories.png",
                ncols=spec.categorical[0],
            )
        )
    return [pathlib.Path(p) for p in written]


def generate_in_category(model, n, category, code=0, seed=0):
    """`n` InfoGAN samples whose categorical code `code` is `category`.

    Noise, the other categorical codes and the continuous codes are drawn
    at random from `seed`.

    Args:
        model: an `InfoGAN`.
        n: how many samples.
        category: the category, in `[0, K)`.
        code: which categorical code. Defaults to `0`.
        seed: seed of the draw. Defaults to `0`.

    Returns:
        `(n, H, W, C)` float32 images in [-1, 1].
    """
    from keras_gans.models.infogan.infogan import InfoGAN

    if not isinstance(model, InfoGAN):
        raise ValueError(
            "Sampling a category needs an InfoGAN model (with latent codes); "
            f"received a {type(model).__name__}."
        )
    spec = model.spec
    if not 0 <= code < len(spec.categorical):
        raise ValueError(
            f"Expected a categorical code index in [0, {len(spec.categorical)}); "
            f"received {code} (the model's codes have "
            f"{list(spec.categorical)} categories)."
        )
    k = spec.categorical[code]
    if not is_int(category) or not 0 <= category < k:
        raise ValueError(
            f"Expected a category in [0, {k}) (categorical code {code} has {k} "
            f"categories); received {category!r}."
        )
    n = check_int("n", n, minimum=1)
    latent = np.asarray(spec.sample(n, seed=seed))
    categories = np.stack(
        [block.argmax(axis=-1) for block in spec.split(latent)["categorical"]],
        axis=1,
    )
    categories[:, code] = category
    return model.generate(spec.with_codes(latent, categorical=categories))
