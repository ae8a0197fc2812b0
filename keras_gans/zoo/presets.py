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

Archives are unpacked once into the cache, in a folder named by their full
sha256 and stamped with it last (`UNPACKED_STAMP`), within caps on their size
(`extract_archive`); one that fails to load is removed again.
`keras_gans.zoo.cache_info()` lists the cache and `clear_cache()` empties it.

This module knows no model class, as keras-hub's `preset_utils` knows none:
the saver records what the model says of itself (`model.family_name`), the
loader builds the class that `model.keras` names (its Keras registered
name) once it is the class the caller asked for, and `presets_of` is given
the zoo kinds to list.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import urllib.parse

from keras_gans.files import (
    remove_path,
    replace_dir,
    share_tree,
    staging_dir,
    write_atomic,
)
from keras_gans.zoo import registry
from keras_gans.zoo._download import (
    TAR_SUFFIXES,
    _check_sha256,
    _extract,
    fetch,
    sha256_file,
)
from keras_gans.zoo.preset_files import (
    FORMAT_VERSION,
    MODEL_FILE,
    PRESET_FILE,
    SAVED_MODEL_DIR,
    UNPACKED_STAMP,
    NotAPresetError,
    PresetClassError,
    check_preset_file,
    load_model_file,
    model_class,
    named_file,
    read_preset_file,
)

_URL_SCHEMES = ("http://", "https://", "file://")
# The cache: `urls/<sha256>/<file>` (downloads), `urls/preset-<sha256>` and
# `local/preset-<sha256>` (unpacked archives), `<zoo name>/preset-<sha256>`.
URLS_DIR = "urls"
LOCAL_DIR = "local"
UNPACKED_PREFIX = "preset-"


# --- Writing ----------------------------------------------------------------------


def _weights_only_copy(model):
    """An uncompiled copy of `model` with its weights and noise state.

    Saved instead of the model itself, so that `model.keras` holds no
    optimizer state (Adam's two moments would triple a preset's size).
    """
    import keras

    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)
    # The caller's own model: nothing here comes from a file.
    copy = keras.saving.deserialize_keras_object(config, safe_mode=False)
    copy.set_weights(model.get_weights())
    for mine, theirs in zip(
        copy._seed_generators_in_order(), model._seed_generators_in_order(), strict=True
    ):
        mine.state.assign(theirs.state)
    return copy


def save_preset(model, preset_dir, saved_model=True):
    """Writes `model` as a preset folder; see `AdversarialModel.save_to_preset`.

    The folder is written beside its place and renamed into it, so it is
    either absent or complete; a staging folder left by a killed process is
    removed by the next `save_preset` to the same place. Folders and files
    get the modes the umask allows. An existing preset is not replaced.
    """
    import keras

    from keras_gans.export import export_saved_model

    # What the model says of itself: a keras_gans model names its family.
    family = getattr(model, "family_name", None)
    if not isinstance(family, str):
        raise ValueError(
            "Expected a keras_gans model (one that names its family, "
            f"`family_name`); received a {type(model).__name__}."
        )
    target = pathlib.Path(preset_dir).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "a preset" if (target / PRESET_FILE).exists() else "files"
        raise FileExistsError(
            f"{target} holds {what} already; expected a new or empty folder for "
            "the preset. Choose another folder or remove it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(target.parent, f".{target.name}.staging-")
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
            "family": family,
            "class": type(model).__name__,
            "keras_version": keras.__version__,
            "compile": model.get_compile_config() if model.compiled else None,
            "files": files,
        }
        write_atomic(
            staging / PRESET_FILE, (json.dumps(info, indent=2) + "\n").encode()
        )
        share_tree(staging)
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
    return url, _check_sha256(digest)


def _unpacked_whole(target, digest):
    """Whether `target` was unpacked completely from the archive with `digest`."""
    try:
        if target.is_symlink() or not target.is_dir():
            return False
        record = json.loads((target / UNPACKED_STAMP).read_text())
    except (OSError, ValueError):
        return False
    # A folder unpacked whole and damaged since is unpacked again.
    held = (target / PRESET_FILE).is_file() or (target / "saved_model.pb").is_file()
    return isinstance(record, dict) and record.get("sha256") == digest and held


def _unpack(archive, target, digest, limits, again=False):
    """`archive` (with sha256 `digest`) unpacked into `target`.

    A folder already there is used only if it holds the stamp of a whole
    unpacking of this digest (`UNPACKED_STAMP`); anything else there is
    replaced. With `again`, it is replaced in any case.

    Returns:
        Whether this call wrote `target`.
    """
    if not again and _unpacked_whole(target, digest):
        return False
    stamp = json.dumps({"sha256": digest, "archive": archive.name}) + "\n"
    try:
        _extract(
            archive,
            target,
            overwrite=again or os.path.lexists(target),
            stamp=(UNPACKED_STAMP, stamp.encode()),
            **limits,
        )
    except OSError:
        # Another process unpacked the same verified archive at the same
        # time and renamed its copy into place first: that copy is as good.
        if again or not _unpacked_whole(target, digest):
            raise
        return False
    return True


