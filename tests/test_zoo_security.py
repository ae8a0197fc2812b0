"""Untrusted presets: capped archives, a cache that trusts only whole unpackings.

Archives from strangers unpack within caps on bytes and members, and leave
nothing in the cache when refused or when what they hold fails to load. The
cache is keyed by the full sha256 and a folder is used only if it carries
the stamp of a whole unpacking. Exports and presets follow the umask (a
server running as another user can read them), and staging folders of
killed processes are cleaned up. Errors about bad presets are one line.
"""

import hashlib
import io
import json
import os
import pathlib
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import time
import zipfile

import keras
import pytest

import keras_gans
from keras_gans import files, zoo
from keras_gans.zoo import _download, presets
from keras_gans.zoo._download import ArchiveTooLargeError, UnsafeArchiveError

REPO = pathlib.Path(__file__).resolve().parents[1]


def _sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def _tar(path, members, mode="w:gz"):
    """A tarball of `{name: bytes}` (a `None` value is a folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
    return path


def _everything(folder):
    folder = pathlib.Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def plain_keras_file(tmp_path_factory):
    """A `.keras` file of a model that is not a keras_gans model."""
    path = tmp_path_factory.mktemp("plain") / "model.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
    return path


@pytest.fixture(scope="module")
def tiny():
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    )
    model.generate(1)
    return model


@pytest.fixture
def umask():
    """Sets the process umask (and keras_gans's copy of it) for one test."""
    before = os.umask(0o022)
    os.umask(before)
    saved = files._UMASK

    def set_umask(mask):
        os.umask(mask)
        files._UMASK = mask

    yield set_umask
    os.umask(before)
    files._UMASK = saved


@pytest.fixture
def shared_tmp():
    """A folder another user can reach (pytest's own tmp_path is owner-only)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="keras_gans_test_"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- caps on archives --------------------------------------------------------------


def test_default_caps_fit_every_published_archive_with_ample_margin():
    archives = sorted(REPO.glob("zoo/*/*.tar.*"))
    assert len(archives) >= 6
    for archive in archives:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
        unpacked = sum(m.size for m in members)
        # 6-22 MB in 11 members each today: room for presets 40x larger.
        assert unpacked * 40 < _download.DEFAULT_MAX_UNPACKED_BYTES, archive
        assert len(members) * 100 < _download.DEFAULT_MAX_ARCHIVE_MEMBERS, archive


def test_a_compressed_bomb_over_the_cap_leaves_nothing_in_the_cache(
    tmp_path, monkeypatch
):
    bomb = _tar(tmp_path / "bomb.tar.xz", {"zeros.bin": bytes(2_000_000)}, "w:xz")
    assert bomb.stat().st_size < 10_000
    cache = tmp_path / "cache"
    monkeypatch.setenv("KERAS_GANS_MAX_UNPACKED_BYTES", "1_000_000")
    with pytest.raises(ArchiveTooLargeError, match=r"at most 1,000,000 unpacked") as e:
        presets.load_preset(str(bomb), cache_dir=cache)
    assert "KERAS_GANS_MAX_UNPACKED_BYTES" in str(e.value)
    assert "\n" not in str(e.value)
    assert _everything(cache) == []

    # The keyword argument, and raising the cap.
    monkeypatch.delenv("KERAS_GANS_MAX_UNPACKED_BYTES")
    target = cache / "x"
    with pytest.raises(ArchiveTooLargeError, match="max_unpacked_bytes=N"):
        zoo.extract_archive(bomb, target, max_unpacked_bytes=1_000_000)
    assert _everything(cache) == []
    zoo.extract_archive(bomb, target, max_unpacked_bytes=2_000_000)
    assert (target / "zeros.bin").stat().st_size == 2_000_000


def test_too_many_members_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    many = _tar(tmp_path / "many.tar.gz", {f"f{i}": b"" for i in range(30)})
    target = tmp_path / "out" / "many"
    with pytest.raises(ArchiveTooLargeError, match=r"at most 10 members"):
        zoo.extract_archive(many, target, max_archive_members=10)
    monkeypatch.setenv("KERAS_GANS_MAX_ARCHIVE_MEMBERS", "29")
    with pytest.raises(ArchiveTooLargeError, match="KERAS_GANS_MAX_ARCHIVE_MEMBERS"):
        zoo.extract_archive(many, target)
    assert _everything(tmp_path / "out") == []
    monkeypatch.setenv("KERAS_GANS_MAX_ARCHIVE_MEMBERS", "30")
    assert len(_everything(zoo.extract_archive(many, target))) == 30
    monkeypatch.setenv("KERAS_GANS_MAX_ARCHIVE_MEMBERS", "lots")
    with pytest.raises(ValueError, match=r"KERAS_GANS_MAX_ARCHIVE_MEMBERS.*'lots'"):
        zoo.extract_archive(many, target, overwrite=True)


def test_bytes_are_counted_as_written_not_only_as_declared(tmp_path):
    # A reader that yields more than its header said is stopped at the cap.
    caps = _download._Caps(tmp_path / "a.tar", 1000, 10)
    members = [("big", "file", None)]
    with pytest.raises(ArchiveTooLargeError, match="wrote more than 1,"):
        _download._write_members(
            members, tmp_path, lambda _: io.BytesIO(bytes(5000)), caps, chunk_size=300
        )
    assert (tmp_path / "big").stat().st_size <= 1000


def test_a_url_archive_that_fails_is_not_kept_either(tmp_path):
    bomb = _tar(tmp_path / "www" / "bomb.tar.xz", {"z": bytes(300_000)}, "w:xz")
    cache = tmp_path / "cache"
    url = f"{bomb.as_uri()}#sha256={_sha(bomb)}"
    with pytest.raises(ArchiveTooLargeError):
        presets.resolve(url, cache, progress=False, max_unpacked_bytes=100_000)
    assert _everything(cache) == []
    # Downloaded and unpacked, then failing to load: neither stays.
    bad = _tar(tmp_path / "www" / "bad.tar.gz", {"preset.json": b"[]"})
    with pytest.raises(presets.NotAPresetError, match=r"in file://.*bad\.tar\.gz to"):
        presets.load_preset(f"{bad.as_uri()}#sha256={_sha(bad)}", cache, False)
    assert _everything(cache) == []


# --- what fails to load does not stay ---------------------------------------------


def _preset_archive(path, preset_json, model_keras=b"", extra=None):
    members = {"preset.json": preset_json, "model.keras": model_keras}
    return _tar(path, {**members, **(extra or {})})


_GOOD_JSON = json.dumps({"format_version": 2, "family": "dcgan"}).encode()


@pytest.mark.parametrize(
    ("case", "preset_json", "message"),
    [
        (
            "list",
            b"[1, 2]",
            r"preset\.json.* to hold a JSON object .*received a JSON array",
        ),
        ("not-json", b"{oops", r"preset\.json .*received text that is not JSON"),
        ("not-utf8", b"\xff\xfe{}", r"preset\.json .*bytes that are not UTF-8"),
        ("version", b'{"format_version": "2"}', r"`format_version` in .* an int"),
        (
            "format-1",
            b'{"format_version": 1}',
            r"format 2, the one this keras_gans reads; .*preset\.json.* says format 1: "
            r"re-save it with model\.save_to_preset",
        ),
        ("format-0", b"{}", r"preset\.json.* has no `format_version` .*re-save"),
        ("newer", b'{"format_version": 3}', r"says format 3: upgrade keras_gans"),
    ],
)
def test_a_bad_preset_json_is_one_line_naming_the_file(
    tmp_path, case, preset_json, message
):
    archive = _preset_archive(tmp_path / f"{case}.tar.gz", preset_json)
    cache = tmp_path / "cache"
    with pytest.raises(presets.NotAPresetError, match=message) as e:
        keras_gans.models.from_preset(str(archive), cache_dir=cache)
    assert "\n" not in str(e.value)
    assert f"preset.json in {archive}" in str(e.value)  # not the removed folder
    assert _everything(cache) == []  # the unpacked folder went with the failure
    # A folder of the user's own is never removed.
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "preset.json").write_bytes(preset_json)
    with pytest.raises(presets.NotAPresetError, match=message) as e:
        presets.load_preset(str(folder))
    assert str(folder / "preset.json") in str(e.value)
    assert (folder / "preset.json").read_bytes() == preset_json


def _corrupt(keras_file):
    data = bytearray(keras_file.read_bytes())
    with zipfile.ZipFile(keras_file) as zf:
        offset = zf.getinfo("model.weights.h5").header_offset
    data[offset + 300] ^= 0xFF  # inside the stored (uncompressed) weights
    return bytes(data)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", r"model\.keras.* to be a Keras model file .*found an empty file"),
        ("truncated", r"model\.keras.* to be a Keras model file .*not a zip"),
        ("crc", r"model\.keras.* to be a Keras model file .*damaged.*CRC"),
        ("foreign", r"model\.keras.* to hold a keras_gans model .*keras.*Sequential"),
    ],
)
def test_a_bad_model_file_is_one_line_naming_it(
    tmp_path, plain_keras_file, case, message
):
    good = plain_keras_file.read_bytes()
    model_keras = {
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "crc": _corrupt(plain_keras_file),
        "foreign": good,
    }[case]
    archive = _preset_archive(tmp_path / "p.tar.gz", _GOOD_JSON, model_keras)
    cache = tmp_path / "cache"
    with pytest.raises(presets.NotAPresetError, match=message) as e:
        presets.load_preset(str(archive), cache_dir=cache)
    assert "\n" not in str(e.value)
    assert f"model.keras in {archive}" in str(e.value)
    assert _everything(cache) == []


# --- the cache: full digests, stamped folders, list and clear ---------------------


def test_cache_is_keyed_by_the_full_digest_and_trusts_only_stamped_folders(tmp_path):
    archive = _preset_archive(tmp_path / "p.tar.gz", _GOOD_JSON, b"weights")
    digest = _sha(archive)
    cache = tmp_path / "cache"
    folder, entry = presets.resolve(str(archive), cache)
    assert entry is None
    assert folder == cache / "local" / f"preset-{digest}"
    stamp = json.loads((folder / presets.UNPACKED_STAMP).read_text())
    assert stamp["sha256"] == digest

    # A folder changed since, without the stamp: not trusted, unpacked again.
    (folder / presets.UNPACKED_STAMP).unlink()
    (folder / "model.keras").write_bytes(b"planted")
    assert presets.resolve(str(archive), cache)[0] == folder
    assert (folder / "model.keras").read_bytes() == b"weights"
    # A stamp of another digest is not trusted either.
    (folder / presets.UNPACKED_STAMP).write_text(json.dumps({"sha256": "0" * 64}))
    (folder / "model.keras").write_bytes(b"planted")
    presets.resolve(str(archive), cache)
    assert (folder / "model.keras").read_bytes() == b"weights"
    # A stamped, whole folder is used as it is.
    (folder / "extra").write_text("kept")
    presets.resolve(str(archive), cache)
    assert (folder / "extra").read_text() == "kept"
    # The folder of an older version (16 hex digits) is not looked at.
    old = cache / "local" / f"preset-{digest[:16]}"
    old.mkdir()
    (old / "preset.json").write_text("{}")
    assert presets.resolve(str(archive), cache)[0] == folder


def test_an_archive_cannot_bring_its_own_stamp(tmp_path):
    stamp = json.dumps({"sha256": "0" * 64}).encode()
    archive = _preset_archive(
        tmp_path / "p.tar.gz", _GOOD_JSON, extra={presets.UNPACKED_STAMP: stamp}
    )
    cache = tmp_path / "cache"
    with pytest.raises(UnsafeArchiveError, match="record of a finished unpacking"):
        presets.resolve(str(archive), cache)
    assert _everything(cache) == []


def test_cache_info_lists_and_clear_cache_removes_only_cache_entries(tmp_path):
    cache = tmp_path / "cache"
    archive = _preset_archive(tmp_path / "www" / "p.tar.gz", _GOOD_JSON, b"w")
    digest = _sha(archive)
    url = f"{archive.as_uri()}#sha256={digest}"
    folder, _ = presets.resolve(url, cache, progress=False)
    assert folder == cache / "urls" / f"preset-{digest}"
    assert (cache / "urls" / digest / "p.tar.gz").is_file()  # fetch: full digest
    presets.resolve(str(archive), cache)
    zoo_file = cache / "dcgan_fashion_mnist" / "dcgan_fashion_mnist.tar.xz"
    zoo_file.parent.mkdir()
    zoo_file.write_bytes(b"12345")
    (cache / "local" / "preset-0123456789abcdef").mkdir()  # an older layout
    (cache / "notes.txt").write_text("not ours")
    (cache / "someone_else").mkdir()
    (cache / "someone_else" / "data.bin").write_text("not ours")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    (cache / "urls" / ("f" * 64)).symlink_to(outside)

    entries = zoo.cache_info(cache)
    assert {
        (e.name, e.kind, e.path.relative_to(cache).as_posix()) for e in entries
    } == {
        ("dcgan_fashion_mnist", "download", zoo_file.relative_to(cache).as_posix()),
        (digest, "preset", f"local/preset-{digest}"),
        ("preset-0123456789abcdef", "stale", "local/preset-0123456789abcdef"),
        (digest, "download", f"urls/{digest}"),
        (digest, "preset", f"urls/preset-{digest}"),
        ("f" * 64, "download", f"urls/{'f' * 64}"),
    }
    sizes = {e.path: e.size for e in entries}
    assert sizes[zoo_file] == 5
    assert sizes[cache / "urls" / digest] == archive.stat().st_size

    for bad in ("../cache", "urls/x", "..", "", "a\\b"):
        with pytest.raises(ValueError, match="without path separators"):
            zoo.clear_cache(bad, cache)
    assert zoo.clear_cache("no_such_entry", cache) == []
    removed = zoo.clear_cache(digest, cache)
    assert {e.path for e in removed} == {
        cache / "local" / f"preset-{digest}",
        cache / "urls" / digest,
        cache / "urls" / f"preset-{digest}",
    }
    assert zoo.cache_info(cache)[0].name == "dcgan_fashion_mnist"
    zoo.clear_cache(cache_dir=cache)
    assert zoo.cache_info(cache) == []
    assert _everything(cache) == [
        "notes.txt",
        "someone_else",
        "someone_else/data.bin",
    ]
    assert (outside / "precious.txt").read_text() == "keep"


# --- file modes, and another user reading an export -------------------------------


def _modes(root):
    root = pathlib.Path(root)
    return {
        p.relative_to(root).as_posix(): stat.S_IMODE(p.lstat().st_mode)
        for p in [root, *root.rglob("*")]
    }


def _read_all_as_nobody(root):
    """Whether user `nobody` can list every folder and read every file of `root`."""
    expected = sum(1 for p in pathlib.Path(root).rglob("*") if p.is_file())
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            read = 0

            def fail(error):
                raise error

            for folder, _, names in os.walk(root, onerror=fail):
                for name in names:
                    with open(os.path.join(folder, name), "rb") as f:
                        f.read()
                    read += 1
            code = 0 if read == expected else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0,
    reason="reading as another user needs root to switch to it",
)


@needs_root
def test_an_export_under_umask_022_is_readable_by_another_user(tiny, shared_tmp, umask):
    umask(0o022)
    model_dir = shared_tmp / "exports" / "dcgan"
    model_dir.mkdir(parents=True)
    host = "".join(c for c in socket.gethostname() if c.isalnum())[:32]
    dead = model_dir / f".staging-{_dead_pid()}-{host}-abcd1234"
    live = model_dir / f".staging-{os.getpid()}-{host}-live5678"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "saved_model.pb").write_bytes(b"half")
    version = keras_gans.export.export_saved_model(tiny, shared_tmp / "exports", 1)
    modes = _modes(version)
    assert modes["."] == 0o755
    assert {m for p, m in modes.items() if (version / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (version / p).is_file()} == {0o644}
    assert "variables/variables.index" in modes
    assert _read_all_as_nobody(shared_tmp)
    # The killed export's staging folder is gone; the live one is not touched.
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(["1", live.name])


@needs_root
def test_a_preset_under_umask_077_is_the_owners_only(tiny, shared_tmp, umask):
    umask(0o077)
    host = "".join(c for c in socket.gethostname() if c.isalnum())[:32]
    dead = shared_tmp / f".tiny.staging-{_dead_pid()}-{host}-abcd1234"
    dead.mkdir()
    preset = presets.save_preset(tiny, shared_tmp / "tiny")
    modes = _modes(preset)
    assert {m for p, m in modes.items() if (preset / p).is_dir()} == {0o700}
    assert {m for p, m in modes.items() if (preset / p).is_file()} == {0o600}
    assert "saved_model/saved_model.pb" in modes
    assert not _read_all_as_nobody(preset)
    assert sorted(p.name for p in shared_tmp.iterdir()) == ["tiny"]

    # Unpacked under umask 022, an owner-only member becomes readable.
    umask(0o022)
    archive = _tar(shared_tmp / "a.tar.gz", {"sub": None, "sub/secret": b"x"})
    out = zoo.extract_archive(archive, shared_tmp / "out")
    assert _modes(out) == {".": 0o755, "sub": 0o755, "sub/secret": 0o644}


# --- staging folders of killed processes ------------------------------------------


def test_stale_staging_folders_are_removed_and_live_ones_kept(tmp_path):
    host = "".join(c for c in socket.gethostname() if c.isalnum())[:32]
    dead, me = _dead_pid(), os.getpid()
    names = {
        f".staging-{dead}-{host}-aaaa1111": False,  # killed here
        f".staging-{dead}-{host}-eeee5555.old": False,  # replaced, not deleted
        # Killed between replace_dir's two renames: the .old copy is the only
        # copy of the version it replaced.
        f".staging-{dead}-{host}-ffff6666": True,
        f".staging-{dead}-{host}-ffff6666.old": True,
        f".staging-{me}-{host}-bbbb2222": True,  # running
        f".staging-{dead}-elsewhere-cccc3333": True,  # another machine, fresh
        f".staging-{dead}-elsewhere-dddd4444": False,  # another machine, old
        ".staging-old12345": False,  # before pids, old
        ".staging-new12345": True,  # before pids, fresh
        "staging-x": True,  # not a staging name
    }
    for name in names:
        (tmp_path / name).mkdir()
    old = time.time() - 2 * files.STALE_AFTER_S
    for name in (f".staging-{dead}-elsewhere-dddd4444", ".staging-old12345"):
        os.utime(tmp_path / name, (old, old))
    files.remove_stale_staging(tmp_path, ".staging-", legacy=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        name for name, kept in names.items() if kept
    )
    files.remove_stale_staging(tmp_path, ".staging-")  # no legacy: kept
    assert (tmp_path / ".staging-new12345").exists()


def test_an_extraction_killed_midway_is_cleaned_by_the_next(tmp_path):
    host = "".join(c for c in socket.gethostname() if c.isalnum())[:32]
    left = tmp_path / f".out.extract-{_dead_pid()}-{host}-abcd1234"
    left.mkdir()
    (left / "half").write_bytes(b"x")
    archive = _tar(tmp_path / "a.tar.gz", {"f": b"1"})
    zoo.extract_archive(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "out"]


def test_a_truncated_archive_is_one_line_and_leaves_nothing(tmp_path):
    whole = _tar(tmp_path / "whole.tar.xz", {"z": os.urandom(200_000)}, "w:xz")
    cut = tmp_path / "cut.tar.xz"
    cut.write_bytes(whole.read_bytes()[:50_000])
    cache = tmp_path / "cache"
    with pytest.raises(zoo.CorruptArchiveError, match="damaged or truncated") as e:
        presets.resolve(cut, cache, progress=False)
    assert str(cut) in str(e.value) and "\n" not in str(e.value)
    assert _everything(cache) == []


def test_a_download_over_the_cap_stops_and_leaves_nothing(tmp_path, monkeypatch):
    big = _tar(tmp_path / "www" / "big.tar", {"z": bytes(300_000)}, "w")
    cache = tmp_path / "cache"
    monkeypatch.setenv(_download.MAX_UNPACKED_BYTES_ENV, "100000")
    with pytest.raises(zoo.DownloadError, match="expected at most 100,000 bytes"):
        presets.resolve(f"{big.as_uri()}#sha256={_sha(big)}", cache, progress=False)
    assert _everything(cache) == []


def test_the_cache_command_lists_and_clears(tmp_path, capsys):
    from keras_gans import cli

    cache = tmp_path / "cache"
    archive = _preset_archive(tmp_path / "p.tar.gz", _GOOD_JSON, b"w")
    presets.resolve(str(archive), cache)
    digest = _sha(archive)
    assert cli.main(["cache", "list", "--cache-dir", str(cache)]) == 0
    listed = capsys.readouterr().out
    assert f"preset    {digest}" in listed and "1 entries" in listed
    assert cli.main(["cache", "clear", "nothing", "--cache-dir", str(cache)]) == 2
    assert "found none" in capsys.readouterr().err
    assert cli.main(["cache", "clear", digest, "--cache-dir", str(cache)]) == 0
    assert "Removed 1 entries" in capsys.readouterr().out
    assert zoo.cache_info(cache) == []
