"""`Target`: what the demo draws from, a trained Keras model or an export.

The views (`keras_gans.demo.views`) ask a target for latents and images and
never care which of the two it wraps:

- a trained Keras model (a zoo preset, a run folder, a `.keras` file), with
  every network it has (D, InfoGAN's Q, GAN-CLS's style encoder), on the
  active Keras backend;
- an export (a SavedModel folder, `model.export(...)`), through its
  signatures: the generator alone. Its latents come from the `sample`
  signature, which draws exactly those of `model.sample_latent(n, seed)`,
  so both kinds show the same images for the same seeds.
"""

from __future__ import annotations

import numpy as np

from keras_gans.validation import check_int

# What an export leaves out, for the page's note.
EXPORT_OMITS = "the discriminator, InfoGAN's Q and GAN-CLS's style encoder"


class Target:
    """A model for the demo: a Keras model or an export's `Pretrained`.

    Args:
        model: a trained keras_gans model, or `None`.
        export: a `keras_gans.zoo.Pretrained` (an export's signatures), or
            `None`. Exactly one of `model` and `export` is given.
        source: what it was loaded from, for the page. Defaults to `""`.
    """

    def __init__(self, model=None, export=None, source=""):
        from keras_gans.models.registry import family_for_kind, family_of

        if (model is None) == (export is None):
            raise ValueError("Expected exactly one of model and export.")
        self.model = model
        self.export = export
        self.source = str(source)
        if model is not None:
            self.family = family_of(model)
            # GAN's data may be any shape (`data_shape`); images here.
            shape = getattr(model, "image_shape", None) or model.data_shape
            self.image_shape = tuple(int(d) for d in shape)
            latent_dim = getattr(model, "latent_dim", None)
            self.latent_distribution = getattr(model, "latent_distribution", None)
            self.class_name = type(model).__name__
        else:
            meta = export.metadata
            self.family = family_for_kind(meta["model"])
            self.image_shape = tuple(export.image_shape)
            latent_dim = export.latent_dim
            self.latent_distribution = meta.get("latent_distribution")
            self.class_name = str(meta["class"]).rsplit(".", 1)[-1]
        self.latent_dim = None if latent_dim is None else int(latent_dim)

    @classmethod
    def load(cls, source):
        """The target `source` names: an export folder, else a run folder,
        `.keras` file, preset folder or archive, URL or zoo name."""
        from keras_gans import sources

        what, loaded = sources.load_target(source)
        return cls(**{what: loaded}, source=source)

    @property
    def is_export(self):
        return self.export is not None

    def describe(self):
        """One line for the page: class, source, shapes, backend."""
        import keras

        h, w, c = self.image_shape
        latent = (
            "no latent vector (one uniform per pixel)"
            if self.latent_dim is None
            else f"latent {self.latent_dim} ({self.latent_distribution})"
        )
        kind = "export (SavedModel)" if self.is_export else "Keras model"
        runs_on = (
            "TensorFlow (SavedModel)"
            if self.is_export
            else f"Keras backend {keras.backend.backend()}"
        )
        return (
            f"**{self.class_name}** from `{self.source}`: {kind}, images "
            f"{h}x{w}x{c}, {latent}; runs on {runs_on}."
        )

    # --- Drawing -------------------------------------------------------------------

    def samples(self, n, seed):
        """`n` samples for `seed`, float32 in [-1, 1]: what `keras-gans sample`
        draws (a conditional model draws its preview conditions)."""
        n = check_int("n", n, minimum=1)
        if self.is_export:
            return self.export.generate(n, seed=seed)
        model = self.model
        return np.asarray(
            model.preview_samples(model.sample_latent(n, seed=seed)), "float32"
        )

    def latents(self, n, seed):
        """The `(n, latent_dim)` latents of `model.sample_latent(n, seed=seed)`."""
        n = check_int("n", n, minimum=1)
        if self.latent_dim is None:
            raise ValueError(f"A {self.class_name} has no latent vector.")
        if self.is_export:
            return self.export.sample_latent(n, seed)
        return np.asarray(self.model.sample_latent(n, seed=seed), "float32")

    def from_latents(self, latent):
        """The generator's images for `(n, latent_dim)` latents."""
        latent = np.asarray(latent, "float32")
        if self.is_export:
            return self.export(latent)
        return self.model.generate(latent)
