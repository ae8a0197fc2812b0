"""`TextEncoder`: raw caption strings -> fixed-size float vectors phi(t).

GAN-CLS (Reed et al. 2016) conditions its generator and discriminator on a
text embedding phi(t); the paper's is a 1024-d char-CNN-RNN pretrained with a
joint image-text objective. This is the same idea at Fashion-MNIST size, all
Keras layers, so it saves and loads inside the `.keras` file of any model
that contains it (vocabulary included):

    strings --TextVectorization--> token ids --Embedding--> (b, L, token_dim)
      --> 2 x Conv1D + masked global max pooling       (architecture="cnn")
          or a bidirectional GRU                        (architecture="bigru")
      --> Dense(embedding_dim) --> L2 normalisation     (normalize=True)

Token id 0 is padding and 1 the out-of-vocabulary token ("[UNK]"), so unknown
words and empty strings embed to finite vectors. Pretrain it with
`keras_gans.text.pretrain_text_encoder`, or load the shipped one with
`keras_gans.text.load_text_encoder()`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans._lazy import lazy_tensorflow
from keras_gans.validation import check_int

# TensorFlow for the tokenizer layer and SavedModel signatures, when used.
tf = lazy_tensorflow()

LEVELS = ("word", "character")
ARCHITECTURES = ("cnn", "bigru")
STANDARDIZE = "lower_and_strip_punctuation"
# What "lower_and_strip_punctuation" deletes (keras TextVectorization's regex).
PUNCTUATION_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
# Long enough for any fashion caption (at most 13 words, 70 characters) and
# for hand-written prompts; longer texts are truncated.
DEFAULT_SEQUENCE_LENGTH = {"word": 32, "character": 128}
# Added to the squared norm before the square root, so that an all-zero
# vector (e.g. an empty string through an untrained network) stays finite.
_NORM_EPSILON = 1e-12


def l2_normalize(x, axis=-1):
    """`x / ||x||` along `axis`, finite (zero) for zero vectors."""
    x = ops.convert_to_tensor(x)
    return x * ops.rsqrt(
        ops.sum(ops.square(x), axis=axis, keepdims=True) + _NORM_EPSILON
    )


def _check_choice(value, choices, arg):
    if value not in choices:
        raise ValueError(f"Expected {arg} in {choices}, received {arg}={value!r}.")
    return value


def _check_positive(value, arg, allow_none=False):
    return check_int(arg, value, minimum=1, allow_none=allow_none)


def as_string_tensor(texts):
    """Strings (a str, list, numpy array or tensor) -> tf.string of shape `(b,)`.

    A `(b, 1)` input is flattened to `(b,)`; a single string becomes `(1,)`.
    """
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    if isinstance(texts, np.ndarray) and texts.dtype == object:
        texts = texts.astype(str)
    texts = tf.convert_to_tensor(texts)
    if texts.dtype != tf.string:
        raise ValueError(
            f"Expected a batch of strings, received a tensor of dtype {texts.dtype.name}."
        )
    if texts.shape.rank == 0:
        texts = tf.reshape(texts, (1,))
    elif texts.shape.rank == 2 and texts.shape[-1] == 1:
        texts = tf.squeeze(texts, axis=-1)
    if texts.shape.rank != 1:
        raise ValueError(
            f"Expected strings of shape (batch,) or (batch, 1), received shape "
            f"{tuple(texts.shape)}."
        )
    return texts


@keras.saving.register_keras_serializable(package="keras_gans")
class TextEncoder(keras.Model):
    """Maps a batch of strings to `(batch, embedding_dim)` float32 vectors.

    The vocabulary comes from `adapt(texts)` (before first use) or the
    `vocabulary` argument, and is part of `get_config()`, so a `.keras` file
    holding this encoder (alone or inside a bigger model) restores it exactly.

    Args:
        embedding_dim: Size of the output vectors. Defaults to `128` (Reed et
            al. use 1024 on birds and flowers; Fashion-MNIST captions need
            far less).
        level: `"word"` (split on whitespace) or `"character"` (the
            char-CNN-RNN's choice: no unknown words, longer sequences).
            Defaults to `"word"`.
        architecture: `"cnn"` (two 1-D convolutions of width 3 and a global
            max pooling over the real tokens) or `"bigru"` (a bidirectional
            GRU reading the real tokens). Defaults to `"cnn"`: on
            fashion_captions it retrieved about as well (docs/text_encoder.md)
            and trained 2.3 times faster on CPU.
        token_dim: Size of the token embeddings. Defaults to `64`.
        units: Filters of each convolution, or GRU units per direction.
            Defaults to `128`.
        sequence_length: Tokens kept per text (padded or truncated). Defaults
            to `None`: 32 words or 128 characters. Padding does not change
            the output.
        max_tokens: Largest vocabulary `adapt` keeps, special tokens
            included. Defaults to `None` (every token seen).
        vocabulary: The tokens (without the padding and "[UNK]" tokens), most
            frequent first. Defaults to `None`: call `adapt` before use.
        normalize: Whether to scale outputs to unit L2 norm (the joint
            embedding compares directions). Defaults to `True`.

    Example:

    >>> encoder = TextEncoder(embedding_dim=32)
    >>> encoder.adapt(["a dark narrow coat", "a light wide bag"])
    >>> encoder(["a dark wide bag", "", "an unknown word"]).shape
    TensorShape([3, 32])
    """

    def __init__(
        self,
        embedding_dim=128,
        level="word",
        architecture="cnn",
        token_dim=64,
        units=128,
        sequence_length=None,
        max_tokens=None,
        vocabulary=None,
        normalize=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Inputs are strings: no float casting, and string save signatures.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.embedding_dim = _check_positive(embedding_dim, "embedding_dim")
        self.level = _check_choice(level, LEVELS, "level")
        self.architecture = _check_choice(architecture, ARCHITECTURES, "architecture")
        self.token_dim = _check_positive(token_dim, "token_dim")
        self.units = _check_positive(units, "units")
        self.sequence_length = _check_positive(
            sequence_length, "sequence_length", allow_none=True
        )
        self.max_tokens = _check_positive(max_tokens, "max_tokens", allow_none=True)
        self.vocabulary = None if vocabulary is None else [str(t) for t in vocabulary]
        self.normalize = bool(normalize)

        length = self.sequence_length or DEFAULT_SEQUENCE_LENGTH[self.level]
        self._split = "whitespace" if self.level == "word" else "character"
        self.vectorizer = keras.layers.TextVectorization(
            standardize=STANDARDIZE,
            split=self._split,
            output_mode="int",
            output_sequence_length=length,
            vocabulary=self.vocabulary,
            name="vectorizer",
        )
        self._length = length
        # Sized in build(), from the vocabulary.
        self.token_embedding = None
        if self.architecture == "cnn":
            self.convolutions = [
                keras.layers.Conv1D(
                    self.units, 3, padding="same", activation="relu", name=f"conv{i}"
                )
                for i in (1, 2)
            ]
            self.recurrent = None
        else:
            self.convolutions = []
            self.recurrent = keras.layers.Bidirectional(
                keras.layers.GRU(self.units), name="bigru"
            )
        self.projection = keras.layers.Dense(self.embedding_dim, name="projection")

    # --- vocabulary ---------------------------------------------------------------

    def adapt(self, texts):
        """Sets the vocabulary from training texts; call before first use.

        Args:
            texts: Strings: a list, a numpy array of any shape (e.g. the
                `(n, k)` captions of `load_captioned`), a tensor, or a
                `tf.data.Dataset` of string batches.

        Returns:
            The encoder itself, so that `TextEncoder().adapt(texts)` chains.

        Raises:
            ValueError: If `texts` holds no string.
            RuntimeError: If the encoder is already built (its token
                embedding is sized by the vocabulary).
        """
        if self.built:
            raise RuntimeError(
                "Expected adapt() before the encoder is built or called; it has "
                "weights sized for its vocabulary already. Make a new TextEncoder."
            )
        if not isinstance(texts, tf.data.Dataset):
            array = np.asarray(texts, dtype=object).ravel()
            if not array.size:
                raise ValueError("Expected training texts to adapt to, received none.")
            texts = tf.constant(array.astype(str))
        counter = keras.layers.TextVectorization(
            standardize=STANDARDIZE,
            split=self._split,
            max_tokens=self.max_tokens,
        )
        counter.adapt(texts)
        self.vocabulary = [str(t) for t in counter.get_vocabulary()[2:]]
        self.vectorizer.set_vocabulary(self.vocabulary)
        return self

    @property
    def vocabulary_size(self):
        """Tokens the embedding knows, padding and "[UNK]" included."""
        return len(self.vocabulary or ()) + 2

    # --- network --------------------------------------------------------------------

    def build(self, input_shape=None):
        if not self.vocabulary:
            raise ValueError(
                "Expected a vocabulary before building the TextEncoder: call "
                "encoder.adapt(training_texts) or pass vocabulary=[...]."
            )
        self.token_embedding = keras.layers.Embedding(
            self.vocabulary_size,
            self.token_dim,
            mask_zero=self.architecture == "bigru",
            name="token_embedding",
        )
        self.token_embedding.build((None, self._length))
        width = self.token_dim
        for conv in self.convolutions:
            conv.build((None, self._length, width))
            width = self.units
        if self.recurrent is not None:
            self.recurrent.build((None, self._length, self.token_dim))
            width = 2 * self.units
        self.projection.build((None, width))
        self.built = True

    @property
    def input_dtype(self):
        return "string"

    def __call__(self, inputs, *args, **kwargs):
        if keras.backend.backend() != "tensorflow":
            # JAX and PyTorch have no string tensors: the plain-Python
            # tokenizer makes the ids, the network embeds them.
            return self.embed_token_ids(
                ops.convert_to_tensor(self.tokenize(inputs)),
                training=kwargs.get("training", False),
            )
        # Lists of str, numpy str arrays -> one tf.string tensor.
        if isinstance(inputs, (str, bytes, list, tuple, np.ndarray)):
            inputs = as_string_tensor(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def tokenize(self, texts):
        """Token ids `(b, sequence_length)`: 0 padding, 1 unknown ("[UNK]").

        On TensorFlow by Keras's `TextVectorization`; on JAX and PyTorch by
        `keras_gans.export.tokenizer.tokenize`, which gives the same ids in
        plain Python (NumPy int64).
        """
        if keras.backend.backend() != "tensorflow":
            from keras_gans.export.tokenizer import tokenize

            if isinstance(texts, (str, bytes)):
                texts = [texts]
            flat = np.asarray(texts, dtype=object).reshape(-1)
            return tokenize(list(flat), self.tokenizer_config())
        return self.vectorizer(as_string_tensor(texts))

    def call(self, inputs, training=False):
        return self.embed_token_ids(self.tokenize(inputs), training=training)

    def embed_token_ids(self, ids, training=False):
        """The network after the tokenizer: `tokenize(texts)` ids -> vectors.

        No string op runs here, so this part converts to TFLite; a phone app
        tokenizes with `tokenizer_config()` and feeds the ids.
        """
        tokens = self.token_embedding(ids)
        mask = ops.cast(ops.not_equal(ids, 0), tokens.dtype)[..., None]
        if self.recurrent is None:
            # Zero the padding before and after each convolution: the text
            # then reads the same whatever the padding length, and the
            # max over post-ReLU (>= 0) values ignores the padding (an
            # empty string pools to 0).
            x = tokens * mask
            for conv in self.convolutions:
                x = conv(x) * mask
            pooled = ops.max(x, axis=1)
        else:
            # Rows with no token at all (empty strings): keep one padding
            # step so the GRU runs, then zero the result.
            has_tokens = ops.any(ops.not_equal(ids, 0), axis=1, keepdims=True)
            step_mask = ops.not_equal(ids, 0)
            first = ops.equal(ops.arange(ops.shape(ids)[1]), 0)
            step_mask = ops.logical_or(
                step_mask, ops.logical_and(ops.logical_not(has_tokens), first[None])
            )
            pooled = self.recurrent(tokens, mask=step_mask, training=training)
            pooled = pooled * ops.cast(has_tokens, pooled.dtype)
        outputs = self.projection(pooled)
        return l2_normalize(outputs) if self.normalize else outputs

    @property
    def _default_save_signature(self):
        # For `tf.saved_model.save(encoder, path)`: any number of strings.
        # (Keras's default would fix the batch size of the first call.)
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
        def serving_default(texts):
            return {"embeddings": self(texts)}

        return serving_default

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.embedding_dim)

    def tokenizer_config(self):
        """How `tokenize` turns a string into ids, for re-implementing it.

        Returns a JSON-able dict: the `TextVectorization` standardisation
        (lower-case, then delete the characters of `punctuation`), the split
        (`"whitespace"` or `"character"`), `sequence_length` (pad with id 0
        or truncate), and `vocabulary`: id 0 is padding, id 1 "[UNK]" (any
        token not listed), and token `vocabulary[i]` has id `i + 2`.
        """
        return {
            "standardize": STANDARDIZE,
            "punctuation": PUNCTUATION_REGEX,
            "split": self._split,
            "sequence_length": self._length,
            "padding_id": 0,
            "unknown_id": 1,
            "vocabulary_offset": 2,
            "vocabulary": list(self.vocabulary or ()),
        }

    def embed(self, texts, batch_size=1024):
        """Embeds any number of strings in batches; returns numpy `(n, d)`."""
        flat = np.asarray(texts, dtype=object).ravel()
        if not flat.size:
            return np.zeros((0, self.embedding_dim), np.float32)
        parts = [
            ops.convert_to_numpy(self(flat[i : i + batch_size].astype(str)))
            for i in range(0, len(flat), batch_size)
        ]
        return np.concatenate(parts).astype(np.float32)

    def get_config(self):
        config = super().get_config()
        config.update(
            embedding_dim=self.embedding_dim,
            level=self.level,
            architecture=self.architecture,
            token_dim=self.token_dim,
            units=self.units,
            sequence_length=self.sequence_length,
            max_tokens=self.max_tokens,
            vocabulary=self.vocabulary,
            normalize=self.normalize,
        )
        return config
