"""The zoo's manifest, and finding a model's files: package, cache, download.

`zoo/manifest.json` (shipped inside the package as `keras_gans._zoo_files`)
lists every model: its class, dataset, image shape, latent spec, metrics and
how they were measured, license, and its files with sha256, size and URL. A
file is looked for in the package's own zoo first, then in the cache
(`cache_dir`, default `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`),
and is otherwise downloaded from its URL (`$KERAS_GANS_ZOO_URL` replaces the
manifest's `base_url`, for a mirror). Every file is checked against its
sha256 before use.
"""

import copy
import importlib.resources
import json
import os
import pathlib

from keras_gans.zoo._download import ChecksumError, fetch, sha256_file

MANIFEST = "manifest.json"
_PACKAGE_ZOO = "keras_gans._zoo_files"


class UnknownModelError(KeyError):
    """A name that is not in the zoo's manifest."""

    def __str__(self):  # KeyError would quote the whole message.
        return str(self.args[0])


class NotPublishedError(LookupError):
    """A zoo entry with a recipe but no published files."""


def package_zoo_dir():
    """The folder of the package's own zoo (the repository's `zoo/`)."""
    return pathlib.Path(str(importlib.resources.files(_PACKAGE_ZOO)))


def default_cache_dir():
    """`$KERAS_GANS_HOME/zoo`, else `~/.keras/keras_gans/zoo`."""
    home = os.environ.get("KERAS_GANS_HOME")
    if home:
        return pathlib.Path(home).expanduser() / "zoo"
    return pathlib.Path("~/.keras/keras_gans/zoo").expanduser()


def load_manifest(zoo_dir=None):
    """The manifest as a dict (`{"base_url": ..., "models": {name: entry}}`)."""
    path = pathlib.Path(zoo_dir or package_zoo_dir()) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Expected the zoo manifest at {path}; it is missing (is keras_gans "
            "installed with its package data?)."
        ) from None
    except json.JSONDecodeError as e:
        raise ValueError(f"The zoo manifest {path} is not valid JSON: {e}.") from None
    if not isinstance(manifest.get("models"), dict):
        raise ValueError(
            f"Expected a 'models' mapping in the zoo manifest {path}; received "
            f"keys {sorted(manifest)}."
        )
    return manifest


def list_models(zoo_dir=None, published_only=False):
    """Names of the zoo's models, sorted.

    Args:
        zoo_dir: a zoo folder holding `manifest.json`. Defaults to `None`:
            the package's own.
        published_only: only entries with files (others have a recipe and a
            training command). Defaults to `False`.
    """
    models = load_manifest(zoo_dir)["models"]
    return sorted(
        name
        for name, entry in models.items()
        if not published_only or entry.get("files")
    )


def get_entry(name, zoo_dir=None):
    """The manifest entry of `name` (a copy), or `UnknownModelError`."""
    manifest = load_manifest(zoo_dir)
    models = manifest["models"]
    if name not in models:
        raise UnknownModelError(
            f"Unknown zoo model {name!r}. Known models: {', '.join(sorted(models))}."
        )
    entry = copy.deepcopy(models[name])
    entry["name"] = name
    entry.setdefault("base_url", manifest.get("base_url"))
    return entry


def file_url(entry, spec):
    """Where `spec` (a file of `entry`) is downloaded from."""
    base = os.environ.get("KERAS_GANS_ZOO_URL") or entry.get("base_url")
    if spec.get("url") and not os.environ.get("KERAS_GANS_ZOO_URL"):
        return spec["url"]
    if not base:
        return None
    return base.rstrip("/") + "/" + spec["path"]


def resolve_file(entry, spec, cache_dir=None, zoo_dir=None, progress=True):
    """A verified local copy of one file of a zoo entry.

    Looks in the package's zoo, then the cache, then downloads into the
    cache. A package file whose sha256 differs raises `ChecksumError` (it is
    not deleted: it is not ours to delete); a cached one is downloaded again.
    """
    expected = spec["sha256"]
    if spec.get("package_file"):
        # A file the package ships elsewhere (the evaluation classifier).
        packaged = pathlib.Path(str(importlib.resources.files("keras_gans")))
        packaged = packaged / spec["package_file"]
    else:
        packaged = pathlib.Path(zoo_dir or package_zoo_dir()) / spec["path"]
    if packaged.is_file():
        got = sha256_file(packaged)
        if got != expected:
            raise ChecksumError(
                f"The packaged zoo file {packaged} has sha256 {got}; the manifest "
                f"expects {expected}. Reinstall keras_gans, or delete the file to "
                "download it instead."
            )
        return packaged
    cached = pathlib.Path(cache_dir or default_cache_dir()) / spec["path"]
    url = file_url(entry, spec)
    if cached.is_file() and sha256_file(cached) == expected:
        return cached
    if url is None:
        raise FileNotFoundError(
            f"{spec['path']} of zoo model {entry['name']!r} is neither in the "
            f"package ({packaged}) nor in the cache ({cached}), and the manifest "
            "gives no URL to download it from."
        )
    # fetch() keeps an existing file until a verified copy replaces it.
    return fetch(url, cached, expected, progress=progress)
