"""GAN-CLS's demo tabs: text to image, caption interpolation, style transfer.

On a trained Keras model they call `generate`, `interpolate_texts` and
`transfer_style`; on an export the `text_to_image`, `embed_texts` and
`serving_default` signatures, which draw the same images for the same
captions and seeds. Style transfer needs the style encoder S, which an
export leaves out.
"""

from __future__ import annotations

import numpy as np

from keras_gans.demo.views import (
    PATH_POSITIONS,
    DemoInputError,
    View,
    example_images,
    grid,
    guard,
    image_output,
    parse_caption,
    parse_seed,
    path_grids,
    path_outputs,
    position,
    read_image,
    seed_box,
    shown,
    t_slider,
    wire,
)
from keras_gans.latent import lerp

DEFAULT_CAPTION = "an ankle boot in a dark tone with a narrow shape"
DEFAULT_OTHER = "this slim dress looks pale"
# Style transfer draws at most this many captions at once.
MAX_STYLE_CAPTIONS = 8


def _reads_text(target):
    if target.is_export:
        return "text_to_image" in target.export.signatures
    return target.model.text_encoder is not None


class TextView(View):
    """A view that reads captions: not shown for a model without a text encoder."""

    def unavailable(self, target):
        if not _reads_text(target):
            return "needs a text encoder (this model was trained on embeddings)"
        return super().unavailable(target)

    def embed(self, target, texts):
        if target.is_export:
            return target.export.embed_texts(texts)
        return np.asarray(target.model.embed_texts(texts), "float32")


class CaptionView(TextView):
    """Images for any caption: a caption box and a seed."""

    id = "text"
    title = "Text to image"
    intro = (
        "Type any caption: G draws it for 16 noise vectors (Reed et al. 2016). "
        "The shipped model read Fashion-MNIST captions of kind, shade and width."
    )
    n = 16

    def draw(self, target, caption_text, seed_text):
        caption = parse_caption(caption_text)
        seed = parse_seed(seed_text)
        if target.is_export:
            images = target.export.text_to_image([caption] * self.n, seed=seed)
        else:
            images = target.model.generate([caption], n_per_text=self.n, seed=seed)
        return grid(images, 8), f"{shown(caption, 80)}, seed {seed}."

    def render(self, gr, target):
        first, message = self.first(target, DEFAULT_CAPTION, "0")
        caption = gr.Textbox(
            DEFAULT_CAPTION, label="Caption", elem_id="text-caption", interactive=True
        )
        with gr.Row():
            seed = seed_box(gr, "text-seed")
            draw = gr.Button("Draw", elem_id="text-draw", variant="primary")
        image = image_output(gr, "text-image", "16 images", first, height=240)
        note = gr.Markdown(message, elem_id="text-message")
        run = guard(lambda c, s: self.draw(target, c, s), 1)
        wire(run, [caption, seed], [image, note], boxes=[caption, seed], button=draw)


class CaptionInterpolationView(TextView):
    """GAN-INT's path: (1 - t) phi(a) + t phi(b), the noise held fixed."""

    id = "textinterp"
    title = "Caption interpolation"
    intro = (
        "From caption A (t = 0) to caption B (t = 1) through the text "
        "embeddings, one noise vector held fixed: the images between are what "
        "GAN-INT trains D to judge."
    )

    def images(self, target, a, b, seed):
        if not target.is_export:
            return target.model.interpolate_texts(a, b, steps=PATH_POSITIONS, seed=seed)
        ends = self.embed(target, [a, b])
        path = lerp(ends[0], ends[1], PATH_POSITIONS)
        z = np.repeat(target.latents(1, seed), PATH_POSITIONS, axis=0)
        return target.export(z, text_embedding=path)

    def draw(self, target, a_text, b_text, seed_text, t):
        a = parse_caption(a_text, "Caption A")
        b = parse_caption(b_text, "Caption B")
        seed = parse_seed(seed_text)
        index = position(t)
        images = self.images(target, a, b, seed)
        return (
            *path_grids(images, index),
            f"{shown(a, 60)} to {shown(b, 60)}, seed {seed}, "
            f"t = {index / (PATH_POSITIONS - 1):.2f}.",
        )

    def render(self, gr, target):
        at, strip, message = self.first(
            target, DEFAULT_CAPTION, DEFAULT_OTHER, "0", 0.5
        )
        a = gr.Textbox(
            DEFAULT_CAPTION, label="Caption A", elem_id="textinterp-a", interactive=True
        )
        b = gr.Textbox(
            DEFAULT_OTHER, label="Caption B", elem_id="textinterp-b", interactive=True
        )
        with gr.Row():
            seed = seed_box(gr, "textinterp-seed")
            draw = gr.Button("Draw", elem_id="textinterp-draw", variant="primary")
        t = t_slider(gr, "textinterp-t")
        image, path = path_outputs(gr, "textinterp", at, strip)
        note = gr.Markdown(message, elem_id="textinterp-message")
        run = guard(lambda *v: self.draw(target, *v), 2)
        wire(
            run,
            [a, b, seed, t],
            [image, path, note],
            boxes=[a, b, seed],
            slider=t,
            button=draw,
        )


