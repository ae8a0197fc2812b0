"""`keras-gans demo` in a real browser: Debian's Chromium, headless, offline.

One app serves every published zoo model (through the page's model picker)
and an export given at start. For each model the test changes controls as
a person would (seed, slider, category, caption, checkbox, upload) and
checks that the image shown changed and equals, pixel for pixel after
decoding the served PNG, what the library returns for the same inputs. It
sends the bad inputs (an unknown name, a 10,000-character caption, an empty
caption, a non-image upload, a seed that is not a number) and checks the
message in the page and that the next request still works. Chromium
resolves no host but 127.0.0.1, and the page's requests are checked to
stay on it.

    python -m pytest tests/test_demo_browser.py --demo-screenshots docs/demo

also writes the screenshots of docs/demo.md (one per family) into that folder.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import socket
import urllib.parse
import urllib.request

import numpy as np
import pytest

pytest.importorskip("gradio")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from keras_gans import demo  # noqa: E402
from keras_gans.demo import views  # noqa: E402
from keras_gans.images import image_grid  # noqa: E402
from keras_gans.latent import arithmetic, concept_vector, interpolate  # noqa: E402
from keras_gans.models import from_preset  # noqa: E402
from keras_gans.models.gan_cls.demo import StyleTransferView  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("KERAS_GANS_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            "KERAS_GANS_REQUIRE_BROWSER=1 but Chromium or its driver is missing: "
            "apt-get install chromium chromium-driver"
        )
    pytest.skip("needs chromium and chromium-driver", allow_module_level=True)

WAIT = 60  # seconds; PixelCNN draws 784 steps per grid on a shared CPU
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def library_grid(images, ncols=None):
    return image_grid(images, ncols=ncols)[..., 0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def models():
    return {name: from_preset(name) for name in demo.app.published_generators()}


@pytest.fixture(scope="module")
def server(models, tmp_path_factory):
    export = models["dcgan_fashion_mnist"].export(
        tmp_path_factory.mktemp("exports") / "dcgan", version=1
    )
    app = demo.build("dcgan_fashion_mnist", sources=[str(export)])
    url = demo.launch(app, port=free_port(), block=False, quiet=True)
    yield url, str(export)
    app.close()


@pytest.fixture(scope="module")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # Chromium refuses to run as root with its sandbox
        "--disable-dev-shm-usage",
        "--window-size=1000,1300",
        # The network unplugged: no name resolves but the app's.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    browser = webdriver.Chrome(options=options, service=service)
    yield browser
    browser.quit()


class _Redrawn(Exception):
    """An element the page replaced while it was read: look again."""


def _read(read):
    """`read()`, with an element replaced meanwhile raised as `_Redrawn`.

    Chromium 156's driver reports a node removed between finding it and
    reading it as an "unknown error" (`Node with given id does not belong to
    the document`) rather than a stale element; both mean the page redrew.
    """
    try:
        return read()
    except StaleElementReferenceException:
        raise _Redrawn from None
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            raise _Redrawn from None
        raise


class Page:
    """The demo page in the browser, driven through its components' elem_ids."""

    def __init__(self, driver, url, screenshots=None):
        self.driver = driver
        self.url = url
        self.screenshots = screenshots

    def wait(self, condition, what, timeout=WAIT):
        try:
            return WebDriverWait(
                self.driver,
                timeout,
                # A redrawn component: look again.
                ignored_exceptions=(NoSuchElementException, _Redrawn),
            ).until(lambda _: _read(condition))
        except TimeoutException:
            messages = [self.text(i) for i in ("model-message", "model-description")]
            raise AssertionError(
                f"Timed out waiting for {what}; the page says {messages}"
            ) from None

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def open(self, name=None):
        self.driver.get(self.url)
        self.wait(lambda: self.showing() is not None, "the page")
        for _ in range(3):  # a typed name the dropdown did not take: type again
            if name is None or self.showing() == name:
                break
            self.type("model-picker", name)
            self.click("model-load")
            try:
                self.wait(lambda: self.showing() == name, f"{name} to load", 30)
            except AssertionError:
                continue
        assert name is None or self.showing() == name, self.text("model-message")
        self.wait(
            lambda: self.driver.find_elements(By.CSS_SELECTOR, "[role=tab]"), "tabs"
        )

    def showing(self):
        """The source of the model the page shows (its description names it)."""

        def first():
            codes = self.driver.find_elements(By.CSS_SELECTOR, "#model-description code")
            return codes[0].text if codes else None

        try:
            return _read(first)
        except _Redrawn:  # the page is being replaced
            return None

    def text(self, elem_id):
        def first():
            elements = self.driver.find_elements(By.ID, elem_id)
            return elements[0].text if elements else ""

        try:
            return _read(first)
        except _Redrawn:
            return ""

    def tab(self, title):
        tabs = self.driver.find_elements(By.CSS_SELECTOR, "button[role=tab]")
        [tab] = [t for t in tabs if t.text.strip() == title]
        tab.click()

    def click(self, elem_id):
        self.find(f"#{elem_id}").click()

    def field(self, elem_id):
        return self.find(f"#{elem_id} textarea, #{elem_id} input")

    def type(self, elem_id, text, enter=False):
        """Replaces a box's text as typing would (long texts set at once)."""
        field = self.field(elem_id)
        field.click()
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            field,
            text,
        )
        field.send_keys(Keys.END)  # a real key press, as a person's last one
        if enter:
            field.send_keys(Keys.ENTER)
        else:
            field.send_keys(Keys.TAB)  # blur: a dropdown commits its custom value

    def choose(self, elem_id, option):
        """Picks an option of a dropdown by typing it and pressing Enter."""
        field = self.field(elem_id)
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(option)
        field.send_keys(Keys.ENTER)

    def check(self, elem_id, label):
        boxes = self.driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} label")
        [box] = [b for b in boxes if b.text.strip() == label]
        box.click()

    def slide(self, elem_id, steps):
        slider = self.find(f"#{elem_id} input[type=range]")
        key = Keys.ARROW_RIGHT if steps > 0 else Keys.ARROW_LEFT
        for _ in range(abs(steps)):
            slider.send_keys(key)

    def upload(self, elem_id, path):
        css = f"#{elem_id} input[type=file]"
        # The upload area is redrawn after "Clear": wait for its input.
        self.wait(lambda: self.driver.find_elements(By.CSS_SELECTOR, css), css)
        self.find(css).send_keys(str(path))

    def src(self, elem_id):
        images = self.driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} img")
        return images[0].get_attribute("src") if images else None

    def image(self, elem_id):
        """The served image, decoded: it must be a PNG (lossless)."""
        with urllib.request.urlopen(self.src(elem_id), timeout=30) as response:
            data = response.read()
        assert data[:8] == PNG_MAGIC, f"{elem_id} is not served as PNG"
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(data)))

    def message(self, elem_id, contains):
        self.wait(lambda: contains in self.text(elem_id), f"{contains!r} in {elem_id}")
        return self.text(elem_id)

    def changed(self, elem_id, before, message_id, contains):
        """The new image of `elem_id` once `message_id` says `contains`."""
        self.message(message_id, contains)
        self.wait(lambda: self.src(elem_id) != before, f"a new {elem_id}")
        return self.image(elem_id)

    def refused(self, elem_id, before, message_id, contains):
        """A bad input: the message says why and the image stayed."""
        text = self.message(message_id, "Not drawn.")
        assert contains in text, text
        assert "Traceback" not in text and 'File "' not in text
        assert self.src(elem_id) == before
        return text

    def screenshot(self, name, show=None):
        """Writes the page as `<--demo-screenshots>/<name>.png`, scrolled to `show`."""
        if not self.screenshots:
            return
        from PIL import Image

        if show is not None:
            self.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'end'});", self.find(f"#{show}")
            )

        folder = pathlib.Path(self.screenshots)
        folder.mkdir(parents=True, exist_ok=True)
        shot = Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert(
            "RGB"
        )
        # A palette keeps the README's pictures small; the page has few colours.
        shot.quantize(colors=64).save(folder / f"{name}.png", optimize=True)


