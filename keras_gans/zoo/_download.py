"""Downloading and unpacking zoo files: checksummed, atomic, and safe to extract.

`fetch` streams a URL to a file beside its destination, checks its sha256 and
renames it into place, so the destination is either absent, the previous file,
or a complete verified copy. `extract_archive` checks every member of a tarball
or zip before writing anything and refuses links, special files and paths that
leave the target folder. `make_archive` writes the reproducible tarballs that
the zoo publishes (same folder, same bytes, same sha256).

```python
path = fetch(url, "~/.keras/keras_gans/dcgan.tar.gz", sha256=digest)
extract_archive(path, "~/.keras/keras_gans/dcgan", overwrite=True)
```
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import lzma
import os
import pathlib
import posixpath
import re
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from keras.utils import Progbar

from keras_gans.files import _UMASK, atomic_path, remove_path, replace_dir

_SCHEMES = ("http", "https", "file")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


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


class DownloadError(IOError):
    """A download failed: HTTP error, unreachable host or interrupted transfer."""


class ChecksumError(DownloadError):
    """A downloaded file's sha256 is not the expected one."""


class UnsafeArchiveError(ValueError):
    """An archive member would write outside the target or is not a plain file/dir."""


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


def sha256_file(path, chunk_size=1 << 20):
    """Returns the hex sha256 digest of a file, read in chunks.

    Args:
        path: the file to hash.
        chunk_size: bytes read at a time. Defaults to `1 << 20`.

    Returns:
        The lowercase hex digest (64 characters).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(sha256):
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256.lower()):
        raise ValueError(
            f"Expected `sha256` to be a 64-character hex digest; received {sha256!r}."
        )
    return sha256.lower()


def _open_url(url, timeout):
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"Expected an http://, https:// or file:// URL; received {url!r}."
        )
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as e:
        e.close()
        raise DownloadError(
            f"Could not download {url}: HTTP {e.code} {e.reason}."
        ) from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"Could not download {url}: {reason}.") from e


def _content_length(response):
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _interrupted(url, expected, received, cause=None):
    expected = f"{expected} bytes" if expected is not None else "an unknown size"
    detail = f" ({cause})" if cause is not None else ""
    return DownloadError(
        f"Download of {url} was interrupted{detail}: expected {expected}, "
        f"received {received} bytes."
    )


def _stream(url, response, out, progress, chunk_size):
    """Copies `response` to `out`; returns (sha256 hex digest, bytes received)."""
    total = _content_length(response)
    bar = Progbar(total, unit_name="byte") if progress and total else None
    digest = hashlib.sha256()
    received = 0
    while True:
        try:
            chunk = response.read(chunk_size)
        except (http.client.HTTPException, OSError) as e:
            raise _interrupted(url, total, received, e) from e
        if not chunk:
            break
        out.write(chunk)
        digest.update(chunk)
        received += len(chunk)
        if bar is not None and received < total:
            bar.update(received)
    # http.client returns b"" rather than raising when the peer closes early.
    if total is not None and received != total:
        raise _interrupted(url, total, received)
    if bar is not None:
        bar.update(received, finalize=True)
    return digest.hexdigest(), received


def fetch(url, dest, sha256, *, progress=True, timeout=60, chunk_size=1 << 16):
    """Downloads `url` to `dest` and checks its sha256; a no-op if `dest` matches.

    The bytes go to a temporary `.<dest name>.XXXX.part` file beside `dest`,
    hashed as they arrive; only a complete file with the expected digest is
    fsynced and renamed onto `dest`. On any failure the temporary file is
    removed and an existing `dest` (an older cached copy) is left as it was.

    Args:
        url: an `http://`, `https://` or `file://` URL.
        dest: the file to write; parent folders are created.
        sha256: the expected hex sha256 digest of the file (any case).
        progress: whether to show a `keras.utils.Progbar` (when the size is
            known). Defaults to `True`.
        timeout: seconds to wait for the connection and for each read.
            Defaults to `60`.
        chunk_size: bytes read at a time. Defaults to `1 << 16`.

    Returns:
        `dest` as a `pathlib.Path`.

    Raises:
        DownloadError: HTTP error, unreachable server or interrupted transfer.
        ChecksumError: the downloaded bytes do not have the expected sha256.
        ValueError: `sha256` is not a hex digest, or the URL scheme is not
            supported.

    Example:

    ```python
    path = fetch("https://example.com/dcgan.tar.gz", "cache/dcgan.tar.gz",
                 sha256="9f86d0...")
    ```
    """
    expected = _check_sha256(sha256)
    dest = pathlib.Path(dest).expanduser()
    if dest.is_file() and sha256_file(dest) == expected:
        return dest
    response = _open_url(url, timeout)
    with response, _atomic_file(dest, "part") as out:
        received_sha, _ = _stream(url, response, out, progress, chunk_size)
        if received_sha != expected:
            raise ChecksumError(
                f"Checksum mismatch for {url}: expected sha256 {expected}, "
                f"received {received_sha}."
            )
    return dest


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


def _check_tar(tar, target):
    members = tar.getmembers()
    for member in members:
        normal = _check_name(member.name, target)
        if member.issym() or member.islnk():
            kind = "symlink" if member.issym() else "hardlink"
            raise UnsafeArchiveError(
                f"Refusing to extract member {member.name!r} into {target}: it is "
                f"a {kind} (to {member.linkname!r}); zoo archives hold plain "
                "files and folders only."
            )
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(
                f"Refusing to extract member {member.name!r} into {target}: it is "
                "a device, fifo or other special file."
            )
        if normal == "." and not member.isdir():
            raise UnsafeArchiveError(
                f"Refusing to extract member {member.name!r} into {target}: a "
                "file cannot replace the target folder."
            )
    return members


def _check_zip(zf, target):
    members = zf.infolist()
    for info in members:
        normal = _check_name(info.filename, target)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(
                f"Refusing to extract member {info.filename!r} into {target}: it "
                "is a symlink; zoo archives hold plain files and folders only."
            )
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError(
                f"Refusing to extract member {info.filename!r} into {target}: it "
                "is a device, fifo or other special file."
            )
        if normal == "." and not info.is_dir():
            raise UnsafeArchiveError(
                f"Refusing to extract member {info.filename!r} into {target}: a "
                "file cannot replace the target folder."
            )
    return members


def _unpack(archive, kind, into, target):
    """Checks every member, then extracts all of them into the folder `into`."""
    if kind == "zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into, members=_check_zip(zf, target))
        return
    with tarfile.open(archive, "r:*") as tar:
        members = _check_tar(tar, target)
        if hasattr(tarfile, "data_filter"):
            # A second guard: the stdlib's own refusal of unsafe members.
            tar.extractall(into, members=members, filter="data")
        else:  # pragma: no cover - Python < 3.10.12 / 3.11.4
            tar.extractall(into, members=members)


def extract_archive(archive, target_dir, *, overwrite=False):
    """Extracts a tarball or zip into `target_dir`, refusing unsafe members.

    Every member is checked before anything is written: absolute paths,
    paths that leave the target (`..`), symlinks, hardlinks, devices and fifos
    raise `UnsafeArchiveError`. The members are extracted into a temporary
    folder beside `target_dir`, which is then renamed into place, so
    `target_dir` never holds a partial extraction. On failure the temporary
    folder is removed.

    Args:
        archive: a `.tar.gz`, `.tgz`, `.tar` or `.zip` file.
        target_dir: the folder to create; it holds the archive's members.
        overwrite: whether to replace an existing `target_dir`. Defaults to
            `False`.

    Returns:
        `target_dir` as a `pathlib.Path`.

    Raises:
        UnsafeArchiveError: a member is a link, a special file or would land
            outside `target_dir`.
        FileExistsError: `target_dir` exists and `overwrite` is `False`.
        ValueError: the archive's file name has an unsupported suffix.
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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(
        tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.extract-")
    )
    try:
        _unpack(archive, kind, tmp, target)
        os.chmod(tmp, 0o777 & ~_UMASK)
        replace_dir(tmp, target)
    finally:
        if os.path.lexists(tmp):
            remove_path(tmp)
    return target


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
