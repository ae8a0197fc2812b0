"""The zoo's cache: what downloads and unpacked presets take up, and clearing it.

The cache (`cache_dir`, default `$KERAS_GANS_HOME/zoo` or
`~/.keras/keras_gans/zoo`) holds:

    <zoo name>/<file>                 a zoo file downloaded from its URL
    <zoo name>/preset-<sha256>/       that archive, unpacked
    urls/<sha256>/<file>              an archive downloaded from a URL
    urls/preset-<sha256>/             that archive, unpacked
    local/preset-<sha256>/            an archive on disk, unpacked

```python
from keras_gans import zoo

for entry in zoo.cache_info():
    print(entry.name, entry.kind, entry.size, entry.path)
zoo.clear_cache("dcgan_fashion_mnist")  # or zoo.clear_cache() for all
```

Only what this layout names is listed or removed: anything else in the
folder (or a link out of it) is left alone.
"""

from __future__ import annotations

import os
import pathlib
import re
import stat
from typing import NamedTuple

from keras_gans.files import remove_path
from keras_gans.zoo import presets, registry

_DIGEST = re.compile(r"[0-9a-f]{64}")
# Earlier versions named cache folders by 16 hex digits of the sha256.
_SHORT_DIGEST = re.compile(r"[0-9a-f]{16}")
_ZOO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Temporary names: `fetch`'s `.<file>.XXXX.part`, `extract_archive`'s
# `.<target>.extract-...` (and `replace_dir`'s `.old` copies of them).
_TEMPORARY = re.compile(r"\..+\.(part|extract-.+)")

KINDS = ("download", "preset", "stale")


class CacheEntry(NamedTuple):
    """One thing in the zoo's cache.

    Attributes:
        name: what `clear_cache(name)` takes: the zoo name, or for an
            archive from a URL or on disk its sha256; a folder of an older
            layout or a leftover of a killed process keeps its own name.
        kind: `"download"` (a downloaded archive or file), `"preset"` (an
            archive unpacked whole, stamped with its sha256) or `"stale"`
            (never used again: an older layout, an unstamped folder, a
            killed process's temporary file).
        path: the file or folder, a `pathlib.Path`.
        size: bytes of the files it holds (links not followed).
    """

    name: str
    kind: str
    path: pathlib.Path
    size: int


def _size(path):
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        return info.st_size
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed meanwhile
                pass
    return total


def _folders(path):
    """The children of `path` if it is a real folder (not a link out of the cache)."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return []
        return sorted(path.iterdir())
    except OSError:
        return []


def _unpacked_kind(path, digest):
    return "preset" if presets._unpacked_whole(path, digest) else "stale"


def _sources(folder, name):
    """Entries of `urls/` or `local/`."""
    entries = []
    prefix = presets.UNPACKED_PREFIX
    for path in _folders(folder):
        child = path.name
        if child.startswith(prefix) and _DIGEST.fullmatch(child[len(prefix) :]):
            digest = child[len(prefix) :]
            entries.append((digest, _unpacked_kind(path, digest), path))
        elif name == presets.URLS_DIR and _DIGEST.fullmatch(child):
            entries.append((child, "download", path))
        elif (
            _SHORT_DIGEST.fullmatch(child)
            or (
                child.startswith(prefix)
                and _SHORT_DIGEST.fullmatch(child[len(prefix) :])
            )
            or _TEMPORARY.fullmatch(child)
        ):
            entries.append((child, "stale", path))
    return entries


def _zoo_names():
    try:
        return set(registry.load_manifest()["models"])
    except (OSError, ValueError):
        return set()


def _zoo_folder(path):
    """Entries of `<zoo name>/`, or `[]` if it does not look like one of ours."""
    name = path.name
    prefix = presets.UNPACKED_PREFIX
    entries = []
    for child in _folders(path):
        digest = child.name[len(prefix) :] if child.name.startswith(prefix) else ""
        if _DIGEST.fullmatch(digest):
            entries.append((name, _unpacked_kind(child, digest), child))
        elif _TEMPORARY.fullmatch(child.name) or child.name.startswith(prefix):
            entries.append((name, "stale", child))
        elif child.is_file() and not child.is_symlink():
            entries.append((name, "download", child))
        else:
            entries.append((name, "stale", child))
    return entries


def _entries(cache):
    entries = []
    zoo_names = None
    # The cache folder itself may be a link (to a larger disk); what is in
    # it is followed no further.
    for path in sorted(cache.iterdir()) if cache.is_dir() else []:
        if path.name in (presets.URLS_DIR, presets.LOCAL_DIR):
            entries += _sources(path, path.name)
            continue
        if not _ZOO_NAME.fullmatch(path.name):
            continue
        found = _zoo_folder(path)
        if zoo_names is None:
            zoo_names = _zoo_names()
        # A folder of a name the package's zoo does not know (a model of
        # another zoo_dir) is ours only if it holds an unpacked archive.
        ours = path.name in zoo_names or any(
            p.name.startswith(presets.UNPACKED_PREFIX) for _, _, p in found
        )
        if ours:
            entries += found
    return entries


def cache_info(cache_dir=None):
    """What the zoo's cache holds: downloads, unpacked presets, stale leftovers.

    Args:
        cache_dir: the cache folder. Defaults to `None`:
            `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.

    Returns:
        A list of `CacheEntry(name, kind, path, size)`, sorted by path;
        empty if the folder does not exist.

    Example:

    ```python
    total = sum(entry.size for entry in zoo.cache_info())
    ```
    """
    cache = presets._cache(cache_dir)
    found = []
    for name, kind, path in _entries(cache):
        try:
            found.append(CacheEntry(name, kind, path, _size(path)))
        except OSError:  # removed meanwhile
            pass
    return sorted(found, key=lambda entry: str(entry.path))


def _check_name(name):
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\0" in name
        or (os.altsep and os.altsep in name)
    ):
        raise ValueError(
            "Expected the name of a cache entry (a zoo name or a sha256, as "
            f"cache_info() lists them), without path separators; received {name!r}."
        )
    return name


def clear_cache(name=None, cache_dir=None):
    """Removes the cache's entries named `name`, or all of them.

    Only what `cache_info` lists is removed, and folders that leaves empty;
    other files in the folder, and anything outside it, are left alone.
    A model in use elsewhere is downloaded or unpacked again when next
    loaded.

    Args:
        name: a `CacheEntry.name` (a zoo name such as
            `"dcgan_fashion_mnist"`, or an archive's sha256). Defaults to
            `None`: every entry.
        cache_dir: the cache folder. Defaults to `None`:
            `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.

    Returns:
        The removed entries, a list of `CacheEntry` (empty if none matched).

    Raises:
        ValueError: `name` is empty, `.`/`..` or holds a path separator.
    """
    if name is not None:
        _check_name(name)
    cache = presets._cache(cache_dir)
    removed = []
    for entry in cache_info(cache):
        if name is not None and entry.name != name:
            continue
        try:
            remove_path(entry.path)
        except FileNotFoundError:  # removed meanwhile
            pass
        presets._prune(entry.path.parent, cache)
        removed.append(entry)
    return removed


def describe(entries, cache_dir=None):
    """Lines for a person: one per entry (bytes, kind, name, path), then the total."""
    folder = presets._cache(cache_dir)
    lines = [f"{e.size:>14,}  {e.kind:<8}  {e.name}  {e.path}" for e in entries]
    total = sum(e.size for e in entries)
    return [*lines, f"{len(entries)} entries ({total:,} bytes) in {folder}"]