@pytest.fixture
def page(driver, server, request):
    return Page(driver, server[0], request.config.getoption("--demo-screenshots"))


def test_dcgan_seed_slider_and_arithmetic_match_the_library(page, models):
    model = models["dcgan_fashion_mnist"]
    page.open("dcgan_fashion_mnist")
    np.testing.assert_array_equal(
        page.image("samples-image"), library_grid(model.generate(16, seed=0), 8)
    )
    # A download link for the PNG.
    link = page.find("#samples-image a[download]")
    assert link.get_attribute("download").endswith(".png")

    before = page.src("samples-image")
    shown = page.image("samples-image")
    page.type("samples-seed", "7", enter=True)
    after = page.changed("samples-image", before, "samples-message", "seed 7.")
    assert not np.array_equal(after, shown)
    np.testing.assert_array_equal(after, library_grid(model.generate(16, seed=7), 8))

    # A seed that is not a number, then one that is.
    before = page.src("samples-image")
    page.type("samples-seed", "seven")
    page.click("samples-draw")
    page.refused(
        "samples-image", before, "samples-message", "expected a whole number from 0"
    )
    page.type("samples-seed", "8")
    page.click("samples-draw")
    after = page.changed("samples-image", before, "samples-message", "seed 8.")
    np.testing.assert_array_equal(after, library_grid(model.generate(16, seed=8), 8))

    page.tab("Interpolation")
    before = page.src("interp-image")
    page.slide("interp-t", 3)  # 0.5 -> 0.65: the path's 13th point
    after = page.changed("interp-image", before, "interp-message", "t = 0.65")
    z0, z1 = (np.asarray(model.sample_latent(1, seed=s))[0] for s in (0, 1))
    path = model.generate(interpolate(z0, z1, 21, "slerp"))
    np.testing.assert_array_equal(after, library_grid(path[13:14]))
    np.testing.assert_array_equal(
        page.image("interp-path"), library_grid(path[::2], ncols=11)
    )

    page.tab("Latent arithmetic")
    before = page.src("arith-result")
    page.check("arith-a", "4")
    page.click("arith-draw")
    after = page.changed("arith-result", before, "arith-message", "mean(1, 4)")
    z = np.asarray(model.sample_latent(16, seed=0))
    a, b, c = z[[0, 3]], z[[1]], z[[2]]
    expected = model.generate(
        np.stack(
            [
                concept_vector(a),
                concept_vector(b),
                concept_vector(c),
                arithmetic(a, b, c),
            ]
        )
    )
    np.testing.assert_array_equal(after, library_grid(expected, ncols=4))
    page.screenshot("dcgan", show="arith-message")


