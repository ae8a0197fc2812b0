"""Kill training runs at random moments and check that nothing is lost.

    python tools/check_kills.py                        # 20 single-process, 5 worker kills
    python tools/check_kills.py --single 3 --workers 1 # a quick look
    python tools/check_kills.py --jax 5 --single 0 --workers 0  # JAX processes

Single process: `keras-gans train gan` (6 epochs of 8 steps) is SIGKILLed at
a random moment after its first epoch, then rerun to the end. Two workers
(`--strategy multi_worker` on 127.0.0.1): one worker, chosen in turn, is
SIGKILLed the same way; the other must exit by itself within a bound, then
the job (both workers) is restarted and runs to the end. Two JAX processes
(`--jax`: `KERAS_BACKEND=jax`, `--distribution data_parallel` with a
coordinator on 127.0.0.1): the same, and the other process must exit
within `JAX_EXIT_BOUND_S` (JAX's coordination service ends it after its
heartbeat timeout, `keras_gans.distribute.HEARTBEAT_SECONDS`).

Each repeat passes when the run is complete: `run.json` says finished with
every epoch, `model.keras` loads with the step count of every epoch, and
`history.csv` has each epoch exactly once. Prints one line per repeat and
a summary; exits non-zero if any repeat failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

from keras_gans.testing import free_ports

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "fashion-mnist"
EPOCHS = 6
STEPS = 8  # --limit 256 / --batch-size 32
# The other worker must have exited this long after the kill.
EXIT_BOUND_S = 120
JAX_EXIT_BOUND_S = 30


def command(run, multi_worker, jax_process=None, port=None, processes=2):
    args = [sys.executable, "-m", "keras_gans.cli", "train", "gan"]
    args += ["--epochs", str(EPOCHS), "--limit", "256", "--batch-size", "32"]
    args += ["--latent-dim", "8", "--g-units", "32", "--data-dir", str(FIXTURE)]
    args += ["--out", str(run), "--verbose", "0"]
    if jax_process is not None:
        args += ["--distribution", "data_parallel", "--num-processes", str(processes)]
        args += ["--coordinator-address", f"127.0.0.1:{port}"]
        args += ["--process-id", str(jax_process)]
    elif multi_worker:
        args += ["--strategy", "multi_worker"]
    return args


def start(run, workers, logs, jax=False):
    """The job's processes, each logging to `logs/<name>.log`."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if jax:
        port = free_ports(1)[0]
        jax_env = {**env, "KERAS_BACKEND": "jax"}
        launches = [
            (f"process{i}", command(run, True, i, port, workers), jax_env)
            for i in range(workers)
        ]
    elif workers == 1:
        launches = [("single", command(run, False), env)]
    else:
        ports = free_ports(workers)
        launches = []
        for i in range(workers):
            config = {
                "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                "task": {"type": "worker", "index": i},
            }
            tf_env = {**env, "TF_CONFIG": json.dumps(config)}
            launches.append((f"worker{i}", command(run, True), tf_env))
    procs = []
    for name, args, process_env in launches:
        log = open(logs / f"{name}.log", "a")  # noqa: SIM115
        procs.append(
            subprocess.Popen(args, env=process_env, stdout=log, stderr=log)
        )
    return procs


def epochs_done(run):
    try:
        return json.loads((run / "run.json").read_text())["epochs_completed"]
    except (OSError, ValueError, KeyError):
        return 0


def check_complete(run):
    """'' when the run is complete, else what is wrong."""
    record = json.loads((run / "run.json").read_text())
    if not record.get("finished") or record["epochs_completed"] != EPOCHS:
        return f"run.json: {record}"
    with open(run / "history.csv") as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    if epochs != list(range(EPOCHS)):
        return f"history.csv epochs {epochs}"
    check = (
        "import keras, keras_gans, sys; "
        f"m = keras.saving.load_model(r'{run / 'model.keras'}'); "
        "print(int(keras.ops.convert_to_numpy(m.g_optimizer.iterations)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    if out.stdout.split() != [str(EPOCHS * STEPS)]:
        return f"model.keras steps {out.stdout.strip()!r} {out.stderr[-300:]}"
    return ""


def repeat(index, workers, rng, root, jax=False):
    run = root / f"run{index}"
    logs = root / f"logs{index}"
    logs.mkdir()
    procs = start(run, workers, logs, jax)
    bound = JAX_EXIT_BOUND_S if jax else EXIT_BOUND_S
    deadline = time.time() + 600
    while epochs_done(run) < 1 and time.time() < deadline:
        if any(p.poll() is not None for p in procs):
            return False, "a process ended before its first epoch"
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 2.5))  # a random moment, epochs are ~0.3 s
    victim = index % workers
    if procs[victim].poll() is not None:
        return False, "the run ended before the kill"
    at_kill = epochs_done(run)
    procs[victim].send_signal(signal.SIGKILL)
    killed = time.time()
    waited = 0.0
    for i, proc in enumerate(procs):
        if i == victim:
            proc.wait()
            continue
        try:
            proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            return False, f"worker {i} still running {bound} s after the kill"
        waited = time.time() - killed
    procs = start(run, workers, logs, jax)
    codes = [p.wait(timeout=900) for p in procs]
    if codes != [0] * workers:
        return False, f"rerun exited {codes}"
    problem = check_complete(run)
    detail = f"killed worker {victim} after epoch {at_kill}"
    if workers > 1:
        detail += f"; the other exited {waited:.1f} s later"
    return not problem, problem or detail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--jax", type=int, default=0, help="kills of JAX processes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    passed = {}
    with tempfile.TemporaryDirectory(prefix="check_kills_") as tmp:
        root = pathlib.Path(tmp)
        index = 0
        for kind, count, workers in (
            ("single", args.single, 1),
            ("workers", args.workers, 2),
            ("jax", args.jax, 2),
        ):
            passed[kind] = 0
            for _ in range(count):
                ok, detail = repeat(index, workers, rng, root, jax=kind == "jax")
                passed[kind] += ok
                print(
                    f"{kind} {index}: {'ok' if ok else 'FAILED'} ({detail})", flush=True
                )
                index += 1
    print(
        f"single-process kills: {passed['single']}/{args.single} complete; "
        f"worker kills: {passed['workers']}/{args.workers} complete; "
        f"JAX process kills: {passed['jax']}/{args.jax} complete"
    )
    wanted = {"single": args.single, "workers": args.workers, "jax": args.jax}
    return 0 if passed == wanted else 1


if __name__ == "__main__":
    sys.exit(main())