def _prune(folder, cache):
    """Removes `folder` and its parents below `cache` while they are empty."""
    folder = pathlib.Path(folder)
    while folder != cache and folder.is_relative_to(cache):
        try:
            folder.rmdir()
        except OSError:  # not empty (another process's files), or gone
            return
        folder = folder.parent


def _discard(paths, cache):
    """Removes what this call wrote into `cache`, and folders that leaves empty."""
    for path in paths:
        if os.path.lexists(path):
            remove_path(path)
        _prune(pathlib.Path(path).parent, cache)


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


def resolve(
    preset,
    cache_dir=None,
    progress=True,
    zoo_dir=None,
    *,
    max_unpacked_bytes=None,
    max_archive_members=None,
):
    """The local folder of `preset`, and its zoo entry (or `None`).

    Archives are unpacked into the cache once, in a folder named by their
    full sha256 and stamped last with that digest; a folder without the
    stamp (unpacked by an older keras_gans, or changed) is unpacked again.
    If the download or the unpacking fails, what this call wrote into the
    cache is removed.

    Args:
        preset: a folder, an archive, a URL (`URL#sha256=<hex>`) or a zoo name.
        cache_dir: where downloads and unpacked archives go. Defaults to
            `None`: `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.
        progress: show a progress bar while downloading. Defaults to `True`.
        zoo_dir: another zoo folder with its own `manifest.json`. Defaults
            to `None`: the package's.
        max_unpacked_bytes: the cap on an archive's unpacked bytes. Defaults
            to `None`: `extract_archive`'s default.
        max_archive_members: the cap on an archive's members. Defaults to
            `None`: `extract_archive`'s default.

    Returns:
        `(folder, entry)`: the unpacked folder (a preset, or for a zoo entry
        published before presets, a bare SavedModel) and the manifest entry
        for a zoo name, else `None`.
    """
    limits = {
        "max_unpacked_bytes": max_unpacked_bytes,
        "max_archive_members": max_archive_members,
    }
    folder, entry, _ = _resolve(preset, cache_dir, progress, zoo_dir, limits)
    return folder, entry


def _resolve(preset, cache_dir, progress, zoo_dir, limits):
    """`resolve`, and the paths this call wrote into the cache (to discard)."""
    cache = _cache(cache_dir)
    text = os.fspath(preset)
    kind = source_kind(text)
    if kind == "url":
        url, digest = _split_url(text)
        name = pathlib.PurePosixPath(urllib.parse.urlparse(url).path).name
        if not name.lower().endswith((*TAR_SUFFIXES, ".zip")):
            raise ValueError(
                "Expected the URL of a .tar.xz, .tar.gz, .tgz, .tar or .zip "
                f"archive; received {url!r}."
            )
        dest = cache / URLS_DIR / digest / name
        written = [] if os.path.lexists(dest) else [dest]
        try:
            archive = fetch(url, dest, digest, progress=progress)
        except BaseException:
            _discard(written, cache)
            raise
        target = cache / URLS_DIR / f"{UNPACKED_PREFIX}{digest}"
        return target, None, _unpack_new(archive, target, digest, limits, written)
    path = pathlib.Path(text).expanduser()
    if kind == "preset" and path.is_file():
        digest = sha256_file(path)
        target = cache / LOCAL_DIR / f"{UNPACKED_PREFIX}{digest}"
        return target, None, _unpack_new(path, target, digest, limits, [])
    if kind != "name":
        if path.is_dir():
            return path, None, []  # read_preset_file says what it holds instead
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
    cached = cache / files[0]["path"]
    existed = os.path.lexists(cached)
    archive = resolve_archive(entry, cache, zoo_dir, progress)
    if entry.get("kind") == "classifier":
        return archive, entry, []
    written = [] if existed or archive != cached else [cached]
    digest = _check_sha256(files[0]["sha256"])
    target = cache / text / f"{UNPACKED_PREFIX}{digest}"
    return target, entry, _unpack_new(archive, target, digest, limits, written)


def _unpack_new(archive, target, digest, limits, written):
    """Unpacks; returns `written` plus `target` if this call wrote it.

    If unpacking fails, `written` (a download this call made) is discarded
    too: the same verified bytes would fail the same way again.
    """
    cache = target.parent.parent
    try:
        fresh = _unpack(archive, target, digest, limits)
    except Exception:
        _discard(written, cache)
        _prune(target.parent, cache)
        raise
    return [*written, target] if fresh else written


