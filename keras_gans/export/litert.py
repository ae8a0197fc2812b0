"""Running `.tflite` generator files with LiteRT, as a phone app would.

`LiteRTSampler` opens a file written by `keras_gans.export.tflite` with its
JSON, draws latents as the JSON describes them (InfoGAN's codes included)
and, for GAN-CLS, embeds captions with the text-encoder file, tokenized by
`keras_gans.export.tokenizer.tokenize`. `_Program` runs one signature of a
file with the interpreter's basic API; the converter uses it to describe
the tensors of the files it writes.

LiteRT (`ai_edge_litert`) is an optional extra: it is imported when a file
is opened, never when this module is.

Example:

>>> sampler = LiteRTSampler("tflite/dcgan.int8.tflite")  # reads the .json
>>> sampler.generate(16, seed=0).shape
(16, 64, 64, 3)
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np

from keras_gans.export.tokenizer import tokenize
from keras_gans.validation import check_int

GENERATOR_SIGNATURE = "generate"
LITERT_HINT = 'LiteRT is not installed; run: pip install "keras-gans[litert]"'


def _interpreter(model_path=None, model_content=None, litert_only=True):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        if litert_only:
            raise ImportError(LITERT_HINT) from e
        from keras_gans._tensorflow import tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter is deprecated
            return tf.lite.Interpreter(
                model_path=model_path, model_content=model_content
            )
    return Interpreter(model_path=model_path, model_content=model_content)


def _tensor_info(name, details):
    return {
        "name": name,
        "tensor_name": details["name"],
        "index": int(details["index"]),
        "shape": [int(d) for d in details["shape_signature"]],
        "dtype": np.dtype(details["dtype"]).name,
    }


class _Program:
    """One signature of a `.tflite` file, run with the interpreter's basic API."""

    def __init__(self, interpreter, signature=None):
        signatures = interpreter.get_signature_list()
        if signature is None:
            if len(signatures) != 1:
                raise ValueError(
                    "Expected a .tflite file with one signature; received "
                    f"{sorted(signatures)}."
                )
            signature = next(iter(signatures))
        if signature not in signatures:
            raise ValueError(
                f"Expected a .tflite file with the signature {signature!r}; it has "
                f"{sorted(signatures)}."
            )
        self.interpreter = interpreter
        self.signature = signature
        runner = interpreter.get_signature_runner(signature)
        order = {
            int(d["index"]): i for i, d in enumerate(interpreter.get_input_details())
        }
        inputs = runner.get_input_details()
        # Kept in the order the interpreter lists its input tensors.
        self.inputs = sorted(
            (_tensor_info(name, d) for name, d in inputs.items()),
            key=lambda t: order.get(t["index"], t["index"]),
        )
        self.outputs = [
            _tensor_info(name, d) for name, d in runner.get_output_details().items()
        ]
        self._allocated = None

    def run(self, feeds):
        """{input name: array} -> {output name: array}; resizes to the batch.

        Each input must have its tensor's shape (any batch size), and all
        inputs the same batch size.
        """
        values = [(info, _as_input(feeds[info["name"]], info)) for info in self.inputs]
        first, rows = self.inputs[0]["name"], values[0][1].shape[0]
        for info, value in values[1:]:
            if value.shape[0] != rows:
                raise ValueError(
                    f"Expected as many `{info['name']}` rows as `{first}` rows "
                    f"({rows}); received {value.shape[0]}."
                )
        key = tuple(v.shape for _, v in values)
        if key != self._allocated:
            for info, value in values:
                self.interpreter.resize_tensor_input(info["index"], list(value.shape))
            self.interpreter.allocate_tensors()
            self._allocated = key
        for info, value in values:
            self.interpreter.set_tensor(info["index"], value)
        self.interpreter.invoke()
        return {
            o["name"]: self.interpreter.get_tensor(o["index"]) for o in self.outputs
        }


