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
training captions. A style encoder S learns to invert G,
||z - S(G(z, phi(t)))||^2, so that G(S(x), phi(t')) draws the content of t'
in the style (pose, shade, ...) of the image x.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_gans import losses as gan_losses
from keras_gans.models.adversarial_model import _STEP_STATE, AdversarialModel
from keras_gans.models.dcgan import _batch_norm, _init, upsampling_plan


def build_gan_cls_generator(
    image_shape, latent_dim, text_dim, projection_dim=128, filters=64
):
    """G(z, phi): phi projected (Dense + LeakyReLU 0.2), concatenated to z, then DCGAN."""
    h, w, steps = upsampling_plan(image_shape)
    channels = filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="z")
    phi = keras.Input((text_dim,), name="text_embedding")
    projected = keras.layers.Dense(
        projection_dim, kernel_initializer=_init(), name="text_projection"
    )(phi)
    projected = keras.layers.LeakyReLU(0.2)(projected)
    x = keras.layers.Concatenate()([z, projected])
    x = keras.layers.Dense(
        h * w * channels, use_bias=False, kernel_initializer=_init(), name="project"
    )(x)
    x = keras.layers.Reshape((h, w, channels))(x)
    x = keras.layers.ReLU()(_batch_norm("project_bn")(x))
    for i in range(steps - 1):
        channels //= 2
        x = keras.layers.Conv2DTranspose(
            channels,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=_init(),
            name=f"up_{i}",
        )(x)
        x = keras.layers.ReLU()(_batch_norm(f"up_{i}_bn")(x))
    image = keras.layers.Conv2DTranspose(
        image_shape[-1],
        4,
        strides=2,
        padding="same",
        activation="tanh",
        kernel_initializer=_init(),
        name="image",
    )(x)
    return keras.Model([z, phi], image, name="generator")


def build_gan_cls_discriminator(image_shape, text_dim, projection_dim=128, filters=64):
    """D(x, phi): DCGAN convolutions to a small grid, phi projected and tiled over
    it, a 1x1 convolution over both, then one logit (Reed et al. 2016, Fig. 2)."""
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    phi = keras.Input((text_dim,), name="text_embedding")
    x = image
    for i in range(steps):
        x = keras.layers.Conv2D(
            filters * 2**i,
            4,
            strides=2,
            padding="same",
            use_bias=i == 0,
            kernel_initializer=_init(),
            name=f"down_{i}",
        )(x)
        if i > 0:
            x = _batch_norm(f"down_{i}_bn")(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    gh, gw = x.shape[1], x.shape[2]
    projected = keras.layers.Dense(
        projection_dim, kernel_initializer=_init(), name="text_projection"
    )(phi)
    projected = keras.layers.LeakyReLU(0.2)(projected)
    tiled = keras.layers.Reshape((1, 1, projection_dim))(projected)
    tiled = keras.layers.UpSampling2D((gh, gw), name="tile")(tiled)
    x = keras.layers.Concatenate()([x, tiled])
    x = keras.layers.Conv2D(
        filters * 2 ** (steps - 1),
        1,
        use_bias=False,
        kernel_initializer=_init(),
        name="joint",
    )(x)
    x = keras.layers.LeakyReLU(0.2)(_batch_norm("joint_bn")(x))
    x = keras.layers.Flatten(name="features")(x)
    logit = keras.layers.Dense(1, kernel_initializer=_init(), name="logit")(x)
    return keras.Model([image, phi], logit, name="discriminator")


def build_style_encoder(image_shape, latent_dim, filters=64):
    """S(x) -> z: DCGAN-style convolutions and a linear read-out of z."""
    _, _, steps = upsampling_plan(image_shape)
    image = keras.Input(tuple(image_shape), name="image")
    x = image
    for i in range(steps):
        x = keras.layers.Conv2D(
            filters * 2**i,
            4,
            strides=2,
            padding="same",
            kernel_initializer=_init(),
            name=f"down_{i}",
        )(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Flatten()(x)
    z = keras.layers.Dense(latent_dim, kernel_initializer=_init(), name="z")(x)
    return keras.Model(image, z, name="style_encoder")


def wrong_indices(labels, seed):
    """For each example, the index of another example of a *different* class.

    Drawn uniformly among the batch's examples whose label differs. An
    example whose class fills the whole batch has no valid partner: it gets
    -1 (callers leave such examples out of the wrong-text term).

    Args:
        labels: `(b,)` int labels.
        seed: an int or a `keras.random.SeedGenerator`.

    Returns:
        `(b,)` int32 indices into the batch (or -1).
    """
    labels = tf.convert_to_tensor(labels)
    same = tf.equal(labels[:, None], labels[None, :])
    b = tf.shape(labels)[0]
    scores = keras.random.uniform((b, b), seed=seed)
    scores = tf.where(same, -tf.ones_like(scores), scores)
    index = tf.cast(tf.argmax(scores, axis=1), "int32")
    valid = tf.reduce_any(tf.logical_not(same), axis=1)
    return tf.where(valid, index, -tf.ones_like(index))


@keras.saving.register_keras_serializable(package="keras_gans")
class GANCLS(AdversarialModel):
    """GAN-CLS with GAN-INT and a style encoder (Reed et al. 2016).

    Dataset elements are `(images, texts)` or `(images, texts, labels)`;
    texts are raw strings (tf.string) when the model has a `text_encoder`,
    or precomputed embeddings `(b, text_dim)` when it has none (as the CUB
    and Oxford-102 releases ship them). With labels, the wrong text of each
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
        style_weight: weight of the style encoder's loss
            ||z - S(G(z, phi))||^2 (0: no style encoder training). S learns
            from the generator step on the fakes with G held fixed by a
            stop-gradient, so it never changes what G learns. Defaults to
            `1.0`.
        g_filters, d_filters: network widths. Default `64`.
        d_steps, seed: as `AdversarialModel`.
    """

    _network_config = (
        "image_shape",
        "text_dim",
        "projection_dim",
        "interpolation_weight",
        "beta",
        "style_weight",
        "g_filters",
        "d_filters",
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
        style_weight=1.0,
        g_filters=64,
        d_filters=64,
        d_steps=1,
        seed=None,
        **kwargs,
    ):
        if isinstance(text_encoder, dict):
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
        if not 0.0 <= float(beta) <= 1.0:
            raise ValueError(f"Expected beta in [0, 1]; received beta={beta!r}.")
        for name, value in (
            ("interpolation_weight", interpolation_weight),
            ("style_weight", style_weight),
        ):
            if not float(value) >= 0:
                raise ValueError(f"Expected {name} >= 0; received {value!r}.")
        kwargs.pop("latent_distribution", None)
        image_shape = tuple(int(d) for d in image_shape)
        text_dim = int(text_dim)
        super().__init__(
            generator=build_gan_cls_generator(
                image_shape, latent_dim, text_dim, projection_dim, g_filters
            ),
            discriminator=build_gan_cls_discriminator(
                image_shape, text_dim, projection_dim, d_filters
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
        self.style_weight = float(style_weight)
        self.g_filters = g_filters
        self.d_filters = d_filters
        self.d_wrong_tracker = keras.metrics.Mean(name="d_wrong")
        self.style_loss_tracker = keras.metrics.Mean(name="style_loss")

    @staticmethod
    def _encoder_dim(encoder):
        dim = getattr(encoder, "embedding_dim", None)
        if dim is None:
            try:
                dim = encoder(tf.constant(["a"]))
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
        config["text_encoder"] = (
            None
            if self.text_encoder is None
            else keras.saving.serialize_keras_object(self.text_encoder)
        )
        return config

    # --- Text -------------------------------------------------------------------

    def embed_texts(self, texts):
        """phi(t): the (frozen) encoder's vectors, or the embeddings given."""
        if self.text_encoder is None:
            embeddings = tf.convert_to_tensor(texts)
            if embeddings.dtype == tf.string:
                raise ValueError(
                    "This GANCLS has no text encoder: it expects precomputed "
                    f"embeddings (b, {self.text_dim}), not strings."
                )
            embeddings = tf.cast(embeddings, "float32")
        else:
            if not isinstance(texts, tf.Tensor):
                texts = tf.constant(np.asarray(texts, dtype=object).astype(str))
            if texts.dtype != tf.string:
                raise ValueError(
                    "This GANCLS encodes raw text: expected strings, received "
                    f"{texts.dtype.name} values (use a model without a text "
                    "encoder for precomputed embeddings)."
                )
            embeddings = tf.cast(self.text_encoder(texts, training=False), "float32")
        if embeddings.shape.rank != 2 or (
            embeddings.shape[-1] is not None and embeddings.shape[-1] != self.text_dim
        ):
            raise ValueError(
                f"Expected text embeddings of shape (b, {self.text_dim}); "
                f"received {tuple(embeddings.shape)}."
            )
        return tf.stop_gradient(embeddings)

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
        b = tf.shape(embeddings)[0]
        seed = self.seed_generator if training else self.sampling_seed_generator
        if labels is None:
            # Another example of the batch: a random non-zero shift.
            shift = 1 + tf.cast(
                keras.random.uniform((), 0, 1, seed=seed)
                * tf.cast(tf.maximum(b - 1, 1), "float32"),
                "int32",
            )
            index = tf.math.floormod(tf.range(b) + shift, tf.maximum(b, 1))
            valid = tf.fill([b], b > 1)
        else:
            index = wrong_indices(tf.reshape(labels, [-1]), seed)
            valid = index >= 0
            index = tf.maximum(index, 0)
        return tf.gather(embeddings, index), tf.cast(valid, "float32")

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
        _STEP_STATE.wrong = (wrong_out, valid)
        return per_example, real_out, fake_out

    def generator_loss(self, fake, latent, condition=None, training=True):
        embeddings, _ = condition
        fake_out = self.discriminator([fake, embeddings], training=training)
        per_example = self.gan_loss.generator_loss(fake_out, reduction="none")
        if self.interpolation_weight:
            # GAN-INT: captions nobody wrote, between two of the batch.
            partner = tf.roll(embeddings, shift=1, axis=0)
            mixed = self.beta * embeddings + (1.0 - self.beta) * partner
            fake_int = self.generator([latent, mixed], training=training)
            int_out = self.discriminator([fake_int, mixed], training=training)
            per_example += self.interpolation_weight * self.gan_loss.generator_loss(
                int_out, reduction="none"
            )
        style = tf.reduce_sum(
            tf.square(
                latent - self.style_encoder(tf.stop_gradient(fake), training=training)
            ),
            axis=-1,
        )
        _STEP_STATE.style = style
        if self.style_weight:
            per_example += self.style_weight * style
        return per_example, fake_out

    @property
    def generator_trainable_variables(self):
        # S learns in G's step; the stop-gradient keeps its loss off G.
        extra = self.style_encoder.trainable_variables if self.style_weight else []
        return self.generator.trainable_variables + extra

    def _update_metrics(self, d_loss, g_loss, real_out, fake_out):
        results = super()._update_metrics(d_loss, g_loss, real_out, fake_out)
        wrong_out, valid = _STEP_STATE.wrong
        count = tf.reduce_sum(valid)
        self.d_wrong_tracker.update_state(
            tf.math.divide_no_nan(
                tf.reduce_sum(self._score(tf.reshape(wrong_out, [-1])) * valid), count
            ),
            sample_weight=count,
        )
        style = tf.cast(_STEP_STATE.style, "float32")
        n = tf.cast(tf.shape(style)[0], "float32")
        self.style_loss_tracker.update_state(
            tf.math.divide_no_nan(tf.reduce_sum(style), n), sample_weight=n
        )
        results.update({m.name: m.result() for m in self.metrics})
        return results

    @property
    def metrics(self):
        return super().metrics + [self.d_wrong_tracker, self.style_loss_tracker]

    def _check_examples(self, real):
        # D takes [image, text]; check the image part.
        expected = (None, *self.image_shape)
        if real.dtype.is_integer:
            return super()._check_examples(real)
        got = tuple(real.shape[1:])
        if real.shape.rank is not None and got != expected[1:] and None not in got:
            raise ValueError(
                f"GANCLS was built for images of shape {expected[1:]}; the dataset "
                f"yields {got}."
            )

    # --- Using the model ---------------------------------------------------------

    def call(self, inputs, training=False):
        """`model([z, embeddings])` returns images."""
        return self.generator(inputs, training=training)

    def _texts(self, texts):
        if isinstance(texts, str):
            texts = [texts]
        return texts

    def generate(self, texts, n_per_text=1, seed=None, batch_size=256, z=None):
        """Images for each text (or each embedding when there is no encoder).

        Args:
            texts: a string or a list of strings (or `(n, text_dim)`
                embeddings for a model without an encoder).
            n_per_text: images per text; rows of the result go text by text.
                Defaults to `1`.
            seed: int for a reproducible draw. Defaults to `None`.
            batch_size: generator batch size. Defaults to `256`.
            z: optional latent vectors `(len(texts) * n_per_text, latent_dim)`.

        Returns:
            `(len(texts) * n_per_text, H, W, C)` float32 in [-1, 1].
        """
        if isinstance(texts, (int, np.integer)):
            raise ValueError(
                "GANCLS.generate() takes texts (a string or a list of strings), "
                f"not a count; received {texts!r}."
            )
        texts = self._texts(texts)
        if int(n_per_text) < 1:
            raise ValueError(f"Expected n_per_text >= 1; received {n_per_text}.")
        embeddings = self.embed_texts(
            tf.constant(np.asarray(texts, dtype=object).astype(str))
            if self.text_encoder is not None
            else texts
        )
        embeddings = tf.repeat(embeddings, int(n_per_text), axis=0)
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

    def infer_style(self, images, batch_size=256):
        """S(x): the latent vectors that G would draw `images` from."""
        images = np.asarray(images)
        if images.dtype.kind in "iu":
            raise ValueError(
                "Expected float images scaled to [-1, 1]; received dtype "
                f"{images.dtype}. Use keras_gans.images.from_uint8(images)."
            )
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"Expected images of shape (n, {', '.join(map(str, self.image_shape))}); "
                f"received shape {images.shape}."
            )
        out = [
            keras.ops.convert_to_numpy(
                self.style_encoder(images[i : i + batch_size], training=False)
            )
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(out).astype("float32")

    def transfer_style(self, images, texts, batch_size=256):
        """Draws each text's content in the style of the matching image.

        Args:
            images: `(n, H, W, C)` in [-1, 1] giving the style.
            texts: `n` texts (or one, used for every image).

        Returns:
            `(n, H, W, C)` images: G(S(x_i), phi(t_i)).
        """
        z = self.infer_style(images, batch_size)
        texts = self._texts(texts)
        if len(texts) == 1:
            texts = list(texts) * len(z)
        if len(texts) != len(z):
            raise ValueError(
                f"Expected one text per image or one for all; received {len(texts)} "
                f"texts for {len(z)} images."
            )
        return self.generate(texts, 1, z=z, batch_size=batch_size)

    def interpolate_texts(self, text_a, text_b, steps=8, n=1, seed=0):
        """Images along beta * phi(a) + (1 - beta) * phi(b), noise held fixed.

        Returns:
            `(n * steps, H, W, C)`: one row of `steps` images per noise vector.
        """
        ends = self.embed_texts(
            tf.constant([text_a, text_b])
            if self.text_encoder is not None
            else np.stack([text_a, text_b])
        )
        t = tf.linspace(0.0, 1.0, int(steps))[:, None]
        path = (1.0 - t) * ends[0] + t * ends[1]  # (steps, d)
        z = self.sample_latent(int(n), seed=seed)
        z = tf.repeat(z, int(steps), axis=0)
        embeddings = tf.tile(path, [int(n), 1])
        return self._run_generator([z, embeddings], 256)
