"""Writes the pinned `.keras` files of tests/fixtures/pinned (one per family).

Each file is a tiny model of one family, compiled and trained for two steps
(so it holds optimizer and noise state), saved by the keras_gans of the day
it was made; `expected.npz` holds what it generated then. The files were
made on main at 3ce8375 (before the families moved into their own folders)
and `tests/test_pinned.py` checks that today's keras_gans still loads them
and generates the same images. Do not regenerate them to make a test pass:
a model saved by an older release must keep loading.

Usage:

    python tools/make_pinned_models.py tests/fixtures/pinned
"""

import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.latent import LatentSpec  # noqa: E402
from keras_gans.text import TextEncoder  # noqa: E402

CAPTIONS = [
    "a dark ankle boot",
    "a pale slim dress",
    "a wide grey coat",
    "a narrow light sneaker",
]
STYLE_SEED = 5


def _images(n, shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, *shape)).astype("float32")


def make_models():
    """{family: (model, training data)} for the pinned files."""
    keras.utils.set_random_seed(0)
    gan = keras_gans.GAN(
        data_shape=(8, 8, 1),
        latent_dim=4,
        g_units=(16,),
        d_units=(8,),
        d_pieces=2,
        seed=1,
    )
    keras.utils.set_random_seed(0)
    dcgan = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=8, g_filters=4, d_filters=4, seed=1
    )
    keras.utils.set_random_seed(0)
    infogan = keras_gans.InfoGAN(
        image_shape=(16, 16, 1),
        latent_spec=LatentSpec(noise_dim=4, categorical=(3,), continuous=1),
        g_filters=4,
        d_filters=4,
        hidden=16,
        q_hidden=8,
        seed=1,
    )
    keras.utils.set_random_seed(0)
    encoder = TextEncoder(embedding_dim=8, token_dim=4, units=8).adapt(CAPTIONS)
    gan_cls = keras_gans.GANCLS(
        text_encoder=encoder,
        image_shape=(16, 16, 1),
        latent_dim=8,
        projection_dim=4,
        g_filters=4,
        d_filters=4,
        seed=1,
        preview_texts=CAPTIONS[:2],
    )
    keras.utils.set_random_seed(0)
    user = keras_gans.AdversarialModel(
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="g"),
        keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="d"),
        seed=3,
    )
    texts = np.array(CAPTIONS * 4)
    return {
        "gan": (gan, _images(16, (8, 8, 1))),
        "dcgan": (dcgan, _images(16, (16, 16, 1))),
        "infogan": (infogan, _images(16, (16, 16, 1))),
        "gan_cls": (gan_cls, (_images(16, (16, 16, 1)), texts)),
        "adversarial": (user, _images(16, (2,))),
    }


def expected_outputs(name, model):
    """What the pinned model generates: compared after loading it again."""
    if name == "gan_cls":
        out = {"generate": model.generate(CAPTIONS[:2], n_per_text=2, seed=0)}
        out["style"] = model.infer_style(_images(2, (16, 16, 1), STYLE_SEED))
    else:
        out = {"generate": model.generate(4, seed=0)}
    if name == "infogan":
        codes = model.infer_codes(_images(4, (16, 16, 1), STYLE_SEED))
        out["categorical"] = codes["categorical"][0]
        out["continuous"] = codes["continuous"]
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out_dir = pathlib.Path(argv[0] if argv else "tests/fixtures/pinned")
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (model, data) in make_models().items():
        model.compile(
            loss="least_squares" if name == "adversarial" else "non_saturating"
        )
        dataset = tf.data.Dataset.from_tensor_slices(data).batch(8)
        model.fit(dataset, epochs=1, verbose=0)
        model.save(out_dir / f"{name}.keras")
        for key, value in expected_outputs(name, model).items():
            expected[f"{name}/{key}"] = np.asarray(value)
    np.savez(out_dir / "expected.npz", **expected)
    print(f"Wrote {sorted(p.name for p in out_dir.iterdir())}")


if __name__ == "__main__":
    main()
