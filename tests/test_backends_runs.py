"""Files, runs and installs across the three Keras backends.

`.keras` files written on one backend and loaded on another, the pinned
files of the previous release, the CLI training and resuming on JAX, imports
that leave TensorFlow out, JAX's data parallelism, and the core without
TensorFlow. Each backend runs in its own process (`backend_files.py`,
`backend_devices.py`); the numerical step comparison is test_backends.py.
Split from it so that the two halves run on the two test workers at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from test_backends import BACKENDS, HERE, _backends, _run  # noqa: F401

# Several minutes of subprocesses: a CI step of their own, shared with the
# tutorials (`-m "backends or tutorials"`).
pytestmark = [pytest.mark.slow, pytest.mark.backends]


def _jax_env(fashion_dir):
    """A CLI process's environment: JAX, the fixture data, quiet TensorFlow."""
    return dict(
        os.environ,
        KERAS_BACKEND="jax",
        KERAS_GANS_DATA_DIR=str(fashion_dir),
        TF_CPP_MIN_LOG_LEVEL="3",
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("jax", "tensorflow"),
        ("torch", "tensorflow"),
        ("tensorflow", "jax"),
        ("tensorflow", "torch"),
        ("jax", "torch"),
        ("torch", "jax"),
    ],
)
def test_keras_files_move_between_backends(tmp_path, source, target):
    _backends()
    file = tmp_path / "model.keras"
    trained, loaded = tmp_path / "trained.npz", tmp_path / "loaded.npz"
    _run(source, HERE / "backend_files.py", "train", file, trained)
    export = tmp_path / "export" if target == "tensorflow" else None
    _run(
        target,
        HERE / "backend_files.py",
        "load",
        file,
        loaded,
        *[export] * bool(export),
    )
    with np.load(trained) as a, np.load(loaded) as b:
        assert str(b["backend"]) == target
        assert int(a["iterations"]) == int(b["iterations"]) == 2
        assert int(b["continued"]) == 3
        np.testing.assert_allclose(b["images"], a["images"], atol=1e-5)
        np.testing.assert_allclose(b["first"], a["images"], atol=1e-5)
        keys = [k for k in a.files if "optimizer/" in k]
        assert len(keys) > 4
        for key in keys:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-5, atol=1e-7)
    if export:
        assert (export / "dcgan" / "1" / "saved_model.pb").is_file()


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_pinned_files_from_before_load_on_every_backend(tmp_path, backend):
    _backends()
    pinned = HERE / "fixtures" / "pinned"
    reports = {}
    for name in ("tensorflow", backend):
        reports[name] = tmp_path / f"{name}.npz"
        _run(name, HERE / "backend_files.py", "pinned", pinned, reports[name])
    with np.load(reports["tensorflow"]) as a, np.load(reports[backend]) as b:
        assert sorted(a.files) == sorted(b.files)
        assert len(a.files) == 2 * len(list(pinned.glob("*.keras")))
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_import_and_numpy_fit_leave_tensorflow_out(backend):
    _backends()
    code = (
        "import sys, numpy as np, keras_gans\n"
        "assert 'tensorflow' not in sys.modules, 'import'\n"
        "x = keras_gans.data.load('fashion_mnist', batch_size=16, limit=64,"
        " data_dir=sys.argv[1])\n"
        "gan = keras_gans.DCGAN(image_shape=(28, 28, 1), latent_dim=4,"
        " g_filters=4, d_filters=4)\n"
        "gan.compile(loss='wasserstein_gp')\n"
        "gan.fit(x, epochs=1, verbose=0)\n"
        "gan.generate(2, seed=0)\n"
        "assert 'tensorflow' not in sys.modules, 'fit'\n"
        "print(type(x).__name__)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=backend)
    done = subprocess.run(
        [sys.executable, "-c", code, str(HERE / "fixtures" / "fashion-mnist")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ArrayBatches"


def test_jax_data_parallel_over_two_devices_is_the_one_device_step():
    _backends()
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
        + " --xla_force_host_platform_device_count=2",
    )
    done = subprocess.run(
        [sys.executable, str(HERE / "backend_devices.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    diff, moved, devices, steps = done.stdout.split()[:4]
    assert int(devices) == 2 and int(steps) == 3
    assert float(moved) > 1e-4  # the steps changed the weights
    assert float(diff) < 1e-5, (diff, moved)


def test_without_tensorflow_the_core_trains_and_tf_parts_say_what_to_install(
    tmp_path,
):
    _backends()
    # TensorFlow made unimportable, as in an install of keras-gans[jax].
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "import numpy as np, keras, keras_gans\n"
        "gan = keras_gans.DCGAN(image_shape=(16, 16, 1), latent_dim=4,"
        " g_filters=4, d_filters=4)\n"
        "gan.compile()\n"
        "x = np.zeros((16, 16, 16, 1), 'float32')\n"
        "gan.fit(x, batch_size=8, epochs=1, verbose=0)\n"
        "gan.save(sys.argv[1] + '/m.keras')\n"
        "keras_gans.images.save_image_grid(gan.generate(4), sys.argv[1] + '/g.png')\n"
        "try:\n"
        "    gan.export(sys.argv[1] + '/export')\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=dict(os.environ, KERAS_BACKEND="jax"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    message = done.stdout.strip()
    assert "\n" not in message
    assert "pip install 'keras-gans[tensorflow]'" in message, message
    assert (tmp_path / "m.keras").is_file() and (tmp_path / "g.png").is_file()


def test_cli_run_on_jax_resumes_when_interrupted_and_continues_when_finished(
    tmp_path, fashion_dir
):
    import signal
    import time

    _backends()
    out = tmp_path / "run"
    env = _jax_env(fashion_dir)

    def command(epochs):
        return [
            sys.executable, "-m", "keras_gans", "train", "dcgan", "--dataset",
            "fashion_mnist", "--epochs", str(epochs), "--batch-size", "64",
            "--latent-dim", "16", "--out", str(out), "--verbose", "0",
        ]  # fmt: skip

    process = subprocess.Popen(
        command(6), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    history = out / "history.csv"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if history.exists() and len(history.read_text().splitlines()) >= 3:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    # Rerun: resumes the interrupted run; then --epochs 7 continues the
    # finished one by an epoch.
    for epochs in (6, 7):
        done = subprocess.run(
            command(epochs), env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads((out / "run.json").read_text())
    assert run["epochs_completed"] == 7 and run["finished"]
    epochs = [line.split(",")[0] for line in history.read_text().splitlines()[1:]]
    assert epochs == [str(e) for e in range(7)], epochs
    # The JAX run's file loads on TensorFlow with its optimizer state.
    check = (
        "import keras, keras_gans; m = keras.saving.load_model(r'%s');"
        "print(int(m.g_optimizer.iterations), keras.backend.backend())"
    ) % (out / "model.keras")
    done = subprocess.run(
        [sys.executable, "-c", check],
        env=dict(env, KERAS_BACKEND="tensorflow"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.stdout.split() == ["56", "tensorflow"], done.stderr[-2000:]  # 7 x 8
