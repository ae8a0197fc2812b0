"""`keras-gans demo` against hostile uploads and requests (issue 27).

Uploads are read only as PNG, JPEG, WebP, BMP or GIF, and refused by their
size on disk and by the pixel count in their header before any pixel is
decoded; request bodies are capped; old uploads leave the disk; a page
reachable beyond this machine says so on stderr and can ask for a password.
The server checks share one server process, started with the real `launch`,
so memory is measured in the process that decodes the uploads.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import struct
import subprocess
import sys
import time
import warnings
import zlib

import numpy as np
import pytest

pytest.importorskip("gradio")

from keras_gans import demo  # noqa: E402
from keras_gans.demo import app as demo_app  # noqa: E402
from keras_gans.demo import views  # noqa: E402

USER, PASSWORD = "keras", "gans:secret"
# The server's uploads are deleted once over this many seconds old: long
# enough for an upload to reach its handler on a busy machine.
UPLOAD_AGE = 3
BOMB_SIDE = 13_300
BOMB_MESSAGE = (
    "Upload: expected an image of at most 16,777,216 pixels (4096 x 4096); "
    "received 13,300 x 13,300."
)
MB = 2**20

# A page with one upload whose handler is the demo's own: `guard` around
# `read_image`, served by `keras_gans.demo.launch` with its limits, but with
# uploads deleted after seconds instead of minutes.
SERVER = f"""
import sys
from keras_gans import demo
from keras_gans.demo import app as demo_app, views

gr = demo.require_gradio()
demo_app.DELETE_CACHE = (1, {UPLOAD_AGE})


def read(upload):
    image = demo.read_image(upload, (28, 28, 1))
    return views.grid(image[None]), f"Read {{image.shape}}."


with gr.Blocks() as app:
    upload = gr.File(type="filepath")
    image = gr.Image(format="png")
    note = gr.Markdown()
    upload.upload(views.guard(read, 1), upload, [image, note], api_name="read")
