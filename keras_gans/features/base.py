"""`FeatureExtractor`: images in [-1, 1] -> activations and class probabilities.

Metrics (FID, KID, precision/recall, IS, mode coverage) are computed from
activations, separately from the network that makes them; this is the one
interface they call. Subclasses say which shapes they accept and run their
network on one batch; batching, input checks and softmax live here once.
"""

import hashlib

import numpy as np

from keras_gans.validation import check_int

# Tolerance on the [-1, 1] range: generators end in tanh, and resizing or
# float round-off may step a hair outside.
RANGE_TOLERANCE = 1e-3


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file, read in chunks (weights files can be ~100 MB)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_integer_dtype(dtype):
    # numpy dtypes, and tf.DType through its numpy equivalent.
    dtype = getattr(dtype, "as_numpy_dtype", dtype)
    try:
        return np.issubdtype(np.dtype(dtype), np.integer) or np.dtype(dtype) == bool
    except TypeError:
        return False


class FeatureExtractor:
    """Maps image batches in [-1, 1] to features and class probabilities.

    Subclasses set `name`, `feature_dim`, `num_classes` (`None` when the
    network has no classifier head), `default_batch_size` and
    `expected_shape` (for error messages), and implement
    `_accepts_shape(shape)` and `_run(batch)`.

    All methods take a numpy array or tensor of shape `(n, H, W, C)` (or
    `(n, H, W)` for grey images) with float values in [-1, 1], the range of
    `keras_gans` generators and of `keras_gans.data.load`, and return numpy
    arrays. Work is done `batch_size` images at a time, so memory stays
    bounded whatever `n` is.
    """

    name = None
    feature_dim = None
    num_classes = None
    default_batch_size = 256
    expected_shape = "(n, H, W, C) or (n, H, W)"
    shape_hint = ""

    def features(self, images, batch_size=None):
        """Returns float32 activations of shape `(n, feature_dim)`.

        Args:
            images: `(n, H, W, C)` or `(n, H, W)` floats in [-1, 1].
            batch_size: Images per forward pass. Defaults to `None`
                (`default_batch_size`).
        """
        return self._collect(images, batch_size, want_features=True)[0]

    def probabilities(self, images, batch_size=None):
        """Returns float32 class probabilities of shape `(n, num_classes)`.

        Rows sum to 1. Raises `NotImplementedError` for extractors without a
        classifier head (`num_classes is None`).
        """
        return self._collect(images, batch_size, want_probabilities=True)[1]

    def features_and_probabilities(self, images, batch_size=None):
        """Returns `(features, probabilities)` from one pass over `images`."""
        return self._collect(
            images, batch_size, want_features=True, want_probabilities=True
        )

    def predict_classes(self, images, batch_size=None):
        """Returns the most probable class of each image, int64 of shape `(n,)`."""
        return np.argmax(self.probabilities(images, batch_size), axis=-1)

    def describe(self):
        """Identifies the extractor, for reports: a JSON-serialisable dict."""
        return {
            "name": self.name,
            "feature_dim": self.feature_dim,
            "num_classes": self.num_classes,
        }

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} ({self.feature_dim}-d features)>"

    # --- for subclasses ---------------------------------------------------------

    def _accepts_shape(self, shape):
        """Whether `shape`, `(n, H, W, C)`, is an input this network takes."""
        raise NotImplementedError

    def _run(self, batch):
        """Returns `(features, logits)` for one float32 `(b, H, W, C)` batch.

        `logits` may be `None` when `num_classes is None`.
        """
        raise NotImplementedError

    # --- shared machinery -------------------------------------------------------

    def _collect(
        self, images, batch_size, want_features=False, want_probabilities=False
    ):
        if want_probabilities and self.num_classes is None:
            raise NotImplementedError(
                f"{self!r} has no classifier head, so no class probabilities; "
                "use an extractor with num_classes set."
            )
        batch_size = self.default_batch_size if batch_size is None else batch_size
        check_int("batch_size", batch_size, minimum=1)
        images = self._as_batched_input(images)
        n = images.shape[0]
        features, probabilities = [], []
        batch_size = int(batch_size)
        for start in range(0, n, batch_size):
            batch = self._prepare_batch(images[start : start + batch_size])
            batch_features, logits = self._run(batch)
            if want_features:
                features.append(np.asarray(batch_features, dtype=np.float32))
            if want_probabilities:
                probabilities.append(_softmax(np.asarray(logits)))
        return (
            _concat(features, (0, self.feature_dim)) if want_features else None,
            _concat(probabilities, (0, self.num_classes))
            if want_probabilities
            else None,
        )

    def _as_batched_input(self, images):
        if not hasattr(images, "shape") or not hasattr(images, "dtype"):
            images = np.asarray(images)
        shape = tuple(images.shape)
        shape4 = shape + (1,) if len(shape) == 3 else shape
        if len(shape4) != 4 or not self._accepts_shape(shape4):
            raise ValueError(
                f"{self.name}: expected images of shape {self.expected_shape} "
                f"in [-1, 1], received shape {shape}."
                + (f" {self.shape_hint}" if self.shape_hint else "")
            )
        if _is_integer_dtype(images.dtype):
            raise ValueError(
                f"{self.name}: expected float images in [-1, 1], received dtype "
                f"{np.dtype(getattr(images.dtype, 'as_numpy_dtype', images.dtype))}. "
                "Scale uint8 pixels with images / 127.5 - 1."
            )
        return images

    def _prepare_batch(self, batch):
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim == 3:
            batch = batch[..., np.newaxis]
        limit = 1.0 + RANGE_TOLERANCE
        # Written so that NaN fails the check too.
        if not np.all((batch >= -limit) & (batch <= limit)):
            finite = batch[np.isfinite(batch)]
            seen = (
                f"[{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "none"
            )
            raise ValueError(
                f"{self.name}: expected finite values in [-1, 1], received values "
                f"in {seen}"
                + ("" if finite.size == batch.size else " and non-finite values")
                + ". Scale [0, 255] pixels with images / 127.5 - 1, [0, 1] "
                "pixels with images * 2 - 1."
            )
        return batch


