"""Many machines: two TensorFlow workers on 127.0.0.1 (MultiWorkerMirroredStrategy).

Keras 3's `fit()` fails under this strategy (keras-team/keras#20585);
keras_gans's models train there (`keras_gans.distribute.multi_worker_logs`).
Each test starts two worker processes, as two machines would be started.
"""

from __future__ import annotations

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from keras_gans.testing import free_ports, wait_all

HERE = pathlib.Path(__file__).parent
# Jobs of several processes on 127.0.0.1: their own CI step (`-m processes`).
pytestmark = [pytest.mark.slow, pytest.mark.processes]


def tf_config(ports, index):
    return json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": index},
        }
    )


def start_workers(command, ports, logs):
    """The same command on each worker, as on each machine; output to `logs`."""
    procs = []
    for index in range(len(ports)):
        env = {**os.environ, "TF_CONFIG": tf_config(ports, index)}
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        log = open(logs / f"worker{index}.log", "w")  # noqa: SIM115
        procs.append(
            subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    return procs


def test_two_workers_train_the_weights_of_one_process(tmp_path):
    one = tmp_path / "one.npz"
    script = [sys.executable, str(HERE / "multi_worker.py")]
    subprocess.run([*script, str(one)], check=True, timeout=300)
    ports = free_ports(2)
    outs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    procs = [
        subprocess.Popen([*script, str(outs[i]), str(i), *map(str, ports)])
        for i in range(2)
    ]
    assert wait_all(procs, 300) == [0, 0]
    one, *workers = (np.load(p) for p in (one, *outs))
    assert int(one["replicas"]) == 1 and int(workers[0]["replicas"]) == 2
    assert int(one["steps"]) == int(workers[0]["steps"]) == 6
    names = [k for k in one.files if k.startswith("arr_")]
    moved = max(np.abs(one[k]).max() for k in names)
    assert moved > 0
    for worker in workers:
        for k in names:
            np.testing.assert_allclose(worker[k], one[k], rtol=1e-5, atol=1e-6)
        # The logs are the global batch's, the same on every worker.
        np.testing.assert_allclose(worker["d_loss"], one["d_loss"], rtol=1e-5)
        np.testing.assert_allclose(worker["g_loss"], one["g_loss"], rtol=1e-5)


def _train_command(run, epochs, fashion_dir):
    command = [sys.executable, "-m", "keras_gans.cli", "train", "gan"]
    command += ["--strategy", "multi_worker", "--epochs", str(epochs)]
    command += ["--limit", "256", "--batch-size", "32", "--latent-dim", "8"]
    command += ["--g-units", "32", "--data-dir", str(fashion_dir)]
    return [*command, "--out", str(run), "--verbose", "2"]


def _epochs_completed(run):
    try:
        return json.loads((run / "run.json").read_text())["epochs_completed"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def _worker_folders():
    return pathlib.Path(tempfile.gettempdir()).glob("keras_gans_worker_*")


def history_epochs(run):
    with open(run / "history.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_a_killed_chief_stops_the_others_and_the_job_resumes(tmp_path, fashion_dir):
    # The chief runs TensorFlow's coordination service: the harder case.
    # tools/check_kills.py kills either worker, in turn, 5 times.
    killed = 0
    run = tmp_path / "run"
    before = set(_worker_folders())
    command = _train_command(run, 5, fashion_dir)
    ports = free_ports(2)
    procs = start_workers(command, ports, tmp_path)
    deadline = time.time() + 300
    while _epochs_completed(run) < 1 and time.time() < deadline:
        assert all(p.poll() is None for p in procs)
        time.sleep(0.2)
    stopped_at = _epochs_completed(run)
    assert 1 <= stopped_at < 5
    procs[killed].send_signal(signal.SIGKILL)
    killed_at = time.time()
    survivor = procs[1 - killed]
    try:
        code = survivor.wait(timeout=120)
    except subprocess.TimeoutExpired:
        survivor.kill()
        raise AssertionError("the other worker hung after one was killed") from None
    waited = time.time() - killed_at
    assert code != 0
    print(f"worker {1 - killed} exited {waited:.1f} s after worker {killed}'s kill")

    # Restart the job (every worker), as a cluster manager would.
    stopped_at = _epochs_completed(run)
    procs = start_workers(command, free_ports(2), tmp_path)
    assert wait_all(procs, 600) == [0, 0], (tmp_path / "worker0.log").read_text()
    log = (tmp_path / "worker0.log").read_text()
    assert f"Resuming {run} from epoch {stopped_at}" in log
    assert _epochs_completed(run) == 5
    assert history_epochs(run) == list(range(5))
    # Only the chief wrote the run folder: one row per epoch (a second
    # writer would have doubled them), and the other worker's private
    # folder is gone.
    assert {p.name for p in run.iterdir()} >= {
        "model.keras",
        "run.json",
        "samples.png",
        "history.csv",
        "curves.png",
        "samples",
        "logs",
    }
    assert len((run / "history.csv").read_text().splitlines()) == 6
    assert f"Trained 5 epochs: {run}" in (tmp_path / "worker1.log").read_text()
    assert set(_worker_folders()) <= before
