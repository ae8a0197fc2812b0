"""Unpacking and packing zoo archives: safe to extract, capped, reproducible.

`extract_archive` checks every member of a tarball or zip before writing
anything and refuses links, special files, paths that leave the target
folder and archives that unpack to more bytes or members than the caps
allow; it unpacks into a temporary folder renamed into place. `make_archive`
writes the reproducible tarballs that the zoo publishes (same folder, same
bytes, same sha256).

```python
extract_archive("dcgan.tar.xz", "~/.keras/keras_gans/dcgan", overwrite=True)
```
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import pathlib
import posixpath
import re
import stat
import tarfile
import zipfile
import zlib

from keras_gans.files import (
    atomic_path,
    remove_path,
    replace_dir,
    share_tree,
    staging_dir,
)
from keras_gans.validation import describe_error

# LZMA2 for `.tar.xz` archives of float32 weights: the largest window, and
# literals coded by position in a 4-byte value (`xz --lzma2=preset=9e,lc=1,lp=2,pb=2`).
_XZ_FILTERS = [
    {
        "id": lzma.FILTER_LZMA2,
        "preset": 9 | lzma.PRESET_EXTREME,
        "lc": 1,
        "lp": 2,
        "pb": 2,
    }
]
# Tarballs `extract_archive` reads (any compression tarfile knows).
TAR_SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar")
# Caps on what one archive may unpack to. The published presets unpack to
# 6-22 MB in 11 members each; 1 GiB and 10,000 leave room for much larger
# models while a compressed bomb (78 KB of xz -> 512 MiB) is refused.
DEFAULT_MAX_UNPACKED_BYTES = 1 << 30
DEFAULT_MAX_ARCHIVE_MEMBERS = 10_000
MAX_UNPACKED_BYTES_ENV = "KERAS_GANS_MAX_UNPACKED_BYTES"
MAX_ARCHIVE_MEMBERS_ENV = "KERAS_GANS_MAX_ARCHIVE_MEMBERS"


class CorruptArchiveError(ValueError):
    """An archive's data cannot be read: truncated, or damaged in transit."""


# What tarfile, zipfile and the decompressors raise for damaged data.
_DAMAGED = (
    tarfile.TarError,
    zipfile.BadZipFile,
    lzma.LZMAError,
    zlib.error,
    gzip.BadGzipFile,
    EOFError,
)


class UnsafeArchiveError(ValueError):
    """An archive member would write outside the target or is not a plain file/dir."""


class ArchiveTooLargeError(UnsafeArchiveError):
    """An archive with more unpacked bytes or members than the caps allow."""


@contextlib.contextmanager
def _atomic_file(path, tag):
    """Yields an open binary file beside `path`; fsyncs and renames it on success.

    On any exception the temporary file (`.<name>.XXXX.<tag>`) is removed and
    `path` is untouched.
    """
    with atomic_path(path, suffix=f".{tag}") as tmp, open(tmp, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


def _archive_kind(archive):
    name = archive.name.lower()
    if name.endswith(TAR_SUFFIXES):
        return "tar"
    if name.endswith(".zip"):
        return "zip"
    raise ValueError(
        f"Expected a .tar.xz, .tar.gz, .tgz, .tar or .zip archive; received {archive}."
    )


def _check_name(name, target):
    """Raises UnsafeArchiveError if member `name` would not land inside the target."""
    if not name or "\0" in name:
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: empty or "
            "NUL-containing name."
        )
    # Treat backslashes as separators too: a zip made on Windows may use them.
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"[A-Za-z]:", posix):
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: absolute path."
        )
    normal = posixpath.normpath(posix)
    if normal == ".." or normal.startswith("../"):
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: its path "
            "leads outside the target folder."
        )
    return normal


def _check_member(name, kind, target, link=""):
    """The normalised path of a tar or zip member, or UnsafeArchiveError."""
    normal = _check_name(name, target)
    if kind in ("symlink", "hardlink"):
        to = f" (to {link!r})" if link else ""
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: it is a "
            f"{kind}{to}; zoo archives hold plain files and folders only."
        )
    if kind == "special":
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: it is a device, "
            "fifo or other special file."
        )
    if normal == "." and kind != "dir":
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: a file cannot "
            "replace the target folder."
        )
    return normal


