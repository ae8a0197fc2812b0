"""The joint image-text embedding objective that pretrains `TextEncoder`.

Reed et al. (2016) pretrain GAN-CLS's text encoder with the deep structured
joint embedding (DS-SJE) of Reed, Akata, Lee and Schiele (2016a, "Learning
deep representations of fine-grained visual descriptions"): image and text
encoders are trained so that the compatibility `F(v, t) = theta(v) . phi(t)`
classifies an image by the captions of its class, and a caption by the
images of its class, with a hinge loss over the classes.

Here the objective is the symmetric contrastive (InfoNCE / CLIP, Radford et
al. 2021) loss over the pairs of a batch instead:

    logits[i, j] = cos(image_i, text_j) / temperature
    loss = (cross_entropy(rows of logits, i) + cross_entropy(columns, j)) / 2

Why this and not DS-SJE:

- It keeps DS-SJE's structure, both directions (image -> text and
  text -> image), and its compatibility (a dot product of two encoders).
- DS-SJE's targets are classes: it asks a caption to pick out its class
  and nothing more. On `fashion_captions` the captions also say each
  garment's shade and width, and GAN-CLS should draw those; the contrastive
  loss asks a caption to pick out *its own image* among the batch, which
  needs the class and the attributes.
- It needs no class labels, so it trains on any (image, text) pairs
  (`keras_gans.data.from_pairs`), where classes may not exist.

Its known flaw is the converse of DS-SJE's: two captions of the same batch
that describe the same thing (here, the same class, shade and width: 90
combinations, so about one per batch of 128) count as negatives of each
other. `positives` fixes that when such groups are known: every pair in the
same group is a target, with equal weight.
"""

from __future__ import annotations

import math

import keras

from keras_gans._tensorflow import tf
from keras_gans.distribute import multi_worker_logs
from keras_gans.text.encoder import TextEncoder, l2_normalize

IMAGE_ENCODERS = ("cnn", "classifier")


def contrastive_logits(image_embeddings, text_embeddings, temperature=0.1):
    """`(n, m)` cosine similarities divided by `temperature`."""
    images = l2_normalize(tf.cast(image_embeddings, tf.float32))
    texts = l2_normalize(tf.cast(text_embeddings, tf.float32))
    return tf.matmul(images, texts, transpose_b=True) / temperature


def _soft_cross_entropy(logits, targets):
    # Rows of `targets` are distributions over the columns of `logits`.
    return -tf.reduce_sum(targets * tf.nn.log_softmax(logits, axis=-1), axis=-1)


def symmetric_contrastive_loss(
    image_embeddings, text_embeddings, temperature=0.1, positives=None
):
    """Symmetric InfoNCE (CLIP) loss of a batch of matching (image, text) pairs.

    Row i of both inputs is a matching pair; every other row of the batch
    is a non-matching example. Both are L2-normalised, `logits = images @
    texts.T / temperature`, and the loss is the mean of the cross-entropy
    of each image's row against its text (image -> text retrieval) and of
    each text's column against its image (text -> image retrieval). See the
    module docstring for why this objective.

    Args:
        image_embeddings: `(b, d)` image embeddings.
        text_embeddings: `(b, d)` text embeddings, row i describing image i.
        temperature: Positive scalar (float or tensor). Lower is sharper.
            Defaults to `0.1`.
        positives: Optional `(b, b)` boolean matrix, `positives[i, j]` true
            when text j also describes image i (its diagonal must be true):
            the target of row i (column j) is then uniform over its true
            entries. Defaults to `None`: the identity (only the pair itself).

    Returns:
        Scalar float32 loss. For `b` pairs with all logits equal it is
        `log(b)`; it tends to 0 as the pairs separate.

    Example:

    >>> symmetric_contrastive_loss([[1.0, 0.0], [0.0, 1.0]],
    ...                            [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)
    # log(1 + e^-1) = 0.3133 in both directions
    """
    logits = contrastive_logits(image_embeddings, text_embeddings, temperature)
    if positives is None:
        targets = tf.eye(tf.shape(logits)[0], dtype=logits.dtype)
    else:
        targets = tf.cast(positives, logits.dtype)
    row_targets = targets / tf.reduce_sum(targets, axis=1, keepdims=True)
    column_targets = tf.transpose(targets) / tf.reduce_sum(
        tf.transpose(targets), axis=1, keepdims=True
    )
    image_to_text = _soft_cross_entropy(logits, row_targets)
    text_to_image = _soft_cross_entropy(tf.transpose(logits), column_targets)
    return 0.5 * (tf.reduce_mean(image_to_text) + tf.reduce_mean(text_to_image))


