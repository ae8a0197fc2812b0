"""The demo's tabs: `View` and the views every latent generator shares.

A view is one tab of the page: its controls, what they draw, and the
checks on what a person types. A family lists its views in
its `DemoSpec.views(target)` (`keras_gans.demo.spec`), so a new family
brings its own tabs; the views of InfoGAN and GAN-CLS live in their
folders (`keras_gans/models/<family>/demo.py`).

Each view's drawing is a plain method (`draw`, ...) that takes what the
controls hold and returns the images (uint8 grids, as served) and a
message; `render` lays out Gradio components and wires them to those
methods through `guard`, which turns bad input into a message in the page
instead of a stack trace. Tests call the same methods without a browser.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat

import numpy as np

from keras_gans.images import from_uint8, image_grid

MAX_SEED = 2**31 - 1
# Longer captions are refused: the text encoders read a few dozen tokens.
MAX_CAPTION_CHARS = 300
# Points on an interpolation path (the slider's positions): t = 0, 0.05, ..., 1.
PATH_POSITIONS = 21
# Every second point is shown in the path strip: t = 0, 0.1, ..., 1.
STRIP_EVERY = 2
# Uploads are parsed only as these formats: Pillow's other parsers (43 formats
# in all) are code a stranger's file could reach that no model needs.
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
UPLOAD_FORMAT_NAMES = "PNG, JPEG, WebP, BMP or GIF"
# Read from the file's header before any pixel is decoded: a 12-megapixel
# phone photo fits, and one decoded upload stays under 64 MiB (RGBA).
# Pillow's own decompression-bomb check starts at 89 megapixels (530 MB of
# RGB when decoded) and only warns below 179.
MAX_UPLOAD_SIDE = 4096
MAX_UPLOAD_PIXELS = MAX_UPLOAD_SIDE * MAX_UPLOAD_SIDE
# The largest upload file; Gradio's upload route refuses larger ones as they
# stream in (`keras_gans.demo.app.MAX_FILE_SIZE`).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

_log = logging.getLogger("keras_gans.demo")


class DemoInputError(ValueError):
    """What a person typed or uploaded cannot be drawn; the page says why."""


def shown(value, limit=40):
    """`value` quoted for a message, cut to `limit` characters, Markdown-safe."""
    text = str(value)
    cut = text if len(text) <= limit else text[:limit] + "..."
    cut = re.sub(r"([\\`*_{}\[\]<>#|~])", r"\\\1", cut)
    extra = "" if len(text) <= limit else f" ({len(text):,} characters)"
    return f"'{cut}'{extra}"


def parse_seed(text, label="Seed"):
    """A seed box's text as an int in [0, 2**31 - 1], or `DemoInputError`."""
    stripped = "" if text is None else str(text).strip()
    if not re.fullmatch(r"\d{1,10}", stripped) or int(stripped) > MAX_SEED:
        received = "an empty box" if not stripped else shown(text)
        raise DemoInputError(
            f"{label}: expected a whole number from 0 to {MAX_SEED:,}; "
            f"received {received}."
        )
    return int(stripped)


def parse_caption(text, label="Caption"):
    """A caption box's text, stripped, or `DemoInputError` if empty or too long."""
    stripped = "" if text is None else str(text).strip()
    if not stripped:
        raise DemoInputError(
            f"{label}: expected a description such as 'a dark ankle boot'; "
            "received an empty caption."
        )
    if len(stripped) > MAX_CAPTION_CHARS:
        raise DemoInputError(
            f"{label}: expected at most {MAX_CAPTION_CHARS} characters; received "
            f"{len(stripped):,}."
        )
    return stripped


def random_seed():
    """A fresh seed for "new samples"."""
    return secrets.randbelow(MAX_SEED + 1)


