"""Presets: a trained model as a folder, found by zoo name, path or URL.

A preset folder (what `model.save_to_preset(dir)` writes and the zoo's
archives hold):

    preset.json    format, family, class, Keras version, compile settings
    model.keras    every network and the noise state, no optimizer state
    saved_model/   the generator in TF Serving's layout (`load_pretrained`)

`load_preset(preset)` resolves, like keras-hub's `from_preset`:

1. a preset folder, or a `.tar.xz`, `.tar.gz` or `.zip` archive of one, on disk;
2. an `http(s)://` or `file://` URL of an archive, with its sha256 as
   `URL#sha256=<hex>` (downloads are always checked);
3. a zoo name (`keras_gans.zoo.list_models()`): the manifest's archive,
   sha256-checked, from the package, the cache or its URL.

Archives are unpacked once into the cache, in a folder named by their sha256.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import urllib.parse

from keras_gans.files import replace_dir, write_atomic
from keras_gans.zoo import registry
from keras_gans.zoo._download import TAR_SUFFIXES, extract_archive, fetch, sha256_file

PRESET_FILE = "preset.json"
MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
# 2: a preset folder; 1 (the first zoo archives): a bare SavedModel.
FORMAT_VERSION = 2
_URL_SCHEMES = ("http://", "https://", "file://")


class NotAPresetError(ValueError):
    """A folder or archive that holds no preset (or only a SavedModel)."""


# --- Writing ----------------------------------------------------------------------


def _weights_only_copy(model):
    """An uncompiled copy of `model` with its weights and noise state.

    Saved instead of the model itself, so that `model.keras` holds no
    optimizer state (Adam's two moments would triple a preset's size).
    """
    import keras

    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    for mine, theirs in zip(
        copy._seed_generators_in_order(), model._seed_generators_in_order(), strict=True
    ):
        mine.state.assign(theirs.state)
    return copy


def save_preset(model, preset_dir, saved_model=True):
    """Writes `model` as a preset folder; see `AdversarialModel.save_to_preset`.

    The folder is written beside its place and renamed into it, so it is
    either absent or complete. An existing preset is not replaced.
    """
    import keras

    from keras_gans.export import export_saved_model
    from keras_gans.models.registry import family_of

    target = pathlib.Path(preset_dir).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "a preset" if (target / PRESET_FILE).exists() else "files"
        raise FileExistsError(
            f"{target} holds {what} already; expected a new or empty folder for "
            "the preset. Choose another folder or remove it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent)
    )
    try:
        _weights_only_copy(model).save(staging / MODEL_FILE)
        files = [MODEL_FILE]
        if saved_model:
            version = export_saved_model(model, staging / ".export", 1, "model")
            os.replace(version, staging / SAVED_MODEL_DIR)
            shutil.rmtree(staging / ".export")
            files.append(f"{SAVED_MODEL_DIR}/")
        info = {
            "format_version": FORMAT_VERSION,
            "family": family_of(model).name,
            "class": type(model).__name__,
            "keras_version": keras.__version__,
            "compile": model.get_compile_config() if model.compiled else None,
            "files": files,
        }
        write_atomic(
            staging / PRESET_FILE, (json.dumps(info, indent=2) + "\n").encode()
        )
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- Finding ----------------------------------------------------------------------


def _split_url(preset):
    """`(url, sha256)` from `URL#sha256=<hex>`."""
    url, _, fragment = preset.partition("#")
    digest = urllib.parse.parse_qs(fragment).get("sha256", [None])[0]
    if digest is None:
        raise ValueError(
            f"Expected the archive's sha256 with the URL, as {url}#sha256=<hex "
            f"digest>, so that the download can be checked; received {preset!r}."
        )
    return url, digest


def _unpacked(archive, target):
    """`archive` unpacked into `target` once (a damaged copy is unpacked again)."""

    def unpacked():  # a preset, or a zoo archive from before presets
        return (target / PRESET_FILE).is_file() or (target / "saved_model.pb").is_file()

    if unpacked():
        return target
    try:
        extract_archive(archive, target, overwrite=target.exists())
    except OSError:
        # Another process unpacked the same verified archive at the same
        # time and renamed its copy into place first: that copy is as good.
        if not unpacked():
            raise
    return target


def _cache(cache_dir):
    return pathlib.Path(cache_dir or registry.default_cache_dir()).expanduser()


def source_kind(source):
    """What a model source names, for everything that takes "a preset or a path".

    Returns:
        `"url"` (`http(s)://`, `file://`), `"preset"` (a preset folder, or an
        archive file), `"path"` (any other file or folder, or a string that
        looks like a path: a run folder, a `.keras` file, a SavedModel) or
        `"name"` (a zoo name).
    """
    text = os.fspath(source)
    if text.startswith(_URL_SCHEMES):
        return "url"
    path = pathlib.Path(text).expanduser()
    archive = text.endswith((*TAR_SUFFIXES, ".zip"))
    if (path / PRESET_FILE).is_file() or (archive and path.is_file()):
        return "preset"
    if path.exists() or archive or os.sep in text or text.endswith(".keras"):
        return "path"
    return "name"


def resolve(preset, cache_dir=None, progress=True, zoo_dir=None):
    """The local folder of `preset`, and its zoo entry (or `None`).

    Args:
        preset: a folder, an archive, a URL (`URL#sha256=<hex>`) or a zoo name.
        cache_dir: where downloads and unpacked archives go. Defaults to
            `None`: `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.
        progress: show a progress bar while downloading. Defaults to `True`.
        zoo_dir: another zoo folder with its own `manifest.json`. Defaults
            to `None`: the package's.

    Returns:
        `(folder, entry)`: the unpacked folder (a preset, or for a zoo entry
        published before presets, a bare SavedModel) and the manifest entry
        for a zoo name, else `None`.
    """
    cache = _cache(cache_dir)
    text = os.fspath(preset)
    kind = source_kind(text)
    if kind == "url":
        url, digest = _split_url(text)
        name = pathlib.PurePosixPath(urllib.parse.urlparse(url).path).name
        archive = fetch(
            url, cache / "urls" / digest[:16] / name, digest, progress=progress
        )
        return _unpacked(archive, cache / "urls" / f"preset-{digest[:16]}"), None
    path = pathlib.Path(text).expanduser()
    if kind == "preset" and path.is_file():
        digest = sha256_file(path)
        return _unpacked(path, cache / "local" / f"preset-{digest[:16]}"), None
    if kind != "name":
        if path.is_dir():
            return path, None  # read_preset_file says what it holds instead
        raise FileNotFoundError(f"No such preset folder or archive: {path}")
    try:
        entry = registry.get_entry(text, zoo_dir)
    except registry.UnknownModelError as e:
        raise registry.UnknownModelError(
            f"{text!r} is neither a preset folder or archive here (looked in "
            f"{pathlib.Path.cwd()}) nor a zoo name: {e}"
        ) from None
    files = entry.get("files") or []
    if not files:
        command = entry.get("train_command") or f"python tools/train_zoo.py {text}"
        needs = f" ({entry['requirements']})" if entry.get("requirements") else ""
        raise registry.NotPublishedError(
            f"Zoo model {text!r} has a recipe but no published weights yet. "
            f"Train it with: {command}{needs}"
        )
    archive = resolve_archive(entry, cache, zoo_dir, progress)
    if entry.get("kind") == "classifier":
        return archive, entry
    target = cache / text / f"preset-{files[0]['sha256'][:16]}"
    return _unpacked(archive, target), entry


def resolve_archive(entry, cache_dir=None, zoo_dir=None, progress=True):
    """A verified local copy of a zoo entry's file (package, cache or download)."""
    spec = entry["files"][0]
    return registry.resolve_file(entry, spec, _cache(cache_dir), zoo_dir, progress)


def read_preset_file(folder):
    """The `preset.json` of a preset folder, or `NotAPresetError` saying what it holds."""
    path = pathlib.Path(folder) / PRESET_FILE
    if not path.is_file():
        held = sorted(p.name for p in pathlib.Path(folder).iterdir())
        what = (
            "a bare SavedModel (a zoo archive from before presets held the "
            "Keras model: serve it with keras_gans.zoo.load_pretrained)"
            if "saved_model.pb" in held
            else f"{held}"
        )
        raise NotAPresetError(
            f"Expected a preset folder with {PRESET_FILE} and {MODEL_FILE} "
            f"(written by model.save_to_preset); {folder} holds {what}."
        )
    return json.loads(path.read_text())


def load_preset(preset, cache_dir=None, progress=True, zoo_dir=None):
    """The Keras model of a preset, compiled as it was trained.

    See `AdversarialModel.from_preset`; this one accepts any family.
    """
    import keras

    import keras_gans  # noqa: F401 - registers the families' classes with Keras

    folder, entry = resolve(preset, cache_dir, progress, zoo_dir)
    if entry is not None and entry.get("kind") == "classifier":
        raise NotAPresetError(
            f"{preset!r} is the evaluation classifier (a keras.Model), not a GAN "
            "preset: load it with keras_gans.zoo.load_pretrained."
        )
    info = read_preset_file(folder)
    if int(info.get("format_version", 0)) > FORMAT_VERSION:
        raise NotAPresetError(
            f"{folder} is a preset of format {info['format_version']}; this "
            f"keras_gans reads format {FORMAT_VERSION} and older: upgrade it."
        )
    model = keras.saving.load_model(folder / MODEL_FILE)
    if info.get("compile"):
        model.compile_from_config(info["compile"])
    return model


def presets_of(cls, zoo_dir=None):
    """`{zoo name: description}` of the published presets of `cls` and its subclasses.

    The names are the families' `presets`; those whose manifest entry has a
    preset archive (`preset_format` 2) are listed.
    """
    from keras_gans.models.registry import families

    models = registry.load_manifest(zoo_dir)["models"]
    names = [
        name
        for family in families().values()
        if issubclass(family.model_class, cls)
        for name in family.presets
    ]
    return {
        name: models[name].get("description", "")
        for name in sorted(names)
        if name in models
        and models[name].get("files")
        and models[name].get("preset_format", 1) >= FORMAT_VERSION
    }
