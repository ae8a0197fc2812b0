"""VAE (Kingma and Welling 2014): a latent-variable model trained on its ELBO.

The posterior p(z|x) is intractable, so an encoder fits q(z|x) =
N(mu(x), sigma(x)^2) and the model maximises the evidence lower bound

    log p(x) >= ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)),   p(z) = N(0, I):

the reconstruction term and the regulariser (in closed form,
`distributions.gaussian_kl`). Gradients pass through the sampling by
reparameterisation, z = mu + sigma * eps with eps ~ N(0, I). The loss is
-ELBO in nats per image, logged with its two terms (`reconstruction`,
`kl`). The importance-weighted bound of Burda et al. 2016 (`iwae_bound`,
k samples) is tighter and tends to log p(x) as k grows: the model's
likelihood estimate (`log_prob`).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_gans import latent as latent_tools
from keras_gans.models.likelihood import distributions
from keras_gans.models.likelihood.model import LikelihoodModel
from keras_gans.models.vae import networks
from keras_gans.validation import check_choice, check_int, check_int_tuple

# The pixel model p(x|z): Bernoulli for binarised images, a discretised
# logistic for 8-bit ones.
LIKELIHOODS = {"bernoulli": 2, "logistic": 256}
# Decoded latents per call of the IWAE bound (k samples times images).
_IWAE_CHUNK = 4096


def mean_image(params, likelihood):
    """E[x|z] in [-1, 1] from the decoder's outputs for `likelihood`.

    Bernoulli: 2 p - 1 (the grey level of p); logistic: its location,
    clipped to the image range.
    """
    params = ops.cast(params, "float32")
    if likelihood == "bernoulli":
        return 2.0 * ops.sigmoid(params) - 1.0
    mean, _ = ops.split(params, 2, axis=-1)
    return ops.clip(mean, -1.0, 1.0)


@keras.saving.register_keras_serializable(package="keras_gans")
class VAE(LikelihoodModel):
    """A variational autoencoder of images, trained by `fit()` on -ELBO.

    The default pixel model is Bernoulli on binarised images: the notes'
    comparison (the autoregressive ladder, PixelCNN with `levels=2`) is over
    binary pixels, and so are Kingma and Welling's MNIST experiments.
    `likelihood="logistic"` models 8-bit images with a logistic per pixel
    discretised into 256 bins (Salimans et al. 2017, one component), whose
    bits per dimension compare with PixelCNN's `levels=256`.

    Args:
        image_shape: `(H, W, C)`, H and W divisible by `2 ** len(filters)`.
            Defaults to `(28, 28, 1)`.
        latent_dim: size of z. Defaults to `32`.
        likelihood: `"bernoulli"` (binarised images) or `"logistic"` (8-bit).
            Defaults to `"bernoulli"`.
        filters: convolution widths of the encoder (and, mirrored, of the
            decoder); each halves the image. Defaults to `(32, 64)`.
        hidden: dense units between the convolutions and z. Defaults to
            `256`.
        seed: seed of the model's noise. Defaults to `None` (random).
        dtype_policy: see `LikelihoodModel`. Defaults to `None`.

    Example:

    ```python
    vae = keras_gans.VAE(image_shape=(28, 28, 1), latent_dim=32)
    vae.compile()  # Adam(1e-3)
    vae.fit(keras_gans.data.load("fashion_mnist", batch_size=128), epochs=5)
    images = vae.generate(16, seed=0)        # decoder means, in [-1, 1]
    nats = -vae.iwae_bound(test_images, k=64)  # an upper bound of -log p(x)
    ```
    """

    TERMS = ("reconstruction", "kl")

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=32,
        likelihood="bernoulli",
        filters=(32, 64),
        hidden=256,
        seed=None,
        dtype_policy=None,
        **kwargs,
    ):
        check_choice("likelihood", likelihood, tuple(LIKELIHOODS))
        super().__init__(
            image_shape,
            LIKELIHOODS[likelihood],
            seed=seed,
            dtype_policy=dtype_policy,
            **kwargs,
        )
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.likelihood = likelihood
        self.filters = check_int_tuple("filters", filters, example="(32, 64)")
        self.hidden = check_int("hidden", hidden, minimum=1)
        channels = self.image_shape[-1]
        self.encoder = networks.encoder(
            self.image_shape, self.latent_dim, self.filters, self.hidden
        )
        self.decoder = networks.decoder(
            self.image_shape,
            self.latent_dim,
            self.filters,
            self.hidden,
            channels if likelihood == "bernoulli" else 2 * channels,
        )
        self._finish_networks(self.encoder, self.decoder)

    _network_config = ("latent_dim", "likelihood", "filters", "hidden")

    # --- The model's pieces --------------------------------------------------------

    def posterior(self, levels, training=False):
        """q(z|x)'s `(mean, log_var)` for images given as levels."""
        stats = ops.cast(
            self.encoder(self.from_levels(levels), training=training), "float32"
        )
        mean, log_var = ops.split(stats, 2, axis=-1)
        return mean, log_var

    def log_likelihood(self, params, levels):
        """log p(x|z) per example from the decoder's outputs `params`."""
        if self.likelihood == "bernoulli":
            return distributions.bernoulli_log_prob(params, levels)
        mean, log_scale = ops.split(ops.cast(params, "float32"), 2, axis=-1)
        return distributions.discretized_logistic_log_prob(
            mean, log_scale, levels, self.levels
        )

    def mean_image(self, params):
        """E[x|z] in [-1, 1] from the decoder's outputs (what `decode` shows)."""
        return mean_image(params, self.likelihood)

    def elbo_terms(self, images, noise, training=False):
        """-ELBO per image with its two terms, z = mu + sigma * noise(shape).

        Returns `{"loss", "reconstruction", "kl"}`, each in nats per image.
        """
        levels = self.to_levels(images)
        mean, log_var = self.posterior(levels, training=training)
        z = mean + ops.exp(0.5 * log_var) * noise(ops.shape(mean))
        reconstruction = -self.log_likelihood(
            self.decoder(z, training=training), levels
        )
        kl = distributions.gaussian_kl(mean, log_var)
        return {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}

    def loss_terms(self, images, training=False):
        def noise(shape):  # this replica's rows of the global batch's draw
            return self._draw(
                shape,
                training,
                lambda seed, global_shape: keras.random.normal(global_shape, seed=seed),
            )

        return self.elbo_terms(images, noise, training=training)

    # --- Latents -------------------------------------------------------------------

    def sample_latent(self, n, seed=None):
        """`n` draws of the prior N(0, I). `seed`: int, `SeedGenerator` or `None`."""
        seed = self.seed_generator if seed is None else seed
        return keras.random.normal((n, self.latent_dim), seed=seed)

    latent_distribution = "normal"

    @property
    def latent_description(self):
        return "normal latent vectors (the VAE's prior)"

    @property
    def generator(self):
        """The decoder with its mean image: latents -> images in [-1, 1].

        What export, TFLite and the zoo sample from (as a GAN's generator).
        """
        cached = self.__dict__.get("_generator_view")
        if cached is None:
            z = keras.Input((self.latent_dim,), name="latent")
            images = _MeanImage(self.likelihood, dtype="float32")(self.decoder(z))
            cached = keras.Model(z, images, name="decoder_mean")
            # Not an attribute Keras tracks: it holds no weights of its own.
            object.__setattr__(self, "_generator_view", cached)
        return cached

    @property
    def sampling_generator(self):
        """What export samples from: `generator` (a VAE keeps no EMA copy)."""
        return self.generator

    def encode(self, images, batch_size=256):
        """q(z|x) for `images` in [-1, 1]: `(mean, log_var)`, NumPy `(n, latent_dim)`."""
        out = self._per_example(
            lambda x: ops.concatenate(self.posterior(self.to_levels(x)), axis=-1),
            images,
            batch_size,
        )
        return np.split(out.astype("float32"), 2, axis=-1)

    def decode(self, latent, batch_size=256):
        """E[x|z] for latents `(n, latent_dim)`: images in [-1, 1], NumPy float32."""
        latent = np.asarray(keras.ops.convert_to_numpy(latent), "float32")
        if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
            raise ValueError(
                f"Expected latent vectors of shape (n, {self.latent_dim}); received "
                f"shape {latent.shape}."
            )
        out = [
            keras.ops.convert_to_numpy(
                self.mean_image(
                    self.decoder(latent[i : i + batch_size], training=False)
                )
            )
            for i in range(0, len(latent), batch_size)
        ]
        return np.concatenate(out).astype("float32")

    def reconstruct(self, images, batch_size=256):
        """decode(mean of q(z|x)): each image through the bottleneck, in [-1, 1]."""
        mean, _ = self.encode(images, batch_size)
        return self.decode(mean, batch_size)

    def generate(self, n_or_z=16, seed=None, batch_size=256):
        """Decoded prior samples: `n` fresh latents (or given ones) -> images in [-1, 1]."""
        if isinstance(n_or_z, (int, np.integer)):
            check_int("n", n_or_z, minimum=1)
            z = self.sample_latent(
                int(n_or_z), seed=self.sampling_seed_generator if seed is None else seed
            )
        else:
            z = n_or_z
        return self.decode(z, batch_size)

    def preview_samples(self, latent):
        return self.generate(latent)

    def interpolate(self, image_a, image_b, steps=8, method="lerp"):
        """Images decoded along the path between two images' posterior means.

        Returns `(steps, H, W, C)` in [-1, 1], `image_a`'s reconstruction first.
        """
        (mean, _) = self.encode(np.stack([image_a, image_b]))
        path = latent_tools.interpolate(mean[0], mean[1], steps=steps, method=method)
        return self.decode(path)

    # --- Likelihoods ---------------------------------------------------------------

    def elbo(self, images, seed=0, batch_size=256):
        """The ELBO per image in nats (one z per image): a lower bound of log p(x)."""
        seeds = keras.random.SeedGenerator(seed)

        def one(x):
            terms = self.elbo_terms(
                x, lambda shape: keras.random.normal(shape, seed=seeds)
            )
            return -terms["loss"]

        return self._per_example(one, images, batch_size)

    def iwae_bound(self, images, k=64, seed=0, batch_size=None):
        """The importance-weighted bound per image in nats (Burda et al. 2016).

        log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x) with z_i ~ q(z|x): a lower
        bound of log p(x) that is tighter than the ELBO (k = 1) and tends to
        log p(x) as k grows.

        Args:
            images: `(n, H, W, C)` in [-1, 1].
            k: importance samples per image. Defaults to `64`.
            seed: seed of the draws. Defaults to `0`.
            batch_size: images per call. Defaults to `None`: 4096 // k.
        """
        k = check_int("k", k, minimum=1)
        seeds = keras.random.SeedGenerator(seed)
        batch_size = batch_size or max(1, _IWAE_CHUNK // k)

        def one(x):
            levels = self.to_levels(x)
            n = ops.shape(levels)[0]
            mean, log_var = self.posterior(levels)
            eps = keras.random.normal((k, n, self.latent_dim), seed=seeds)
            z = mean[None] + ops.exp(0.5 * log_var)[None] * eps
            flat = ops.reshape(z, (-1, self.latent_dim))
            repeated = ops.reshape(
                ops.broadcast_to(levels[None], (k, *ops.shape(levels))),
                (-1, *self.image_shape),
            )
            log_px = ops.reshape(
                self.log_likelihood(self.decoder(flat), repeated), (k, n)
            )
            log_w = (
                log_px
                + distributions.normal_log_prob(z)
                - distributions.normal_log_prob(z, mean[None], log_var[None])
            )
            return ops.logsumexp(log_w, axis=0) - math.log(k)

        return self._per_example(one, images, batch_size)

    def log_prob(self, images, k=64, seed=0):
        """log p(x) per image in nats, estimated by `iwae_bound` (a lower bound)."""
        return self.iwae_bound(images, k=k, seed=seed)

    # --- Export --------------------------------------------------------------------

    def export_signatures(self):
        """A generator's signatures (the decoder's mean), plus `encode`."""
        from keras_gans.models.vae import export

        return export.export_signatures(self, super().export_signatures())

    def export_metadata(self):
        from keras_gans.models.vae import export

        return export.export_metadata(self, super().export_metadata())


@keras.saving.register_keras_serializable(package="keras_gans")
class _MeanImage(keras.layers.Layer):
    """Decoder outputs -> E[x|z] in [-1, 1] (for the generator view)."""

    def __init__(self, likelihood, **kwargs):
        super().__init__(**kwargs)
        self.likelihood = likelihood

    def call(self, params):
        return mean_image(params, self.likelihood)

    def compute_output_shape(self, input_shape):
        if self.likelihood == "bernoulli":
            return input_shape
        return (*input_shape[:-1], input_shape[-1] // 2)

    def get_config(self):
        return {**super().get_config(), "likelihood": self.likelihood}