def test_gan_new_samples_show_their_seed(page, models):
    page.open("gan_fashion_mnist")
    before = page.src("samples-image")
    page.click("samples-new")

    def new_seed_shown():
        # The image, the seed box and the message come in one update; read
        # them only once all three show it.
        seed = page.field("samples-seed").get_attribute("value")
        return (
            page.src("samples-image") != before
            and seed != "0"
            and page.text("samples-message") == f"16 samples, seed {seed}."
            and seed
        )

    seed = int(page.wait(new_seed_shown, "the new seed in the box and the message"))
    expected = models["gan_fashion_mnist"].generate(16, seed=seed)
    np.testing.assert_array_equal(
        page.image("samples-image"), library_grid(expected, 8)
    )
    page.screenshot("gan")


def test_infogan_category_and_code_sliders(page, models):
    model = models["infogan_fashion_mnist"]
    page.open("infogan_fashion_mnist")
    before = page.src("codes-image")
    page.choose("codes-category-0", "3")
    after = page.changed("codes-image", before, "codes-message", "category 3,")
    expected = model.generate(
        16, seed=0, codes={"categorical": [3], "continuous": [0, 0]}
    )
    np.testing.assert_array_equal(after, library_grid(expected, 8))

    before = page.src("codes-image")
    page.slide("codes-continuous-0", -5)
    after = page.changed("codes-image", before, "codes-message", "c1 = -0.50")
    expected = model.generate(
        16, seed=0, codes={"categorical": [3], "continuous": [-0.5, 0.0]}
    )
    np.testing.assert_array_equal(after, library_grid(expected, 8))
    page.screenshot("infogan")


