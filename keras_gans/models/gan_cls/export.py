"""GAN-CLS's SavedModel: G on text embeddings, and raw strings through its encoder.

- `serving_default`: `latent`, `text_embedding` -> images (shape-checked).
- `generate`: the same without checks (what TFLite converts).
- With a text encoder: `text_to_image` (`texts` tf.string `(batch,)` and
  `seed`) -> images; `embed_texts` (`texts`) -> `embeddings`;
  `embed_tokens` (`token_ids`, the tokenizer's output) -> `embeddings`, the
  encoder after its string ops (what converts to TFLite); and `sample`
  (count, seed), which draws the preview captions as
  `model.generate(texts, seed=seed)` does, cycled, and returns those `texts`.
"""

from __future__ import annotations

from keras_gans._tensorflow import tf
from keras_gans.models.serving import (
    TensorSeed,
    check_count,
    check_seed,
    check_vector,
    images_out,
    scalar_spec,
    vector_spec,
)


def preview_captions(model):
    """The model's preview texts that are captions (strings), not embeddings."""
    return [t for t in (model.preview_texts or ()) if isinstance(t, str)]


def metadata(model, info):
    """`info` (the base metadata) with GAN-CLS's text inputs and signatures."""
    info["text_dim"] = int(model.text_dim)
    info["preview_texts"] = preview_captions(model)
    info["has_text_encoder"] = model.text_encoder is not None
    info["signatures"]["serving_default"] = (
        "latent, text_embedding -> images, images_uint8"
    )
    info["signatures"]["sample"] = (
        "count, seed -> images, images_uint8, latent, texts (preview_texts, cycled)"
    )
    info["signatures"]["generate"] = (
        "latent, text_embedding -> images (no checks; for TFLite)"
    )
    if model.text_encoder is not None:
        info["signatures"]["text_to_image"] = (
            "texts, seed -> images, images_uint8, latent"
        )
        info["signatures"]["embed_texts"] = "texts -> embeddings"
        info["signatures"]["embed_tokens"] = (
            "token_ids (tokenizer below) -> embeddings (no checks; for TFLite)"
        )
        info["tokenizer"] = model.text_encoder.tokenizer_config()
    else:
        del info["signatures"]["sample"]
    if not info["preview_texts"]:
        info["signatures"].pop("sample", None)
    return info


def signatures(model):
    """`{name: (function, input signature)}` of a GAN-CLS export."""
    dim = int(model.latent_dim)
    text_dim = int(model.text_dim)
    generator = model.sampling_generator

    def serve(latent, text_embedding):
        latent = check_vector("latent", latent, dim, model.latent_description)
        text_embedding = check_vector(
            "text_embedding", text_embedding, text_dim, "text encoder outputs"
        )
        tf.debugging.assert_equal(
            tf.shape(latent)[0],
            tf.shape(text_embedding)[0],
            message="keras_gans: expected as many `latent` rows as "
            "`text_embedding` rows",
        )
        return images_out(generator([latent, text_embedding], training=False))

    def generate(latent, text_embedding):
        return {"images": generator([latent, text_embedding], training=False)}

    fns = {
        "serving_default": (
            serve,
            [vector_spec("latent"), vector_spec("text_embedding")],
        ),
        "generate": (
            generate,
            [
                tf.TensorSpec([None, dim], tf.float32, name="latent"),
                tf.TensorSpec([None, text_dim], tf.float32, name="text_embedding"),
            ],
        ),
    }
    if model.text_encoder is None:
        return fns
    encoder = model.text_encoder

    def text_to_image(texts, seed):
        seed = check_seed(seed)
        n = tf.shape(texts)[0]
        tf.debugging.assert_positive(n, message="keras_gans: expected >= 1 text")
        latent = model.sample_latent(n, seed=TensorSeed(seed))
        images = generator([latent, encoder(texts)], training=False)
        return {**images_out(images), "latent": latent}

    def embed_texts(texts):
        return {"embeddings": encoder(texts)}

    def embed_tokens(token_ids):
        # The encoder after its tokenizer: what converts to TFLite.
        return {"embeddings": encoder.embed_token_ids(token_ids)}

    strings = tf.TensorSpec([None], tf.string, name="texts")
    length = encoder.tokenizer_config()["sequence_length"]
    fns["text_to_image"] = (text_to_image, [strings, scalar_spec("seed", tf.int64)])
    fns["embed_texts"] = (embed_texts, [strings])
    fns["embed_tokens"] = (
        embed_tokens,
        [tf.TensorSpec([None, length], tf.int64, name="token_ids")],
    )
    texts = preview_captions(model)
    if texts:
        preview = tf.constant(texts)

        def sample(count, seed):
            # Like model.preview_samples: each preview text gets
            # ceil(count / k) consecutive rows.
            count, seed = check_count(count), check_seed(seed)
            k = len(texts)
            per_text = (count + k - 1) // k
            chosen = tf.repeat(preview, per_text)[:count]
            out = text_to_image(chosen, seed)
            return {**out, "texts": chosen}

        fns["sample"] = (
            sample,
            [scalar_spec("count", tf.int32), scalar_spec("seed", tf.int64)],
        )
    return fns