def grid(images, ncols=None):
    """uint8 grid of float images in [-1, 1]: exactly what the page serves.

    `keras_gans.images.image_grid`, grey grids as `(H, W)` (an image file's
    grey pixels).
    """
    pixels = image_grid(np.asarray(images), ncols=ncols)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def read_image(path, image_shape, label="Upload"):
    """An uploaded file as one float image `(H, W, C)` in [-1, 1] of the model's shape.

    Grey or RGB as the model reads, resized (Lanczos) to its height and
    width. Only PNG, JPEG, WebP, BMP and GIF files of at most
    `MAX_UPLOAD_BYTES` bytes and `MAX_UPLOAD_PIXELS` pixels are read; the
    pixel count comes from the file's header, before anything is decoded.
    Any other file gets `DemoInputError`.
    """
    from PIL import Image

    name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    check_upload_file(path, name, label)
    h, w, c = image_shape
    mode = "L" if c == 1 else "RGB"
    try:
        with Image.open(path, formats=UPLOAD_FORMATS) as opened:
            check_upload_pixels(opened.size, label)
            # A JPEG decodes straight at 1/2, 1/4 or 1/8 scale when that is
            # still larger than the model's images: less memory and time.
            opened.draft(mode, (w, h))
            # Resized inside `with`: a closed image's pixels are gone, and a
            # copy would hold a second full-size image.
            image = opened if opened.mode == mode else opened.convert(mode)
            image = image.resize((w, h), Image.Resampling.LANCZOS)
    except DemoInputError:
        raise
    # Pillow's own checks in open() may come before the one above: an error
    # over twice its MAX_IMAGE_PIXELS, a warning (an error where warnings
    # are) over it.
    except Image.DecompressionBombError:
        raise too_many_pixels(
            f"one of more than {2 * Image.MAX_IMAGE_PIXELS:,} pixels", label
        ) from None
    except Image.DecompressionBombWarning:
        raise too_many_pixels(
            f"one of more than {Image.MAX_IMAGE_PIXELS:,} pixels", label
        ) from None
    except Exception as e:  # noqa: BLE001 - PIL raises many kinds for bad files
        raise DemoInputError(
            f"{label}: expected an image file (PNG, JPEG, WebP, ...); could not "
            f"read {shown(name)} as one ({type(e).__name__}); the demo reads "
            f"{UPLOAD_FORMAT_NAMES} files."
        ) from None
    pixels = np.asarray(image, np.uint8).reshape(1, h, w, c)
    return from_uint8(pixels)[0]


def check_upload_file(path, name, label="Upload"):
    """`DemoInputError` unless `path` is a file of at most `MAX_UPLOAD_BYTES`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DemoInputError(
            f"{label}: expected an uploaded file; {shown(name)} is no longer on "
            "the server (it deletes old uploads): upload it again."
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise DemoInputError(
            f"{label}: expected an image file; {shown(name)} is not a regular file."
        )
    if info.st_size > MAX_UPLOAD_BYTES:
        raise DemoInputError(
            f"{label}: expected a file of at most {MAX_UPLOAD_BYTES // 2**20} MiB; "
            f"received {info.st_size / 2**20:.1f} MiB."
        )


def check_upload_pixels(size, label="Upload"):
    """`DemoInputError` if an image's `(W, H)` is over `MAX_UPLOAD_PIXELS` pixels."""
    width, height = size
    if width * height > MAX_UPLOAD_PIXELS:
        raise too_many_pixels(f"{width:,} x {height:,}", label)


def too_many_pixels(received, label="Upload"):
    return DemoInputError(
        f"{label}: expected an image of at most {MAX_UPLOAD_PIXELS:,} pixels "
        f"({MAX_UPLOAD_SIDE} x {MAX_UPLOAD_SIDE}); received {received}."
    )


def guard(function, n_images):
    """`function` for a Gradio event: any error becomes a message, images stay.

    `function` returns its `n_images` image outputs and then the rest (a
    message last). On `DemoInputError` (bad input) or any other error the
    images are left as they were and the message says what went wrong; the
    app keeps serving. Unexpected errors are logged with their traceback on
    the server, never shown in the page.
    """
    import gradio as gr

    def run(*args):
        try:
            return function(*args)
        except DemoInputError as e:
            message = f"**Not drawn.** {e}"
        except Exception as e:  # noqa: BLE001 - the page must keep serving
            _log.exception(
                "keras_gans demo: %s failed", getattr(function, "__name__", "")
            )
            message = f"**Not drawn.** {type(e).__name__}: {shown(e, 300)}"
        if not n_images:
            return message  # one output: the value itself, not a tuple
        return (*(gr.skip() for _ in range(n_images)), message)

    run.__name__ = getattr(function, "__name__", "run")
    return run


def image_output(gr, elem_id, label, value=None, height=None):
    """An output image served as PNG (lossless) with a download button."""
    return gr.Image(
        value=value,
        label=label,
        format="png",
        type="numpy",
        image_mode=None,
        interactive=False,
        buttons=["download"],
        height=height,
        elem_id=elem_id,
        elem_classes=["kg-pixels"],
    )


def seed_box(gr, elem_id, value=0, label="Seed"):
    return gr.Textbox(
        value=str(value),
        label=label,
        max_lines=1,
        elem_id=elem_id,
        info=f"a whole number from 0 to {MAX_SEED:,}",
        interactive=True,
    )


