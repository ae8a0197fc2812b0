"""Generators as SavedModels in TF Serving's layout `<base>/<name>/<version>/`.

Every export has these signatures (named inputs and outputs, so a REST or gRPC
body can address them):

- `serving_default`: `latent` `(batch, latent_dim)` float32 (GAN-CLS also
  `text_embedding` `(batch, text_dim)`) -> `images` float32 in [-1, 1] and
  `images_uint8` uint8 in [0, 255], both `(batch, H, W, C)`.
- `sample`: `count` int32 scalar and `seed` int64 scalar -> `images`,
  `images_uint8` and the `latent` that made them; the same seed gives the same
  images as `model.generate(count, seed=seed)` (GAN-CLS: as
  `model.generate(texts, seed=seed)` on its preview captions, cycled; it also
  returns those `texts`).
- InfoGAN `generate_with_codes`: `noise`, `categorical` (int32 category
  indices, one column per categorical code) and `continuous` -> images.
- GAN-CLS with a text encoder: `text_to_image` (`texts` tf.string `(batch,)`
  and `seed`) -> images, and `embed_texts` (`texts`) -> `embeddings`.
- `generate` (the generator alone: latent in, float32 `images` out) is what
  the TFLite converter reads; it has no shape checks (TFLite has no assert op).

Signatures check their inputs' shapes at run time (also under TF Serving) and
fail with an `InvalidArgumentError` that says what was expected.
`assets.extra/keras_gans.json` (TF Serving's folder for extra files) records
what a caller needs: latent size and distribution, codes, image shape, output
range, signatures and preview captions.
"""

import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_gans.files import replace_dir

METADATA_FILE = "assets.extra/keras_gans.json"
# Largest `count` the `sample` signature accepts (one request, one batch).
MAX_SAMPLE_COUNT = 1024
FORMAT_VERSION = 1


class _TensorSeed(keras.random.SeedGenerator):
    """A seed generator driven by a seed *tensor* (a signature input).

    `keras.random` takes an int or a `SeedGenerator`; an int seed `s` draws
    with `[s, 0]` and `SeedGenerator(s)` with `[s, 0], [s, 1], ...`. This
    yields that same sequence from a tensor, so the `sample` signature draws
    exactly the latents of `model.generate(n, seed=s)`.
    """

    def __init__(self, seed):  # noqa: D107 - no Keras state on purpose
        self._seed = tf.cast(seed, tf.int64)  # the TF backend's seed dtype
        self._count = 0

    def next(self, ordered=True):
        del ordered
        value = tf.stack([self._seed, tf.constant(self._count, dtype=self._seed.dtype)])
        self._count += 1
        return value


def model_kind(model):
    """`"gan"`, `"dcgan"`, `"infogan"` or `"gan_cls"` for a keras_gans model."""
    from keras_gans.models import DCGAN, GAN, GANCLS, InfoGAN

    for cls, kind in ((GANCLS, "gan_cls"), (InfoGAN, "infogan"), (DCGAN, "dcgan")):
        if isinstance(model, cls):
            return kind
    if isinstance(model, GAN):
        return "gan"
    raise TypeError(
        "Expected a keras_gans model (GAN, DCGAN, InfoGAN or GANCLS); received "
        f"{type(model).__name__}."
    )


def metadata(model):
    """What a caller of the export needs to know, as a JSON-able dict."""
    kind = model_kind(model)
    output_shape = tuple(int(d) for d in model.generator.output.shape[1:])
    info = {
        "format_version": FORMAT_VERSION,
        "model": kind,
        "class": type(model).__name__,
        "latent_dim": int(model.latent_dim),
        "latent_distribution": getattr(model, "latent_distribution", "normal"),
        "image_shape": list(output_shape),
        "output_range": [-1.0, 1.0],
        "uint8": "images_uint8 = round((images + 1) * 127.5), clipped to [0, 255]",
        "max_sample_count": MAX_SAMPLE_COUNT,
        "signatures": {
            "serving_default": "latent -> images, images_uint8",
            "sample": "count, seed -> images, images_uint8, latent",
            "generate": "latent -> images (no checks; for TFLite)",
        },
    }
    if kind == "infogan":
        spec = model.spec
        info["latent_spec"] = spec.get_config()
        info["latent_layout"] = {
            "noise": [0, spec.noise_dim],
            "categorical": [[int(s.start), int(s.stop)] for s in _cat_slices(spec)],
            "continuous": [
                spec.noise_dim + sum(spec.categorical),
                spec.dim,
            ],
        }
        info["signatures"]["generate_with_codes"] = (
            "noise, categorical (indices), continuous -> images, images_uint8"
        )
    if kind == "gan_cls":
        info["text_dim"] = int(model.text_dim)
        info["preview_texts"] = _preview_texts(model)
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
    return info


