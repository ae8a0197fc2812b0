"""The VAE's SavedModel: the decoder as a generator, plus the encoder.

Besides every generator's `serving_default`, `sample` and `generate`
(latents of the prior N(0, I) -> decoded mean images in [-1, 1];
`keras_gans.models.serving`), a VAE exports `encode`: images
`(n, H, W, C)` in [-1, 1] -> q(z|x)'s `mean` and `log_var`, so that a
server can reconstruct (encode, then `serving_default` on the mean) and
interpolate between real images.
"""

from __future__ import annotations

from keras_gans._tensorflow import tf
from keras_gans.models import serving


def export_signatures(model, base):
    shape = list(model.image_shape)

    def encode(images):
        images = serving.check_images(images, shape)
        mean, log_var = model.posterior(model.to_levels(images))
        return {"mean": mean, "log_var": log_var}

    return {
        **base,
        "encode": (
            encode,
            [tf.TensorSpec([None, None, None, None], tf.float32, name="images")],
        ),
    }


def export_metadata(model, base):
    meta = dict(base)
    meta["likelihood"] = model.likelihood
    meta["levels"] = int(model.levels)
    meta["output"] = (
        "the mean of p(x|z): 2 sigmoid(logits) - 1 for bernoulli (binarised "
        "images), the logistic's location clipped to [-1, 1] for logistic"
    )
    meta["signatures"] = {
        **base["signatures"],
        "encode": "images (n, H, W, C) in [-1, 1] -> mean, log_var of q(z|x)",
    }
    return meta