def build_image_encoder(embedding_dim=128, kind="cnn", image_shape=(28, 28, 1)):
    """The image side of the joint embedding (only needed to pretrain).

    Args:
        embedding_dim: Output size; must equal the text encoder's.
            Defaults to `128`.
        kind: `"cnn"`: three stride-2 3x3 convolutions (32, 64, 128 filters,
            ReLU), flattened, then a Dense layer; trained from scratch
            (sees shade and width directly). `"classifier"`: the shipped
            Fashion-MNIST classifier's 128-d `"features"` layer, frozen,
            then Dense(256, ReLU) and a Dense projection (28x28x1 only;
            its features were trained for the class, not the attributes).
            Defaults to `"cnn"`.
        image_shape: Input shape, float images in [-1, 1]. Defaults to
            `(28, 28, 1)`.

    Returns:
        A `keras.Model` from `(b, *image_shape)` to `(b, embedding_dim)`.
    """
    inputs = keras.Input(image_shape, name="images")
    if kind == "cnn":
        x = inputs
        for i, filters in enumerate((32, 64, 128), start=1):
            x = keras.layers.Conv2D(
                filters,
                3,
                strides=2,
                padding="same",
                activation="relu",
                name=f"conv{i}",
            )(x)
        x = keras.layers.Flatten(name="flatten")(x)
    elif kind == "classifier":
        from keras_gans.features import classifier

        network = classifier.load_fashion_classifier()
        features = keras.Model(
            network.inputs,
            network.get_layer(classifier.FEATURE_LAYER).output,
            name="classifier_features",
        )
        features.trainable = False
        x = features(inputs, training=False)
        x = keras.layers.Dense(256, activation="relu", name="hidden")(x)
    else:
        raise ValueError(f"Expected kind in {IMAGE_ENCODERS}, received kind={kind!r}.")
    outputs = keras.layers.Dense(embedding_dim, name="projection")(x)
    return keras.Model(inputs, outputs, name=f"image_encoder_{kind}")


