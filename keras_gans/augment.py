"""DiffAugment: differentiable augmentation of D's inputs (Zhao et al. 2020).

A discriminator trained on few images memorises them. DiffAugment
augments both the real and the generated batch before D, with the same
policy and independent draws per image, and keeps every transformation
differentiable so that G's gradient flows through it. The policy is that
of the authors' code (mit-han-lab/data-efficient-gans, `DiffAugment_pytorch.py`),
for images in [-1, 1], channels last:

- `color`: brightness `x + (u - 0.5)`, saturation (distance from the
  channel mean times `2u`), contrast (distance from the image mean times
  `u + 0.5`), each `u ~ U[0, 1)` per image;
- `translation`: a shift of up to 1/8 of the height and of the width
  (integers, per image), zeros (mid-grey) where the image moves away;
- `cutout`: a square of half the height and width, centred anywhere in the
  image (per image), set to zero.

As in `keras_gans.losses`, the caller owns the randomness: `draw` makes the
random numbers of a batch, `apply` is a pure function of the images and
those numbers (so a test can check it by hand, and the same step can be
compared across backends), and `diff_augment` does both.

Example:

>>> policy = parse_policy("color,translation,cutout")
>>> augmented = diff_augment(images, policy, seed=0)   # same shape
"""

from __future__ import annotations

import keras
from keras import ops

TRANSFORMS = ("color", "translation", "cutout")
DEFAULT_POLICY = TRANSFORMS
# The authors' ratios: shifts up to 1/8 of a side, a cutout of half of it.
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def parse_policy(policy):
    """A policy as a tuple of `TRANSFORMS` names, in the order they apply.

    Args:
        policy: a comma-separated string (`"color,translation,cutout"`), a
            sequence of names, or `None` / `""` / `()` for no augmentation.
    """
    if policy is None:
        return ()
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [str(n).strip() for n in names if str(n).strip()]
    unknown = [n for n in names if n not in TRANSFORMS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"Expected a DiffAugment policy of distinct names from {TRANSFORMS} "
            f"(e.g. 'color,translation,cutout'); received {policy!r}."
        )
    return tuple(names)


def _sizes(image_shape):
    height, width = int(image_shape[0]), int(image_shape[1])
    shift = (
        int(height * TRANSLATION_RATIO + 0.5),
        int(width * TRANSLATION_RATIO + 0.5),
    )
    cut = (int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5))
    return height, width, shift, cut


def draw_shapes(n, policy):
    """`{name: shape}` of the random numbers `draw` makes for `n` images."""
    names = {
        "color": ("brightness", "saturation", "contrast"),
        "translation": ("shift_y", "shift_x"),
        "cutout": ("cutout_y", "cutout_x"),
    }
    return {name: (n,) for t in parse_policy(policy) for name in names[t]}


def draw(n, policy, seed=None):
    """The random numbers of one augmented batch: `{name: (n,) float32}` in [0, 1).

    Every draw is a uniform, one per image (`apply` turns the shifts and
    cutout centres into integers), so that a model can route them through
    one float-valued hook and two replicas can slice one global draw.

    Args:
        n: images in the batch.
        policy: see `parse_policy`.
        seed: an int, a `keras.random.SeedGenerator` or `None`.
    """
    return {
        name: keras.random.uniform(shape, seed=seed)
        for name, shape in draw_shapes(n, policy).items()
    }


def _integers(u, low, high):
    """Uniforms in [0, 1) -> integers in [low, high), as floats."""
    return ops.floor(low + ops.cast(u, "float32") * (high - low))


def _per_image(values, rank=4):
    return ops.reshape(ops.cast(values, "float32"), (-1,) + (1,) * (rank - 1))


def _shift_matrix(shift, size):
    """`(n, size, size)`: row i picks input i + shift (none where out of range)."""
    index = ops.arange(size, dtype="float32")
    source = index[None, :, None] + ops.cast(shift, "float32")[:, None, None]
    return ops.cast(ops.equal(source, index[None, None, :]), "float32")


def _cutout_keep(centre, cut, size):
    """`(n, size)`: 0 inside the cutout's rows (or columns), 1 elsewhere."""
    index = ops.arange(size, dtype="float32")[None, :]
    start = ops.cast(centre, "float32")[:, None] - float(cut // 2)
    inside = ops.logical_and(index >= start, index < start + float(cut))
    return 1.0 - ops.cast(inside, "float32")


def apply(images, draws, policy):
    """`images` augmented by `policy` with the random numbers `draws` (pure).

    Args:
        images: `(n, height, width, channels)` in [-1, 1].
        draws: what `draw` returns for these images: uniforms in [0, 1).
        policy: see `parse_policy`; `()` returns `images` unchanged.
    """
    policy = parse_policy(policy)
    if not policy:
        return images
    dtype = images.dtype
    x = ops.cast(images, "float32")
    _, height, width, _ = x.shape
    _, _, shift, cut = _sizes((height, width))
    for transform in policy:
        if transform == "color":
            x = x + (_per_image(draws["brightness"]) - 0.5)
            mean = ops.mean(x, axis=-1, keepdims=True)
            x = (x - mean) * (_per_image(draws["saturation"]) * 2.0) + mean
            mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
            x = (x - mean) * (_per_image(draws["contrast"]) + 0.5) + mean
        elif transform == "translation":
            # Shifts of -s..s pixels (s = round(side / 8)), zeros moving in.
            shift_y = _integers(draws["shift_y"], -shift[0], shift[0] + 1)
            shift_x = _integers(draws["shift_x"], -shift[1], shift[1] + 1)
            rows = _shift_matrix(shift_y, height)
            columns = _shift_matrix(shift_x, width)
            x = ops.einsum("bij,bjwc->biwc", rows, x)
            x = ops.einsum("bkl,bilc->bikc", columns, x)
        else:  # cutout
            # Centres 0..side - 1 (0..side for an even cutout, as the authors).
            centre_y = _integers(draws["cutout_y"], 0, height + 1 - cut[0] % 2)
            centre_x = _integers(draws["cutout_x"], 0, width + 1 - cut[1] % 2)
            keep_rows = _cutout_keep(centre_y, cut[0], height)
            keep_columns = _cutout_keep(centre_x, cut[1], width)
            hole = (1.0 - keep_rows[:, :, None]) * (1.0 - keep_columns[:, None, :])
            x = x * (1.0 - hole)[..., None]
    return ops.cast(x, dtype)


def diff_augment(images, policy=DEFAULT_POLICY, seed=None):
    """`images` augmented by `policy` with fresh draws per image.

    Args:
        images: `(n, height, width, channels)` in [-1, 1].
        policy: see `parse_policy`. Defaults to `DEFAULT_POLICY` (all three).
        seed: an int, a `keras.random.SeedGenerator` or `None`.
    """
    policy = parse_policy(policy)
    if not policy:
        return images
    n = ops.shape(images)[0]
    return apply(images, draw(n, policy, seed), policy)
