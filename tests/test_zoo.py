"""keras_gans.zoo: the manifest, load_pretrained's lookup order and its failures.

A tiny zoo is built in a temporary folder: one model shipped in the zoo
folder itself, others only reachable through a local HTTP server on
127.0.0.1 (good, corrupted, interrupted and path-traversing archives).
"""

import collections
import functools
import hashlib
import http.server
import io
import json
import pathlib
import re
import tarfile
import threading

import numpy as np
import pytest
import tomllib

import keras_gans
from keras_gans import zoo
from keras_gans.zoo import publish as publish_lib

REPO = pathlib.Path(__file__).resolve().parents[1]


class _Handler(http.server.SimpleHTTPRequestHandler):
    hits = collections.Counter()
    truncate = set()

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits[self.path] += 1
        name = self.path.lstrip("/")
        if name in self.truncate:
            data = (pathlib.Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 3])
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def _entry(path, sha, url=None):
    return {
        "class": "keras_gans.DCGAN",
        "kind": "dcgan",
        "files": [{"path": path, "sha256": sha, "size": 0, "url": url}],
    }


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory, served):
    """A zoo folder with one shipped model and remote ones, plus the model."""
    www, url = served
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=8, d_filters=8, seed=0
    )
    model.generate(1)
    zoo_dir = tmp_path_factory.mktemp("zoo")
    export = model.export(tmp_path_factory.mktemp("export"), version=1)
    shipped = zoo.make_archive(export, zoo_dir / "tiny" / "tiny.tar.gz")
    remote = zoo.make_archive(export, www / "remote" / "remote.tar.gz")
    (www / "bad").mkdir()
    (www / "bad" / "bad.tar.gz").write_bytes(remote.read_bytes()[:-10] + b"0" * 10)
    (www / "cut").mkdir()
    (www / "cut" / "cut.tar.gz").write_bytes(remote.read_bytes())
    _Handler.truncate.add("cut/cut.tar.gz")
    evil = www / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    manifest = {
        "format_version": 1,
        "base_url": url,
        "models": {
            "tiny": _entry("tiny/tiny.tar.gz", _sha(shipped)),
            "remote": _entry("remote/remote.tar.gz", _sha(remote)),
            "bad": _entry("bad/bad.tar.gz", _sha(remote)),
            "cut": _entry("cut/cut.tar.gz", _sha(remote)),
            "evil": _entry("evil.tar.gz", _sha(evil)),
            "later": {
                "kind": "dcgan",
                "files": [],
                "train_command": "python tools/train_zoo.py later --data-dir D",
                "requirements": "needs the later dataset",
            },
        },
    }
    (zoo_dir / "manifest.json").write_text(json.dumps(manifest))
    return zoo_dir, model


@pytest.fixture
def hits():
    _Handler.hits.clear()
    return _Handler.hits


def test_list_models_reads_the_manifest(tiny_zoo):
    zoo_dir, _ = tiny_zoo
    assert zoo.list_models(zoo_dir) == ["bad", "cut", "evil", "later", "remote", "tiny"]
    assert "later" not in zoo.list_models(zoo_dir, published_only=True)


