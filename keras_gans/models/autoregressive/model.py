"""`AutoregressiveModel`: p(x) = prod_i p(x_i | x_<i) over pixels, exactly.

The chain rule holds for any order; these models use raster order (rows,
then columns, then a pixel's channels). A subclass builds `self.network`:
images in [-1, 1] `(batch, H, W, C)` -> each pixel's conditional given the
pixels before it, one logit per pixel for `levels=2` (Bernoulli) or
`levels` logits `(batch, H, W, C, levels)` (a softmax over the levels).
The log-likelihood is then one pass of the network (`log_prob`), and the
loss is -log p(x) in nats per image.

Sampling is ancestral, one pixel at a time: each pixel needs a pass of the
network over what has been drawn so far, so an image of n pixels takes n
passes. A model whose outputs for row r depend only on the `R` rows above
(`reach`; PixelCNN's masked convolutions) runs each pass on those `R + 1`
rows only (`window_network`). Each pixel is drawn by inverse CDF from a
uniform drawn up front with `keras.random.uniform`, so the same seed gives
the same images, and the exported sampler draws the same pixels.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_gans.models.likelihood import distributions
from keras_gans.models.likelihood.model import LikelihoodModel
from keras_gans.validation import check_int


@keras.saving.register_keras_serializable(package="keras_gans")
class AutoregressiveModel(LikelihoodModel):
    """An exact-likelihood model of images, one conditional per pixel."""

    # Whether every conditional ignores the other pixels (then one pass
    # samples the whole image).
    independent = False

    # --- Likelihood ----------------------------------------------------------------

    def log_prob_of_levels(self, levels, training=False):
        """log p(x) per image in nats, for images given as levels."""
        outputs = self.network(self.from_levels(levels), training=training)
        if self.levels == 2:
            return distributions.bernoulli_log_prob(outputs, levels)
        return distributions.categorical_log_prob(outputs, levels)

    def loss_terms(self, images, training=False):
        return {"loss": -self.log_prob_of_levels(self.to_levels(images), training)}

    def log_prob(self, images, batch_size=256):
        """log p(x) per image in nats (exact), NumPy `(n,)`."""
        return self._per_example(
            lambda x: self.log_prob_of_levels(self.to_levels(x)), images, batch_size
        )

    def parameter_count(self):
        """The number of free parameters (masked-out weights not counted)."""
        return int(self.count_params())

    # --- Sampling ------------------------------------------------------------------

    @property
    def reach(self):
        """Rows above a pixel that its conditional reads; `None`: any earlier pixel."""
        return None

    def sampling_networks(self):
        """`(top, window, rows)`: the networks that sampling passes run.

        `top` maps the image's first `rows` rows to their outputs; `window`
        maps any `rows` consecutive rows to the outputs of the last of them
        (or is `None`). Here `top` is the network and `rows` the image's
        height; PixelCNN, whose outputs at row r read rows r - reach .. r
        only, runs `reach + 1` rows a pass.
        """
        return self.network, None, self.image_shape[0]

    def _draw_pixels(self, outputs, uniforms):
        if self.levels == 2:
            return distributions.sample_bernoulli(outputs, uniforms)
        return distributions.sample_categorical(outputs, uniforms)

    def sample_latent(self, n, seed=None):
        """The noise of `n` samples: one uniform in [0, 1) per pixel, `(n, H, W, C)`.

        Ancestral sampling turns it into pixels (`sample_levels`), so it is
        to this model what z is to a GAN.
        """
        seed = self.sampling_seed_generator if seed is None else seed
        return keras.random.uniform((n, *self.image_shape), seed=seed)

    def sample_levels(self, uniforms, progress=None):
        """Ancestral sampling: levels `(n, H, W, C)` from uniforms of that shape.

        Args:
            uniforms: one uniform in [0, 1) per pixel and channel.
            progress: called with `(pixels done, pixels in all)` after each
                pixel. Defaults to `None`.
        """
        uniforms = np.asarray(uniforms, "float32")
        n, (height, width, channels) = len(uniforms), self.image_shape
        top, window, rows = self.sampling_networks()

        def run(network, x):
            return np.asarray(keras.ops.convert_to_numpy(network.predict_on_batch(x)))

        levels = np.zeros((n, *self.image_shape), "float32")
        if self.independent:
            return self._draw_pixels(run(top, np.zeros_like(levels)), uniforms)
        # What the network reads: the pixels drawn so far, in [-1, 1]; the
        # others are masked out.
        inputs = np.zeros_like(levels)
        total, done = height * width * channels, 0
        for r in range(height):
            if r < rows:
                network, part, row = top, slice(0, rows), r
            else:  # the last of rows r - (rows - 1) .. r
                network, part, row = window, slice(r - rows + 1, r + 1), 0
            for c in range(width):
                for ch in range(channels):
                    outputs = run(network, inputs[:, part])[:, row, c, ch]
                    drawn = self._draw_pixels(outputs, uniforms[:, r, c, ch])
                    levels[:, r, c, ch] = drawn
                    inputs[:, r, c, ch] = drawn * (2.0 / (self.levels - 1)) - 1.0
                    done += 1
                    if progress is not None:
                        progress(done, total)
        return levels

    def generate(self, n_or_uniforms=16, seed=None, batch_size=256, progress=None):
        """Samples as images in [-1, 1], NumPy float32 `(n, H, W, C)`.

        Args:
            n_or_uniforms: how many, or their noise (`sample_latent`).
                Defaults to `16`.
            seed: int for a reproducible draw. Defaults to `None`.
            batch_size: images sampled together. Defaults to `256`.
            progress: `(pixels done, pixels in all)` callback, per batch.
                Defaults to `None`.
        """
        if isinstance(n_or_uniforms, (int, np.integer)):
            n = check_int("n", n_or_uniforms, minimum=1)
            uniforms = self.sample_latent(n, seed)
        else:
            uniforms = n_or_uniforms
        uniforms = np.asarray(keras.ops.convert_to_numpy(uniforms), "float32")
        if uniforms.shape[1:] != self.image_shape:
            raise ValueError(
                f"Expected uniforms of shape (n, {', '.join(map(str, self.image_shape))})"
                f"; received shape {uniforms.shape}."
            )
        out = [
            self.sample_levels(uniforms[i : i + batch_size], progress)
            for i in range(0, len(uniforms), batch_size)
        ]
        return np.asarray(
            keras.ops.convert_to_numpy(self.from_levels(np.concatenate(out))), "float32"
        )

    def preview_samples(self, latent):
        return self.generate(latent)

    # --- Export --------------------------------------------------------------------

    def export_signatures(self):
        """`sample` (count, seed), `sample_from_uniforms` and `log_prob`.

        See `keras_gans.models.autoregressive.export`.
        """
        from keras_gans.models.autoregressive import export

        return export.export_signatures(self)

    def export_metadata(self):
        from keras_gans.models.autoregressive import export

        return export.export_metadata(self)