def resolve_archive(entry, cache_dir=None, zoo_dir=None, progress=True):
    """A verified local copy of a zoo entry's file (package, cache or download)."""
    spec = entry["files"][0]
    return registry.resolve_file(entry, spec, _cache(cache_dir), zoo_dir, progress)


def load_preset(
    preset,
    cache_dir=None,
    progress=True,
    zoo_dir=None,
    *,
    max_unpacked_bytes=None,
    max_archive_members=None,
    safe_mode=True,
    cls=None,
):
    """The Keras model of a preset, compiled as it was trained.

    See `AdversarialModel.from_preset`, which passes its class as `cls`. An
    archive this call unpacked (or downloaded) that then fails to load is
    removed from the cache again; a whole preset of another class is kept.

    Args:
        preset: a zoo name, a preset folder, an archive of one or a URL
            (`URL#sha256=<hex>`).
        cache_dir: where downloads and unpacked archives go. Defaults to
            `None`: `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.
        progress: show a progress bar while downloading. Defaults to `True`.
        zoo_dir: another zoo folder with its own `manifest.json`. Defaults
            to `None`: the package's.
        max_unpacked_bytes: the cap on an archive's unpacked bytes. Defaults
            to `None`: `extract_archive`'s default.
        max_archive_members: the cap on an archive's members. Defaults to
            `None`: `extract_archive`'s default.
        safe_mode: refuse a model file that would run code or open a path
            it names (`keras_gans.trust`), as Keras's `load_model` does.
            Defaults to `True`; pass `False` only for a file you trust.
        cls: the class the model must be (or subclass), checked against
            the class `model.keras` names before it is built. Defaults to
            `None`: any keras_gans model.

    Returns:
        The model, a keras_gans model (an `AdversarialModel` or a
        `LikelihoodModel`), an instance of `cls` if given.

    Raises:
        NotAPresetError: the folder or archive holds no preset, or a
            `preset.json` or `model.keras` that cannot be read, or a model
            that is not a keras_gans model.
        PresetClassError: the preset's model is not a `cls`.
    """
    import keras_gans  # noqa: F401 - registers the families' classes with Keras

    limits = {
        "max_unpacked_bytes": max_unpacked_bytes,
        "max_archive_members": max_archive_members,
    }
    folder, entry, written = _resolve(preset, cache_dir, progress, zoo_dir, limits)
    try:
        if entry is not None and entry.get("kind") == "classifier":
            raise NotAPresetError(
                f"{preset!r} is the evaluation classifier (a keras.Model), not a "
                "GAN preset: load it with keras_gans.zoo.load_pretrained."
            )
        # Errors name the archive, URL or zoo name, not the cache folder
        # (which a failed load removes).
        source = None if folder == pathlib.Path(os.fspath(preset)) else preset
        source = os.fspath(source).partition("#")[0] if source else None
        info = read_preset_file(folder, source)
        compile_config = check_preset_file(folder, info, source)
        found = model_class(folder, source)
        if cls is not None and not issubclass(found, cls):
            raise PresetClassError(
                f"Preset {preset!r} holds a {found.__name__}, not a {cls.__name__}. "
                f"Load it with {found.__name__}.from_preset(...) or "
                "keras_gans.from_preset(...)."
            )
        model = load_model_file(folder, source, safe_mode)
        if not isinstance(model, found):
            raise NotAPresetError(
                f"Expected {named_file(folder, MODEL_FILE, source)} to load as the "
                f"{found.__name__} it names; received a {type(model).__name__}."
            )
        if compile_config:
            model.compile_from_config(compile_config)
    except Exception as e:
        # This call unpacked it (or downloaded it): nothing that fails to
        # load stays in the cache, but a whole preset of another class does.
        # Folders unpacked earlier are kept.
        if not isinstance(e, PresetClassError):
            _discard(written, _cache(cache_dir))
        raise
    return model


def names_of(family_name, zoo_dir=None):
    """The zoo names of a family's models (published or a recipe only): the
    manifest's entries of that `kind`, the one list of preset names."""
    models = registry.load_manifest(zoo_dir)["models"]
    return tuple(sorted(n for n, e in models.items() if e.get("kind") == family_name))


def presets_of(kinds, zoo_dir=None):
    """`{zoo name: description}` of the published presets of the zoo `kinds`.

    `AdversarialModel.presets` passes the kinds (family names) of a class
    and its subclasses. Entries with a preset archive of this format
    (`preset_format` 2; 1 when missing) are listed.
    """
    models = registry.load_manifest(zoo_dir)["models"]
    return {
        name: entry.get("description", "")
        for name, entry in sorted(models.items())
        if entry.get("kind") in kinds
        and entry.get("files")
        and entry.get("preset_format", 1) == FORMAT_VERSION
    }