class View:
    """One tab of the demo.

    Subclasses set `id` (the prefix of their components' `elem_id`s), `title`
    and `intro`, and implement `render`. `needs` names a part of the trained
    model that an export leaves out (the view is then not shown for an
    export and the page says so).
    """

    id = "view"
    title = "View"
    intro = ""
    needs = None

    def first(self, target, *args):
        """`self.draw(target, *args)`, drawn once: what every page load shows first.

        A page is drawn anew on each load; PixelCNN's first grid alone
        takes seconds, so each view keeps its first drawing.
        """
        cache = self.__dict__.setdefault("_first", {})
        key = (id(target), repr(args))
        if key not in cache:
            cache[key] = self.draw(target, *args)
        return cache[key]

    def unavailable(self, target):
        """Why this view cannot show `target`, or `None`."""
        if self.needs and target.is_export:
            return f"needs {self.needs}, which an export leaves out"
        return None

    def render(self, gr, target):
        """Lays out the tab's components (inside `gr.Tab`) and wires them."""
        raise NotImplementedError


class SamplesView(View):
    """A grid of samples: a seed box, "draw" and "new samples".

    Args:
        n: samples in the grid. Defaults to `16`.
        ncols: grid columns. Defaults to `8`.
    """

    id = "samples"
    title = "Samples"
    intro = "New samples for a seed: the same seed always draws the same grid."

    def __init__(self, n=16, ncols=8):
        self.n = n
        self.ncols = ncols

    def draw(self, target, seed_text):
        seed = parse_seed(seed_text)
        images = target.samples(self.n, seed)
        return grid(images, self.ncols), f"{self.n} samples, seed {seed}."

    def new_samples(self, target):
        seed = random_seed()
        image, message = self.draw(target, str(seed))
        return image, str(seed), message

    def render(self, gr, target):
        first, message = self.first(target, "0")
        with gr.Row():
            seed = seed_box(gr, "samples-seed")
            with gr.Column():
                draw = gr.Button("Draw", elem_id="samples-draw", variant="primary")
                new = gr.Button("New samples", elem_id="samples-new")
        image = image_output(
            gr, "samples-image", f"{self.n} samples", first, height=360
        )
        note = gr.Markdown(message, elem_id="samples-message")
        run = guard(lambda s: self.draw(target, s), 1)
        wire(run, [seed], [image, note], boxes=[seed], button=draw)
        new.click(guard(lambda: self.new_samples(target), 1), None, [image, seed, note])


class InterpolationView(View):
    """Between the latents of two seeds: a slider for t and the whole path.

    Slerp for Gaussian latents, lerp for uniform ones
    (`keras_gans.latent.path_method`, as `interpolation_images`).
    """

    id = "interp"
    title = "Interpolation"
    intro = (
        "From the latent of seed A (t = 0) to that of seed B (t = 1): smooth "
        "changes along the path mean G has learned a continuous latent space."
    )

    def draw(self, target, seed_a_text, seed_b_text, t):
        from keras_gans.latent import interpolate, path_method

        seed_a = parse_seed(seed_a_text, "Seed A")
        seed_b = parse_seed(seed_b_text, "Seed B")
        index = position(t)
        method = path_method(target.latent_distribution)
        z0, z1 = target.latents(1, seed_a)[0], target.latents(1, seed_b)[0]
        images = target.from_latents(interpolate(z0, z1, PATH_POSITIONS, method))
        return (
            *path_grids(images, index),
            f"Seed {seed_a} to seed {seed_b}, {method}, "
            f"t = {index / (PATH_POSITIONS - 1):.2f}.",
        )

    def render(self, gr, target):
        at, strip, message = self.first(target, "0", "1", 0.5)
        with gr.Row():
            seed_a = seed_box(gr, "interp-seed-a", 0, "Seed A")
            seed_b = seed_box(gr, "interp-seed-b", 1, "Seed B")
            draw = gr.Button("Draw", elem_id="interp-draw", variant="primary")
        t = t_slider(gr, "interp-t")
        image, path = path_outputs(gr, "interp", at, strip)
        note = gr.Markdown(message, elem_id="interp-message")
        run = guard(lambda a, b, s: self.draw(target, a, b, s), 2)
        wire(
            run,
            [seed_a, seed_b, t],
            [image, path, note],
            boxes=[seed_a, seed_b],
            slider=t,
            button=draw,
        )