def _tar_kind(member):
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    if member.isdir():
        return "dir"
    return "file" if member.isfile() else "special"


def _zip_kind(info):
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "special"
    return "dir" if info.is_dir() else "file"


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Expected {name} to be a positive int; received {value!r}.")
    return value


def _limit(value, keyword, env, default):
    """A cap: the keyword argument, else `$env` (read now), else the default."""
    if value is not None:
        return _positive_int(value, f"`{keyword}`")
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        number = int(raw.replace("_", ""))
    except ValueError:
        number = raw
    return _positive_int(number, f"${env}")


def unpacked_bytes_cap(value=None):
    """The cap on unpacked bytes: `value`, else `$KERAS_GANS_MAX_UNPACKED_BYTES`, else 1 GiB."""
    return _limit(
        value, "max_unpacked_bytes", MAX_UNPACKED_BYTES_ENV, DEFAULT_MAX_UNPACKED_BYTES
    )


class _Caps:
    """The caps of one extraction, and what exceeding each one says."""

    def __init__(self, archive, max_bytes, max_members):
        self.archive = archive
        self.max_bytes = unpacked_bytes_cap(max_bytes)
        self.max_members = _limit(
            max_members,
            "max_archive_members",
            MAX_ARCHIVE_MEMBERS_ENV,
            DEFAULT_MAX_ARCHIVE_MEMBERS,
        )

    def check_members(self, count):
        if count > self.max_members:
            raise ArchiveTooLargeError(
                f"Refusing to unpack {self.archive}: expected at most "
                f"{self.max_members:,} members; found more than that. If you "
                "trust it, raise the cap with extract_archive(..., "
                "max_archive_members=N) or the environment variable "
                f"{MAX_ARCHIVE_MEMBERS_ENV}."
            )

    def check_bytes(self, total, what):
        if total > self.max_bytes:
            raise ArchiveTooLargeError(
                f"Refusing to unpack {self.archive}: expected at most "
                f"{self.max_bytes:,} unpacked bytes; {what} {total:,}. If you "
                "trust it, raise the cap with extract_archive(..., "
                "max_unpacked_bytes=N) or the environment variable "
                f"{MAX_UNPACKED_BYTES_ENV}."
            )


def _reserved(normal, reserved, name, target):
    if reserved is not None and normal.split("/")[0] == reserved:
        raise UnsafeArchiveError(
            f"Refusing to extract member {name!r} into {target}: {reserved!r} is "
            "the name keras_gans gives its own record of a finished unpacking."
        )


def _tar_members(tar, into, target, caps, reserved):
    """Every member of `tar`, checked, before anything is written.

    Members are read one at a time, so an archive of millions of empty
    members is refused at the cap instead of being listed whole. The sizes
    in the headers are summed as they come: a tar reader reads exactly that
    many bytes of each member, so this refuses a bomb before inflating it.
    """
    members, declared = [], 0
    for member in tar:
        caps.check_members(len(members) + 1)
        kind = _tar_kind(member)
        normal = _check_member(member.name, kind, target, member.linkname)
        _reserved(normal, reserved, member.name, target)
        if hasattr(tarfile, "data_filter"):
            # A second guard: the stdlib's own refusal of unsafe members.
            try:
                tarfile.data_filter(member, str(into))
            except tarfile.FilterError as e:
                raise UnsafeArchiveError(
                    f"Refusing to extract member {member.name!r} into {target}: {e}."
                ) from None
        if kind == "file":
            declared += member.size
            caps.check_bytes(declared, "its headers declare at least")
        members.append((normal, kind, member))
    return members


def _zip_members(zf, target, caps, reserved):
    infos = zf.infolist()
    caps.check_members(len(infos))
    members, declared = [], 0
    for info in infos:
        kind = _zip_kind(info)
        normal = _check_member(info.filename, kind, target)
        _reserved(normal, reserved, info.filename, target)
        if kind == "file":
            declared += info.file_size
            caps.check_bytes(declared, "its headers declare at least")
        members.append((normal, kind, info))
    return members


