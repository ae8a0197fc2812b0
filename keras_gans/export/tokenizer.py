"""`TextEncoder`'s tokenizer in plain Python, for text-encoder `.tflite` files.

Keras's `TextVectorization` needs TensorFlow string ops that the TFLite
builtins lack, so a GAN-CLS text-encoder file usually takes token ids. A
phone app makes them as `tokenize` does, from the `tokenizer` entry of the
file's JSON; `parity` checks this function against Keras's tokenizer.
"""

from __future__ import annotations

import re

import numpy as np

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def tokenize(texts, tokenizer_config):
    """Token ids for `texts`, exactly as `TextEncoder.tokenize` makes them.

    Re-implements Keras's `TextVectorization` with
    `standardize="lower_and_strip_punctuation"`: ASCII upper-case letters
    lower-cased (as `tf.strings.lower`; other letters are kept), the
    characters of `tokenizer_config["punctuation"]` deleted, then split into
    unicode characters or at runs of ASCII whitespace; token
    `vocabulary[i]` -> id `i + 2`, any other token -> 1 ("[UNK]"); the ids
    are truncated or padded with 0 to `sequence_length`.

    Args:
        texts: a string or a sequence of strings (or UTF-8 bytes).
        tokenizer_config: `TextEncoder.tokenizer_config()`, also the
            `tokenizer` entry of an export's or a `.tflite` file's JSON.

    Returns:
        int64 NumPy array `(len(texts), sequence_length)`.
    """
    config = tokenizer_config
    if config.get("standardize") != "lower_and_strip_punctuation":
        raise ValueError(
            "Expected a tokenizer with standardize='lower_and_strip_punctuation'; "
            f"received {config.get('standardize')!r}."
        )
    if config.get("split") not in ("whitespace", "character"):
        raise ValueError(
            "Expected a tokenizer with split 'whitespace' or 'character'; "
            f"received {config.get('split')!r}."
        )
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    punctuation = re.compile(config["punctuation"])
    offset = int(config.get("vocabulary_offset", 2))
    ids = {token: i + offset for i, token in enumerate(config["vocabulary"])}
    unknown = int(config.get("unknown_id", 1))
    length = int(config["sequence_length"])
    out = np.full((len(texts), length), int(config.get("padding_id", 0)), np.int64)
    for row, text in enumerate(texts):
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        elif not isinstance(text, str):
            raise ValueError(
                f"Expected strings to tokenize; received {type(text).__name__} "
                f"at position {row}."
            )
        text = punctuation.sub("", _ascii_lower(text))
        if config["split"] == "character":
            tokens = list(text)
        else:
            tokens = [t for t in re.split(r"[ \t\n\r\v\f]+", text) if t]
        token_ids = [ids.get(t, unknown) for t in tokens[:length]]
        out[row, : len(token_ids)] = token_ids
    return out


def _ascii_lower(text):
    # tf.strings.lower without an encoding only maps A-Z.
    return text.translate(_ASCII_LOWER)


__all__ = ["tokenize"]