demo.launch(app, port=int(sys.argv[1]), auth=({USER!r}, {PASSWORD!r}))
"""


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def write_bomb(path, side=BOMB_SIDE):
    """A black RGB PNG of `side` x `side` pixels: 530 MB decoded, 0.5 MB on disk.

    Its pixel stream is all zeros, so it is one deflate segment of 1 MiB of
    zeros repeated (each segment ends in a full flush, so segments join),
    and the Adler-32 of n zeros is `(n % 65521) << 16 | 1`: milliseconds
    instead of compressing 530 MB.
    """
    raw = side * (1 + 3 * side)  # a filter byte and RGB pixels per row
    segment_bytes = 2**20
    count, rest = divmod(raw, segment_bytes)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(bytes(segment_bytes)) + deflate.flush(zlib.Z_FULL_FLUSH)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = deflate.compress(bytes(rest)) + deflate.flush()
    adler = ((raw % 65521) << 16) | 1
    stream = b"\x78\xda" + segment * count + last + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    pathlib.Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", stream)
        + png_chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")


def save_image(path, size=(40, 30), **kwargs):
    """A small RGB image: left half black, right half white."""
    from PIL import Image

    w, h = size
    pixels = np.zeros((h, w, 3), np.uint8)
    pixels[:, w // 2 :] = 255
    Image.fromarray(pixels).save(path, **kwargs)
    return path


# --- Reading an upload -------------------------------------------------------------


def test_the_bomb_is_a_valid_png_that_decodes_in_full(tmp_path, bomb, monkeypatch):
    from PIL import Image

    assert bomb.stat().st_size < MB
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # no warning
    with Image.open(bomb) as image:
        assert image.size == (BOMB_SIDE, BOMB_SIDE) and image.mode == "RGB"
    # Made the same way at 1,000 x 1,000 (three segments), it decodes black,
    # its stream's checksum included.
    small = write_bomb(tmp_path / "small.png", side=1000).read_bytes()
    stream = small[small.index(b"IDAT") + 4 : small.index(b"IEND") - 8]
    assert zlib.decompress(stream) == bytes(1000 * 3001)
    with Image.open(tmp_path / "small.png") as image:
        assert image.size == (1000, 1000) and image.getextrema() == ((0, 0),) * 3


def test_an_oversized_image_is_refused_from_its_header_without_decoding(
    tmp_path, monkeypatch
):
    from PIL import Image, ImageFile

    # 25 megapixels: over the demo's cap, under Pillow's own warning.
    path = write_bomb(tmp_path / "large.png", side=5000)
    decoded = []
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: decoded.append(self.size)
    )
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size))
    with pytest.raises(demo.DemoInputError) as error:
        demo.read_image(path, (28, 28, 1))
    assert str(error.value) == (
        "Upload: expected an image of at most 16,777,216 pixels (4096 x 4096); "
        "received 5,000 x 5,000."
    )
    assert decoded == []


def test_the_cap_holds_without_pillows_decompression_bomb_check(bomb, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(demo.DemoInputError) as error:
        demo.read_image(bomb, (28, 28, 1))
    assert str(error.value) == BOMB_MESSAGE


@pytest.mark.parametrize(
    "max_pixels, received",
    [(1_000_000, "more than 2,000,000"), (100_000_000, "more than 100,000,000")],
)
def test_an_image_over_pillows_own_limits_is_refused_in_one_line(
    bomb, monkeypatch, max_pixels, received
):
    from PIL import Image

    # Over twice MAX_IMAGE_PIXELS Pillow refuses an image while opening it;
    # over MAX_IMAGE_PIXELS it warns, which is an error here.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", max_pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(demo.DemoInputError) as error:
            demo.read_image(bomb, (28, 28, 1))
    assert str(error.value) == (
        "Upload: expected an image of at most 16,777,216 pixels (4096 x 4096); "
        f"received one of {received} pixels."
    )


@pytest.mark.parametrize("suffix", ["tga", "pcx", "ico"])
def test_formats_pillow_reads_but_the_demo_does_not_are_refused(tmp_path, suffix):
    from PIL import Image

    path = save_image(tmp_path / f"image.{suffix}", size=(32, 32))
    with Image.open(path) as image:  # a valid file of its format
        image.load()
    with pytest.raises(demo.DemoInputError) as error:
        demo.read_image(path, (28, 28, 1))
    assert str(error.value) == (
        "Upload: expected an image file (PNG, JPEG, WebP, ...); could not read "
        f"'image.{suffix}' as one (UnidentifiedImageError); the demo reads PNG, "
        "JPEG, WebP, BMP or GIF files."
    )


@pytest.mark.parametrize("suffix", ["png", "jpg", "webp", "bmp", "gif"])
@pytest.mark.parametrize("channels", [1, 3])
def test_the_formats_the_demo_reads_are_read(tmp_path, suffix, channels):
    kwargs = {"quality": 95} if suffix == "jpg" else {}
    path = save_image(tmp_path / f"photo.{suffix}", size=(100, 50), **kwargs)
    image = demo.read_image(path, (28, 28, channels))
    assert image.shape == (28, 28, channels) and image.dtype == np.float32
    # JPEG blurs the edge a little; both halves stay black and white.
    assert image[:, :10].max() < -0.9 and image[:, -10:].min() > 0.9


def test_a_file_over_the_upload_size_is_refused_before_it_is_opened(tmp_path):
    path = save_image(tmp_path / "padded.png")
    with path.open("ab") as f:
        f.truncate(views.MAX_UPLOAD_BYTES + MB // 2)
    with pytest.raises(demo.DemoInputError) as error:
        demo.read_image(path, (28, 28, 1))
    assert str(error.value) == (
        "Upload: expected a file of at most 10 MiB; received 10.5 MiB."
    )


def test_an_upload_deleted_from_the_server_says_to_upload_it_again(tmp_path):
    with pytest.raises(demo.DemoInputError) as error:
        demo.read_image(tmp_path / "gone.png", (28, 28, 1))
    assert str(error.value) == (
        "Upload: expected an uploaded file; 'gone.png' is no longer on the "
        "server (it deletes old uploads): upload it again."
    )


# --- Passwords and who can reach the page -------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ann:pw", ("ann", "pw")),
        (" ann :a:b: ", ("ann", "a:b: ")),  # the password keeps its colons
    ],
)
def test_auth_is_read_from_user_colon_password(text, expected):
    assert demo.parse_auth(text) == expected


@pytest.mark.parametrize(
    "text, received",
    [
        ("annpw", "a value without a colon"),
        (":pw", "an empty user name"),
        ("  :pw", "an empty user name"),
        ("ann:", "an empty password"),
    ],
)
def test_a_bad_auth_says_what_was_expected_without_the_password(text, received):
    with pytest.raises(ValueError) as error:
        demo.parse_auth(text)
    assert str(error.value) == (
        "--auth: expected USER:PASS, a user name and a password joined by a "
        f"colon; received {received}."
    )
    assert "pw" not in str(error.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_a_page_on_this_machine_only_gets_no_warning(host):
    assert demo_app.exposure_warning(host) is None


@pytest.mark.parametrize(
    "host, share, where",
    [
        ("0.0.0.0", False, "the network (host 0.0.0.0)"),
        ("::", False, "the network (host ::)"),
        ("192.168.1.5", False, "the network (host 192.168.1.5)"),
        ("myhost", False, "the network (host myhost)"),
        ("127.0.0.1", True, "the internet (a public share link, share=True)"),
    ],
)
def test_a_page_others_can_reach_gets_a_warning(host, share, where):
    assert demo_app.exposure_warning(host, share) == (
        f"Warning: keras_gans demo: the page is reachable from {where}, without "
        "a password: anyone who reaches it can run the models and upload files. "
        "Pass --auth USER:PASS (launch(..., auth=(user, password))) to ask for one."
    )
    warning = demo_app.exposure_warning(host, share, auth=(USER, PASSWORD))
    assert "--auth password" in warning and "Pass --auth" not in warning


@pytest.fixture
def fake_gradio_launch(monkeypatch):
    """A Blocks whose Gradio `launch` records its arguments and serves nothing."""
    gr = demo.require_gradio()
    with gr.Blocks() as app:
        gr.Markdown("a page")
    calls = []

    def launch(**kwargs):
        calls.append(kwargs)
        return None, "http://127.0.0.1:7860/", None

    monkeypatch.setattr(app, "launch", launch)
    monkeypatch.setattr(app, "queue", lambda **kwargs: app)  # the server's own
    return app, calls


@pytest.mark.parametrize(
    "host, share, warned",
    [("0.0.0.0", False, True), ("127.0.0.1", True, True), ("127.0.0.1", False, False)],
)
def test_launch_prints_the_warning_to_stderr_even_when_quiet(
    fake_gradio_launch, capsys, host, share, warned
):
    app, calls = fake_gradio_launch
    demo.launch(app, host=host, share=share, block=False, quiet=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (demo_app.exposure_warning(host, share) + "\n" if warned else "")
    assert calls[0]["server_name"] == host and calls[0]["share"] is share
    assert calls[0]["auth"] is None


def test_launch_hands_the_password_to_gradio(fake_gradio_launch, capsys):
    app, calls = fake_gradio_launch
    demo.launch(app, host="0.0.0.0", block=False, auth=demo.parse_auth("ann:pw"))
    assert calls[0]["auth"] == ("ann", "pw")
    assert "asks for the --auth password" in capsys.readouterr().err
    for bad in [("ann",), ("ann", ""), "ann:pw", ("ann", 5)]:
        with pytest.raises(ValueError, match=r"^auth: expected \(user, password\)"):
            demo.launch(app, block=False, auth=bad)


# --- A served page --------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_kib(pid, field):
    """`VmHWM` or `VmRSS` of a process, in KiB."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def raw_request(port, head, body_chunks=()):
    """Sends `head` and then `body_chunks` on one connection; `(status, body)`."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for chunk in body_chunks:
            s.sendall(chunk)
        answer = b""
        while data := s.recv(65536):
            answer += data
            if b"\r\n\r\n" in answer:
                headers, _, body = answer.partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":")[1])
                    for line in headers.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                ]
                if length and len(body) >= length[0]:
                    break
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2].decode()


class Page:
    """The served page, called over HTTP as its browser page calls it."""

    def __init__(self, url, pid, client):
        self.url, self.pid, self.client = url, pid, client
        self.port = int(url.rsplit(":", 1)[1])

    def upload(self, name, data):
        """The server's path of an uploaded file."""
        response = self.client.post(
            f"{self.url}/gradio_api/upload", files={"files": (name, data)}
        )
        assert response.status_code == 200, response.text
        (path,) = response.json()
        return path

    def read(self, path):
        """`(image, message)` of the page's upload handler for a server path."""
        file = {"path": path, "meta": {"_type": "gradio.FileData"}}
        call = f"{self.url}/gradio_api/call/read"
        response = self.client.post(call, json={"data": [file]})
        assert response.status_code == 200, response.text
        event_id = response.json()["event_id"]
        events = self.client.get(f"{call}/{event_id}", timeout=120).text
        assert "event: complete" in events, events
        data = events.split("event: complete\ndata: ", 1)[1].splitlines()[0]
        return tuple(json.loads(data))