class ArithmeticView(View):
    """DCGAN's latent arithmetic (Radford et al. 2015, Fig. 7): a - b + c.

    Sixteen samples are numbered 1 to 16, row by row; a, b and c each
    average the latents of the samples picked for them, and G draws
    mean(a) - mean(b) + mean(c).
    """

    id = "arith"
    title = "Latent arithmetic"
    intro = (
        "Pick samples (numbered 1 to 16, row by row) for a, b and c: G draws "
        "the average latent of each and then a - b + c, as Radford et al. "
        "(2015) did for 'smiling woman - woman + man'."
    )
    n = 16
    ncols = 8

    def draw(self, target, seed_text, picks_a, picks_b, picks_c):
        from keras_gans.latent import arithmetic, concept_vector

        seed = parse_seed(seed_text)
        picks = []
        for name, chosen in (("a", picks_a), ("b", picks_b), ("c", picks_c)):
            indices = sorted({int(p) - 1 for p in chosen or ()})
            if not indices or not all(0 <= i < self.n for i in indices):
                raise DemoInputError(
                    f"Pick one or more of the samples 1 to {self.n} for {name}; "
                    f"received {shown(list(chosen or []))}."
                )
            picks.append(indices)
        z = target.latents(self.n, seed)
        parts = [z[p] for p in picks]
        vectors = [concept_vector(p) for p in parts] + [arithmetic(*parts)]
        samples = target.from_latents(z)
        equation = target.from_latents(np.stack(vectors))
        names = [", ".join(str(i + 1) for i in p) for p in picks]
        return (
            grid(samples, self.ncols),
            grid(equation, ncols=4),
            f"mean({names[0]}) - mean({names[1]}) + mean({names[2]}), seed {seed}.",
        )

    def render(self, gr, target):
        choices = [str(i) for i in range(1, self.n + 1)]
        samples, equation, message = self.first(target, "0", ["1"], ["2"], ["3"])
        seed = seed_box(gr, "arith-seed")
        gallery = image_output(
            gr, "arith-samples", "samples 1 to 16", samples, height=200
        )
        pick_a = gr.CheckboxGroup(
            choices, value=["1"], label="a", elem_id="arith-a", interactive=True
        )
        pick_b = gr.CheckboxGroup(
            choices, value=["2"], label="- b", elem_id="arith-b", interactive=True
        )
        pick_c = gr.CheckboxGroup(
            choices, value=["3"], label="+ c", elem_id="arith-c", interactive=True
        )
        draw = gr.Button("Draw a - b + c", elem_id="arith-draw", variant="primary")
        result = image_output(
            gr,
            "arith-result",
            "mean(a), mean(b), mean(c), a - b + c",
            equation,
            height=200,
        )
        note = gr.Markdown(message, elem_id="arith-message")
        run = guard(lambda *a: self.draw(target, *a), 2)
        inputs = [seed, pick_a, pick_b, pick_c]
        wire(run, inputs, [gallery, result, note], boxes=[seed], button=draw)


def position(t):
    """The path index of a slider's t in [0, 1]."""
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise DemoInputError(
            f"t: expected a number from 0 to 1; received {shown(t)}."
        ) from None
    if not 0.0 <= t <= 1.0:
        raise DemoInputError(f"t: expected a number from 0 to 1; received {t}.")
    return int(round(t * (PATH_POSITIONS - 1)))


def path_grids(images, index):
    """`(image at the path's point index, the strip of every STRIP_EVERY-th point)`."""
    strip = images[::STRIP_EVERY]
    return grid(images[index : index + 1]), grid(strip, ncols=len(strip))


def path_outputs(gr, prefix, at, strip):
    """The image at t and, below it, the whole path at full width."""
    image = image_output(gr, f"{prefix}-image", "at t", at, height=220)
    path = image_output(gr, f"{prefix}-path", "t = 0, 0.1, ..., 1", strip, height=120)
    return image, path


def t_slider(gr, elem_id, label="t"):
    return gr.Slider(
        0.0,
        1.0,
        value=0.5,
        step=1.0 / (PATH_POSITIONS - 1),
        label=label,
        elem_id=elem_id,
        interactive=True,
    )


def wire(run, inputs, outputs, boxes=(), slider=None, button=None):
    """Runs `run` when a box is submitted, the slider moves or `button` is clicked."""
    for box in boxes:
        box.submit(run, inputs, outputs)
    if slider is not None:
        slider.change(run, inputs, outputs)
    if button is not None:
        button.click(run, inputs, outputs)


# The first image of each class in Fashion-MNIST's test split (never trained
# on), shipped beside this file as one 28x280 PNG strip.
EXAMPLES_FILE = "fashion_mnist_test.png"
EXAMPLE_INDICES = (19, 2, 1, 13, 6, 8, 4, 9, 18, 0)


def example_images(image_shape):
    """`{label: float image in [-1, 1]}` of shipped test images the model can read.

    Fashion-MNIST's test images for a 28x28x1 model; `{}` for any other shape
    (those models take uploads).
    """
    if tuple(image_shape) != (28, 28, 1):
        return {}
    import importlib.resources

    from PIL import Image

    from keras_gans.data import CLASS_NAMES

    with importlib.resources.files(__package__).joinpath(EXAMPLES_FILE).open("rb") as f:
        strip = np.asarray(Image.open(f).convert("L"), np.uint8)
    pixels = strip.reshape(28, 10, 28).transpose(1, 0, 2)[..., None]
    images = from_uint8(pixels)
    return {
        f"test image {index}: {CLASS_NAMES[k]}": images[k]
        for k, index in enumerate(EXAMPLE_INDICES)
    }