def _as_input(value, info):
    """`value` as the input tensor `info` takes it, or a ValueError saying why not."""
    name, expected = info["name"], info["shape"]
    try:
        value = np.ascontiguousarray(value, dtype=info["dtype"])
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"Expected `{name}` as {info['dtype']} values; received {e}."
        ) from e
    if value.ndim != len(expected) or any(
        e not in (-1, r) for e, r in zip(expected, value.shape, strict=True)
    ):
        shown = ["batch" if e == -1 else e for e in expected]
        raise ValueError(
            f"Expected `{name}` of shape ({', '.join(map(str, shown))}); "
            f"received shape {tuple(value.shape)}."
        )
    if value.shape[0] < 1:
        raise ValueError(f"Expected at least one row of `{name}`.")
    return value


def _text_feeds(texts, input_name, tokenizer_config):
    """Feeds of a text-encoder file: token ids, or strings if string ops converted."""
    if input_name != "token_ids":
        return {"texts": np.array([str(t).encode() for t in texts], object)}
    if tokenizer_config is None:
        raise ValueError(
            "Expected a `tokenizer` entry in the file's JSON to make `token_ids`; "
            "it has none."
        )
    return {"token_ids": tokenize(texts, tokenizer_config)}


def _draw_latent(layout, n, rng):
    """`(n, latent_dim)` float32 latents drawn as a JSON `latent_layout` says.

    A noise block with a `shape` (an autoregressive model's uniforms, one
    per pixel) is drawn as `(n, *shape)`.
    """
    if "shape" in layout["noise"]:
        return _draw(rng, n, layout["noise"])
    parts = [_draw(rng, n, layout["noise"])]
    for block in layout.get("categorical", ()):
        k = block["categories"]
        parts.append(np.eye(k, dtype=np.float32)[rng.integers(0, k, n)])
    if "continuous" in layout:
        parts.append(_draw(rng, n, layout["continuous"]))
    return np.concatenate(parts, axis=1).astype(np.float32)


