"""GAN-CLS / GAN-INT: text to image with a matching-aware discriminator.

Reed et al. 2016, "Generative Adversarial Text to Image Synthesis". A text
encoder phi (pretrained, frozen while the GAN trains) turns a caption into a
vector; G draws an image from noise z and phi(t); D judges (image, text)
pairs. Three pairs teach D to check that the image fits the text, not only
that it looks real:

    (real image, right text) -> real
    (real image, wrong text) -> fake    \\ weighted 0.5 each
    (fake image, right text) -> fake    /

GAN-INT adds to G's loss the same term on interpolated embeddings
beta * phi(t1) + (1 - beta) * phi(t2), which fill the gaps between
training captions. A style encoder S, trained after G on the frozen
generator (`fit_style_encoder`, Reed et al. section 4.4), learns to invert it,
min ||z - S(G(z, phi(t)))||^2, so that G(S(x), phi(t')) draws the content of
t' in the style (whatever the caption leaves open) of the image x.

Strings and distribution: the text encoder's string lookups cannot run
inside a `tf.distribute` replicated step, so under a strategy embed the
captions in the input pipeline first (`model.embed_dataset(dataset)`; the
encoder is frozen, so this changes nothing but speed). On one device the
model takes raw strings too.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans.models.adversarial import AdversarialModel
from keras_gans.models.base.tensors import _is_integer, _rank
from keras_gans.models.gan_cls.networks import (
    build_gan_cls_discriminator,
    build_gan_cls_generator,
    build_style_encoder,
    wrong_indices,
)
from keras_gans.models.gan_cls.style import StyleTransfer
from keras_gans.validation import check_int, check_number


@keras.saving.register_keras_serializable(package="keras_gans")
class GANCLS(StyleTransfer, AdversarialModel):
    """GAN-CLS with GAN-INT and a style encoder (Reed et al. 2016).

    Dataset elements are `(images, texts)` or `(images, texts, labels)`;
    texts are raw strings (tf.string) for a model with a `text_encoder`, or
    precomputed embeddings `(b, text_dim)` (any model; the only form without
    an encoder, as the CUB and Oxford-102 releases ship them; see
    `embed_dataset`). With labels, the wrong text of each
    image comes from an example of another class in the batch; without,
    from another example of the batch (it may then share the class).

    Args:
        text_encoder: a Keras layer or model from a batch of strings to
            `(b, d)` vectors (e.g. `keras_gans.text.TextEncoder`), frozen
            while the GAN trains and saved with it; or `None` for data that
            carries embeddings. Defaults to `None`.
        text_dim: size of the embeddings; inferred from the encoder when it
            has one. Required without an encoder.
        image_shape: `(H, W, C)`. Defaults to `(28, 28, 1)`.
        latent_dim: size of z. Defaults to `100` (the paper's).
        projection_dim: size phi is projected to in G and D (Dense + LeakyReLU).
            Defaults to `128` (the paper's).
        interpolation_weight: weight of GAN-INT's term in G's loss (0 turns
            it off: plain GAN-CLS). Defaults to `1.0`.
        beta: GAN-INT's mixing weight. Defaults to `0.5` (the paper's).
        preview_texts: captions (or embeddings) drawn by the training
            callbacks (`SampleGrid`, `TensorBoardImages`): one row of the
            grid per text. Defaults to `None` (those callbacks then skip
            this model with a warning).
        g_filters: G's width. Defaults to `64`.
        d_filters: D's width. Defaults to `64`.
        d_steps: as `AdversarialModel`.
        seed: as `AdversarialModel`.
        spectral_norm: spectral normalisation of D's layers (image and
            text paths), without batch norm in D. Defaults to `False`.
    """

    _network_config = (
        "image_shape",
        "text_dim",
        "projection_dim",
        "interpolation_weight",
        "beta",
        "g_filters",
        "d_filters",
        "spectral_norm",
    )

    def __init__(
        self,
        text_encoder=None,
        text_dim=None,
        image_shape=(28, 28, 1),
        latent_dim=100,
        projection_dim=128,
        interpolation_weight=1.0,
        beta=0.5,
        g_filters=64,
        d_filters=64,
        d_steps=1,
        seed=None,
        preview_texts=None,
        spectral_norm=False,
        **kwargs,
    ):
        kwargs.pop("style_weight", None)  # files saved by an earlier draft
        if isinstance(text_encoder, dict):
            import keras_gans.text  # noqa: F401 - registers the encoder classes

            text_encoder = keras.saving.deserialize_keras_object(text_encoder)
        if text_encoder is not None and not isinstance(text_encoder, keras.Layer):
            raise ValueError(
                "Expected text_encoder to be a Keras layer or model from strings "
                "to vectors (e.g. keras_gans.text.TextEncoder), or None for "
                f"precomputed embeddings; received {type(text_encoder).__name__}. "
                "Wrap a Python callable with keras_gans.text.get_encoder()."
            )
        if text_encoder is not None:
            inferred = self._encoder_dim(text_encoder)
            if text_dim is not None and int(text_dim) != inferred:
                raise ValueError(
                    f"text_dim={text_dim} but the text encoder outputs vectors "
                    f"of size {inferred}."
                )
            text_dim = inferred
        if text_dim is None or int(text_dim) < 1:
            raise ValueError(
                "Expected text_dim >= 1 (the size of the precomputed text "
                f"embeddings) when there is no text_encoder; received {text_dim!r}."
            )
        latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        beta = check_number("beta", beta, minimum=0, maximum=1)
        interpolation_weight = check_number(
            "interpolation_weight", interpolation_weight, minimum=0
        )
        if "latent_distribution" in kwargs:
            raise TypeError(
                "GANCLS draws its noise from N(0, 1), as the paper does; "
                "received latent_distribution="
                f"{kwargs['latent_distribution']!r}. Leave it out."
            )
        image_shape = tuple(int(d) for d in image_shape)
        text_dim = int(text_dim)
        super().__init__(
            generator=build_gan_cls_generator(
                image_shape, latent_dim, text_dim, projection_dim, g_filters
            ),
            discriminator=build_gan_cls_discriminator(
                image_shape, text_dim, projection_dim, d_filters, bool(spectral_norm)
            ),
            latent_dim=latent_dim,
            latent_distribution="normal",
            d_steps=d_steps,
            seed=seed,
            **kwargs,
        )
        self.text_encoder = text_encoder
        if text_encoder is not None:
            text_encoder.trainable = False
        self.style_encoder = build_style_encoder(image_shape, latent_dim, d_filters)
        self.image_shape = image_shape
        self.text_dim = text_dim
        self.projection_dim = int(projection_dim)
        self.interpolation_weight = float(interpolation_weight)
        self.beta = float(beta)
        self.preview_texts = None if preview_texts is None else list(preview_texts)
        self.g_filters = g_filters
        self.d_filters = d_filters
        self.spectral_norm = bool(spectral_norm)
        self.d_wrong_tracker = keras.metrics.Mean(name="d_wrong")

    @staticmethod
    def _encoder_dim(encoder):
        dim = getattr(encoder, "embedding_dim", None)
        if dim is None:
            try:
                dim = encoder(np.array(["a"]))
            except Exception as e:  # noqa: BLE001 - any failure means "cannot tell"
                raise ValueError(
                    "Could not infer text_dim: calling the text encoder on a "
                    f"string failed ({type(e).__name__}: {e})."
                ) from e
            dim = dim.shape[-1]
        return int(dim)

    def get_config(self):
        config = super().get_config()
        config.pop("latent_distribution", None)
        config["preview_texts"] = self.preview_texts
        config["text_encoder"] = (
            None
            if self.text_encoder is None
            else keras.saving.serialize_keras_object(self.text_encoder)
        )
        return config

    # --- Text -------------------------------------------------------------------

    def embed_texts(self, texts):
        """phi(t): the frozen encoder's vectors for strings; embeddings pass through.

        Args:
            texts: strings (a list, array or `tf.string` tensor), token ids
                `(b, length)` from `text_encoder.tokenize` (a model with an
                encoder; how text enters a JAX or PyTorch training step), or
                precomputed embeddings `(b, text_dim)`: a model with an
                encoder takes all three (`embed_dataset` precomputes them in the
                input pipeline), a model without one only embeddings.

        Returns:
            float32 `(b, text_dim)`, outside every gradient.
        """
        if _is_strings(texts):
            if self.text_encoder is None:
                raise ValueError(
                    "This GANCLS has no text encoder: it expects precomputed "
                    f"embeddings (b, {self.text_dim}), not strings."
                )
            if keras.backend.backend() == "tensorflow":
                from keras_gans._tensorflow import tf

                if (
                    tf.distribute.has_strategy()
                    and tf.distribute.get_replica_context() is not None
                ):
                    raise ValueError(
                        "Under a tf.distribute strategy, GANCLS cannot run its "
                        "text encoder inside the replicated step (string lookups "
                        "do not replicate). Embed the captions in the input "
                        "pipeline first: model.fit(model.embed_dataset(dataset))."
                    )
            if not hasattr(texts, "dtype"):
                texts = np.asarray(texts).astype(str)
            embeddings = self.text_encoder(texts, training=False)
        elif self.text_encoder is not None and _is_token_ids(texts, self.text_dim):
            # Token ids from the tokenizer (text_encoder.tokenize): what
            # carries text into a JAX or PyTorch step, which has no strings.
            embeddings = self.text_encoder.embed_token_ids(
                ops.convert_to_tensor(texts), training=False
            )
        else:
            embeddings = ops.convert_to_tensor(texts)
        embeddings = ops.cast(embeddings, "float32")
        if len(embeddings.shape) != 2 or (
            embeddings.shape[-1] is not None and embeddings.shape[-1] != self.text_dim
        ):
            dtype = keras.backend.standardize_dtype(getattr(texts, "dtype", "float32"))
            raise ValueError(
                f"Expected strings or text embeddings of shape (b, {self.text_dim}); "
                f"received {dtype} of shape {tuple(embeddings.shape)}."
            )
        return ops.stop_gradient(embeddings)

    def embed_dataset(self, dataset):
        """The dataset with its captions replaced by the encoder's embeddings.

        Maps `(images, texts[, labels])` to `(images, embeddings[, labels])`
        in tf.data, outside the training step. Needed under a
        `tf.distribute` strategy (the encoder's string lookups cannot run in
        a replicated step) and faster anywhere: the frozen encoder runs in
        the input pipeline, in parallel with training.

        Args:
            dataset: a `tf.data.Dataset` of `(images, texts)` or
                `(images, texts, labels)` batches.

        Returns:
            A `tf.data.Dataset` of `(images, embeddings[, labels])`.
        """
        if self.text_encoder is None:
            raise ValueError(
                "embed_dataset() needs a GANCLS with a text encoder; this one "
                "takes precomputed embeddings already."
            )
        from keras_gans._tensorflow import tf

        spec = dataset.element_spec
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            raise ValueError(
                "Expected dataset elements (images, texts) or (images, texts, "
                f"labels); received {spec}."
            )
        if spec[1].dtype != tf.string:
            raise ValueError(
                "Expected the second part of each element to be strings; "
                f"received {spec[1].dtype.name} (already embedded?)."
            )
        encoder = self.text_encoder

        def embed(images, texts, *rest):
            return (images, tf.cast(encoder(texts, training=False), "float32"), *rest)

        return dataset.map(embed, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
            tf.data.AUTOTUNE
        )

    # --- Hooks -------------------------------------------------------------------

    def unpack_data(self, data):
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError(
                "GANCLS expects dataset elements (images, texts) or (images, "
                "texts, labels), e.g. keras_gans.data.load('fashion_captions', "
                "with_labels=True); received "
                f"{type(data).__name__}"
                + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
                + "."
            )
        labels = data[2] if len(data) == 3 else None
        return data[0], (self.embed_texts(data[1]), labels)

    def generator_inputs(self, latent, condition=None):
        return [latent, condition[0]]

    def _wrong_embeddings(self, embeddings, labels, training):
        b = ops.shape(embeddings)[0]
        seed = self.seed_generator if training else self.sampling_seed_generator
        if labels is None:
            # Another example of the batch: a random non-zero shift.
            u = self._random(
                "wrong_shift", (), lambda: keras.random.uniform((), seed=seed)
            )
            shift = 1 + ops.cast(
                u * ops.cast(ops.maximum(b - 1, 1), "float32"), "int32"
            )
            index = ops.mod(ops.arange(b, dtype="int32") + shift, ops.maximum(b, 1))
            valid = ops.cast(ops.greater(b, 1), "float32") * ops.ones((b,))
        else:
            scores = self._random(
                "wrong_scores",
                (b, b),
                lambda: keras.random.uniform((b, b), seed=seed),
            )
            index = wrong_indices(ops.reshape(labels, (-1,)), scores=scores)
            valid = ops.cast(ops.greater_equal(index, 0), "float32")
            index = ops.maximum(index, 0)
        return ops.take(embeddings, index, axis=0), valid

    def critic(self, condition=None, training=True):
        """D on images with the batch's matching captions held fixed (for R1)."""
        embeddings = condition[0]
        return lambda x: self.discriminator([x, embeddings], training=training)

    def discriminator_loss(self, real, fake, condition=None, training=True):
        embeddings, labels = condition
        wrong, valid = self._wrong_embeddings(embeddings, labels, training)
        real_out = self.discriminator([real, embeddings], training=training)
        wrong_out = self.discriminator([real, wrong], training=training)
        fake_out = self.discriminator([fake, embeddings], training=training)
        # Examples without a wrong partner keep the plain (real, fake) loss.
        with_wrong = gan_losses.matching_aware_discriminator_loss(
            real_out, wrong_out, fake_out, base=self.gan_loss, reduction="none"
        )
        matched = self.gan_loss.discriminator_loss(real_out, fake_out, reduction="none")
        per_example = valid * with_wrong + (1.0 - valid) * matched
        # WGAN-GP on the image, the text held fixed.
        per_example += self.gradient_penalty(
            lambda x: self.discriminator([x, embeddings], training=training),
            real,
            fake,
            training,
        )
        extras = {"wrong_out": wrong_out, "wrong_valid": valid}
        return per_example, real_out, fake_out, extras

    def generator_loss(self, fake, latent, condition=None, training=True):
        embeddings, _ = condition
        fake_out = self.discriminator([fake, embeddings], training=training)
        per_example = self.gan_loss.generator_loss(fake_out, reduction="none")
        if self.interpolation_weight:
            # GAN-INT: captions nobody wrote, between two of the batch.
            partner = ops.roll(embeddings, shift=1, axis=0)
            mixed = self.beta * embeddings + (1.0 - self.beta) * partner
            fake_int = self.generator([latent, mixed], training=training)
            int_out = self.discriminator([fake_int, mixed], training=training)
            per_example += self.interpolation_weight * self.gan_loss.generator_loss(
                int_out, reduction="none"
            )
        return per_example, fake_out

    def _update_metrics(self, d_loss, g_loss, real_out, fake_out, extras=None):
        results = super()._update_metrics(d_loss, g_loss, real_out, fake_out)
        valid = extras["wrong_valid"]
        scores = self._score(ops.reshape(extras["wrong_out"], (-1,))) * valid
        self._update_mean(self.d_wrong_tracker, scores, ops.sum(valid))
        results.update({m.name: m.result() for m in self.metrics})
        return results

    @property
    def metrics(self):
        return super().metrics + [self.d_wrong_tracker]

    def _check_examples(self, real):
        # D takes [image, text]; check the image part.
        expected = (None, *self.image_shape)
        if _is_integer(real):
            return super()._check_examples(real)
        if _rank(real) is None:
            return None
        got = tuple(real.shape[1:])
        if got != expected[1:] and None not in got:
            raise ValueError(
                f"GANCLS was built for images of shape {expected[1:]}; the dataset "
                f"yields {got}."
            )

    # --- Using the model ---------------------------------------------------------

    def call(self, inputs, training=False):
        """`model([z, embeddings])` returns images (the EMA copy's, if kept)."""
        generator = self.generator if training else self.sampling_generator
        return generator(inputs, training=training)

    def _conditions(self, texts):
        """A list/array of strings or `(n, text_dim)` embeddings -> (n, d) tensor."""
        if isinstance(texts, (str, bytes)):
            texts = [texts]
        if isinstance(texts, (int, np.integer)):
            raise ValueError(
                "GANCLS takes texts (a string or a list of strings) or text "
                f"embeddings, not a count; received {texts!r}."
            )
        if not hasattr(texts, "shape"):
            array = np.asarray(texts)
            if array.ndim == 0 or 0 in array.shape:
                raise ValueError(
                    "Expected at least one text (a string or a list of strings) "
                    f"or an (n, {self.text_dim}) array of embeddings; received "
                    f"{texts!r}."
                )
        return self.embed_texts(texts)

    def generate(self, texts, n_per_text=1, seed=None, batch_size=256, z=None):
        """Images for each text.

        Args:
            texts: a string or a list of strings, or `(n, text_dim)`
                embeddings (the only form for a model without an encoder).
            n_per_text: images per text; rows of the result go text by text
                (text 0's images first). Defaults to `1`.
            seed: int for a reproducible draw. Defaults to `None` (the
                model's sampling stream).
            batch_size: generator batch size. Defaults to `256`.
            z: optional latent vectors `(len(texts) * n_per_text, latent_dim)`
                instead of a random draw.

        Returns:
            `(len(texts) * n_per_text, H, W, C)` float32 in [-1, 1].
        """
        n_per_text = check_int("n_per_text", n_per_text, minimum=1)
        embeddings = ops.repeat(self._conditions(texts), int(n_per_text), axis=0)
        n = int(embeddings.shape[0])
        if z is None:
            z = self.sample_latent(
                n, seed=self.sampling_seed_generator if seed is None else seed
            )
        else:
            z = self._check_latent(z)
            if int(z.shape[0]) != n:
                raise ValueError(
                    f"Expected {n} latent vectors (texts x n_per_text); received "
                    f"{int(z.shape[0])}."
                )
        return self._run_generator([z, embeddings], batch_size)

    def preview_samples(self, latent):
        """Images for the training callbacks' fixed latent batch.

        Rows go through `preview_texts` in order: with n latent vectors and
        k texts, each text gets ceil(n / k) consecutive vectors (the last
        text may get fewer). `None` without `preview_texts`.
        """
        if not self.preview_texts:
            return None
        latent = self._check_latent(latent)
        n = int(latent.shape[0])
        per_text = -(-n // len(self.preview_texts))
        embeddings = ops.repeat(self._conditions(self.preview_texts), per_text, axis=0)
        return self._run_generator([latent, embeddings[:n]], 256)

    # --- Export ----------------------------------------------------------------

    def export_signatures(self):
        """G on (latent, text embedding); with an encoder, raw strings too.

        `serving_default` and `generate` take `latent` and
        `text_embedding`; `sample` draws the preview captions; with a text
        encoder also `text_to_image` (strings and a seed), `embed_texts`
        and `embed_tokens` (token ids: what converts to TFLite).
        """
        from keras_gans.models.gan_cls import export

        return export.signatures(self)

    def export_metadata(self):
        """Adds the text size, the preview captions and the tokenizer."""
        from keras_gans.models.gan_cls import export

        return export.metadata(self, super().export_metadata())

    def export_resources(self):
        """The text encoder's tokenizer (its lookup table has no weights)."""
        if self.text_encoder is None:
            return []
        vectorizer = self.text_encoder.vectorizer
        if not vectorizer.built:  # as loaded from a .keras file
            vectorizer.build((None,))
        return [vectorizer]

    def interpolate_texts(self, text_a, text_b, steps=8, n=1, seed=0):
        """Images along (1 - t) phi(a) + t phi(b), t from 0 to 1, noise held fixed.

        Returns:
            `(n * steps, H, W, C)`: one row of `steps` images per noise vector.
        """
        steps = check_int("steps", steps, minimum=2)
        if isinstance(text_a, str) != isinstance(text_b, str):
            raise ValueError("Expected two texts or two embeddings.")
        pair = (
            [text_a, text_b] if isinstance(text_a, str) else np.stack([text_a, text_b])
        )
        ends = self._conditions(pair)
        t = ops.linspace(0.0, 1.0, int(steps))[:, None]
        path = (1.0 - t) * ends[0] + t * ends[1]  # (steps, d)
        z = ops.repeat(self.sample_latent(int(n), seed=seed), int(steps), axis=0)
        return self._run_generator([z, ops.tile(path, (int(n), 1))], 256)


def _is_token_ids(texts, text_dim):
    """Whether `texts` are a `(b, length)` batch of integer token ids."""
    dtype = getattr(texts, "dtype", None)
    if dtype is None or len(getattr(texts, "shape", ())) != 2:
        return False
    return keras.backend.standardize_dtype(dtype).startswith(("int", "uint"))


def _is_strings(texts):
    """Whether `texts` are strings: Python, NumPy or a `tf.string` tensor."""
    if isinstance(texts, (str, bytes)):
        return True
    dtype = getattr(texts, "dtype", None)
    if dtype is not None:
        if getattr(dtype, "name", None) == "string":  # tf.string
            return True
        return getattr(dtype, "kind", None) in ("U", "S", "O")
    if isinstance(texts, (list, tuple)):
        return np.asarray(texts).dtype.kind in "USO"
    return False