@keras.saving.register_keras_serializable(package="keras_gans")
class JointEmbedding(keras.Model):
    """An image encoder and a `TextEncoder` trained by `fit()` to agree.

    `call((images, texts))` returns the L2-normalised `(image_embeddings,
    text_embeddings)`. Training minimises `symmetric_contrastive_loss` on
    each batch with a learned temperature (as CLIP: a log inverse
    temperature, capped at 1/0.01). Batches are `(images, texts)`, or
    `(images, texts, groups)` with integer `groups` (e.g. a caption's
    class-shade-width combination): pairs in the same group are then all
    positives of each other.

    Negatives come from the batch, so the loss depends on the batch size;
    under `tf.distribute` each replica contrasts its own share of the batch
    (fewer negatives than on one device), and the replicas' gradients are
    averaged. Build it in the strategy's scope.

    Args:
        text_encoder: A `TextEncoder` with a vocabulary (or any Keras layer
            from strings to `(b, d)`).
        image_encoder: A Keras model from images to `(b, d)`, or a kind for
            `build_image_encoder` (`"cnn"` or `"classifier"`). Defaults to
            `"cnn"`.
        temperature: Initial temperature. Defaults to `0.1`.
        learn_temperature: Whether the temperature is trained. Defaults to
            `True`.

    Example:

    >>> model = JointEmbedding(encoder)
    >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> model.fit(keras_gans.data.load("fashion_captions", batch_size=128))
    """

    def __init__(
        self,
        text_encoder,
        image_encoder="cnn",
        temperature=0.1,
        learn_temperature=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(
                f"Expected a positive temperature, received temperature={temperature!r}."
            )
        self.text_encoder = text_encoder
        if isinstance(image_encoder, str):
            dim = getattr(text_encoder, "embedding_dim", None)
            if dim is None:
                raise ValueError(
                    "Expected an image encoder model when the text encoder has no "
                    f"`embedding_dim`, received image_encoder={image_encoder!r}."
                )
            image_encoder = build_image_encoder(dim, kind=image_encoder)
        self.image_encoder = image_encoder
        self.temperature = float(temperature)
        self.learn_temperature = bool(learn_temperature)
        self.log_inverse_temperature = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(-math.log(self.temperature)),
            trainable=self.learn_temperature,
            name="log_inverse_temperature",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="batch_accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def current_temperature(self):
        """The temperature in use, as a Python float."""
        return float(1.0 / keras.ops.convert_to_numpy(self._inverse_temperature()))

    def _inverse_temperature(self):
        return tf.exp(tf.minimum(self.log_inverse_temperature, math.log(100.0)))

    def build(self, input_shape=None):
        # Both encoders know their own shapes; a TextEncoder only needs its
        # vocabulary. (Lets a reloaded model build before loading weights.)
        if isinstance(self.text_encoder, TextEncoder) and not self.text_encoder.built:
            self.text_encoder.build((None,))
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a tf.distribute strategy, Keras 3 builds the model from the
        # first batch averaged over the replicas, which fails for tf.string
        # captions (no string AddN kernel). Nothing here needs data to
        # build, so build in the strategy's scope and skip the batch.
        strategy = getattr(self, "_distribute_strategy", None)
        if strategy is None:
            return super()._maybe_symbolic_build(iterator, data_batch)
        with strategy.scope():
            if not self.built:
                self.build()
            if self.optimizer is not None and not self.optimizer.built:
                self.optimizer.build(self.trainable_variables)

    def call(self, inputs, training=False):
        images, texts = inputs
        image_embeddings = l2_normalize(self.image_encoder(images, training=training))
        text_embeddings = l2_normalize(self.text_encoder(texts, training=training))
        return image_embeddings, text_embeddings

    def _loss(self, data, training):
        images, texts = data[0], data[1]
        positives = None
        if len(data) > 2:
            groups = tf.reshape(data[2], (-1,))
            positives = tf.equal(groups[:, None], groups[None, :])
        image_embeddings, text_embeddings = self((images, texts), training=training)
        loss = symmetric_contrastive_loss(
            image_embeddings,
            text_embeddings,
            temperature=1.0 / self._inverse_temperature(),
            positives=positives,
        )
        # Image -> text top-1 within the batch (a pair with identical
        # groups counts as right).
        logits = tf.matmul(image_embeddings, text_embeddings, transpose_b=True)
        best = tf.argmax(logits, axis=1, output_type=tf.int32)
        if positives is None:
            hits = tf.equal(best, tf.range(tf.shape(best)[0]))
        else:
            hits = tf.gather(positives, best, axis=1, batch_dims=1)
        return loss, tf.reduce_mean(tf.cast(hits, tf.float32))

    def train_step(self, data):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            loss, accuracy = self._loss(data, training=True)
            # Replicas' gradients are summed: average them instead.
            scaled = loss / replicas
        gradients = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply_gradients(
            zip(gradients, self.trainable_variables, strict=True)
        )
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(accuracy)
        return multi_worker_logs({m.name: m.result() for m in self.metrics})

    def test_step(self, data):
        loss, accuracy = self._loss(data, training=False)
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(accuracy)
        return multi_worker_logs({m.name: m.result() for m in self.metrics})

    def get_config(self):
        config = super().get_config()
        config.update(
            text_encoder=keras.saving.serialize_keras_object(self.text_encoder),
            image_encoder=keras.saving.serialize_keras_object(self.image_encoder),
            temperature=self.temperature,
            learn_temperature=self.learn_temperature,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("text_encoder", "image_encoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


__all__ = [
    "IMAGE_ENCODERS",
    "JointEmbedding",
    "build_image_encoder",
    "contrastive_logits",
    "symmetric_contrastive_loss",
]