def _draw(rng, n, block):
    if "shape" in block:
        shape = (n, *block["shape"])
    else:
        lo, hi = block["columns"]
        shape = (n, hi - lo)
    if block["distribution"] == "uniform":
        low, high = block["range"]
        return rng.uniform(low, high, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


class LiteRTSampler:
    """Draws images from a `.tflite` generator with LiteRT, as a phone app would.

    Args:
        tflite_path: a generator file written by `export_tflite`.
        metadata_json: its JSON. Defaults to `None`: the `.json` beside
            `tflite_path` (without it, only `run` works).

    Example:

    >>> sampler = LiteRTSampler("tflite/dcgan.int8.tflite")
    >>> images = sampler.generate(16, seed=0)  # float32 in [-1, 1]
    >>> pixels = to_uint8(images)
    """

    def __init__(self, tflite_path, metadata_json=None):
        self.tflite_path = pathlib.Path(tflite_path)
        if metadata_json is None:
            metadata_json = self.tflite_path.with_suffix(".json")
            if not metadata_json.is_file():
                metadata_json = None
        self.metadata_json = metadata_json
        self.metadata = (
            {}
            if metadata_json is None
            else json.loads(pathlib.Path(metadata_json).read_text())
        )
        if not self.tflite_path.is_file():
            raise FileNotFoundError(f"No such .tflite file: {self.tflite_path}")
        # The JSON names the file's signature; a file without one must hold
        # a single signature.
        self._program = _Program(
            _interpreter(model_path=str(self.tflite_path)),
            self.metadata.get("signature"),
        )
        names = [i["name"] for i in self._program.inputs]
        if "images" not in [o["name"] for o in self._program.outputs]:
            raise ValueError(
                f"Expected a generator file (an `images` output); "
                f"{self.tflite_path} is the program {self._program.signature!r}."
            )
        self.conditional = "text_embedding" in names
        noise = [name for name in names if name != "text_embedding"]
        if len(noise) != 1:
            raise ValueError(
                "Expected a generator file with one noise input (and GAN-CLS's "
                f"text_embedding); {self.tflite_path} has inputs {names}."
            )
        # `latent`, or an autoregressive model's `uniforms` (n, H, W, C).
        self.noise_input = noise[0]
        self.latent_dim = self._width(self.noise_input)
        self.text_dim = self._width("text_embedding") if self.conditional else None
        self._encoder = None

    def _width(self, name):
        return next(i for i in self._program.inputs if i["name"] == name)["shape"][-1]

    def run(self, latent, text_embedding=None):
        """Images for latents (and GAN-CLS text embeddings), float32 in [-1, 1].

        `latent` is the file's noise input: an autoregressive model's
        uniforms `(n, H, W, C)` in [0, 1).
        """
        feeds = {self.noise_input: latent}
        if self.conditional:
            if text_embedding is None:
                raise ValueError(
                    "Expected a `text_embedding` (batch, "
                    f"{self.text_dim}) for this text-to-image generator; received None."
                )
            feeds["text_embedding"] = text_embedding
        elif text_embedding is not None:
            raise ValueError(
                "Expected no `text_embedding`: this generator is not text-conditioned."
            )
        return self._program.run(feeds)["images"]

    def _meta(self, key):
        if key not in self.metadata:
            raise ValueError(
                f"Expected the file's JSON (with {key!r}) to draw latents; pass "
                "metadata_json=... or keep the .json beside the .tflite file."
            )
        return self.metadata[key]

    def sample_latent(self, n, seed=None):
        """`(n, latent_dim)` float32 latents drawn as the model draws them (NumPy).

        An autoregressive model's are uniforms `(n, H, W, C)`.
        """
        n = check_int("n", n, minimum=1)
        return _draw_latent(self._meta("latent_layout"), n, np.random.default_rng(seed))

    def generate(self, n, seed=0, codes=None):
        """`n` images for random latents; GAN-CLS draws its preview captions.

        Args:
            n: how many.
            seed: seed of the latents. Defaults to `0`.
            codes: InfoGAN only: `{"categorical": ..., "continuous": ...}`
                as `keras_gans.latent.LatentSpec.with_codes` takes them.
                Defaults to `None` (random codes).
        """
        latent = self.sample_latent(n, seed)
        if codes is not None:
            if "latent_spec" not in self.metadata:
                raise ValueError(
                    "Expected codes only for a generator with latent codes "
                    "(InfoGAN); this file's JSON has no latent_spec."
                )
            from keras_gans.latent import LatentSpec

            unknown = set(codes) - {"categorical", "continuous"}
            if unknown:
                raise ValueError(
                    "Expected codes with keys 'categorical' and/or 'continuous'; "
                    f"received {sorted(unknown)}."
                )
            spec = LatentSpec.from_config(self._meta("latent_spec"))
            latent = spec.with_codes(latent, **codes)
        if not self.conditional:
            return self.run(latent)
        texts = list(self.metadata.get("preview_texts") or ())
        if not texts:
            raise ValueError(
                "This text-to-image file has no preview captions: use "
                "generate_text(texts) or run(latent, text_embedding)."
            )
        # Like the export's `sample` signature: ceil(n / k) rows per caption.
        per_text = -(-n // len(texts))
        chosen = [t for t in texts for _ in range(per_text)][:n]
        return self.run(latent, self.embed(chosen))

    def embed(self, texts):
        """GAN-CLS: `(len(texts), text_dim)` embeddings from the encoder file."""
        entry = self.metadata.get("text_encoder")
        if not entry:
            raise ValueError(
                "Expected a GAN-CLS file with a text encoder (the JSON's "
                "`text_encoder` entry); this one has none."
            )
        if isinstance(texts, (str, bytes)):
            texts = [texts]
        if self._encoder is None:
            path = self.tflite_path.parent / entry["file"]
            self._encoder = _Program(
                _interpreter(model_path=str(path)), entry["signature"]
            )
        feeds = _text_feeds(texts, entry["input"], self.metadata.get("tokenizer"))
        return self._encoder.run(feeds)["embeddings"]

    def generate_text(self, texts, seed=0, n_per_text=1):
        """GAN-CLS: `n_per_text` images per caption, text by text."""
        n_per_text = check_int("n_per_text", n_per_text, minimum=1)
        embeddings = np.repeat(self.embed(texts), n_per_text, axis=0)
        return self.run(self.sample_latent(len(embeddings), seed), embeddings)


__all__ = ["GENERATOR_SIGNATURE", "LITERT_HINT", "LiteRTSampler"]
