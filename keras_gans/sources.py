"""Model sources: what a name on the command line (or in the demo) points at.

Every command that takes "a model" reads it here, so a source means the
same thing everywhere (`keras-gans sample`, `export`, `export-tflite`,
`demo`, a family's own commands):

- an **export**: a SavedModel version folder, or TF Serving's folder of
  numeric versions (the highest is taken);
- a **path**: a run folder (its final model, else its latest checkpoint)
  or a `.keras` file;
- a **preset**: a preset folder or archive (`.tar.xz`, `.tar.gz`, `.zip`),
  or a URL of one;
- a **zoo name** (`dcgan_fashion_mnist`).

`load_model` gives the Keras model (not for an export, which has none);
`load_target` the Keras model or, for an export, its signatures
(`keras_gans.zoo.Pretrained`); `saved_model_dir` the SavedModel a
converter reads (a Keras model is exported to a temporary folder).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import tempfile

from keras_gans.files import export_version_dir

__all__ = [
    "KINDS",
    "exported",
    "kind",
    "load_export",
    "load_model",
    "load_target",
    "saved_model_dir",
]

KINDS = ("export", "path", "preset", "url", "name")
"""What `kind` tells a source to be, in the order it tries them."""


def kind(source):
    """Which of `KINDS` `source` names (nothing is loaded)."""
    from keras_gans.zoo.presets import source_kind

    if export_version_dir(source) is not None:
        return "export"
    return source_kind(os.fspath(source))


def load_model(source, safe_mode=True):
    """The Keras model of a run folder, `.keras` file, preset, URL or zoo name.

    Args:
        source: see the module docstring.
        safe_mode: refuse a file or preset that would run code when
            loaded (see `keras_gans.trust`). Defaults to `True`.
    """
    what = kind(source)
    if what == "export":
        raise ValueError(
            f"{os.fspath(source)!r} is a SavedModel export: it has the generator's "
            "signatures, not a Keras model. Give the run folder, .keras file or "
            "preset it was exported from."
        )
    if what == "path":
        from keras_gans.runs.folder import load_trained

        return load_trained(source, safe_mode=safe_mode)
    from keras_gans.zoo.presets import load_preset

    return load_preset(os.fspath(source), safe_mode=safe_mode)


def load_export(source):
    """The signatures (`keras_gans.zoo.Pretrained`) of an export folder or zoo name."""
    from keras_gans.zoo.pretrained import Pretrained, load_pretrained

    export_dir = export_version_dir(source)
    if export_dir is not None:
        return Pretrained(os.fspath(source), export_dir)
    return load_pretrained(os.fspath(source))


def load_target(source):
    """`("export", Pretrained)` for an export folder, else `("model", model)`."""
    if kind(source) == "export":
        return "export", load_export(source)
    return "model", load_model(source)


@contextlib.contextmanager
def saved_model_dir(source):
    """The SavedModel version folder behind `source`, for a converter.

    An export is used as it is; a preset gives its `saved_model/`; a zoo
    name its published export; a run folder or `.keras` file is loaded and
    exported to a temporary folder, removed afterwards.
    """
    from keras_gans.zoo import presets

    what = kind(source)
    if what == "export":
        yield export_version_dir(source)
        return
    if what == "name":
        from keras_gans import zoo

        try:
            pretrained = zoo.load_pretrained(str(source))
        except zoo.UnknownModelError as e:
            raise zoo.UnknownModelError(
                f"{source!r} is neither a file or folder here (looked in "
                f"{pathlib.Path.cwd()}) nor a zoo name: {e}"
            ) from e
        if not hasattr(pretrained, "export_dir"):
            raise ValueError(f"{source!r} is not a generator: nothing to convert.")
        yield pathlib.Path(pretrained.export_dir)
        return
    if what != "path":
        folder, _ = presets.resolve(source)
        presets.read_preset_file(folder)
        yield folder / presets.SAVED_MODEL_DIR
        return
    path = pathlib.Path(source)
    if not (path.is_dir() or path.suffix == ".keras"):
        raise FileNotFoundError(
            "Expected an export version folder (with saved_model.pb), a folder of "
            "numeric versions, a run folder, a .keras file, a preset or a zoo "
            f"name; received {source}."
        )
    with exported(load_model(path)) as export_dir:
        yield export_dir


@contextlib.contextmanager
def exported(model):
    """`model`'s SavedModel in a temporary folder, removed afterwards."""
    staging = tempfile.mkdtemp(prefix="keras_gans_export_")
    try:
        yield model.export(staging, version=1)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
