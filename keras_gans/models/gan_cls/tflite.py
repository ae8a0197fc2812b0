"""GAN-CLS on phones: the text encoder as a second `.tflite` file.

The generator converts like any family's (latent and `text_embedding` in).
The text encoder's tokenizer (`TextVectorization`: string lower-casing, a
regex, unicode splitting) needs TensorFlow string ops that the TFLite
builtins lack, so when the string encoder does not convert the file holds
the network after the tokenizer (`token_ids` int64 -> `embeddings`), and the
app tokenizes as `keras_gans.export.tokenizer.tokenize` does (the JSON's
`tokenizer` says how).
"""

from __future__ import annotations

import numpy as np

from keras_gans._startup import quiet_stderr
from keras_gans.export import tflite_convert as tflite
from keras_gans.export.litert import _text_feeds
from keras_gans.export.tokenizer import tokenize

STRING_ENCODER_SIGNATURE = "embed_texts"
TOKEN_ENCODER_SIGNATURE = "embed_tokens"
# Texts whose embeddings the encoder parity check compares, with the
# preview captions: punctuation, capitals, unknown characters, empty,
# longer than any sequence length.
PARITY_TEXTS = (
    "A dark, SLIM ankle-boot!",
    "an unknown word: zebra ☂ é 😀",
    "",
    "   ",
    "a pale wide coat " * 12,
)


def file_metadata(meta):
    """What a generator file's JSON says of the text input."""
    info = {
        "text_dim": meta["text_dim"],
        "preview_texts": meta.get("preview_texts", []),
        "text_encoder": None,
    }
    if "tokenizer" in meta:
        info["tokenizer"] = meta["tokenizer"]
    return info


def _unit_vectors(rng, n, dim):
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def example_embeddings(loaded, meta, n, texts, rng):
    """Embeddings of the captions `sample` chose, else random unit vectors."""
    if texts and STRING_ENCODER_SIGNATURE in loaded.signatures:
        from keras_gans._tensorflow import tf

        embed = loaded.signatures[STRING_ENCODER_SIGNATURE]
        return embed(texts=tf.constant(texts))["embeddings"].numpy()
    return _unit_vectors(rng, n, meta["text_dim"])


def representative_texts(meta, n, seed):
    """Preview captions and random token strings from the vocabulary."""
    config = meta["tokenizer"]
    rng = np.random.default_rng(seed)
    texts = list(meta.get("preview_texts") or ())
    vocabulary = config["vocabulary"] or ["a"]
    joiner = "" if config["split"] == "character" else " "
    limit = int(config["sequence_length"])
    while len(texts) < n:
        size = int(rng.integers(1, limit + 1))
        texts.append(joiner.join(rng.choice(vocabulary, size)))
    return texts[:n]


def convert_text_encoder(export_dir, meta, quantize, count, seed):
    """The encoder's bytes and JSON entry: strings in if builtins allow it."""
    texts = representative_texts(meta, count, seed)

    def string_representative():
        for text in texts:
            yield {"texts": np.array([text.encode("utf-8")], dtype=object)}

    def token_representative():
        ids = tokenize(texts, meta["tokenizer"])
        for row in ids:
            yield {"token_ids": row[None]}

    try:
        # Whether the string ops convert does not depend on the quantization.
        with quiet_stderr():
            content, notes = tflite.convert_signature(
                export_dir, STRING_ENCODER_SIGNATURE, "none"
            )
        if quantize != "none":
            content, notes = tflite.convert_signature(
                export_dir, STRING_ENCODER_SIGNATURE, quantize, string_representative
            )
        signature = STRING_ENCODER_SIGNATURE
        entry = {"input": "texts", "string_ops_converted": True}
    except Exception as e:  # noqa: BLE001 - the converter raises several types
        content, notes = tflite.convert_signature(
            export_dir, TOKEN_ENCODER_SIGNATURE, quantize, token_representative
        )
        signature = TOKEN_ENCODER_SIGNATURE
        entry = {
            "input": "token_ids",
            "string_ops_converted": False,
            "reason": tflite.first_line(e),
            "unsupported_ops": tflite.unsupported_ops(e),
            "tokenize": "with the `tokenizer` entry of this file (token ids, "
            "int64, padded with 0 to sequence_length)",
        }
    inputs, outputs = tflite.describe(content, signature)
    entry.update(
        signature=signature,
        inputs=inputs,
        output=outputs[0],
        quantization={"mode": quantize, **notes},
    )
    return content, entry


def encoder_parity(loaded, meta, program):
    """Max |file - SavedModel| of a text-encoder file's embeddings.

    Compared with the export's string signature `embed_texts` on the preview
    captions and `PARITY_TEXTS`, tokenized by `tokenize`: this also checks
    the Python tokenizer against Keras's.
    """
    from keras_gans._tensorflow import tf

    texts = list(meta.get("preview_texts") or ()) + list(PARITY_TEXTS)
    strings = loaded.signatures[STRING_ENCODER_SIGNATURE]
    expected = strings(texts=tf.constant(texts))["embeddings"].numpy()
    feeds = _text_feeds(texts, program.inputs[0]["name"], meta.get("tokenizer"))
    got = program.run(feeds)
    return float(np.max(np.abs(got["embeddings"] - expected)))