def test_gan_cls_captions_interpolation_style_and_bad_input(page, models, tmp_path):
    model = models["gan_cls_fashion_captions"]
    page.open("gan_cls_fashion_captions")
    caption = "a bright wide pullover"
    before = page.src("text-image")
    page.type("text-caption", caption)
    page.click("text-draw")
    after = page.changed("text-image", before, "text-message", caption)
    expected = model.generate([caption], n_per_text=16, seed=0)
    np.testing.assert_array_equal(after, library_grid(expected, 8))
    page.screenshot("gan_cls")

    before = page.src("text-image")
    page.type("text-caption", "x" * 10_000)
    page.click("text-draw")
    page.refused(
        "text-image", before, "text-message", "at most 300 characters; received 10,000"
    )
    page.type("text-caption", "")
    page.click("text-draw")
    page.refused("text-image", before, "text-message", "received an empty caption")
    page.type("text-caption", "a dark ankle boot")
    page.click("text-draw")
    after = page.changed("text-image", before, "text-message", "a dark ankle boot")
    expected = model.generate(["a dark ankle boot"], n_per_text=16, seed=0)
    np.testing.assert_array_equal(after, library_grid(expected, 8))

    page.tab("Caption interpolation")
    before = page.src("textinterp-image")
    page.type("textinterp-b", "a pale narrow sneaker")
    page.click("textinterp-draw")
    after = page.changed("textinterp-image", before, "textinterp-message", "sneaker")
    path = model.interpolate_texts(
        "an ankle boot in a dark tone with a narrow shape",
        "a pale narrow sneaker",
        steps=21,
        seed=0,
    )
    np.testing.assert_array_equal(after, library_grid(path[10:11]))

    page.tab("Style transfer")
    before = page.src("style-image")
    choice = list(views.example_images((28, 28, 1)))[7]
    page.choose("style-choice", choice)
    after = page.changed("style-image", before, "style-message", choice)
    x = views.example_images((28, 28, 1))[choice]
    captions = list(StyleTransferView.default_captions)
    expected = model.transfer_style(np.repeat(x[None], len(captions), 0), captions)
    np.testing.assert_array_equal(after, library_grid(expected, ncols=len(captions)))
    page.screenshot("gan_cls_style")

    # A file that is not an image, then a real upload.
    (tmp_path / "notes.txt").write_text("not an image")
    before = page.src("style-image")
    page.upload("style-upload", tmp_path / "notes.txt")
    page.refused("style-image", before, "style-message", "expected an image file")
    from PIL import Image

    Image.fromarray(np.rint((x[..., 0] + 1) * 127.5).astype(np.uint8)).resize(
        (56, 56)
    ).save(tmp_path / "boot.png")
    page.find("#style-upload button[aria-label='Clear']").click()
    page.upload("style-upload", tmp_path / "boot.png")
    page.message("style-message", "the upload")
    styled = demo.read_image(tmp_path / "boot.png", (28, 28, 1))
    expected = model.transfer_style(np.repeat(styled[None], len(captions), 0), captions)
    page.wait(lambda: page.src("style-image") != before, "the upload's images")
    np.testing.assert_array_equal(
        page.image("style-image"), library_grid(expected, ncols=len(captions))
    )


def test_vae_and_pixelcnn_draw_their_samples(page, models):
    page.open("vae_fashion_mnist")
    page.tab("Interpolation")
    before = page.src("interp-image")
    page.type("interp-seed-b", "9", enter=True)
    after = page.changed("interp-image", before, "interp-message", "to seed 9")
    vae = models["vae_fashion_mnist"]
    z0, z1 = (np.asarray(vae.sample_latent(1, seed=s))[0] for s in (0, 9))
    np.testing.assert_array_equal(
        after, library_grid(vae.generate(interpolate(z0, z1, 21, "slerp"))[10:11])
    )
    page.screenshot("vae")

    page.open("pixelcnn_fashion_mnist")
    assert [
        t.text for t in page.driver.find_elements(By.CSS_SELECTOR, "[role=tab]")
    ] == ["Samples"]
    before = page.src("samples-image")
    page.type("samples-seed", "2", enter=True)
    after = page.changed("samples-image", before, "samples-message", "seed 2.")
    expected = models["pixelcnn_fashion_mnist"].generate(8, seed=2)
    np.testing.assert_array_equal(after, library_grid(expected, 8))
    assert page.text("samples-message") == "8 samples, seed 2."
    page.screenshot("pixelcnn")


def test_an_unknown_name_is_refused_and_the_picker_still_loads(page):
    page.open()
    page.type("model-picker", "no_such_model")
    page.click("model-load")
    text = page.message("model-message", "Unknown model")
    assert "'no_such_model'" in text and "dcgan_fashion_mnist" in text
    assert "dcgan_fashion_mnist" in page.text("model-description")  # still shown
    page.type("model-picker", "vae_fashion_mnist")
    page.click("model-load")
    page.wait(lambda: page.showing() == "vae_fashion_mnist", "the VAE's page")
    assert "VAE" in page.text("model-description")
    assert page.driver.current_url.endswith("?model=vae_fashion_mnist")


def test_a_page_asked_for_an_unknown_model_shows_the_first_and_says_why(page):
    page.driver.get(page.url + "?model=../../etc/passwd")
    page.wait(lambda: page.showing() == "dcgan_fashion_mnist", "the first model")
    text = page.message("model-message", "Not loaded.")
    assert "Unknown model" in text


def test_an_export_says_what_it_shows(page, server, models):
    page.open(server[1])
    note = page.text("model-note")
    assert "This is an export (SavedModel)" in note
    assert "It shows Samples, Interpolation, Latent arithmetic." in note
    np.testing.assert_array_equal(
        page.image("samples-image"),
        library_grid(models["dcgan_fashion_mnist"].generate(16, seed=0), 8),
    )


def test_the_page_asked_for_nothing_but_the_app(driver, server):
    # Every request the browser made in this module (the log accumulates).
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("data:", "blob:")):
                hosts.add(urllib.parse.urlsplit(url).netloc)
    assert hosts == {urllib.parse.urlsplit(server[0]).netloc}
