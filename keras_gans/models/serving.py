"""The signatures every export has, and the pieces families build theirs from.

- `serving_default`: `latent` `(batch, latent_dim)` float32 -> `images`
  float32 in [-1, 1] and `images_uint8` uint8 in [0, 255], both
  `(batch, H, W, C)`.
- `sample`: `count` int32 scalar and `seed` int64 scalar -> `images`,
  `images_uint8` and the `latent` that made them; the same seed gives the
  same images as `model.generate(count, seed=seed)`.
- `generate` (the generator alone: latent in, float32 `images` out) is what
  the TFLite converter reads; it has no shape checks (TFLite has no assert
  op).

Signatures check their inputs' shapes at run time (also under TF Serving)
and fail with an `InvalidArgumentError` that says what was expected.
A family adds its own through the model's `export_signatures()` (InfoGAN's
`generate_with_codes`, GAN-CLS's text signatures) and its metadata through
`export_metadata()`.
"""

from __future__ import annotations

import keras

from keras_gans._tensorflow import tf

FORMAT_VERSION = 1
# Largest `count` the `sample` signature accepts (one request, one batch).
MAX_SAMPLE_COUNT = 1024


class TensorSeed(keras.random.SeedGenerator):
    """A seed generator driven by a seed *tensor* (a signature input).

    `keras.random` takes an int or a `SeedGenerator`; an int seed `s` draws
    with `[s, 0]` and `SeedGenerator(s)` with `[s, 0], [s, 1], ...`. This
    yields that same sequence from a tensor, so the `sample` signature draws
    exactly the latents of `model.generate(n, seed=s)`.
    """

    def __init__(self, seed):  # noqa: D107 - no Keras state on purpose
        self._seed = tf.cast(seed, tf.int64)  # the TF backend's seed dtype
        self._count = 0

    def next(self, ordered=True):
        del ordered
        value = tf.stack([self._seed, tf.constant(self._count, dtype=self._seed.dtype)])
        self._count += 1
        return value


def check_vector(name, x, dim, what):
    """Run-time check that `x` is `(batch >= 1, dim)`; returns `x`."""
    shape = tf.shape(x)
    message = (
        f"keras_gans: expected `{name}` of shape [batch, {dim}] ({what}); x below "
        "is the received width"
    )
    checks = [
        tf.debugging.assert_equal(shape[1], dim, message=message),
        tf.debugging.assert_positive(
            shape[0], message=f"keras_gans: expected at least one row of `{name}`"
        ),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(x)


def check_images(images, shape):
    """Run-time check that `images` is `(batch >= 1, *shape)`; returns them."""
    got = tf.shape(images)
    message = (
        f"keras_gans: expected `images` of shape [batch, {', '.join(map(str, shape))}]"
    )
    checks = [
        tf.debugging.assert_equal(got[1:], tf.constant(shape), message=message),
        tf.debugging.assert_positive(
            got[0], message="keras_gans: expected at least one image"
        ),
    ]
    with tf.control_dependencies(checks):
        return tf.ensure_shape(tf.identity(images), [None, *shape])


def check_scalar_range(name, x, low, high):
    """Run-time check that the scalar `x` is in `[low, high]`; returns `x`."""
    message = f"keras_gans: expected `{name}` in [{low}, {high}]"
    checks = [
        tf.debugging.assert_greater_equal(x, tf.cast(low, x.dtype), message=message),
        tf.debugging.assert_less_equal(x, tf.cast(high, x.dtype), message=message),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(x)


def check_count(count):
    return check_scalar_range("count", count, 1, MAX_SAMPLE_COUNT)


def check_seed(seed):
    return check_scalar_range("seed", seed, 0, 2**31 - 1)


def images_out(images):
    """`{"images": float32 in [-1, 1], "images_uint8": uint8 in [0, 255]}`."""
    uint8 = tf.cast(
        tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8
    )
    return {"images": images, "images_uint8": uint8}


def vector_spec(name):
    return tf.TensorSpec([None, None], tf.float32, name=name)


def scalar_spec(name, dtype):
    return tf.TensorSpec([], dtype, name=name)


def latent_signatures(model):
    """`serving_default`, `generate` and `sample` of a generator of latents."""
    dim = int(model.latent_dim)
    generator = model.sampling_generator
    what = model.latent_description

    def serve(latent):
        latent = check_vector("latent", latent, dim, what)
        return images_out(generator(latent, training=False))

    def generate(latent):
        return {"images": generator(latent, training=False)}

    def sample(count, seed):
        count, seed = check_count(count), check_seed(seed)
        latent = model.sample_latent(count, seed=TensorSeed(seed))
        return {**images_out(generator(latent, training=False)), "latent": latent}

    return {
        "serving_default": (serve, [vector_spec("latent")]),
        "generate": (generate, [tf.TensorSpec([None, dim], tf.float32, name="latent")]),
        "sample": (
            sample,
            [scalar_spec("count", tf.int32), scalar_spec("seed", tf.int64)],
        ),
    }


def base_metadata(model):
    """What a caller of any export needs to know, as a JSON-able dict.

    `"model"` is left `None`: the exporter fills in the model's registered
    family, which the model layer does not know.
    """
    generator = model.generator
    try:
        shape = generator.output.shape
    except AttributeError:  # a Sequential that was never called
        shape = generator.compute_output_shape(generator.input_shape)
    output_shape = tuple(int(d) for d in shape[1:])
    return {
        "format_version": FORMAT_VERSION,
        "model": None,
        "class": type(model).__name__,
        "latent_dim": int(model.latent_dim),
        "latent_distribution": getattr(model, "latent_distribution", "normal"),
        "image_shape": list(output_shape),
        "output_range": [-1.0, 1.0],
        "uint8": "images_uint8 = round((images + 1) * 127.5), clipped to [0, 255]",
        "max_sample_count": MAX_SAMPLE_COUNT,
        "signatures": {
            "serving_default": "latent -> images, images_uint8",
            "sample": "count, seed -> images, images_uint8, latent",
            "generate": "latent -> images (no checks; for TFLite)",
        },
    }
