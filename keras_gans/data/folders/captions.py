"""Captions for pictures in a folder, for text-to-image models (GAN-CLS).

Three layouts are read, as people keep them:

- a `.txt` file beside each picture (`birds/0001.jpg` + `birds/0001.txt`),
  one caption per non-empty line;
- a `metadata.jsonl` in the folder, one `{"file_name": ..., "text": ...}`
  per line, `file_name` relative to the folder (Hugging Face's imagefolder
  convention; `text` may be a list of captions);
- a parallel caption tree, such as Reed et al.'s `text_c10/` for CUB:
  `text_c10/<class>/<image name>.txt` beside `images/<class>/<image name>.jpg`.
"""

from __future__ import annotations

import json
import os
import pathlib

METADATA_FILE = "metadata.jsonl"
# Largest caption file read (CUB's have 10 lines of about 80 characters).
MAX_CAPTION_BYTES = 1 << 20


def _lines(path):
    with open(path, "rb") as file:
        text = file.read(MAX_CAPTION_BYTES).decode("utf-8", "replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _from_metadata(root, keys):
    path = pathlib.Path(root) / METADATA_FILE
    wanted = set(keys)
    found = {}
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                name = pathlib.PurePosixPath(item["file_name"]).as_posix()
                text = item["text"]
            except (ValueError, KeyError, TypeError):
                raise ValueError(
                    f"Expected {path} line {number} to be a JSON object with "
                    f"'file_name' and 'text', received {line.strip()[:80]!r}."
                ) from None
            texts = [text] if isinstance(text, str) else list(text)
            texts = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
            if name in wanted and texts:
                found.setdefault(name, []).extend(texts)
    return found


def _from_tree(root, keys, tree):
    """Captions in `tree` at each key's path with `.txt` for its suffix."""
    found = {}
    for key in keys:
        relative = os.path.splitext(key)[0] + ".txt"
        candidates = [os.path.join(tree, *relative.split("/"))]
        parts = relative.split("/")
        if len(parts) > 2:  # keys under an extra top folder (images/<class>/...)
            candidates.append(os.path.join(tree, *parts[-2:]))
        for path in candidates:
            if os.path.isfile(path):
                lines = _lines(path)
                if lines:
                    found[key] = lines
                break
    return found


def read_captions(root, keys, captions="auto"):
    """`{key: [caption, ...]}` for the pictures `keys` under `root`.

    Args:
        root: the folder the keys are relative to.
        keys: the pictures' relative paths.
        captions: `"auto"` (a `metadata.jsonl` in `root` if there is one,
            else `.txt` files beside the pictures), `"txt"`, `"jsonl"`, or
            the path of a parallel caption tree (CUB's `text_c10/`).
            Defaults to `"auto"`.

    Returns:
        The captions found; pictures without any are left out (the loader
        skips and names them).

    Raises:
        ValueError: If `captions` names no known layout, or a
            `metadata.jsonl` line is not what it should be.
        FileNotFoundError: If a caption tree or metadata file is missing.
    """
    root = os.fspath(root)
    if captions == "auto":
        captions = (
            "jsonl" if os.path.isfile(os.path.join(root, METADATA_FILE)) else "txt"
        )
    if captions == "jsonl":
        if not os.path.isfile(os.path.join(root, METADATA_FILE)):
            raise FileNotFoundError(
                f"Expected {os.path.join(root, METADATA_FILE)} for captions='jsonl'; "
                "it does not exist."
            )
        return _from_metadata(root, keys)
    if captions == "txt":
        return _from_tree(root, keys, root)
    if isinstance(captions, (str, os.PathLike)):
        tree = os.path.expanduser(os.fspath(captions))
        if not os.path.isdir(tree):
            raise FileNotFoundError(
                f"Expected a caption folder (such as CUB's text_c10/) at {tree}; "
                "it is not a folder."
            )
        return _from_tree(root, keys, tree)
    raise ValueError(
        "Expected captions='auto', 'txt', 'jsonl' or the path of a caption tree, "
        f"received captions={captions!r}."
    )
