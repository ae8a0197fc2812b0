"""Downloading zoo files: checksummed, atomic and capped.

`fetch` streams a URL to a file beside its destination, checks its sha256 and
renames it into place, so the destination is either absent, the previous file,
or a complete verified copy. Unpacking lives in `keras_gans.zoo.archives`
(re-exported here).

```python
path = fetch(url, "~/.keras/keras_gans/dcgan.tar.gz", sha256=digest)
extract_archive(path, "~/.keras/keras_gans/dcgan", overwrite=True)
```
"""

from __future__ import annotations

import hashlib
import http.client
import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request

from keras.utils import Progbar

from keras_gans.zoo.archives import (  # noqa: F401 - this module's names before the split
    _XZ_FILTERS,
    DEFAULT_MAX_ARCHIVE_MEMBERS,
    DEFAULT_MAX_UNPACKED_BYTES,
    MAX_ARCHIVE_MEMBERS_ENV,
    MAX_UNPACKED_BYTES_ENV,
    TAR_SUFFIXES,
    ArchiveTooLargeError,
    CorruptArchiveError,
    UnsafeArchiveError,
    _atomic_file,
    _Caps,
    _extract,
    _write_members,
    extract_archive,
    make_archive,
    unpacked_bytes_cap,
)

_SCHEMES = ("http", "https", "file")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class DownloadError(IOError):
    """A download failed: HTTP error, unreachable host or interrupted transfer."""


class ChecksumError(DownloadError):
    """A downloaded file's sha256 is not the expected one."""


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


def _too_large(url, cap, what):
    return DownloadError(
        f"Refusing to download {url}: expected at most {cap:,} bytes; {what}. "
        "If you trust it, raise the cap with the environment variable "
        f"{MAX_UNPACKED_BYTES_ENV}."
    )


def _stream(url, response, out, progress, chunk_size, max_bytes=None):
    """Copies `response` to `out`; returns (sha256 hex digest, bytes received).

    More than `max_bytes` (announced or received) stops the transfer.
    """
    total = _content_length(response)
    if max_bytes is not None and total is not None and total > max_bytes:
        raise _too_large(url, max_bytes, f"the server announces {total:,}")
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
        received += len(chunk)
        if max_bytes is not None and received > max_bytes:
            raise _too_large(url, max_bytes, "it sent more")
        out.write(chunk)
        digest.update(chunk)
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
        DownloadError: HTTP error, unreachable server, interrupted transfer,
            or more bytes than `$KERAS_GANS_MAX_UNPACKED_BYTES` (1 GiB).
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
    # A download is at most what its archive may unpack to: a URL that
    # streams without end fills no disk.
    response = _open_url(url, timeout)
    with response, _atomic_file(dest, "part") as out:
        received_sha, _ = _stream(
            url, response, out, progress, chunk_size, unpacked_bytes_cap()
        )
        if received_sha != expected:
            raise ChecksumError(
                f"Checksum mismatch for {url}: expected sha256 {expected}, "
                f"received {received_sha}."
            )
    return dest