def test_shipped_model_loads_offline_and_samples_like_the_model(
    tiny_zoo, tmp_path, hits
):
    zoo_dir, model = tiny_zoo
    gan = zoo.load_pretrained("tiny", cache_dir=tmp_path, zoo_dir=zoo_dir)
    assert not hits  # nothing downloaded
    images = gan.generate(16, seed=0)
    assert images.shape == (16, 16, 16, 1) and images.dtype == np.float32
    np.testing.assert_allclose(images, model.generate(16, seed=0), atol=1e-5)
    np.testing.assert_array_equal(gan.generate(16, seed=0), images)
    assert gan.generate(4, seed=0, uint8=True).dtype == np.uint8
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    np.testing.assert_allclose(gan(z), model.generate(z), atol=1e-5)
    # The latents generate() drew those images from: the model's own.
    latent = gan.sample_latent(16, seed=0)
    np.testing.assert_allclose(
        latent, model.sample_latent(16, seed=0), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(gan(latent), images, atol=1e-5)
    assert {"serving_default", "sample", "generate"} <= set(gan.signatures)
    with pytest.raises(
        ValueError, match=r"latent of shape \(n, 8\); received \(2, 3\)"
    ):
        gan(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="seed"):
        gan.generate(2, seed=-1)
    # Beyond one request's limit, generate() draws in chunks.
    assert gan.generate(1030, seed=1).shape[0] == 1030


def test_unknown_name_lists_the_known_ones(tiny_zoo):
    zoo_dir, _ = tiny_zoo
    with pytest.raises(zoo.UnknownModelError) as info:
        zoo.load_pretrained("dcgan_mnist", zoo_dir=zoo_dir)
    message = str(info.value)
    assert "'dcgan_mnist'" in message and "remote, tiny" in message


def test_unpublished_entry_says_how_to_train_it(tiny_zoo):
    zoo_dir, _ = tiny_zoo
    with pytest.raises(zoo.NotPublishedError, match="python tools/train_zoo.py later"):
        zoo.load_pretrained("later", zoo_dir=zoo_dir)


def test_remote_model_downloads_once_into_the_cache(tiny_zoo, tmp_path, hits, capsys):
    zoo_dir, model = tiny_zoo
    gan = zoo.load_pretrained("remote", cache_dir=tmp_path, zoo_dir=zoo_dir)
    assert hits["/remote/remote.tar.gz"] == 1
    assert "/" in capsys.readouterr().out  # the progress bar's "done/total"
    assert (tmp_path / "remote" / "remote.tar.gz").is_file()
    np.testing.assert_allclose(
        gan.generate(3, seed=5), model.generate(3, seed=5), atol=1e-5
    )
    zoo.load_pretrained("remote", cache_dir=tmp_path, zoo_dir=zoo_dir, progress=False)
    assert hits["/remote/remote.tar.gz"] == 1  # the cache answered
    # A cached file damaged on disk is fetched again, not used.
    cached = tmp_path / "remote" / "remote.tar.gz"
    cached.write_bytes(b"garbage")
    zoo.load_pretrained("remote", cache_dir=tmp_path, zoo_dir=zoo_dir, progress=False)
    assert hits["/remote/remote.tar.gz"] == 2
    assert _sha(cached) == zoo.get_entry("remote", zoo_dir)["files"][0]["sha256"]


def _leftovers(folder):
    return [p for p in pathlib.Path(folder).rglob("*") if p.is_file()]


def test_checksum_mismatch_removes_the_download_and_raises(tiny_zoo, tmp_path):
    zoo_dir, _ = tiny_zoo
    with pytest.raises(zoo.ChecksumError, match="sha256"):
        zoo.load_pretrained("bad", cache_dir=tmp_path, zoo_dir=zoo_dir, progress=False)
    assert _leftovers(tmp_path) == []


def test_interrupted_download_leaves_nothing(tiny_zoo, tmp_path):
    zoo_dir, _ = tiny_zoo
    with pytest.raises(zoo.DownloadError, match=r"expected \d+ bytes"):
        zoo.load_pretrained("cut", cache_dir=tmp_path, zoo_dir=zoo_dir, progress=False)
    assert _leftovers(tmp_path) == []


def test_archive_path_traversal_is_refused(tiny_zoo, tmp_path):
    zoo_dir, _ = tiny_zoo
    cache = tmp_path / "cache"
    with pytest.raises(zoo.UnsafeArchiveError, match="escaped.txt"):
        zoo.load_pretrained("evil", cache_dir=cache, zoo_dir=zoo_dir, progress=False)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (cache / "evil").exists() or not any(
        p.name.startswith("saved_model") for p in (cache / "evil").iterdir()
    )


def test_corrupt_packaged_file_raises_and_is_kept(tiny_zoo, tmp_path):
    zoo_dir, _ = tiny_zoo
    copy = tmp_path / "zoo"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((zoo_dir / "manifest.json").read_bytes())
    (copy / "tiny").mkdir()
    (copy / "tiny" / "tiny.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(zoo.ChecksumError, match="packaged zoo file"):
        zoo.load_pretrained("tiny", cache_dir=tmp_path / "c", zoo_dir=copy)
    assert (copy / "tiny" / "tiny.tar.gz").read_bytes() == b"not the archive"


def test_mirror_url_from_the_environment(tiny_zoo, tmp_path, served, monkeypatch, hits):
    zoo_dir, _ = tiny_zoo
    manifest = json.loads((zoo_dir / "manifest.json").read_text())
    manifest["base_url"] = "http://127.0.0.1:9/nowhere"  # port 9: discard
    copy = tmp_path / "zoo"
    copy.mkdir()
    (copy / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("KERAS_GANS_ZOO_URL", served[1])
    zoo.load_pretrained(
        "remote", cache_dir=tmp_path / "c", zoo_dir=copy, progress=False
    )
    assert hits["/remote/remote.tar.gz"] == 1


def test_cache_dir_with_a_tilde_is_the_home_folder(tiny_zoo, tmp_path, monkeypatch):
    zoo_dir, _ = tiny_zoo
    monkeypatch.setenv("HOME", str(tmp_path))
    gan = zoo.load_pretrained("tiny", cache_dir="~/zoo-cache", zoo_dir=zoo_dir)
    assert gan.export_dir.parent.parent == tmp_path / "zoo-cache"
    assert not pathlib.Path("~").exists()  # no literal "~" folder in the cwd


def test_damaged_unpacked_copy_is_unpacked_again(tiny_zoo, tmp_path):
    zoo_dir, model = tiny_zoo
    gan = zoo.load_pretrained("tiny", cache_dir=tmp_path, zoo_dir=zoo_dir)
    export = gan.export_dir
    (export / "saved_model.pb").write_bytes(b"damaged on disk")
    again = zoo.load_pretrained("tiny", cache_dir=tmp_path, zoo_dir=zoo_dir)
    assert again.export_dir == export
    np.testing.assert_allclose(
        again.generate(2, seed=3), model.generate(2, seed=3), atol=1e-5
    )
    (export / "assets.extra" / "keras_gans.json").unlink()
    zoo.load_pretrained("tiny", cache_dir=tmp_path, zoo_dir=zoo_dir)
    assert (export / "assets.extra" / "keras_gans.json").is_file()


def test_archive_unpacked_by_another_process_meanwhile_is_used(
    tiny_zoo, tmp_path, monkeypatch
):
    # Two processes loading one model for the first time: both unpack, the
    # other one renames its copy into place first.
    from keras_gans.zoo import _download, presets

    zoo_dir, model = tiny_zoo
    real = _download._extract

    def racing(archive, target, **kwargs):
        real(archive, target, **kwargs)  # the other process wins
        return real(archive, target, **kwargs)

    monkeypatch.setattr(presets, "_extract", racing)
    gan = zoo.load_pretrained("tiny", cache_dir=tmp_path, zoo_dir=zoo_dir)
    np.testing.assert_allclose(
        gan.generate(2, seed=1), model.generate(2, seed=1), atol=1e-5
    )
    assert [p.name for p in (tmp_path / "tiny").iterdir()] == [gan.export_dir.name]


def test_failed_publish_keeps_the_published_files(tmp_path, monkeypatch):
    def tiny(seed):
        model = keras_gans.DCGAN(
            image_shape=(16, 16, 1), latent_dim=8, g_filters=8, d_filters=8, seed=seed
        )
        model.generate(1)
        return model

    recipe = {
        "description": "tiny",
        "train": {"model": "dcgan", "dataset": "fashion_mnist"},
        "evaluate": {"skip": "a test model"},
    }
    zoo_dir = tmp_path / "zoo"
    publish_lib.publish("tiny", tiny(0), zoo_dir, recipe)
    before = {p: p.read_bytes() for p in zoo_dir.rglob("*") if p.is_file()}
    assert zoo_dir / "tiny" / "tiny.tar.xz" in before

    def broken(pretrained, *args, **kwargs):
        raise RuntimeError("evaluation failed")

    monkeypatch.setattr(publish_lib, "sample_check", broken)
    with pytest.raises(RuntimeError, match="evaluation failed"):
        publish_lib.publish("tiny", tiny(1), zoo_dir, recipe)
    after = {p: p.read_bytes() for p in zoo_dir.rglob("*") if p.is_file()}
    assert after == before  # archive, grid, card, manifest: as published
    assert not list(zoo_dir.rglob(".publish-*"))  # the staging folder is gone


@pytest.mark.parametrize(
    "args",
    [
        ["dcgan_fashion_mnist", "--epochs", "1"],
        ["dcgan_fashion_mnist", "--limit", "64", "--zoo-dir", "Z"],
        ["dcgan_fashion_mnist", "--n-eval", "0", "--run-dir", "R"],
    ],
)
def test_train_zoo_smoke_run_needs_its_own_folders(train_zoo, args, capsys):
    # A smoke-sized run must not replace the published model or resume its run.
    with pytest.raises(SystemExit) as info:
        train_zoo.main(args)
    assert info.value.code == 2
    message = capsys.readouterr().err.splitlines()[-1]  # after the usage lines
    assert "does not replace the published zoo model" in message
    assert ("--zoo-dir" in message) == ("--zoo-dir" not in args)
    assert ("--run-dir" in message) == ("--run-dir" not in args)


def test_train_zoo_register_refuses_a_published_name(train_zoo, tmp_path, capsys):
    zoo_dir = tmp_path / "zoo"
    (zoo_dir / "dcgan_fashion_mnist").mkdir(parents=True)
    for name in ("manifest.json", "dcgan_fashion_mnist/recipe.json"):
        (zoo_dir / name).write_bytes((REPO / "zoo" / name).read_bytes())
    manifest = (zoo_dir / "manifest.json").read_bytes()
    with pytest.raises(SystemExit):
        train_zoo.main(["dcgan_fashion_mnist", "--register", "--zoo-dir", str(zoo_dir)])
    assert "is published" in capsys.readouterr().err
    assert (zoo_dir / "manifest.json").read_bytes() == manifest


# --- the package's own zoo ---------------------------------------------------

REQUIRED = ("class", "kind", "dataset", "image_shape", "metrics", "files", "license")


def test_every_keras_gans_subpackage_is_packaged():
    # pyproject lists packages by hand (for the zoo's package-dir mapping).
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "keras_gans").rglob("__init__.py")
    }
    assert found | {"keras_gans._zoo_files"} == listed


def test_manifest_entries_are_complete_and_files_match():
    manifest = zoo.load_manifest()
    names = zoo.list_models()
    for name in ("dcgan_celeba", "gan_cls_cub"):
        assert name in names
        entry = zoo.get_entry(name)
        assert not entry["files"] and "tools/train_zoo.py" in entry["train_command"]
    published = zoo.list_models(published_only=True)
    assert set(published) >= {
        "gan_fashion_mnist",
        "dcgan_fashion_mnist",
        "infogan_fashion_mnist",
        "gan_cls_fashion_captions",
        "fashion_mnist_classifier",
        "vae_fashion_mnist",
        "pixelcnn_fashion_mnist",
    }
    for name in published:
        entry = manifest["models"][name]
        for key in REQUIRED:
            assert entry.get(key) is not None, (name, key)
        for metric in entry["metrics"].values():
            assert isinstance(metric["value"], float) and metric["how"]
        for spec in entry["files"]:
            path = (
                REPO / "keras_gans" / spec["package_file"]
                if spec.get("package_file")
                else REPO / "zoo" / spec["path"]
            )
            assert path.stat().st_size == spec["size"], name
            assert _sha(path) == spec["sha256"], name
            # A preset holds every network: InfoGAN's G, D and Q are 3.5M
            # float32 weights, 14 MB before compression (12 MB in its archive).
            assert spec["size"] < 13e6, f"{name}: zoo files stay small"
            assert re.match(r"https://", spec["url"])
        if entry["kind"] != "classifier":
            assert (REPO / "zoo" / entry["card"]).is_file()
            assert (REPO / "zoo" / entry["samples"]).is_file()
            recipe = publish_lib.load_recipe(name, REPO / "zoo")
            assert entry["training"]["config"] == recipe["train"]
            assert entry["training"]["seconds"] > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "gan_fashion_mnist",
        "dcgan_fashion_mnist",
        "infogan_fashion_mnist",
        "gan_cls_fashion_captions",
    ],
)
def test_published_model_generates_offline_as_when_published(
    name, tmp_path, monkeypatch
):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError(f"{name} tried to download: {args}")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    gan = zoo.load_pretrained(name, cache_dir=tmp_path, progress=False)
    images = gan.generate(16, seed=0)
    assert images.shape == (16, *gan.entry["image_shape"])
    assert np.isfinite(images).all() and -1 <= images.min() and images.max() <= 1
    check = gan.entry["check"]
    first = gan.generate(check["n"], seed=check["seed"])
    assert abs(first.mean() - check["mean"]) < 1e-4
    assert abs(first.std() - check["std"]) < 1e-4
    np.testing.assert_allclose(
        first.reshape(-1)[:: first.size // 8][:8], check["first"], atol=1e-4
    )
    if gan.kind == "infogan":
        rows = gan.generate_with_codes(np.arange(10), seed=0)
        assert rows.shape == (10, 28, 28, 1)
    if gan.kind == "gan_cls":
        pictures = gan.text_to_image(["a dark narrow coat", "a light wide bag"])
        assert pictures.shape == (2, 28, 28, 1)


@pytest.mark.parametrize("name", ["dcgan_celeba", "gan_cls_cub"])
def test_large_data_entries_say_how_to_train_them(name, tmp_path):
    with pytest.raises(zoo.NotPublishedError) as info:
        zoo.load_pretrained(name, cache_dir=tmp_path)
    message = str(info.value)
    assert f"python tools/train_zoo.py {name}" in message
    assert zoo.get_entry(name)["requirements"] in message
    assert not list(tmp_path.iterdir())


def test_classifier_entry_loads_the_shipped_keras_file(tmp_path):
    model = zoo.load_pretrained("fashion_mnist_classifier", cache_dir=tmp_path)
    assert model.output_shape == (None, 10)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "gan_fashion_mnist",
        "dcgan_fashion_mnist",
        "infogan_fashion_mnist",
        "gan_cls_fashion_captions",
        "vae_fashion_mnist",
    ],
)
def test_published_model_tflite_matches_its_saved_model(name, tmp_path):
    # PixelCNN's sampler file: exact on small models in
    # test_likelihood_families.py; the zoo model in BENCHMARKS.md.
    from keras_gans.export import tflite

    gan = zoo.load_pretrained(name, cache_dir=tmp_path, progress=False)
    for quantize, bound in (("none", 1e-4), ("float16", 2e-2)):
        paths = tflite.export_tflite(gan.export_dir, tmp_path / "tflite", quantize)
        assert tflite.parity(gan.export_dir, paths["model"], n=16) <= bound, quantize
        if "text_encoder" in paths:
            assert tflite.parity(gan.export_dir, paths["text_encoder"]) <= bound


@pytest.mark.slow
def test_wheel_ships_the_zoo_and_loads_offline(tmp_path):
    # What a fresh `pip install keras-gans` gets: build the wheel, unpack it
    # alone on sys.path (no repository checkout), load a zoo model.
    import shutil
    import subprocess
    import sys
    import zipfile

    # setuptools keeps build/lib between builds and would ship files that the
    # checkout no longer has.
    shutil.rmtree(REPO / "build", ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("keras_gans-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "keras_gans/_zoo_files/manifest.json" in names
    assert (
        "keras_gans/_zoo_files/dcgan_fashion_mnist/dcgan_fashion_mnist.tar.xz" in names
    )
    code = (
        "import keras_gans, pathlib;"
        f"assert pathlib.Path(keras_gans.__file__).parent.parent == pathlib.Path({str(site)!r});"
        "g = keras_gans.zoo.load_pretrained('dcgan_fashion_mnist', progress=False);"
        "print(g.generate(16, seed=0).shape)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(site),
            "KERAS_GANS_HOME": str(tmp_path / "home"),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(16, 28, 28, 1)" in out.stdout
