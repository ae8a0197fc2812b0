"""What the demo needs from a model family: its tabs.

`keras-gans demo` shows a model with the views its family's `DemoSpec`
lists (`keras_gans.demo.views`: samples, interpolation, arithmetic, and a
family's own in its folder's `demo.py`).
"""

from __future__ import annotations

from keras_gans.models.family import Spec


class DemoSpec(Spec):
    """The tabs of `keras-gans demo` for a family's models."""

    def views(self, target):
        """The tabs of `keras-gans demo` for a model of this family.

        Args:
            target: a `keras_gans.demo.Target` (a Keras model or an export).

        Returns:
            `keras_gans.demo.View`s, in tab order. A view that needs a part
            an export leaves out is listed too: the page names it as not
            shown. Here the samples, and interpolation for a latent model.
        """
        from keras_gans.demo import views

        shown = [views.SamplesView()]
        if target.latent_dim is not None:
            shown.append(views.InterpolationView())
        return shown


def demo_spec(family):
    """The `DemoSpec` of `family` (the default one where it gives none)."""
    return family.spec("demo", DemoSpec)
