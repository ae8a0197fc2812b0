"""`.keras` files moving between Keras backends, for test_backends.py.

    KERAS_BACKEND=jax python tests/backend_files.py train OUT.keras REPORT.npz
    KERAS_BACKEND=tensorflow python tests/backend_files.py load IN.keras REPORT.npz [EXPORT_DIR]

`train`: a small DCGAN trained two steps with Adam, saved. `load`: the file
loaded on this backend. Both write a report: what the generator draws from
fixed latent vectors, the optimizers' variables and step count; `load` then
trains one more step (the step count must go on from the file's) and, with
EXPORT_DIR, exports a SavedModel (TensorFlow only).
"""

from __future__ import annotations

import sys

import keras
import numpy as np

import keras_gans

Z = np.random.default_rng(0).standard_normal((4, 4)).astype("float32")
IMAGES = np.tanh(np.random.default_rng(1).standard_normal((16, 16, 16, 1))).astype(
    "float32"
)


def report(model, path, **extra):
    record = {
        "backend": np.array(keras.backend.backend()),
        "images": model.generate(Z),
        "iterations": np.array(int(model.g_optimizer.iterations)),
        **extra,
    }
    for role in ("g", "d"):
        optimizer = getattr(model, f"{role}_optimizer")
        for i, v in enumerate(optimizer.variables):
            record[f"{role}_optimizer/{i}"] = keras.ops.convert_to_numpy(v)
    np.savez(path, **record)


def train(out, path):
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4, seed=0
    )
    model.compile()
    model.fit(IMAGES, batch_size=8, epochs=1, verbose=0)
    model.save(out)
    report(model, path)


def load(file, path, export_dir=None):
    model = keras.saving.load_model(file)
    before = dict(images=model.generate(Z))
    steps = int(model.g_optimizer.iterations)
    model.fit(IMAGES[:8], batch_size=8, epochs=1, verbose=0)
    assert int(model.g_optimizer.iterations) == steps + 1
    if export_dir:
        model.export(export_dir, version=1)
    fresh = keras.saving.load_model(file)
    report(fresh, path, continued=np.array(steps + 1), first=before["images"])


def pinned(folder, path):
    """What each pinned `.keras` file's generator draws from fixed inputs."""
    import pathlib

    record = {}
    for file in sorted(pathlib.Path(folder).glob("*.keras")):
        model = keras.saving.load_model(file)
        z = np.random.default_rng(2).standard_normal((3, model.latent_dim))
        inputs = z.astype("float32")
        if hasattr(model, "text_dim"):
            text = np.random.default_rng(3).standard_normal((3, model.text_dim))
            inputs = [inputs, text.astype("float32")]
        record[f"{file.stem}/images"] = keras.ops.convert_to_numpy(
            model.generator(inputs, training=False)
        )
        record[f"{file.stem}/iterations"] = np.array(int(model.g_optimizer.iterations))
    np.savez(path, **record)


if __name__ == "__main__":
    {"train": train, "load": load, "pinned": pinned}[sys.argv[1]](*sys.argv[2:])
