"""Writing files so that an interrupted or failed write never leaves half a file."""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import pathlib
import re
import shutil
import socket
import stat
import tempfile
import time


def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, which would
# race with other threads (TensorBoard, tf.data) creating files.
_UMASK = _read_umask()

# A staging folder left by a process that was killed is removed by the next
# writer once it is this old, when its owner cannot be asked (another
# machine on a shared disk, or a name from before the owner was recorded).
STALE_AFTER_S = 3600


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


def share_tree(path):
    """Gives a folder tree written by this process the modes the umask allows.

    `tempfile.mkdtemp` makes owner-only folders (and some writers make
    owner-only files), so a TF Serving process running as another user could
    not read an export. Folders get `0o777 & ~umask`; files `0o666 & ~umask`,
    or `0o777 & ~umask` when their owner may execute them. Links are left
    alone.

    Args:
        path: the root of the tree (a folder or a file).
    """
    dir_mode = 0o777 & ~_UMASK
    file_mode = 0o666 & ~_UMASK

    def chmod(item):
        mode = os.lstat(item).st_mode
        if stat.S_ISDIR(mode):
            os.chmod(item, dir_mode)
        elif stat.S_ISREG(mode):
            os.chmod(item, dir_mode if mode & stat.S_IXUSR else file_mode)

    chmod(path)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            chmod(os.path.join(root, name))


def _host_tag():
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32]


def staging_dir(parent, prefix, legacy=False):
    """A new owner-only folder `<prefix><pid>-<host>-XXXXXXXX` in `parent`.

    The name records which process writes it, so that `remove_stale_staging`
    can tell a folder left by a killed process from one still being written;
    the stale ones with the same prefix are removed first.

    Args:
        parent: the folder to make it in (it must exist).
        prefix: the start of its name, e.g. `".staging-"`.
        legacy: also remove stale folders of the older `<prefix>XXXXXXXX`
            names (`remove_stale_staging`). Defaults to `False`.

    Returns:
        The folder, a `pathlib.Path`.
    """
    remove_stale_staging(parent, prefix, legacy=legacy)
    return pathlib.Path(
        tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-{_host_tag()}-", dir=parent)
    )


def _alive(pid):
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def remove_stale_staging(parent, prefix, *, legacy=False, max_age=STALE_AFTER_S):
    """Removes the staging folders in `parent` that no running writer owns.

    A folder named by `staging_dir` (or the `.old` copy of what it replaced,
    which `replace_dir` deletes last) is stale when its process, on this
    machine, has ended. One from another machine, or, with `legacy`, one
    named `<prefix>XXXXXXXX` by `tempfile.mkdtemp` before names held a
    process id, is stale only once untouched for `max_age` seconds: its
    owner cannot be asked, and no write takes that long. A folder and its
    `.old` copy found together are kept: the writer was killed between its
    two renames, and the `.old` copy is the only one of what it replaced.
    Removal is best effort.

    Args:
        parent: the folder to look in; a missing folder holds nothing.
        prefix: the prefix given to `staging_dir`.
        legacy: also remove old `<prefix>XXXXXXXX` folders. Defaults to `False`.
        max_age: seconds after which a folder whose owner cannot be asked
            is stale. Defaults to `STALE_AFTER_S` (one hour).

    Returns:
        The folders removed, as `pathlib.Path`s.
    """
    owned = re.compile(re.escape(prefix) + r"(\d+)-([A-Za-z0-9]*)-\w+(\.old)?")
    old = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}(\.old)?")
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    host, now, removed = _host_tag(), time.time(), []
    present = set(names)
    for name in names:
        path = pathlib.Path(parent) / name
        match = owned.fullmatch(name)
        if match is None and not (legacy and old.fullmatch(name)):
            continue
        if name.removesuffix(".old") + ".old" in present and (
            name.removesuffix(".old") in present
        ):
            continue
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        if match is not None and match.group(2) == host:
            stale = not _alive(int(match.group(1)))
        else:
            stale = now - info.st_mtime > max_age
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


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
