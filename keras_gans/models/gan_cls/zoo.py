"""GAN-CLS in the zoo: caption agreement as its metric, a captioned sample grid."""

from __future__ import annotations

import pathlib

import numpy as np

# What each caption-agreement metric means, for the model card.
AGREEMENT_METRICS = {
    "class_agreement": "share of images whose classified class is the caption's "
    "(chance 0.1)",
    "shade_agreement": "share whose measured shade tertile is the caption's "
    "(chance 1/3)",
    "width_agreement": "share whose measured width tertile is the caption's "
    "(chance 1/3)",
    "shade_rank_correlation": "within-class Spearman rho, asked vs measured shade",
    "width_rank_correlation": "within-class Spearman rho, asked vs measured width",
}


class _TextModel:
    """`generate(texts, n_per_text=, seed=)` over a GAN-CLS export."""

    def __init__(self, pretrained):
        self.pretrained = pretrained

    def generate(self, texts, n_per_text=1, seed=0, batch_size=256):
        texts = np.repeat(np.asarray(texts, dtype=object), n_per_text)
        parts = [
            self.pretrained.text_to_image(
                list(texts[i : i + batch_size]), seed=seed + i // batch_size
            )
            for i in range(0, len(texts), batch_size)
        ]
        return np.concatenate(parts)


def caption_metrics(pretrained, data_dir, n, seed):
    """Caption agreement of the export on held-out captions: `(metrics, protocol)`."""
    from keras_gans import evaluation
    from keras_gans.data import captions as captions_lib

    test = captions_lib.load_captioned(
        "test", data_dir, captions_per_image=1, wording="held_out"
    )
    captions = test.captions[:n, 0].tolist()
    scores = evaluation.caption_agreement(_TextModel(pretrained), captions, seed=seed)
    protocol = (
        f"keras_gans.evaluation.caption_agreement on the export: "
        f"{len(captions)} held-out-wording test captions, one image each "
        f"(`text_to_image` signature, seed {seed}), judged by the shipped "
        "Fashion-MNIST classifier and measured shade/width"
    )
    metrics = {
        key: {"value": float(scores[key]), "how": how}
        for key, how in AGREEMENT_METRICS.items()
    }
    return metrics, protocol


def sample_grid(pretrained, path):
    """One row per preview caption, 8 noise vectors (seed 0), captions beside."""
    from keras_gans.images import save_captioned_grid

    texts = pretrained.metadata["preview_texts"]
    images = np.concatenate([pretrained.text_to_image([t] * 8, seed=0) for t in texts])
    save_captioned_grid(images, texts, path, ncols=8)
    return pathlib.Path(path)
