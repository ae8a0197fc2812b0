"""Writing files so that an interrupted or failed write never leaves half a file."""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import pathlib
import shutil
import tempfile


def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, which would
# race with other threads (TensorBoard, tf.data) creating files.
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yields a temporary path beside `path`; renames it onto `path` on success.

    On an exception (or a kill before the rename) `path` keeps its previous
    content and the temporary file is removed.

    Args:
        path: the destination; parent folders are created.
        suffix: the temporary file's suffix (e.g. `".keras"`, which
            `model.save` requires). Defaults to `""`.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        # mkstemp makes owner-only files; give the result the usual
        # permissions so that others (a TensorBoard server) can read it.
        os.chmod(tmp, 0o666 & ~_UMASK)
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_atomic(path, data):
    """Writes bytes to `path` through a temporary file and a rename.

    Returns:
        The path written, as a `pathlib.Path`.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return pathlib.Path(path)


def remove_path(path):
    """Removes a file, a symlink or a folder tree."""
    path = pathlib.Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def replace_dir(src, dst):
    """Renames the folder `src` onto `dst`, replacing whatever `dst` holds.

    An existing `dst` is renamed aside first, renamed back if the move fails,
    and deleted once `src` is in place, so a failure leaves the old `dst`,
    never a mix and never nothing. Deleting the old copy is best effort: one
    that cannot be deleted stays beside `dst` rather than failing a finished
    move.

    Returns:
        `dst` as a `pathlib.Path`.
    """
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    if not os.path.lexists(dst):
        os.replace(src, dst)
        return dst
    old = src.with_name(src.name + ".old")
    os.rename(dst, old)
    try:
        os.replace(src, dst)
    except BaseException:
        os.rename(old, dst)
        raise
    with contextlib.suppress(OSError):
        remove_path(old)
    return dst


@contextlib.contextmanager
def local_file(path, package, filename):
    """A real filesystem path: `path` if given, else `filename` shipped in `package`.

    `importlib.resources.as_file` also works when the package is inside a zip
    (it then extracts a temporary copy for the duration of the block).
    """
    if path is not None:
        yield pathlib.Path(path)
        return
    with importlib.resources.as_file(
        importlib.resources.files(package) / filename
    ) as local:
        yield local


def export_version_dir(source):
    """The SavedModel version folder `source` names, or `None` if it names none.

    `source` is an export version folder (with `saved_model.pb`), or TF
    Serving's `<base>/<name>` folder of numeric versions (the highest is
    taken). Nothing is loaded, so this needs no TensorFlow.
    """
    path = pathlib.Path(os.fspath(source)).expanduser()
    if (path / "saved_model.pb").is_file():
        return path
    if path.is_dir():
        versions = [
            p
            for p in path.iterdir()
            if p.name.isdigit() and (p / "saved_model.pb").is_file()
        ]
        if versions:
            return max(versions, key=lambda p: int(p.name))
    return None
