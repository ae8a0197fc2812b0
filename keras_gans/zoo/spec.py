"""What the zoo needs from a model family: its metrics, sample grid and card.

`keras_gans.zoo.publish` measures a recipe's model, draws its grid and
writes its model card with a family's `ZooSpec`; the methods here do what
fits an unconditional image generator, and a family overrides what differs
in a subclass (`keras_gans/models/<family>/family.py`).
"""

from __future__ import annotations

import pathlib

from keras_gans.models.family import Spec


class ZooSpec(Spec):
    """How the zoo measures, draws and describes a family's published models."""

    def metrics(self, pretrained, model, recipe, data_dir, n, seed):
        """The recipe's metrics of a published model: `(metrics, protocol)`.

        Here FID, KID, precision/recall and mode coverage on the features
        and real images the recipe's "evaluate" names (by default the shipped
        Fashion-MNIST classifier's), measured on the export.
        """
        del model
        from keras_gans.zoo import measures

        return measures.image_metrics(
            pretrained, data_dir, n, seed, recipe.get("evaluate")
        )

    def sample_grid(self, pretrained, path):
        """Writes the model card's sample grid (64 samples, seed 0)."""
        from keras_gans.images import save_image_grid

        save_image_grid(pretrained.generate(64, seed=0), path, ncols=8)
        return pathlib.Path(path)

    grid_caption = "64 samples, `generate(64, seed=0)`."

    def card_usage(self):
        """Extra lines of the model card's code example."""
        return []

    # Metric keys whose values headline a zoo entry, in order.
    headline_metrics = (("fid", "FID (classifier features)"),)


def zoo_spec(family):
    """The `ZooSpec` of `family` (the default one where it gives none)."""
    return family.spec("zoo", ZooSpec)
