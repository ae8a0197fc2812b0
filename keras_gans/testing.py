"""`FamilyTestCase`: the checks every model family passes, for a few lines of setup.

In the spirit of keras-hub's `TestCase`: a family's test class inherits it
and calls `run_family_checks(cls, init_kwargs, train_data, tmp_path)` with
the model class, the arguments of a small model and a dataset; each check
is also a method of its own. It covers every kind of model keras_gans
trains (a generator and a discriminator, or one network trained on
-log p(x)), and needs no test framework (plain asserts and
`numpy.testing`), so a family in another package can use it too.

```python
class TestDCGAN(FamilyTestCase):
    def test_family(self, tmp_path):
        self.run_family_checks(
            keras_gans.DCGAN,
            {"image_shape": (16, 16, 1), "latent_dim": 8, "g_filters": 4,
             "d_filters": 4, "seed": 1},
            images(32, (16, 16, 1)),
            tmp_path,
        )
```

The checks: the config round trip rebuilds the same architecture; one `fit`
step changes every network's weights and logs finite losses; a `.keras`
round trip gives the identical `generate(seed)`, compiled, with its
optimizer state; the SavedModel has the family's signatures, its metadata
names the family, and `sample` draws what the model draws; every TFLite
file, and the ONNX file (with the `onnx` extra), matches the SavedModel.

`injected_draws(model)` replaces every random draw of the model's steps with
NumPy draws, so the same step can be compared across Keras backends (whose
random number generators differ).
"""

from __future__ import annotations

import contextlib
import pathlib
import socket
import zlib

import numpy as np

__all__ = ["FamilyTestCase", "injected_draws", "numpy_latent"]


def _generate(model):
    return model.generate(4, seed=0)


def _weights(network):
    return [np.array(w) for w in network.trainable_weights]


def networks(model):
    """`{name: network}` a check compares: G and D, or the model itself."""
    if hasattr(model, "generator") and hasattr(model, "discriminator"):
        return {"generator": model.generator, "discriminator": model.discriminator}
    return {model.name: model}


def _optimizer(model):
    """The optimizer whose step count says `fit` trained (G's for a GAN)."""
    return getattr(model, "g_optimizer", None) or model.optimizer


class FamilyTestCase:
    """Checks every family passes; see the module's docstring."""

    # Largest |difference| allowed between a `.tflite` file and its SavedModel.
    tflite_tolerance = 1e-4

    def run_config_round_trip(self, model):
        """`from_config(get_config())` rebuilds the same architecture."""
        clone = type(model).from_config(model.get_config())
        assert clone.get_config() == model.get_config()
        for (name, mine), theirs in zip(
            networks(model).items(), networks(clone).values(), strict=True
        ):
            assert [w.shape for w in mine.weights] == [
                w.shape for w in theirs.weights
            ], name
        return clone

    def run_fit_step(self, model, dataset):
        """One `fit` step changes every network's weights and logs finite losses."""
        import keras

        before = {name: _weights(net) for name, net in networks(model).items()}
        history = model.fit(dataset.take(1), epochs=1, verbose=0).history
        for key, values in history.items():
            assert np.isfinite(values[-1]), (key, values)
        for name, network in networks(model).items():
            after = _weights(network)
            assert any(
                not np.array_equal(a, b)
                for a, b in zip(before[name], after, strict=True)
            ), f"fit() left {name}'s weights unchanged"
        steps = keras.ops.convert_to_numpy(_optimizer(model).iterations)
        assert int(steps) >= 1
        return history

    def run_keras_round_trip(self, model, tmp_path, generate=_generate):
        """A `.keras` round trip: compiled, same optimizer step, identical samples."""
        import keras

        path = pathlib.Path(tmp_path) / "model.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        assert loaded.compiled == model.compiled
        if model.compiled:
            assert int(_optimizer(loaded).iterations) == int(
                _optimizer(model).iterations
            )
        np.testing.assert_allclose(generate(loaded), generate(model), atol=1e-6)
        return loaded

    def run_export_checks(self, model, tmp_path, signatures=()):
        """The SavedModel has the signatures, and they draw what the model draws.

        Args:
            model: the model to export.
            tmp_path: a scratch folder.
            signatures: the family's own signatures besides
                `serving_default` and the one its TFLite file converts
                (GAN-CLS: its text signatures; `sample` may be left out by a
                family that needs conditions for it).

        Returns:
            The export's version folder.
        """
        from keras_gans._tensorflow import tf
        from keras_gans.export import read_metadata
        from keras_gans.export.spec import tflite_spec
        from keras_gans.models.registry import family_of

        folder = model.export(pathlib.Path(tmp_path) / "exports", version=1)
        loaded = tf.saved_model.load(str(folder))
        converted = tflite_spec(family_of(model)).signature
        expected = set(signatures) | {converted, "serving_default"}
        assert expected <= set(loaded.signatures), sorted(loaded.signatures)
        meta = read_metadata(folder)
        assert meta["model"] == family_of(model).name
        assert set(meta["signatures"]) == set(loaded.signatures)
        if "sample" in loaded.signatures and "texts" not in str(
            loaded.signatures["sample"].structured_outputs
        ):
            out = loaded.signatures["sample"](
                count=tf.constant(3, tf.int32), seed=tf.constant(7, tf.int64)
            )
            np.testing.assert_allclose(
                out["images"].numpy(), model.generate(3, seed=7), atol=1e-5
            )
        return folder

    def run_tflite_parity(self, export_dir, tmp_path):
        """Every `.tflite` file of the export matches its SavedModel."""
        from keras_gans.export import tflite

        paths = tflite.export_tflite(export_dir, pathlib.Path(tmp_path) / "tflite")
        for role, path in paths.items():
            if role != "metadata":
                assert tflite.parity(export_dir, path) <= self.tflite_tolerance, role
        return paths

    def run_onnx_parity(self, export_dir, tmp_path):
        """The ONNX file matches the SavedModel, or the family says why it has none.

        Skipped (returns `None`) where the `onnx` extra is not installed.
        """
        import importlib.util

        from keras_gans.export import onnx
        from keras_gans.export.spec import onnx_spec
        from keras_gans.models.registry import family_for_kind

        if not all(importlib.util.find_spec(m) for m in ("tf2onnx", "onnxruntime")):
            return None
        meta = onnx.read_metadata(export_dir)
        if onnx_spec(family_for_kind(meta["model"])).refused:
            return None
        paths = onnx.export_onnx(export_dir, pathlib.Path(tmp_path) / "onnx")
        assert onnx.parity(export_dir, paths["model"]) <= self.tflite_tolerance
        return paths

    def run_family_checks(
        self,
        cls,
        init_kwargs,
        train_data,
        tmp_path,
        signatures=(),
        generate=_generate,
        compile_kwargs=None,
    ):
        """All the checks on a fresh model `cls(**init_kwargs)`, compiled.

        Args:
            cls: the model class.
            init_kwargs: the arguments of a small model of it.
            train_data: a batched `tf.data.Dataset` the model trains on.
            tmp_path: a scratch folder.
            signatures: the family's own export signatures.
            generate: `generate(model) -> images`, reproducible (GAN-CLS
                passes texts). Defaults to `model.generate(4, seed=0)`.
            compile_kwargs: `compile()`'s arguments. Defaults to none: the
                family's own defaults.

        Returns:
            The trained model.
        """
        tmp_path = pathlib.Path(tmp_path)
        model = cls(**init_kwargs)
        assert isinstance(model, cls)
        self.run_config_round_trip(model)
        model.compile(**(compile_kwargs or {}))
        self.run_fit_step(model, train_data)
        self.run_keras_round_trip(model, tmp_path, generate)
        export_dir = self.run_export_checks(model, tmp_path, signatures)
        self.run_tflite_parity(export_dir, tmp_path)
        self.run_onnx_parity(export_dir, tmp_path)
        return model


