"""Behaviour of keras_gans.zoo._download: fetch, extract_archive, make_archive.

Downloads go to a local HTTP server on 127.0.0.1 that serves a good file, a
corrupted one, a truncated one, one without a Content-Length, and a 404.
"""

import collections
import hashlib
import http.client
import http.server
import io
import os
import pathlib
import socket
import stat
import tarfile
import threading
import zipfile

import numpy as np
import pytest

from keras_gans.zoo import _download
from keras_gans.zoo._download import (
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    extract_archive,
    fetch,
    make_archive,
    sha256_file,
)

PAYLOAD = bytes(range(256)) * 1000  # 256,000 bytes: several chunks.
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
CORRUPTED = PAYLOAD[:1000] + b"\xff" + PAYLOAD[1001:]
CHUNK = 1 << 14


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = collections.Counter()

    def log_message(self, *args):
        pass

    def _send(self, body, length=None):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        type(self).hits[self.path] += 1
        if self.path == "/good.bin":
            self._send(PAYLOAD, len(PAYLOAD))
        elif self.path == "/corrupted.bin":
            self._send(CORRUPTED, len(CORRUPTED))
        elif self.path == "/interrupted.bin":
            # Promise the whole file, send half, then close the connection.
            self._send(PAYLOAD[: len(PAYLOAD) // 2], len(PAYLOAD))
            self.close_connection = True
        elif self.path == "/no-length.bin":
            self._send(PAYLOAD)
            self.close_connection = True
        else:
            self.send_error(404, "Not Found")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield f"http://{host}:{port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def hits():
    _Handler.hits.clear()
    return _Handler.hits


def _leftovers(folder):
    return sorted(
        p.name for p in pathlib.Path(folder).iterdir() if p.name.endswith(".part")
    )


# --- fetch -----------------------------------------------------------------


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(PAYLOAD)
    assert sha256_file(path, chunk_size=1000) == PAYLOAD_SHA


def test_fetch_downloads_bytes_and_creates_parents(server, tmp_path, hits):
    dest = tmp_path / "a" / "b" / "good.bin"
    out = fetch(
        f"{server}/good.bin", dest, PAYLOAD_SHA, progress=False, chunk_size=CHUNK
    )
    assert out == dest
    assert dest.read_bytes() == PAYLOAD
    assert sha256_file(dest) == PAYLOAD_SHA
    assert hits["/good.bin"] == 1
    assert _leftovers(dest.parent) == []


def test_fetch_accepts_uppercase_digest(server, tmp_path):
    dest = fetch(
        f"{server}/good.bin", tmp_path / "g.bin", PAYLOAD_SHA.upper(), progress=False
    )
    assert dest.read_bytes() == PAYLOAD


def test_fetch_skips_download_when_dest_matches(server, tmp_path, hits):
    dest = tmp_path / "good.bin"
    dest.write_bytes(PAYLOAD)
    before = dest.stat().st_mtime_ns
    assert fetch(f"{server}/good.bin", dest, PAYLOAD_SHA, progress=False) == dest
    assert hits["/good.bin"] == 0
    assert dest.stat().st_mtime_ns == before


def test_fetch_replaces_stale_dest(server, tmp_path, hits):
    dest = tmp_path / "good.bin"
    dest.write_bytes(b"an older version")
    fetch(f"{server}/good.bin", dest, PAYLOAD_SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert hits["/good.bin"] == 1


def test_fetch_corrupted_raises_checksum_error(server, tmp_path):
    dest = tmp_path / "corrupted.bin"
    url = f"{server}/corrupted.bin"
    with pytest.raises(ChecksumError) as info:
        fetch(url, dest, PAYLOAD_SHA, progress=False, chunk_size=CHUNK)
    message = str(info.value)
    assert url in message
    assert PAYLOAD_SHA in message
    assert hashlib.sha256(CORRUPTED).hexdigest() in message
    assert isinstance(info.value, DownloadError)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_fetch_interrupted_raises_download_error(server, tmp_path):
    dest = tmp_path / "interrupted.bin"
    url = f"{server}/interrupted.bin"
    with pytest.raises(DownloadError) as info:
        fetch(url, dest, PAYLOAD_SHA, progress=False, chunk_size=CHUNK)
    message = str(info.value)
    assert not isinstance(info.value, ChecksumError)
    assert url in message
    assert str(len(PAYLOAD)) in message
    assert str(len(PAYLOAD) // 2) in message
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_fetch_read_error_mid_stream_raises_download_error(tmp_path, monkeypatch):
    class _Response(io.BytesIO):
        headers = {"Content-Length": "100"}

        def read(self, size=-1):
            if self.tell() >= 40:
                raise http.client.IncompleteRead(b"", 60)
            return super().read(min(size, 40))

    monkeypatch.setattr(
        _download.urllib.request,
        "urlopen",
        lambda url, timeout: _Response(b"x" * 100),
    )
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match=r"expected 100 bytes, received 40 bytes"):
        fetch("http://127.0.0.1:1/f.bin", dest, PAYLOAD_SHA, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("path", "error"),
    [("/corrupted.bin", ChecksumError), ("/interrupted.bin", DownloadError)],
)
def test_failed_download_keeps_existing_dest(server, tmp_path, path, error):
    dest = tmp_path / "model.bin"
    dest.write_bytes(b"previously cached")
    with pytest.raises(error):
        fetch(f"{server}{path}", dest, PAYLOAD_SHA, progress=False)
    assert dest.read_bytes() == b"previously cached"
    assert _leftovers(tmp_path) == []


def test_failed_download_keeps_cached_good_file(server, tmp_path):
    dest = tmp_path / "model.bin"
    fetch(f"{server}/good.bin", dest, PAYLOAD_SHA, progress=False)
    other_sha = hashlib.sha256(b"a newer release").hexdigest()
    with pytest.raises(DownloadError):
        fetch(f"{server}/interrupted.bin", dest, other_sha, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_fetch_404_raises_download_error(server, tmp_path):
    dest = tmp_path / "missing.bin"
    with pytest.raises(DownloadError, match="404") as info:
        fetch(f"{server}/missing.bin", dest, PAYLOAD_SHA, progress=False)
    assert f"{server}/missing.bin" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_fetch_unreachable_server_raises_download_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=f"127.0.0.1:{port}"):
        fetch(f"http://127.0.0.1:{port}/x", tmp_path / "x", PAYLOAD_SHA, timeout=5)


def test_fetch_without_content_length(server, tmp_path):
    dest = fetch(f"{server}/no-length.bin", tmp_path / "n.bin", PAYLOAD_SHA)
    assert dest.read_bytes() == PAYLOAD


def test_fetch_file_url(tmp_path):
    src = tmp_path / "src" / "good.bin"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    dest = fetch(src.as_uri(), tmp_path / "dest" / "good.bin", PAYLOAD_SHA)
    assert dest.read_bytes() == PAYLOAD


def test_fetch_progress_bar(server, tmp_path, capsys):
    fetch(f"{server}/good.bin", tmp_path / "g.bin", PAYLOAD_SHA, progress=True)
    out = capsys.readouterr().out
    assert f"{len(PAYLOAD)}/{len(PAYLOAD)}" in out


def test_fetch_no_progress_writes_nothing(server, tmp_path, capsys):
    fetch(f"{server}/good.bin", tmp_path / "g.bin", PAYLOAD_SHA, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("sha", ["abc", "z" * 64, None])
def test_fetch_rejects_malformed_digest(tmp_path, sha):
    with pytest.raises(ValueError, match="64-character hex digest"):
        fetch("http://127.0.0.1:1/x", tmp_path / "x", sha)


def test_fetch_rejects_unsupported_scheme(tmp_path):
    with pytest.raises(ValueError, match="ftp://"):
        fetch("ftp://127.0.0.1/x", tmp_path / "x", PAYLOAD_SHA)


# --- archives --------------------------------------------------------------


def _make_tree(root):
    (root / "weights").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "config.json").write_text('{"latent_dim": 100}')
    (root / "weights" / "model.weights.h5").write_bytes(PAYLOAD)
    (root / "weights" / "notes.txt").write_text("ünïcode")
    return root


def _tree(root):
    root = pathlib.Path(root)
    return {
        p.relative_to(root).as_posix(): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def test_make_archive_extract_round_trip(tmp_path):
    src = _make_tree(tmp_path / "src")
    archive = make_archive(src, tmp_path / "dist" / "model.tar.gz")
    assert archive == tmp_path / "dist" / "model.tar.gz"
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert set(names) == set(_tree(src))  # No leading folder.
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members)
    assert all(m.uname == "" and m.gname == "" for m in members)

    target = extract_archive(archive, tmp_path / "out" / "model")
    assert target == tmp_path / "out" / "model"
    assert _tree(target) == _tree(src)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model"]


def test_make_archive_is_reproducible(tmp_path):
    src = _make_tree(tmp_path / "src")
    first = sha256_file(make_archive(src, tmp_path / "a.tar.gz"))
    for path in src.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))
    second = sha256_file(make_archive(src, tmp_path / "other-name.tgz"))
    assert first == second
    # The gzip header holds mtime 0 and no file name.
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"
    assert b"a.tar" not in raw[:64]


def test_xz_archives_are_reproducible_and_store_repeated_files_once(tmp_path):
    src = tmp_path / "src"
    (src / "saved_model").mkdir(parents=True)
    weights = np.random.default_rng(0).standard_normal(250_000).astype("float32")
    (src / "model.keras").write_bytes(weights.tobytes())
    (src / "saved_model" / "variables.data").write_bytes(weights.tobytes())
    first = make_archive(src, tmp_path / "a.tar.xz")
    second = make_archive(src, tmp_path / "b.tar.xz")
    assert sha256_file(first) == sha256_file(second)
    gz = make_archive(src, tmp_path / "c.tar.gz")
    # Two copies of 1 MB of noise: gzip stores both, xz about one.
    assert gz.stat().st_size > 1.7e6 and first.stat().st_size < 1.0e6
    out = extract_archive(first, tmp_path / "out")
    assert (out / "saved_model" / "variables.data").read_bytes() == weights.tobytes()


def test_make_archive_rejects_symlinks_and_bad_paths(tmp_path):
    src = _make_tree(tmp_path / "src")
    with pytest.raises(ValueError, match=r"\.tar\.gz"):
        make_archive(src, tmp_path / "model.zip")
    with pytest.raises(ValueError, match="outside"):
        make_archive(src, src / "self.tar.gz")
    with pytest.raises(NotADirectoryError):
        make_archive(tmp_path / "nope", tmp_path / "x.tar.gz")
    (src / "link").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="symlink"):
        make_archive(src, tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


@pytest.mark.parametrize("suffix", [".tar", ".zip"])
def test_extract_plain_tar_and_zip(tmp_path, suffix):
    src = _make_tree(tmp_path / "src")
    archive = tmp_path / f"model{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zf:
            for name in _tree(src):
                zf.write(src / name, name)
    else:
        with tarfile.open(archive, "w") as tar:
            tar.add(src, arcname=".")
    target = extract_archive(archive, tmp_path / "out")
    assert _tree(target) == _tree(src)


def test_extract_existing_target_needs_overwrite(tmp_path):
    archive = make_archive(_make_tree(tmp_path / "src"), tmp_path / "m.tar.gz")
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        extract_archive(archive, target)
    assert _tree(target) == {"old.txt": b"keep me"}

    extract_archive(archive, target, overwrite=True)
    assert _tree(target) == _tree(tmp_path / "src")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tar.gz", "out", "src"]


def test_extract_rejects_unknown_suffix(tmp_path):
    archive = tmp_path / "model.rar"
    archive.write_bytes(b"")
    with pytest.raises(ValueError, match=r"\.tar\.gz"):
        extract_archive(archive, tmp_path / "out")


def _evil_tar(path, evil):
    """A tarball with one good file first, then the member `evil` describes."""
    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("good.txt")
        good.size = 2
        tar.addfile(good, io.BytesIO(b"ok"))
        info = tarfile.TarInfo(evil["name"])
        info.type = evil.get("type", tarfile.REGTYPE)
        info.linkname = evil.get("linkname", "")
        data = b"evil" if info.type == tarfile.REGTYPE else b""
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


_EVIL_TARS = {
    "parent": {"name": "../evil"},
    "nested-parent": {"name": "sub/../../evil"},
    "absolute": {"name": "/abs/evil"},
    "symlink": {"name": "passwd", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"},
    "relative-symlink": {"name": "up", "type": tarfile.SYMTYPE, "linkname": ".."},
    "hardlink": {"name": "hard", "type": tarfile.LNKTYPE, "linkname": "good.txt"},
    "fifo": {"name": "fifo", "type": tarfile.FIFOTYPE},
    "device": {"name": "dev", "type": tarfile.CHRTYPE},
}


def _assert_nothing_written(tmp_path, target):
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # No temporary folder either.
    assert not any(p.name in ("evil", "good.txt") for p in tmp_path.rglob("*"))
    assert not pathlib.Path("/abs/evil").exists()


@pytest.mark.parametrize("case", sorted(_EVIL_TARS))
def test_extract_refuses_unsafe_tar_members(tmp_path, case):
    evil = _EVIL_TARS[case]
    archive = _evil_tar(tmp_path / "evil.tar.gz", evil)
    target = tmp_path / "out" / "model"
    with pytest.raises(UnsafeArchiveError) as info:
        extract_archive(archive, target)
    assert repr(evil["name"]) in str(info.value)
    assert str(target) in str(info.value)
    _assert_nothing_written(tmp_path, target)


def _zip_symlink(zf):
    info = zipfile.ZipInfo("passwd")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(info, "/etc/passwd")


@pytest.mark.parametrize(
    ("case", "name"),
    [("parent", "../evil"), ("absolute", "/abs/evil"), ("symlink", "passwd")],
)
def test_extract_refuses_unsafe_zip_members(tmp_path, case, name):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("good.txt", "ok")
        if case == "symlink":
            _zip_symlink(zf)
        else:
            zf.writestr(zipfile.ZipInfo(name), "evil")
    target = tmp_path / "out" / "model"
    with pytest.raises(UnsafeArchiveError) as info:
        extract_archive(archive, target)
    assert repr(name) in str(info.value)
    _assert_nothing_written(tmp_path, target)


def test_unsafe_archive_keeps_existing_target(tmp_path):
    archive = _evil_tar(tmp_path / "evil.tar.gz", {"name": "../evil"})
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    with pytest.raises(UnsafeArchiveError):
        extract_archive(archive, target, overwrite=True)
    assert _tree(target) == {"old.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar.gz", "out"]