def _write_members(members, into, open_member, caps, chunk_size=1 << 20):
    """Writes checked members into `into`, counting the bytes really written.

    Each file is copied in chunks and the running total is checked before
    every chunk is written, so a member that inflates past its header's
    size is stopped at the cap, not after it.
    """
    written = 0
    for normal, kind, member in members:
        path = into / normal
        if kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open_member(member) as src, open(path, "wb") as dst:
            while chunk := src.read(chunk_size):
                written += len(chunk)
                caps.check_bytes(written, "unpacking it wrote more than")
                dst.write(chunk)


def _unpack(archive, kind, into, target, caps, reserved=None):
    """Checks every member, then extracts all of them into the folder `into`."""
    if kind == "zip":
        with zipfile.ZipFile(archive) as zf:
            members = _zip_members(zf, target, caps, reserved)
            _write_members(members, into, zf.open, caps)
        return
    with tarfile.open(archive, "r:*") as tar:
        members = _tar_members(tar, into, target, caps, reserved)
        _write_members(members, into, tar.extractfile, caps)


def _extract(
    archive,
    target_dir,
    *,
    overwrite=False,
    max_unpacked_bytes=None,
    max_archive_members=None,
    stamp=None,
):
    """`extract_archive`, and `stamp`: `(name, bytes)` written last, before the rename.

    A member named `stamp[0]` is refused, so only this code writes the
    stamp, and a folder holding it was unpacked completely.
    """
    archive = pathlib.Path(archive).expanduser()
    target = pathlib.Path(target_dir).expanduser()
    kind = _archive_kind(archive)
    if not archive.is_file():
        raise FileNotFoundError(f"Expected an archive file; received {archive}.")
    if os.path.lexists(target) and not overwrite:
        raise FileExistsError(
            f"Expected {target} not to exist; pass overwrite=True to replace it."
        )
    caps = _Caps(archive, max_unpacked_bytes, max_archive_members)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(target.parent, f".{target.name}.extract-", legacy=True)
    try:
        try:
            _unpack(archive, kind, tmp, target, caps, stamp[0] if stamp else None)
        except _DAMAGED as e:
            raise CorruptArchiveError(
                f"Could not unpack {archive}: expected a whole {kind} archive; "
                f"found a damaged or truncated one ({describe_error(e)})."
            ) from e
        if stamp is not None:
            (tmp / stamp[0]).write_bytes(stamp[1])
        share_tree(tmp)
        replace_dir(tmp, target)
    finally:
        if os.path.lexists(tmp):
            remove_path(tmp)
    return target


def extract_archive(
    archive,
    target_dir,
    *,
    overwrite=False,
    max_unpacked_bytes=None,
    max_archive_members=None,
):
    """Extracts a tarball or zip into `target_dir`, refusing unsafe members.

    Every member is checked before anything is written: absolute paths,
    paths that leave the target (`..`), symlinks, hardlinks, devices and fifos
    raise `UnsafeArchiveError`. An archive with more members, or more bytes
    unpacked, than the caps allow raises `ArchiveTooLargeError`: the sizes
    its headers declare are summed first, and the bytes really written are
    counted as each member is copied in chunks, stopping at the cap. The
    members are extracted into a temporary folder beside `target_dir`, which
    is then renamed into place, so `target_dir` never holds a partial
    extraction. On failure the temporary folder is removed; one left by a
    killed process is removed by the next extraction to the same target.
    Folders and files get the modes the umask allows.

    Args:
        archive: a `.tar.xz`, `.tar.gz`, `.tgz`, `.tar` or `.zip` file.
        target_dir: the folder to create; it holds the archive's members.
        overwrite: whether to replace an existing `target_dir`. Defaults to
            `False`.
        max_unpacked_bytes: the most bytes the members may hold in all.
            Defaults to `None`: `$KERAS_GANS_MAX_UNPACKED_BYTES` if set,
            else `DEFAULT_MAX_UNPACKED_BYTES` (1 GiB; the zoo's largest
            preset unpacks to 22 MB).
        max_archive_members: the most members (files and folders). Defaults
            to `None`: `$KERAS_GANS_MAX_ARCHIVE_MEMBERS` if set, else
            `DEFAULT_MAX_ARCHIVE_MEMBERS` (10,000; a preset has 11).

    Returns:
        `target_dir` as a `pathlib.Path`.

    Raises:
        UnsafeArchiveError: a member is a link, a special file or would land
            outside `target_dir`.
        ArchiveTooLargeError: the archive exceeds a cap.
        FileExistsError: `target_dir` exists and `overwrite` is `False`.
        ValueError: the archive's file name has an unsupported suffix, or a
            cap is not a positive int.
    """
    return _extract(
        archive,
        target_dir,
        overwrite=overwrite,
        max_unpacked_bytes=max_unpacked_bytes,
        max_archive_members=max_archive_members,
    )