def numpy_latent(model, n, rng):
    """`n` generator inputs for `model` drawn with NumPy's `rng`.

    As `model.sample_latent` draws them (InfoGAN: noise, one-hot codes and
    continuous codes from its `LatentSpec`), but the same on every backend.
    """
    spec = getattr(model, "spec", None)
    if spec is None:
        if model.latent_distribution == "uniform":
            return rng.uniform(-1.0, 1.0, (n, model.latent_dim)).astype("float32")
        return rng.standard_normal((n, model.latent_dim)).astype("float32")
    parts = []
    if spec.noise_dim:
        shape = (n, spec.noise_dim)
        if spec.noise_distribution == "uniform":
            parts.append(rng.uniform(-1.0, 1.0, shape))
        else:
            parts.append(rng.standard_normal(shape))
    for k in spec.categorical:
        parts.append(np.eye(k)[rng.integers(0, k, n)])
    if spec.continuous:
        r = spec.continuous_range
        parts.append(rng.uniform(-r, r, (n, spec.continuous)))
    return np.concatenate(parts, axis=-1).astype("float32")


@contextlib.contextmanager
def injected_draws(model, seed=0, batch_size=None):
    """Every random draw of `model`'s train and test steps comes from NumPy.

    Each draw is keyed by its name (`"latent"`, `"alpha"`, `"wrong_scores"`,
    `"wrong_shift"`), its place among the step's draws of that name and
    `seed`, so every step draws the same values, whether the step runs
    eagerly or is traced once (`tf.function`, `jax.jit`), on every backend.
    Dropout is not covered: compare models without it.

    Args:
        model: an `AdversarialModel`.
        seed: seed of the NumPy draws. Defaults to `0`.
        batch_size: the global batch size, for steps traced with an unknown
            batch dimension (`tf.function` over a dataset). Defaults to
            `None` (the batch dimension must be known).
    """

    def known(d):
        if isinstance(d, (int, np.integer)):
            return int(d)
        if batch_size is None:
            raise ValueError(
                "injected_draws: a step was traced with an unknown batch "
                "dimension; pass batch_size=."
            )
        return int(batch_size)

    counts = {}

    def hook(name, shape):
        shape = tuple(known(d) for d in shape)
        index = counts.get(name, 0)
        counts[name] = index + 1
        rng = np.random.default_rng([seed, zlib.crc32(name.encode()), index])
        if name == "latent":
            return numpy_latent(model, shape[0], rng)
        return rng.uniform(size=shape).astype("float32")

    start_step = model._start_step

    def restarting(local_batch):
        counts.clear()
        return start_step(local_batch)

    model._draw_hook = hook
    model._start_step = restarting
    try:
        yield model
    finally:
        del model._start_step
        model._draw_hook = None


def free_ports(n):
    """`n` free TCP ports on 127.0.0.1, for workers of a multi-worker test."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def wait_all(procs, timeout):
    """The exit codes of `procs` (`subprocess.Popen`s), all killed if any outlives `timeout` s.

    For the processes of a multi-worker or multi-process test: one that
    hangs fails the test with an `AssertionError` instead of hanging it.
    """
    import subprocess
    import time

    deadline = time.time() + timeout
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=max(1, deadline - time.time())))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise AssertionError(f"processes still running after {timeout} s") from None
    return codes
