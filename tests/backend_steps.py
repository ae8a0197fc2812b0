"""The same training steps on this process's Keras backend, for test_backends.py.

    KERAS_BACKEND=jax python tests/backend_steps.py OUT.npz WEIGHTS_DIR

For every family and every GAN loss: a small model whose starting weights
come from WEIGHTS_DIR (written there by the first backend that runs), three
plain-SGD `fit` steps with every random draw injected
(`keras_gans.testing.injected_draws`) and no dropout, run eagerly. Records
each step's logs, the weight changes of the first step (-lr x the
gradients) and the weights after three steps. Then the DCGAN step compiled
(`jax.jit`, `tf.function`) with Adam, recording the optimizers' variables
(moments, step counts) after three steps: the optimizer state that JAX
threads through its stateless step.
"""

from __future__ import annotations

import pathlib
import sys

import keras
import numpy as np

import keras_gans
from keras_gans.testing import injected_draws

LR = 0.01
STEPS = 3
BATCH = 8


def _user_networks():
    z = keras.Input((4,))
    generator = keras.Model(
        z, keras.layers.Dense(6, activation="tanh")(keras.layers.Dense(8)(z))
    )
    x = keras.Input((6,))
    discriminator = keras.Model(
        x, keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(x))
    )
    return keras_gans.AdversarialModel(generator, discriminator)


FAMILIES = {
    "adversarial": (_user_networks, (6,)),
    "gan": (
        lambda: keras_gans.GAN(
            data_shape=(6,),
            latent_dim=4,
            g_units=(8,),
            d_units=(8,),
            d_pieces=2,
            dropout=0.0,
            input_dropout=0.0,
        ),
        (6,),
    ),
    "dcgan": (
        lambda: keras_gans.DCGAN(
            image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4
        ),
        (16, 16, 1),
    ),
    "infogan": (
        lambda: keras_gans.InfoGAN(
            image_shape=(16, 16, 1),
            latent_spec=keras_gans.latent.LatentSpec(
                noise_dim=3, categorical=(3,), continuous=1
            ),
            g_filters=4,
            d_filters=4,
            hidden=8,
            q_hidden=4,
        ),
        (16, 16, 1),
    ),
    "gan_cls": (
        lambda: keras_gans.GANCLS(
            text_dim=5,
            image_shape=(16, 16, 1),
            latent_dim=4,
            projection_dim=4,
            g_filters=4,
            d_filters=4,
        ),
        (16, 16, 1),
    ),
}


class Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


def data(family, shape):
    rng = np.random.default_rng(7)
    batches = []
    for _ in range(STEPS):
        x = np.tanh(rng.standard_normal((BATCH, *shape))).astype("float32")
        if family == "gan_cls":
            texts = rng.standard_normal((BATCH, 5)).astype("float32")
            labels = np.array([0, 1, 2, 0, 1, 2, 3, 3], "int32")
            batches.append((x, texts, labels))
        else:
            batches.append(x)
    return batches


def _values(variables):
    return [keras.ops.convert_to_numpy(v) for v in variables]


def start(model, path):
    if path.exists():
        with np.load(path) as saved:
            model.set_weights([saved[f"w{i}"] for i in range(len(saved.files))])
    else:
        np.savez(path, **{f"w{i}": w for i, w in enumerate(model.get_weights())})


def run(family, loss, weights_dir, record, optimizer="sgd"):
    make, shape = FAMILIES[family]
    model = make()
    if optimizer == "sgd":
        optimizers = [keras.optimizers.SGD(LR) for _ in range(2)]
        compiled = {"run_eagerly": True}
    else:
        optimizers = [keras.optimizers.Adam(1e-3, beta_1=0.5) for _ in range(2)]
        compiled = {}  # what fit() compiles by default: jax.jit, tf.function
    model.compile(
        g_optimizer=optimizers[0], d_optimizer=optimizers[1], loss=loss, **compiled
    )
    start(model, weights_dir / f"{family}.npz")
    key = f"{family}/{loss}/{optimizer}"
    before = _values(model.weights)
    batches = data(family, shape)
    with injected_draws(model, seed=3, batch_size=BATCH):
        for step in range(STEPS):
            logs = model.fit(
                Batches([batches[step]]), epochs=1, verbose=0, shuffle=False
            ).history
            for name, values in logs.items():
                record[f"{key}/logs{step}/{name}"] = np.float64(values[-1])
            if step == 0:
                for i, (a, b) in enumerate(
                    zip(before, _values(model.weights), strict=True)
                ):
                    record[f"{key}/delta1/{i}"] = b - a
    for i, w in enumerate(_values(model.weights)):
        record[f"{key}/weights{STEPS}/{i}"] = w
    if optimizer != "sgd":
        for role in ("g", "d"):
            opt = getattr(model, f"{role}_optimizer")
            for i, v in enumerate(_values(opt.variables)):
                record[f"{key}/{role}_optimizer/{i}"] = v


def main(out, weights_dir):
    weights_dir = pathlib.Path(weights_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    # Fixed starting weights (the first backend writes them), so the test
    # sees the same numbers every run.
    keras.utils.set_random_seed(1)
    record = {"backend": np.array(keras.backend.backend())}
    for family in FAMILIES:
        for loss in keras_gans.losses.names():
            run(family, loss, weights_dir, record)
    run("dcgan", "non_saturating", weights_dir, record, optimizer="adam")
    np.savez(out, **record)


if __name__ == "__main__":
    main(*sys.argv[1:])
