"""One model, three Keras backends: the same numbers, and files that move.

Each backend runs in its own process (Keras picks its backend at import):
`backend_steps.py` and `backend_files.py` do the work there; these tests
compare what they report. Without JAX or PyTorch installed the tests skip,
unless KERAS_GANS_REQUIRE_BACKENDS=1 (as in CI), which makes that a failure.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import keras_gans

HERE = pathlib.Path(__file__).parent
BACKENDS = ("tensorflow", "jax", "torch")
FAMILIES = ("adversarial", "gan", "dcgan", "infogan", "gan_cls")
# Every registered loss, as backend_steps.py runs them.
LOSSES = keras_gans.losses.names()
# Several minutes of subprocesses: a CI step of their own, shared with the
# tutorials (`-m "backends or tutorials"`). The
# group keeps the module on one xdist worker there (loadgroup), so its
# module fixture, every backend's steps, runs once.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.backends,
    pytest.mark.xdist_group("backend_steps"),
]


def _backends():
    missing = [b for b in BACKENDS if importlib.util.find_spec(b) is None]
    if missing:
        if os.environ.get("KERAS_GANS_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"Backends not installed: {missing}")
        pytest.skip(f"Backends not installed: {missing}")
    return BACKENDS


def _run(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{backend}: {done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steps")
    results = {}
    # TensorFlow first: it writes the starting weights the others load.
    for backend in _backends():
        out = folder / f"{backend}.npz"
        _run(backend, HERE / "backend_steps.py", out, folder / "weights")
        with np.load(out) as saved:
            results[backend] = dict(saved)
    return results


def _case(record, prefix):
    return {k[len(prefix) :]: v for k, v in record.items() if k.startswith(prefix)}


def _assert_same(mine, theirs, what):
    assert mine.keys() == theirs.keys(), what
    assert mine, what
    for key in mine:
        np.testing.assert_allclose(
            theirs[key], mine[key], rtol=1e-4, atol=1e-5, err_msg=f"{what}: {key}"
        )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("family", FAMILIES)
def test_same_losses_gradients_and_weights_on_every_backend(steps, family, loss):
    prefix = f"{family}/{loss}/sgd/"
    reference = _case(steps["tensorflow"], prefix)
    others = {b: _case(steps[b], prefix) for b in ("jax", "torch")}
    # Each step's logs, -lr x the first step's gradients, the weights after
    # three steps. WGAN-GP with a batch-normalised critic (DCGAN, InfoGAN,
    # GAN-CLS) agrees too because keras_gans's BatchNormalization takes
    # moments that differentiate twice alike on every backend
    # (keras_gans.models.blocks.BatchNormalization).
    assert any(k.startswith("delta1/") for k in reference)
    assert any(k.startswith("weights3/") for k in reference)
    _assert_same(others["jax"], others["torch"], f"{prefix} jax vs torch")
    for backend in ("jax", "torch"):
        _assert_same(reference, others[backend], f"{prefix} tensorflow vs {backend}")


def test_the_step_moves_the_weights(steps):
    # Guards the comparison above against a step that does nothing.
    record = steps["tensorflow"]
    for family in FAMILIES:
        deltas = _case(record, f"{family}/non_saturating/sgd/delta1/")
        assert max(float(np.abs(d).max()) for d in deltas.values()) > 1e-4, family


def test_adam_state_after_compiled_steps_is_the_same(steps):
    # fit()'s compiled step (jax.jit threading both optimizers' state,
    # tf.function, torch eager) with Adam: moments and step counts agree.
    prefix = "dcgan/non_saturating/adam/"
    reference = _case(steps["tensorflow"], prefix)
    moments = {k: v for k, v in reference.items() if "optimizer" in k}
    assert len(moments) > 4
    counts = [v for v in moments.values() if v.shape == () and v.dtype.kind == "i"]
    assert counts and all(int(c) == 3 for c in counts), counts
    for backend in ("jax", "torch"):
        _assert_same(reference, _case(steps[backend], prefix), f"{prefix} {backend}")