def _tar_info(path, arcname):
    """A TarInfo for `path` with everything that varies between machines fixed."""
    info = tarfile.TarInfo(arcname)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path.is_dir():
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.type = tarfile.REGTYPE
        info.size = path.stat().st_size
        info.mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
    return info


def _members(src):
    """Relative POSIX paths of everything under `src`, sorted."""
    members = []
    for root, dirs, files in os.walk(src):
        for name in dirs + files:
            path = pathlib.Path(root) / name
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                raise ValueError(
                    f"Expected only plain files and folders in {src}; {path} is a "
                    "symlink or special file."
                )
            members.append(path.relative_to(src).as_posix())
    return sorted(members)


def make_archive(src_dir, archive_path):
    """Writes a reproducible `.tar.xz` or `.tar.gz` of the contents of `src_dir`.

    Members are the paths inside `src_dir` (no leading folder), sorted, with
    mtime 0, uid/gid 0, no user or group names and modes 0o755/0o644; the
    gzip header has mtime 0 and no file name. So the same folder always gives
    the same bytes and sha256. The archive is written through a temporary
    file and a rename.

    `.tar.xz` (LZMA2, preset 9e: a 64 MiB window) finds repeated bytes
    across files, which gzip's 32 KB window cannot: a preset holds the
    generator's weights twice (its `model.keras` and its SavedModel), and xz
    stores them about once. Its literal coder is set for 4-byte values
    (`lp=2, pb=2`, as for float32 weights): 8% smaller than the defaults on
    the zoo's presets.

    Args:
        src_dir: the folder to pack; it may hold only plain files and folders.
        archive_path: the `.tar.xz`, `.tar.gz` or `.tgz` file to write,
            outside `src_dir`; parent folders are created.

    Returns:
        `archive_path` as a `pathlib.Path`.

    Example:

    ```python
    path = make_archive("exports/dcgan", "dist/dcgan.tar.gz")
    print(sha256_file(path))
    ```
    """
    src = pathlib.Path(src_dir).expanduser()
    archive = pathlib.Path(archive_path).expanduser()
    if not src.is_dir():
        raise NotADirectoryError(f"Expected a folder to archive; received {src}.")
    xz = archive.name.lower().endswith(".tar.xz")
    if not xz and not archive.name.lower().endswith((".tar.gz", ".tgz")):
        raise ValueError(
            f"Expected a .tar.xz, .tar.gz or .tgz path; received {archive}."
        )
    if archive.resolve().is_relative_to(src.resolve()):
        raise ValueError(
            f"Expected the archive outside the folder it packs; received "
            f"{archive} inside {src}."
        )
    members = _members(src)
    with _atomic_file(archive, "tmp") as raw:
        # filename="" keeps the (random) temporary name out of the gzip header.
        compressed = (
            lzma.LZMAFile(raw, "wb", format=lzma.FORMAT_XZ, filters=_XZ_FILTERS)
            if xz
            else gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
            )
        )
        with (
            compressed as stream,
            tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for name in members:
                path = src / name
                info = _tar_info(path, name)
                if info.isdir():
                    tar.addfile(info)
                else:
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
    return archive