def _cat_slices(spec):
    start = spec.noise_dim
    for k in spec.categorical:
        yield slice(start, start + k)
        start += k


def _preview_texts(model):
    texts = list(model.preview_texts or ())
    return [t for t in texts if isinstance(t, str)]


def _check_vector(name, x, dim, what):
    """Run-time check that `x` is `(batch >= 1, dim)`; returns `x`."""
    shape = tf.shape(x)
    message = (
        f"keras_gans: expected `{name}` of shape [batch, {dim}] ({what}); x below "
        "is the received width"
    )
    checks = [
        tf.debugging.assert_equal(shape[1], dim, message=message),
        tf.debugging.assert_positive(
            shape[0], message=f"keras_gans: expected at least one row of `{name}`"
        ),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(x)


def _check_scalar_range(name, x, low, high):
    message = f"keras_gans: expected `{name}` in [{low}, {high}]"
    checks = [
        tf.debugging.assert_greater_equal(x, tf.cast(low, x.dtype), message=message),
        tf.debugging.assert_less_equal(x, tf.cast(high, x.dtype), message=message),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(x)


def _images_out(images):
    uint8 = tf.cast(
        tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8
    )
    return {"images": images, "images_uint8": uint8}


def _serving_fns(model):
    """{signature name: (tf.function, input_signature)} for `model`."""
    kind = model_kind(model)
    dim = int(model.latent_dim)
    generator = model.generator
    vector = lambda name: tf.TensorSpec([None, None], tf.float32, name=name)  # noqa: E731
    scalar = lambda name, dtype: tf.TensorSpec([], dtype, name=name)  # noqa: E731
    latent_what = f"{model.latent_distribution} latent vectors"
    if kind == "infogan":
        spec = model.spec
        latent_what = (
            f"{spec.noise_dim} noise + {sum(spec.categorical)} one-hot for "
            f"categorical codes {list(spec.categorical)} + {spec.continuous} "
            "continuous"
        )
    count_check = lambda c: _check_scalar_range("count", c, 1, MAX_SAMPLE_COUNT)  # noqa: E731
    seed_check = lambda s: _check_scalar_range("seed", s, 0, 2**31 - 1)  # noqa: E731
    fns = {}

    if kind != "gan_cls":

        def serve(latent):
            latent = _check_vector("latent", latent, dim, latent_what)
            return _images_out(generator(latent, training=False))

        def generate(latent):
            return {"images": generator(latent, training=False)}

        def sample(count, seed):
            count, seed = count_check(count), seed_check(seed)
            latent = model.sample_latent(count, seed=_TensorSeed(seed))
            return {**_images_out(generator(latent, training=False)), "latent": latent}

        fns["serving_default"] = (serve, [vector("latent")])
        fns["generate"] = (
            generate,
            [tf.TensorSpec([None, dim], tf.float32, name="latent")],
        )
        fns["sample"] = (sample, [scalar("count", tf.int32), scalar("seed", tf.int64)])
        if kind == "infogan":
            fns["generate_with_codes"] = _codes_fn(model)
        return fns

    text_dim = int(model.text_dim)
    texts = _preview_texts(model)

    def serve_cls(latent, text_embedding):
        latent = _check_vector("latent", latent, dim, latent_what)
        text_embedding = _check_vector(
            "text_embedding", text_embedding, text_dim, "text encoder outputs"
        )
        tf.debugging.assert_equal(
            tf.shape(latent)[0],
            tf.shape(text_embedding)[0],
            message="keras_gans: expected as many `latent` rows as "
            "`text_embedding` rows",
        )
        return _images_out(generator([latent, text_embedding], training=False))

    def generate_cls(latent, text_embedding):
        return {"images": generator([latent, text_embedding], training=False)}

    fns["serving_default"] = (
        serve_cls,
        [vector("latent"), vector("text_embedding")],
    )
    fns["generate"] = (
        generate_cls,
        [
            tf.TensorSpec([None, dim], tf.float32, name="latent"),
            tf.TensorSpec([None, text_dim], tf.float32, name="text_embedding"),
        ],
    )
    if model.text_encoder is None:
        return fns
    encoder = model.text_encoder

    def text_to_image(texts, seed):
        seed = seed_check(seed)
        n = tf.shape(texts)[0]
        tf.debugging.assert_positive(n, message="keras_gans: expected >= 1 text")
        latent = model.sample_latent(n, seed=_TensorSeed(seed))
        images = generator([latent, encoder(texts)], training=False)
        return {**_images_out(images), "latent": latent}

    def embed_texts(texts):
        return {"embeddings": encoder(texts)}

    def embed_tokens(token_ids):
        # The encoder after its tokenizer: what converts to TFLite.
        return {"embeddings": encoder.embed_token_ids(token_ids)}

    fns["text_to_image"] = (
        text_to_image,
        [tf.TensorSpec([None], tf.string, name="texts"), scalar("seed", tf.int64)],
    )
    fns["embed_texts"] = (embed_texts, [tf.TensorSpec([None], tf.string, name="texts")])
    length = encoder.tokenizer_config()["sequence_length"]
    fns["embed_tokens"] = (
        embed_tokens,
        [tf.TensorSpec([None, length], tf.int64, name="token_ids")],
    )
    if texts:
        preview = tf.constant(texts)

        def sample_cls(count, seed):
            # Like model.preview_samples: each preview text gets
            # ceil(count / k) consecutive rows.
            count, seed = count_check(count), seed_check(seed)
            k = len(texts)
            per_text = (count + k - 1) // k
            chosen = tf.repeat(preview, per_text)[:count]
            out = text_to_image(chosen, seed)
            return {**out, "texts": chosen}

        fns["sample"] = (
            sample_cls,
            [scalar("count", tf.int32), scalar("seed", tf.int64)],
        )
    return fns


def _codes_fn(model):
    spec = model.spec
    n_cat = len(spec.categorical)
    generator = model.generator

    def generate_with_codes(noise, categorical, continuous):
        noise = _check_vector("noise", noise, spec.noise_dim, "noise")
        checks = [
            tf.debugging.assert_equal(
                tf.shape(categorical)[1],
                n_cat,
                message=f"keras_gans: expected `categorical` of shape [batch, "
                f"{n_cat}] (one category index per code, codes with "
                f"{list(spec.categorical)} categories)",
            ),
            tf.debugging.assert_equal(
                tf.shape(continuous)[1],
                spec.continuous,
                message=f"keras_gans: expected `continuous` of shape [batch, "
                f"{spec.continuous}]",
            ),
            tf.debugging.assert_equal(
                tf.shape(noise)[0],
                tf.shape(categorical)[0],
                message="keras_gans: expected as many rows of `categorical` as "
                "of `noise`",
            ),
            tf.debugging.assert_equal(
                tf.shape(noise)[0],
                tf.shape(continuous)[0],
                message="keras_gans: expected as many rows of `continuous` as "
                "of `noise`",
            ),
        ]
        parts = [noise]
        for i, k in enumerate(spec.categorical):
            index = categorical[:, i]
            checks.append(
                tf.debugging.assert_less(
                    index,
                    k,
                    message=f"keras_gans: expected categorical code {i} in "
                    f"[0, {k - 1}]",
                )
            )
            checks.append(
                tf.debugging.assert_non_negative(
                    index,
                    message=f"keras_gans: expected categorical code {i} in "
                    f"[0, {k - 1}]",
                )
            )
            parts.append(tf.one_hot(index, k, dtype=tf.float32))
        parts.append(continuous)
        with tf.control_dependencies(checks):
            latent = tf.concat(parts, axis=-1)
        return {**_images_out(generator(latent, training=False)), "latent": latent}

    return generate_with_codes, [
        tf.TensorSpec([None, None], tf.float32, name="noise"),
        tf.TensorSpec([None, None], tf.int32, name="categorical"),
        tf.TensorSpec([None, None], tf.float32, name="continuous"),
    ]


def export_saved_model(model, base_dir, version=1, name=None, overwrite=False):
    """Writes `model`'s generator to `<base_dir>/<name>/<version>/`.

    The version folder appears in one rename, so a TF Serving instance
    watching `base_dir` never loads a half-written version.

    Args:
        model: a keras_gans model (GAN, DCGAN, InfoGAN or GANCLS).
        base_dir: TF Serving's model base path.
        version: a positive int, the version folder's name. Defaults to `1`.
        name: the model's folder under `base_dir`. Defaults to `None`: the
            model kind (`"dcgan"`, `"gan_cls"`, ...).
        overwrite: replace an existing version folder. Defaults to `False`
            (then an existing version raises `FileExistsError` and is kept).

    Returns:
        The version folder, a `pathlib.Path`.

    Example:

    >>> gan.export("exports", version=1)  # exports/dcgan/1/
    """
    kind = model_kind(model)
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)):
        raise ValueError(
            "Expected version to be a positive int (TF Serving's version folder); "
            f"received {version!r}."
        )
    if version < 1:
        raise ValueError(f"Expected version >= 1; received {version}.")
    name = kind if name is None else str(name)
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"Expected a folder name for the model; received {name!r}.")
    model_dir = pathlib.Path(base_dir) / name
    target = model_dir / str(int(version))
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{target} already exists: pick another version, or pass "
            "overwrite=True to replace it."
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    archive = keras.export.ExportArchive()
    # No archive.track(model.generator): add_endpoint() already saves the
    # variables its functions use, and tracking the model as well stores
    # every weight twice (the Keras variable and its tf.Variable), doubling
    # the export (Keras 3.15). The text encoder's tokenizer holds a lookup
    # table, which must be tracked; it has no weights to duplicate.
    if kind == "gan_cls" and model.text_encoder is not None:
        vectorizer = model.text_encoder.vectorizer
        if not vectorizer.built:  # as loaded from a .keras file
            vectorizer.build((None,))
        archive.track(vectorizer)
    for signature, (fn, input_signature) in _serving_fns(model).items():
        archive.add_endpoint(signature, fn, input_signature=input_signature)
    # Not a digit-only name: TF Serving ignores it while it is being written.
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        archive.write_out(str(staging), verbose=False)
        info = staging / METADATA_FILE
        info.parent.mkdir(parents=True, exist_ok=True)
        info.write_text(json.dumps(metadata(model), indent=2) + "\n")
        # An old version is renamed aside, never deleted before the new one
        # is in place.
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def chunk_seed(seed, index):
    """The seed of request `index` when `n` images take several `sample` calls.

    Request 0 keeps `seed` (so up to `MAX_SAMPLE_COUNT` images match
    `model.generate(n, seed)`); later ones get well-separated seeds in
    [0, 2**31), so different seeds do not share chunks.
    """
    return (int(seed) + int(index) * 0x9E3779B1) % 2**31


def sample_in_chunks(sample, n, seed, limit=MAX_SAMPLE_COUNT):
    """Yields the outputs of a `sample` signature for `n` images in all.

    Args:
        sample: the export's `sample` signature (count, seed -> dict).
        n: images in all.
        seed: the seed of the first request (see `chunk_seed`).
        limit: images per request. Defaults to `MAX_SAMPLE_COUNT`.
    """
    for i, start in enumerate(range(0, n, limit)):
        yield sample(
            count=tf.constant(min(limit, n - start), tf.int32),
            seed=tf.constant(chunk_seed(seed, i), tf.int64),
        )


def check_count(n, arg="n", high=None):
    """`n` as an int if it is an int >= 1 (and <= `high`), else a ValueError."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"Expected {arg} to be an int >= 1; received {n!r}.")
    if high is not None and n > high:
        raise ValueError(f"Expected {arg} <= {high}; received {n}.")
    return int(n)


def read_metadata(export_dir):
    """The `keras_gans.json` of an export folder, as a dict."""
    path = pathlib.Path(export_dir) / METADATA_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"Expected a keras_gans export with {METADATA_FILE} in {export_dir}; "
            "it is not there (was the folder written by model.export()?)."
        )
    return json.loads(path.read_text())
