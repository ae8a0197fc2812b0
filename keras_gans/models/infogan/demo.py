"""InfoGAN's demo tab: choose each code, see what it controls.

A dropdown per categorical code and a slider per continuous code set the
codes of 16 latents (noise from the seed); `LatentSpec.with_codes` writes
them, as `InfoGAN.generate(n, seed, codes=...)` does, so a Keras model and
its export show the same images.
"""

from __future__ import annotations

import numpy as np

from keras_gans.demo.views import (
    DemoInputError,
    View,
    grid,
    guard,
    image_output,
    parse_seed,
    seed_box,
    shown,
    wire,
)
from keras_gans.latent import LatentSpec

# The sliders reach twice the trained range: Chen et al. 2016 (Fig. 2) sweep
# continuous codes from -2 to 2 with codes trained on [-1, 1].
SLIDER_REACH = 2.0


def latent_spec(target):
    """The target's `LatentSpec` (a Keras model's, or rebuilt from an export's metadata)."""
    if target.is_export:
        return LatentSpec.from_config(target.export.metadata["latent_spec"])
    return target.model.spec


class CodesView(View):
    """Sixteen noise vectors, every one with the codes the controls set."""

    id = "codes"
    title = "Codes"
    intro = (
        "InfoGAN learns its codes without labels: the categorical code tends "
        "to pick the kind of garment, the continuous codes its width or shade. "
        "Sixteen noise vectors (from the seed), all with the codes set here."
    )
    n = 16

    def draw(self, target, seed_text, *codes):
        spec = latent_spec(target)
        m = len(spec.categorical)
        if len(codes) != m + spec.continuous:
            raise DemoInputError(
                f"Expected {m} categories and {spec.continuous} continuous codes; "
                f"received {len(codes)} values."
            )
        seed = parse_seed(seed_text)
        categories = []
        for i, (value, k) in enumerate(zip(codes[:m], spec.categorical, strict=True)):
            try:
                category = int(value)
            except (TypeError, ValueError):
                category = -1
            if not 0 <= category < k:
                raise DemoInputError(
                    f"Category of code {i + 1}: expected 0 to {k - 1}; received "
                    f"{shown(value)}."
                )
            categories.append(category)
        reach = SLIDER_REACH * spec.continuous_range
        continuous = np.asarray([float(v) for v in codes[m:]], "float32")
        if np.any(~np.isfinite(continuous)) or np.any(np.abs(continuous) > reach):
            raise DemoInputError(
                f"Continuous codes: expected numbers from {-reach} to {reach}; "
                f"received {shown(list(codes[m:]))}."
            )
        latent = spec.with_codes(
            target.latents(self.n, seed),
            categorical=np.asarray(categories) if m else None,
            continuous=continuous if spec.continuous else None,
        )
        images = target.from_latents(latent)
        settings = [f"category {c}" for c in categories]
        settings += [f"c{j + 1} = {v:+.2f}" for j, v in enumerate(continuous)]
        return grid(images, 8), f"{', '.join(settings)}, noise seed {seed}."

    def render(self, gr, target):
        spec = latent_spec(target)
        reach = SLIDER_REACH * spec.continuous_range
        defaults = [0] * len(spec.categorical) + [0.0] * spec.continuous
        first, message = self.first(target, "0", *defaults)
        seed = seed_box(gr, "codes-seed", label="Noise seed")
        controls = []
        with gr.Row():
            for i, k in enumerate(spec.categorical):
                controls.append(
                    gr.Dropdown(
                        [str(c) for c in range(k)],
                        value="0",
                        label=f"Category of code {i + 1} ({k} categories)",
                        elem_id=f"codes-category-{i}",
                        interactive=True,
                    )
                )
        with gr.Row():
            for j in range(spec.continuous):
                controls.append(
                    gr.Slider(
                        -reach,
                        reach,
                        value=0.0,
                        step=0.1,
                        label=f"Continuous code c{j + 1} (trained on "
                        f"[{-spec.continuous_range}, {spec.continuous_range}])",
                        elem_id=f"codes-continuous-{j}",
                        interactive=True,
                    )
                )
        image = image_output(gr, "codes-image", "16 noise vectors", first, height=240)
        note = gr.Markdown(message, elem_id="codes-message")
        run = guard(lambda s, *c: self.draw(target, s, *c), 1)
        inputs = [seed, *controls]
        wire(run, inputs, [image, note], boxes=[seed])
        for control in controls:
            control.change(run, inputs, [image, note])
