"""An autoregressive model's SavedModel: an ancestral sampler and its likelihood.

- `serving_default` and `sample`: `count` int32 and `seed` int64 scalars ->
  `images` float32 in [-1, 1] and `images_uint8`; the same seed gives the
  same images as `model.generate(count, seed=seed)` on TensorFlow (the
  uniforms are drawn as the model draws them, and each pixel is drawn from
  its uniform by inverse CDF).
- `sample_from_uniforms`: `uniforms` `(n, H, W, C)` in [0, 1) -> `images`:
  the sampler without a random number generator (what TFLite converts; a
  phone draws the uniforms itself).
- `log_prob`: `images` `(n, H, W, C)` in [-1, 1] -> `log_prob` (nats per
  image, exact) and `bits_per_dim`.

The sampler is a `tf.while_loop` over pixels: each step runs the network on
the rows that the pixel's row reads (`sampling_networks`) and draws one
pixel of every image.
"""

from __future__ import annotations

from keras_gans._tensorflow import tf
from keras_gans.models import serving


def _draw(model, outputs, uniforms):
    """Levels from the pixel's outputs by inverse CDF (as `distributions.sample_*`)."""
    if model.levels == 2:
        return tf.cast(uniforms < tf.sigmoid(outputs), tf.float32)
    p = tf.nn.softmax(tf.cast(outputs, tf.float32), axis=-1)
    cdf = tf.math.cumsum(p, axis=-1) / tf.reduce_sum(p, axis=-1, keepdims=True)
    level = tf.reduce_sum(tf.cast(cdf < uniforms[:, None], tf.float32), axis=-1)
    return tf.minimum(level, model.levels - 1.0)


def sample_levels(model, uniforms):
    """`model.sample_levels` in TensorFlow ops, for a SavedModel."""
    height, width, channels = model.image_shape
    top, window, rows = model.sampling_networks()
    total = height * width * channels
    scale = 2.0 / (model.levels - 1)

    def body(i, inputs, levels):
        r, c, ch = i // (width * channels), (i // channels) % width, i % channels

        def from_top():
            return top(inputs[:, :rows])[:, r]

        def from_window():
            part = tf.slice(inputs, [0, r - rows + 1, 0, 0], [-1, rows, -1, -1])
            return window(tf.ensure_shape(part, [None, rows, width, channels]))[:, 0]

        outputs = (
            from_top() if window is None else tf.cond(r < rows, from_top, from_window)
        )
        drawn = _draw(
            model, tf.cast(outputs[:, c, ch], tf.float32), uniforms[:, r, c, ch]
        )
        here = tf.reshape(tf.one_hot(i, total), (1, height, width, channels))
        levels = levels * (1.0 - here) + here * drawn[:, None, None, None]
        inputs = (
            inputs * (1.0 - here) + here * (drawn * scale - 1.0)[:, None, None, None]
        )
        return i + 1, inputs, levels

    zeros = tf.zeros_like(uniforms)
    _, _, levels = tf.while_loop(
        lambda i, *_: i < total, body, [tf.constant(0), zeros, zeros]
    )
    return levels


def export_signatures(model):
    shape = list(model.image_shape)
    scale = 2.0 / (model.levels - 1)

    def images_from(uniforms):
        return sample_levels(model, uniforms) * scale - 1.0

    def sample(count, seed):
        count, seed = serving.check_count(count), serving.check_seed(seed)
        uniforms = model.sample_latent(count, seed=serving.TensorSeed(seed))
        return serving.images_out(images_from(uniforms))

    def sample_from_uniforms(uniforms):
        return {"images": images_from(uniforms)}

    def log_prob(images):
        images = serving.check_images(images, shape)
        value = model.log_prob_of_levels(model.to_levels(images))
        return {
            "log_prob": value,
            "bits_per_dim": model.nats_to_bits_per_dim(-value),
        }

    counts = [
        serving.scalar_spec("count", tf.int32),
        serving.scalar_spec("seed", tf.int64),
    ]
    return {
        "serving_default": (sample, counts),
        "sample": (sample, counts),
        "sample_from_uniforms": (
            sample_from_uniforms,
            [tf.TensorSpec([None, *shape], tf.float32, name="uniforms")],
        ),
        "log_prob": (
            log_prob,
            [tf.TensorSpec([None, None, None, None], tf.float32, name="images")],
        ),
    }


def export_metadata(model):
    """The export's metadata; `"model"` (the family) is the exporter's to fill in."""
    return {
        "format_version": serving.FORMAT_VERSION,
        "model": None,
        "class": type(model).__name__,
        "image_shape": list(model.image_shape),
        "levels": int(model.levels),
        "parameters": int(model.parameter_count()),
        "output_range": [-1.0, 1.0],
        "uint8": "images_uint8 = round((images + 1) * 127.5), clipped to [0, 255]",
        "max_sample_count": serving.MAX_SAMPLE_COUNT,
        "sampling": "ancestral: one pass of the network per pixel and channel, "
        "in raster order; pixel = the first level whose CDF exceeds its uniform",
        "signatures": {
            "serving_default": "count, seed -> images, images_uint8 (as sample)",
            "sample": "count, seed -> images, images_uint8",
            "sample_from_uniforms": "uniforms (n, H, W, C) in [0, 1) -> images",
            "log_prob": "images (n, H, W, C) in [-1, 1] -> log_prob (nats), "
            "bits_per_dim",
        },
    }