class StyleTransferView(TextView):
    """Reed et al. 4.4: each caption drawn in the style S reads from one image."""

    id = "style"
    title = "Style transfer"
    intro = (
        "The style encoder S reads the latent that G would draw an image "
        "from (pose, shade, width: what a caption leaves open); G then draws "
        "each caption below with it. Choose a test image or upload one "
        "(Fashion-MNIST garments are light on black)."
    )
    needs = "GAN-CLS's style encoder"
    default_captions = (
        "a photo of a pair of trousers that is dark and wide",
        "this slim dress looks pale",
        "a pullover in a dim tone with a broad shape",
        "an ankle boot in a dark tone with a narrow shape",
    )

    def style_image(self, target, choice, upload):
        """`(image, where it came from)`: the upload if any, else the chosen test image."""
        if upload:
            return read_image(upload, target.image_shape), "the upload"
        examples = example_images(target.image_shape)
        if choice not in examples:
            raise DemoInputError(
                f"Style image: expected an upload or one of the test images; "
                f"received {shown(choice)}."
            )
        return examples[choice], choice

    def draw(self, target, choice, upload, captions_text):
        lines = [line for line in str(captions_text or "").splitlines() if line.strip()]
        if not lines:
            lines = [""]  # parse_caption says what an empty caption lacks
        if len(lines) > MAX_STYLE_CAPTIONS:
            raise DemoInputError(
                f"Captions: expected at most {MAX_STYLE_CAPTIONS} lines; received "
                f"{len(lines)}."
            )
        captions = [
            parse_caption(line, f"Caption {i + 1}") for i, line in enumerate(lines)
        ]
        image, where = self.style_image(target, choice, upload)
        styles = np.repeat(image[None], len(captions), axis=0)
        drawn = target.model.transfer_style(styles, captions)
        return (
            grid(image[None]),
            grid(drawn, ncols=len(captions)),
            f"{len(captions)} caption(s) in the style of {shown(where, 60)}.",
        )

    def render(self, gr, target):
        examples = list(example_images(target.image_shape))
        choice = examples[0] if examples else None
        captions = "\n".join(self.default_captions)
        if choice is not None:
            style, drawn, message = self.first(target, choice, None, captions)
        else:
            style, drawn, message = None, None, "Upload an image to draw its style."
        with gr.Row():
            picked = gr.Dropdown(
                examples,
                value=choice,
                label="Test image",
                elem_id="style-choice",
                visible=bool(examples),
                interactive=True,
            )
            upload = gr.File(
                label="or upload an image (clear it to use the test image)",
                type="filepath",
                elem_id="style-upload",
                interactive=True,
            )
        lines = gr.Textbox(
            captions,
            label=f"Captions, one per line (at most {MAX_STYLE_CAPTIONS})",
            lines=4,
            elem_id="style-captions",
            interactive=True,
        )
        draw = gr.Button("Draw", elem_id="style-draw", variant="primary")
        with gr.Row():
            shown_style = image_output(
                gr, "style-source", "style image", style, height=160
            )
            image = image_output(
                gr, "style-image", "captions in its style", drawn, height=160
            )
        note = gr.Markdown(message, elem_id="style-message")
        run = guard(lambda *v: self.draw(target, *v), 2)
        inputs = [picked, upload, lines]
        outputs = [shown_style, image, note]
        wire(run, inputs, outputs, button=draw)
        picked.change(run, inputs, outputs)
        upload.upload(run, inputs, outputs)
