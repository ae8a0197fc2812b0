"""Any text encoder as a Keras layer: `get_encoder(spec)`.

GAN-CLS takes its phi(t) from `get_encoder`, which accepts:

- a `TextEncoder` or any other Keras layer from a `tf.string` batch `(b,)`
  to `(b, d)` floats: used as it is;
- the name `"fashion_captions"`: the encoder shipped in this package;
- a path to a `.keras` file holding a text encoder (`save_text_encoder`);
- a path to a SavedModel directory holding a sentence encoder (e.g. a
  TF-Hub Universal Sentence Encoder download, or your own
  `tf.saved_model.save`): wrapped in `SavedModelTextEncoder`;
- any Python callable from a list of `str` to an `(n, d)` array: wrapped in
  `CallableTextEncoder` (via `tf.py_function`; it cannot be saved in a
  `.keras` file, and exports of it only run in the process that made them).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import warnings

import keras
import numpy as np

from keras_gans._tensorflow import tf
from keras_gans.text import pretraining
from keras_gans.text.encoder import TextEncoder, as_string_tensor
from keras_gans.trust import require_unsafe_mode

ACCEPTED = (
    "a TextEncoder, any keras.layers.Layer from strings to (b, d) vectors, the "
    f"name {pretraining.NAME!r} (the shipped encoder), a path to a .keras file or "
    "to a SavedModel directory, or a Python callable from a list of str to an "
    "(n, d) array"
)


def _as_tensor(inputs):
    if isinstance(inputs, (str, bytes, list, tuple, np.ndarray)):
        inputs = as_string_tensor(inputs)
    return inputs


class CallableTextEncoder(keras.layers.Layer):
    """A Python function from strings to vectors, as a Keras layer.

    The function runs eagerly through `tf.py_function`, so the layer works in
    eager code, in `fit()` and inside `tf.function`, on one machine. It has
    no weights, and it cannot be serialised: saving a model that contains it
    to a `.keras` file raises a `TypeError` (build such models in code), and
    a SavedModel or TFLite export of it would not run anywhere else
    (`tf.py_function` calls back into this Python process).

    Args:
        fn: Callable taking a list of `n` Python `str` and returning an
            array-like of shape `(n, d)`.
        output_dim: `d`. Defaults to `None`: found by calling `fn` once on
            `["a"]`.

    Example:

    >>> layer = CallableTextEncoder(lambda texts: [[len(t), 1.0] for t in texts])
    >>> layer(["ab", "abc"]).numpy()
    array([[2., 1.], [3., 1.]], dtype=float32)
    """

    def __init__(self, fn, output_dim=None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        if not callable(fn):
            raise TypeError(f"Expected a callable, received {type(fn).__name__}.")
        self.fn = fn
        if output_dim is None:
            probe = np.asarray(fn(["a"]), dtype=np.float32)
            if probe.ndim != 2 or probe.shape[0] != 1:
                raise ValueError(
                    "Expected the callable to map n strings to an (n, d) array, "
                    f"received shape {probe.shape} for 1 string."
                )
            output_dim = int(probe.shape[1])
        self.output_dim = int(output_dim)

    @property
    def input_dtype(self):
        return "string"

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(_as_tensor(inputs), *args, **kwargs)

    def _numpy_call(self, texts):
        strings = [t.decode("utf-8") for t in texts.numpy().reshape(-1)]
        out = np.asarray(self.fn(strings), dtype=np.float32)
        if out.shape != (len(strings), self.output_dim):
            raise ValueError(
                f"Expected the callable to return shape ({len(strings)}, "
                f"{self.output_dim}), received {out.shape}."
            )
        return out

    def call(self, inputs):
        inputs = tf.reshape(inputs, (-1,))
        out = tf.py_function(self._numpy_call, [inputs], tf.float32)
        out.set_shape((None, self.output_dim))
        return out

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        raise TypeError(
            f"{type(self).__name__} wraps the Python function {self.fn!r}, which "
            "cannot be saved in a .keras file. Use a TextEncoder or a Keras layer "
            "for a model you save, or save a SavedModel sentence encoder and pass "
            "its path to keras_gans.text.get_encoder."
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class SavedModelTextEncoder(keras.layers.Layer):
    """A sentence encoder saved as a TensorFlow SavedModel, as a Keras layer.

    Loads `path` with `tf.saved_model.load` and calls its `signature` (one
    string input; the output named `output_key`, or its only output) or,
    without signatures, the object itself on a `tf.string` batch `(b,)`.
    The SavedModel's variables are frozen.

    A model containing this layer carries the SavedModel inside its `.keras`
    file (the archive's assets), and loading takes it from there, never
    from the path the config names (that path only serves files saved
    before the copy existed). A SavedModel is a TensorFlow graph, a program
    that can read and write files: a `.keras` file holding one loads only
    with `safe_mode=False` (`keras.saving.load_model(path, safe_mode=False)`),
    so a stranger's file cannot run one.

    Args:
        path: The SavedModel directory (with `saved_model.pb`).
        signature: Signature name to call, or `None` to call the loaded
            object. Defaults to `"serving_default"` when the SavedModel has
            it, else `None`.
        output_key: Output to take when the signature returns several.
            Defaults to `None` (the only one).
        embedding_dim: The size of the vectors. Defaults to `None`: found by
            one call.
    """

    ASSET = "saved_model"

    def __init__(
        self, path, signature="auto", output_key=None, embedding_dim=None, **kwargs
    ):
        # Set by from_config: the SavedModel comes from the archive's copy
        # (load_assets), or on first use from `path` for an older file.
        deferred = kwargs.pop("_deferred", False)
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.saved_model_path = os.fspath(path)
        self.signature = signature
        self.output_key = output_key
        self._loaded = None
        self._source = None
        if not deferred:
            self._load(self.saved_model_path)
        if embedding_dim is None:
            embedding_dim = int(self.call(tf.constant(["a"])).shape[-1])
        self.embedding_dim = int(embedding_dim)

    @classmethod
    def from_config(cls, config):
        require_unsafe_mode(
            f"the SavedModel text encoder {config.get('path')!r}",
            "a SavedModel is a TensorFlow graph, which can read and write files",
        )
        return cls(**config, _deferred=True)

    def _load(self, path):
        path = os.fspath(path)
        if not (pathlib.Path(path) / "saved_model.pb").is_file():
            raise FileNotFoundError(
                f"Expected a SavedModel directory (with saved_model.pb), found none "
                f"at {path!r}."
            )
        loaded = tf.saved_model.load(path)
        signatures = dict(getattr(loaded, "signatures", {}) or {})
        signature = self.signature
        if signature == "auto":
            signature = "serving_default" if "serving_default" in signatures else None
        if signature is not None and signature not in signatures:
            raise ValueError(
                f"Expected signature in {sorted(signatures)} for the SavedModel at "
                f"{path!r}, received signature={signature!r}."
            )
        self._input_name = None
        if signature is not None:
            function = signatures[signature]
            names = list(function.structured_input_signature[1])
            if len(names) != 1:
                raise ValueError(
                    f"Expected signature {signature!r} to take one string input, "
                    f"it takes {names}."
                )
            self._input_name = names[0]
            self._function = function
        elif not callable(loaded):
            raise ValueError(
                f"Expected the SavedModel at {path!r} to have a signature or a "
                "__call__ function taking a batch of strings; it has neither."
            )
        self.signature = signature
        self._loaded = loaded
        self._source = path

    def save_assets(self, dir_path):
        # The SavedModel travels inside the .keras file.
        if self._loaded is None:
            self._load(self.saved_model_path)
        shutil.copytree(self._source, os.path.join(dir_path, self.ASSET))

    def load_assets(self, dir_path):
        copy = os.path.join(dir_path, self.ASSET)
        if os.path.isdir(copy):
            self._load(copy)

    @property
    def input_dtype(self):
        return "string"

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(_as_tensor(inputs), *args, **kwargs)

    def call(self, inputs):
        if self._loaded is None:  # a file saved before the archive held a copy
            self._load(self.saved_model_path)
        inputs = tf.reshape(inputs, (-1,))
        if self.signature is None:
            out = self._loaded(inputs)
        else:
            out = self._function(**{self._input_name: inputs})
        if isinstance(out, dict):
            if self.output_key is None:
                if len(out) != 1:
                    raise ValueError(
                        f"The SavedModel at {self._source!r} returns {sorted(out)}; "
                        "pass output_key to choose one."
                    )
                (out,) = out.values()
            else:
                out = out[self.output_key]
        return tf.cast(out, tf.float32)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.embedding_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            path=self.saved_model_path,
            signature=self.signature,
            output_key=self.output_key,
            embedding_dim=self.embedding_dim,
        )
        return config


def get_encoder(spec, output_dim=None):
    """Resolves a text-encoder spec to a Keras layer from strings to vectors.

    Args:
        spec: One of: a `TextEncoder` or any `keras.layers.Layer` (returned
            as is); `"fashion_captions"` (the shipped encoder,
            `load_text_encoder()`); a path (`str` or `os.PathLike`) to a
            `.keras` file with a text encoder or to a SavedModel directory
            with a sentence encoder (`SavedModelTextEncoder`); or a Python
            callable from a list of `str` to an `(n, d)` array
            (`CallableTextEncoder`, not serialisable).
        output_dim: For a callable only: its `d`. Defaults to `None`
            (found by one call).

    Returns:
        A `keras.layers.Layer`; call it on a `tf.string` batch `(b,)` (or a
        list of `str`) for `(b, d)` float32 vectors.

    Raises:
        ValueError: For a string that is neither the built-in name nor an
            existing `.keras` file or SavedModel directory.
        TypeError: For anything else.

    Example:

    >>> encoder = get_encoder("fashion_captions")
    >>> encoder = get_encoder("/models/universal-sentence-encoder/4")
    >>> encoder = get_encoder(lambda texts: my_model.encode(texts))
    """
    if isinstance(spec, keras.layers.Layer):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return _from_path_or_name(spec)
    if callable(spec):
        return CallableTextEncoder(spec, output_dim=output_dim)
    raise TypeError(f"Expected {ACCEPTED}; received {type(spec).__name__} {spec!r}.")


def _from_path_or_name(spec):
    if spec == pretraining.NAME:
        return pretraining.load_text_encoder()
    path = pathlib.Path(spec)
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return SavedModelTextEncoder(path)
    if path.is_file() and path.suffix == ".keras":
        loaded = keras.saving.load_model(path, compile=False)
        if not isinstance(loaded, TextEncoder):
            warnings.warn(
                f"{path} holds a {type(loaded).__name__}, not a TextEncoder; using it "
                "as a text encoder all the same.",
                stacklevel=3,
            )
        return loaded
    found = (
        "a directory without saved_model.pb"
        if path.is_dir()
        else ("a file that is not .keras" if path.exists() else "nothing at that path")
    )
    raise ValueError(f"Expected {ACCEPTED}; received {os.fspath(spec)!r} ({found}).")