@pytest.fixture(scope="module", autouse=True)
def server(tmp_path_factory):
    """`(process, port, log)` of the page's server.

    Started before the file's first test, so that it boots (seconds: Keras
    and Gradio) while the tests that need no server run. Keras's NumPy
    backend spares it TensorFlow; nothing here runs a model.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)], stdout=out, stderr=out, env=env
        )
    try:
        yield process, port, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def page(server):
    """`(Page, server log)` once the server answers."""
    import httpx

    process, port, log = server
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=60) as client:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no page in 180 s\n" + log.read_text()
            try:
                client.get(f"{url}/gradio_api/info")
                break
            except httpx.TransportError:
                time.sleep(0.3)
        yield Page(url, process.pid, client), log


@pytest.fixture(scope="module")
def logged_in(page):
    served, _ = page
    response = served.client.post(
        f"{served.url}/login", data={"username": USER, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return served


def test_the_page_asks_for_the_password_and_does_not_warn_on_127_0_0_1(page):
    import httpx

    served, log = page
    with httpx.Client(timeout=30) as stranger:
        assert stranger.get(f"{served.url}/config").status_code == 401
        upload = stranger.post(
            f"{served.url}/gradio_api/upload", files={"files": ("a.png", b"x")}
        )
        assert upload.status_code == 401
        wrong = stranger.post(
            f"{served.url}/login", data={"username": USER, "password": "guess"}
        )
        assert wrong.status_code == 400
    assert "reachable" not in log.read_text()


def test_a_small_upload_is_drawn(logged_in, tmp_path):
    path = logged_in.upload("photo.png", save_image(tmp_path / "p.png").read_bytes())
    image, message = logged_in.read(path)
    assert message == "Read (28, 28, 1)."
    assert image["url"].endswith(".png")


def test_the_bomb_is_refused_without_the_servers_memory_growing(logged_in, bomb):
    pid = logged_in.pid
    try:
        # Writing 5 resets the peak (VmHWM) to the present size (VmRSS).
        pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass  # then the peak before is the startup's: a weaker check
    before = vm_kib(pid, "VmHWM")
    path = logged_in.upload("bomb.png", bomb.read_bytes())
    _, message = logged_in.read(path)
    after = vm_kib(pid, "VmHWM")
    assert message == f"**Not drawn.** {BOMB_MESSAGE}"
    print(f"server VmHWM {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB")
    # Decoded, the bomb alone would take 530 MB.
    assert (after - before) * 1024 < 100 * MB


def test_an_upload_of_the_largest_size_passes_and_one_byte_more_is_refused(
    logged_in,
):
    data = bytes(views.MAX_UPLOAD_BYTES)
    path = logged_in.upload("large.png", data)
    assert pathlib.Path(path).stat().st_size == views.MAX_UPLOAD_BYTES
    response = logged_in.client.post(
        f"{logged_in.url}/gradio_api/upload", files={"files": ("more.png", data + b"x")}
    )
    assert response.status_code == 413


def test_a_json_body_over_the_cap_is_refused_before_it_is_read(logged_in):
    # 60 MB announced, none sent: the answer comes from the headers alone.
    status, body = raw_request(
        logged_in.port,
        "POST /gradio_api/queue/join HTTP/1.1\n"
        f"Host: 127.0.0.1:{logged_in.port}\n"
        "Content-Type: application/json\n"
        "Content-Length: 60000000\n",
    )
    assert status == 413
    assert body == (
        "Request body: expected at most 1,048,576 bytes; received 60,000,000 bytes.\n"
    )


def test_a_streamed_json_body_is_cut_at_the_cap(logged_in):
    limit = demo_app.MAX_REQUEST_BYTES
    piece = b" " * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * (limit // len(piece) + 1)
    status, body = raw_request(
        logged_in.port,
        "POST /gradio_api/call/read HTTP/1.1\n"
        f"Host: 127.0.0.1:{logged_in.port}\n"
        "Content-Type: application/json\n"
        "Transfer-Encoding: chunked\n",
        chunks,
    )
    assert status == 413
    assert body == (
        "Request body: expected at most 1,048,576 bytes; received more than "
        "1,048,576 bytes.\n"
    )
    # A JSON body of a normal size still reaches Gradio.
    response = logged_in.client.post(
        f"{logged_in.url}/gradio_api/call/read",
        json={"data": [None], "pad": "x" * 1000},
    )
    assert response.status_code == 200 and "event_id" in response.json()


def test_uploads_leave_the_disk_once_old(logged_in, tmp_path):
    path = logged_in.upload("photo.png", save_image(tmp_path / "p.png").read_bytes())
    assert logged_in.read(path)[1] == "Read (28, 28, 1)."
    deadline = time.monotonic() + 30
    while pathlib.Path(path).exists():
        assert time.monotonic() < deadline, f"{path} is still there after 30 s"
        time.sleep(0.25)
