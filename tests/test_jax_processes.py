"""Many machines on JAX: two processes on 127.0.0.1 (`keras.distribution`).

`keras-gans train ... --distribution data_parallel` with a coordinator, a
process count and an id, as each machine of a job (or TPU host) would be
started. These start several JAX processes each: CI runs them in their own
step (`-m processes`); `tools/check_kills.py --jax` repeats the kill test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_gans.testing import free_ports, wait_all

pytestmark = [pytest.mark.processes, pytest.mark.slow]

pytest.importorskip("jax")


def train_command(run, fashion_dir, epochs, *extra):
    command = [sys.executable, "-m", "keras_gans.cli", "train", "gan"]
    command += ["--epochs", str(epochs), "--limit", "256", "--batch-size", "32"]
    command += ["--latent-dim", "8", "--g-units", "32", "--data-dir", str(fashion_dir)]
    return [*command, "--out", str(run), "--verbose", "2", *extra]


def jax_env():
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    # These processes are killed mid-run: none shares conftest's compilation
    # cache, so no test reads an entry that a killed process left.
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    return env


def start_processes(command, logs, count=2):
    """The same command in each process, as on each machine; output to `logs`."""
    port = free_ports(1)[0]
    procs = []
    for index in range(count):
        flags = ["--distribution", "data_parallel"]
        flags += ["--coordinator-address", f"127.0.0.1:{port}"]
        flags += ["--num-processes", str(count), "--process-id", str(index)]
        log = open(logs / f"process{index}.log", "a")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [*command, *flags], env=jax_env(), stdout=log, stderr=subprocess.STDOUT
            )
        )
    return procs


WEIGHTS = (
    "import sys, keras, keras_gans, numpy as np; "
    "m = keras.saving.load_model(sys.argv[1]); "
    "np.savez(sys.argv[2], *m.get_weights(), "
    "steps=int(keras.ops.convert_to_numpy(m.g_optimizer.iterations)))"
)


def weights(run, tmp_path):
    out = tmp_path / f"{run.name}.npz"
    subprocess.run(
        [sys.executable, "-c", WEIGHTS, str(run / "model.keras"), str(out)],
        env=jax_env(),
        check=True,
        timeout=300,
    )
    return np.load(out)


def test_two_processes_train_the_weights_of_one_process(tmp_path, fashion_dir):
    one = tmp_path / "one"
    subprocess.run(
        train_command(one, fashion_dir, 2), env=jax_env(), check=True, timeout=600
    )
    two = tmp_path / "two"
    procs = start_processes(train_command(two, fashion_dir, 2), tmp_path)
    assert wait_all(procs, 600) == [0, 0], (tmp_path / "process0.log").read_text()[-3000:]
    a, b = weights(one, tmp_path), weights(two, tmp_path)
    assert int(a["steps"]) == int(b["steps"]) == 16  # 256 / 32 a epoch, 2 epochs
    names = [k for k in a.files if k.startswith("arr_")]
    difference = max(float(np.abs(a[k] - b[k]).max()) for k in names)
    moved = max(float(np.abs(a[k]).max()) for k in names)
    print(f"largest weight difference, 2 processes against 1: {difference:.3g}")
    assert moved > 0 and difference < 1e-4
    # Only process 0 wrote the run folder: one history row per epoch.
    assert len((two / "history.csv").read_text().splitlines()) == 3
    log = (tmp_path / "process1.log").read_text()
    assert f"Trained 2 epochs: {two}" in log


def epochs_completed(run):
    try:
        return json.loads((run / "run.json").read_text())["epochs_completed"]
    except (OSError, ValueError, KeyError):
        return 0


def test_a_killed_process_ends_the_other_and_the_job_resumes(tmp_path, fashion_dir):
    # Process 0 runs JAX's coordination service: the harder case.
    # tools/check_kills.py --jax kills either process, in turn, 5 times.
    run = tmp_path / "run"
    command = train_command(run, fashion_dir, 5)
    procs = start_processes(command, tmp_path)
    deadline = time.time() + 300
    while epochs_completed(run) < 1 and time.time() < deadline:
        assert all(p.poll() is None for p in procs), (tmp_path / "process0.log").read_text()
        time.sleep(0.2)
    assert 1 <= epochs_completed(run) < 5
    procs[0].send_signal(signal.SIGKILL)
    killed = time.time()
    try:
        code = procs[1].wait(timeout=60)
    except subprocess.TimeoutExpired:
        procs[1].kill()
        raise AssertionError("process 1 still running 60 s after process 0's kill") from None
    waited = time.time() - killed
    print(f"process 1 exited {waited:.1f} s after process 0's kill (code {code})")
    assert code != 0 and waited < 30

    stopped_at = epochs_completed(run)
    procs = start_processes(command, tmp_path)
    assert wait_all(procs, 600) == [0, 0], (tmp_path / "process0.log").read_text()[-3000:]
    assert f"Resuming {run} from epoch {stopped_at}" in (tmp_path / "process0.log").read_text()
    assert epochs_completed(run) == 5
    with open(run / "history.csv") as f:
        rows = f.read().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(5))
    assert int(weights(run, tmp_path)["steps"]) == 5 * 8
