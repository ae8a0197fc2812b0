"""InfoGAN's SavedModel: the `generate_with_codes` signature and code metadata."""

from __future__ import annotations

from keras_gans._tensorflow import tf
from keras_gans.models.serving import check_vector, images_out


def _code_slices(spec):
    start = spec.noise_dim
    for k in spec.categorical:
        yield slice(start, start + k)
        start += k


def metadata(model, info):
    """`info` (the base metadata) with the latent spec and its column layout."""
    spec = model.spec
    info["latent_spec"] = spec.get_config()
    info["latent_layout"] = {
        "noise": [0, spec.noise_dim],
        "categorical": [[int(s.start), int(s.stop)] for s in _code_slices(spec)],
        "continuous": [spec.noise_dim + sum(spec.categorical), spec.dim],
    }
    info["signatures"]["generate_with_codes"] = (
        "noise, categorical (indices), continuous -> images, images_uint8"
    )
    return info


def signatures(model):
    """`{"generate_with_codes": (function, input signature)}`."""
    spec = model.spec
    n_cat = len(spec.categorical)
    generator = model.sampling_generator

    def generate_with_codes(noise, categorical, continuous):
        noise = check_vector("noise", noise, spec.noise_dim, "noise")
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
        ]
        for name, values in (("categorical", categorical), ("continuous", continuous)):
            checks.append(
                tf.debugging.assert_equal(
                    tf.shape(noise)[0],
                    tf.shape(values)[0],
                    message=f"keras_gans: expected as many rows of `{name}` as "
                    "of `noise`",
                )
            )
        parts = [noise]
        for i, k in enumerate(spec.categorical):
            index = categorical[:, i]
            message = f"keras_gans: expected categorical code {i} in [0, {k - 1}]"
            checks.append(tf.debugging.assert_less(index, k, message=message))
            checks.append(tf.debugging.assert_non_negative(index, message=message))
            parts.append(tf.one_hot(index, k, dtype=tf.float32))
        parts.append(continuous)
        with tf.control_dependencies(checks):
            latent = tf.concat(parts, axis=-1)
        return {**images_out(generator(latent, training=False)), "latent": latent}

    return {
        "generate_with_codes": (
            generate_with_codes,
            [
                tf.TensorSpec([None, None], tf.float32, name="noise"),
                tf.TensorSpec([None, None], tf.int32, name="categorical"),
                tf.TensorSpec([None, None], tf.float32, name="continuous"),
            ],
        )
    }