def _softmax(logits):
    # In float64 so that rows sum to 1 within float32 precision.
    logits = logits.astype(np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def _concat(parts, empty_shape):
    if not parts:
        return np.zeros(empty_shape, dtype=np.float32)
    return np.concatenate(parts, axis=0)


class ShippedClassifierFeatures(FeatureExtractor):
    """A small Keras classifier shipped in `keras_gans/features/` as an extractor.

    Features are the activations of its layer `feature_layer`; probabilities
    the softmax of its logits. A subclass names its file, input shape, layer
    and loader (`load(path)`, which reads the shipped file for `None`) and
    what `describe()` adds.

    Args:
        path: A `.keras` file. Defaults to `None` (the shipped file).
        model: A classifier model to use instead of a file (e.g. one just
            trained). Defaults to `None`.
    """

    filename = None
    image_shape = None
    feature_layer = "features"
    input_text = None

    def load(self, path):
        raise NotImplementedError

    def __init__(self, path=None, model=None):
        import keras

        from keras_gans import files
        from keras_gans._tensorflow import tf

        if model is not None and path is not None:
            raise ValueError("Expected `path` or `model`, received both.")
        self.path = path
        self._weights_sha256 = None
        self._file = None
        if model is None:
            with files.local_file(path, "keras_gans.features", self.filename) as local:
                model = self.load(local)
                self._weights_sha256 = file_digest(local)
                self._file = (
                    f"keras_gans/features/{self.filename}"
                    if path is None
                    else str(local)
                )
        self.model = model
        layer = model.get_layer(self.feature_layer)
        self.feature_dim = int(layer.output.shape[-1])
        both = keras.Model(model.inputs, [layer.output, model.outputs[0]])
        self._forward = tf.function(
            lambda images: both(images, training=False),
            input_signature=[tf.TensorSpec((None,) + self.image_shape, tf.float32)],
            autograph=False,
        )

    def describe(self):
        info = super().describe()
        info.update(
            layer=self.feature_layer,
            input=self.input_text,
            weights=self._file or "in-memory model",
            weights_sha256=self._weights_sha256,
        )
        return info

    def _accepts_shape(self, shape):
        return tuple(shape[1:]) == self.image_shape

    def _run(self, batch):
        from keras_gans._tensorflow import tf

        return self._forward(tf.constant(batch))
