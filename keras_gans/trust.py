"""Whether the object being loaded may run what its file names.

Keras loads `.keras` files in *safe mode* unless the caller passes
`safe_mode=False`: then nothing in the file may run code. Keras's way to ask
whether a load is in safe mode is private (`serialization_lib.in_safe_mode`),
so keras_gans asks it here and nowhere else. A layer whose config names
something that would run (a SavedModel graph, a file outside the archive)
calls `require_unsafe_mode` in its `from_config`.
"""

from __future__ import annotations


class UnsafeLoadError(ValueError):
    """A file asks to run code or open a path, and the load is in safe mode."""


def in_safe_mode():
    """`False` only inside a load the caller made with `safe_mode=False`.

    Outside any load Keras has no setting; like Keras's own `Lambda` layer,
    that counts as safe mode.
    """
    try:
        from keras.src.saving import serialization_lib
    except ImportError:  # pragma: no cover - a Keras that moved it: stay safe
        return True
    return serialization_lib.in_safe_mode() is not False


def require_unsafe_mode(what, why):
    """Raises `UnsafeLoadError` unless the current load has `safe_mode=False`.

    Args:
        what: what the file asks for, e.g. "the SavedModel at '/x'".
        why: why that is unsafe, e.g. "a TensorFlow graph can read and write
            files".
    """
    if in_safe_mode():
        raise UnsafeLoadError(
            f"Refusing to load {what} while loading in safe mode: {why}. If you "
            "trust the file, load it with safe_mode=False "
            "(keras.saving.load_model(path, safe_mode=False), "
            "from_preset(name, safe_mode=False))."
        )


def keras_file_damage(path):
    """Why the file `path` is not a readable `.keras` archive, or `None` if it is one.

    Reads the whole archive once (each member's CRC), without Keras.
    """
    import zipfile

    size = path.stat().st_size
    if size == 0:
        return "an empty file"
    if not zipfile.is_zipfile(path):
        return f"{size} bytes that are not a zip archive (a truncated or foreign file)"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        return f"a damaged zip archive ({e})"
    if bad is not None:
        return f"a damaged zip archive: member {bad!r} fails its CRC check"
    return None


def load_keras_file(path, safe_mode=True, compile=True):
    """`keras.saving.load_model(path)`, with one-line errors for a bad file.

    An empty, truncated or damaged file is named as such before Keras reads
    it (Keras reports a truncated archive as "File not found" and a CRC
    error as a traceback); a refusal by safe mode passes through as it is.

    Args:
        path: a `.keras` file.
        safe_mode: passed to Keras: refuse anything in the file that would
            run code. Defaults to `True`.
        compile: restore the compiled state. Defaults to `True`.

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: the file is not a loadable `.keras` file; the message
            names it, what was expected and what was found.
    """
    import pathlib

    import keras

    from keras_gans.validation import describe_error

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Expected a .keras file; found nothing at {path}.")
    expected = "expected a .keras file saved by keras_gans"
    damage = keras_file_damage(path)
    if damage is not None:
        raise ValueError(f"Could not load {path} ({expected}): found {damage}.")
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=safe_mode)
    except UnsafeLoadError:
        raise
    except Exception as e:  # Keras raises many types for a bad archive
        raise ValueError(
            f"Could not load {path} ({expected}): {describe_error(e, 300)}"
        ) from e
