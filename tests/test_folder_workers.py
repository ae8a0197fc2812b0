"""Two TensorFlow workers on 127.0.0.1 reading one folder of pictures.

Under `MultiWorkerMirroredStrategy`, `keras_gans.data.load(folder,
strategy=...)` gives each worker's input pipeline its own slice of every
global batch (`keras_gans.data.folders.batches.distributed`): together the
workers read each file once an epoch, and neither reads the other's. The
workers (tests/folder_worker.py) record which files they read.
"""

from __future__ import annotations

import collections
import json
import sys

import numpy as np
import pytest
from folder_worker import EPOCHS, GLOBAL_BATCH, IMAGE_SHAPE
from PIL import Image
from test_multi_worker import HERE, start_workers, wait_all

from keras_gans.testing import free_ports

# One xdist worker runs the module (its workers fixture starts two processes
# once) when CI's heavy step spreads the other tests one by one (loadgroup).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.heavy,
    pytest.mark.timeout(240),
    pytest.mark.xdist_group("folder_workers"),
]

# Six global batches of 8: with drop_remainder an epoch is the whole folder.
FILES = 48
STEPS = EPOCHS * FILES // GLOBAL_BATCH


def write_folder(folder):
    """FILES distinct 8x8 grey PNGs in two subfolders; returns their keys."""
    rng = np.random.default_rng(0)
    keys = []
    for i in range(FILES):
        key = f"{'ab'[i % 2]}/{i:02d}.png"
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / key)
        keys.append(key)
    return sorted(keys)


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """`(keys, [worker 0's record, worker 1's record])` of one two-worker job."""
    tmp = tmp_path_factory.mktemp("folder_workers")
    keys = write_folder(tmp / "pictures")
    command = [sys.executable, str(HERE / "folder_worker.py"), str(tmp / "pictures")]
    with pytest.MonkeyPatch.context() as patch:
        # Both workers share one cache folder, as on one machine.
        patch.setenv("KERAS_GANS_HOME", str(tmp / "home"))
        procs = start_workers([*command, str(tmp)], free_ports(2), tmp)
        codes = wait_all(procs, 180)
    logs = [(tmp / f"worker{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    return keys, [json.loads((tmp / f"worker{i}.json").read_text()) for i in range(2)]


def shares(run, epoch, check=(False, True)):
    """The keys one worker read in `epoch`, with repeats.

    `check=(False,)`: the input pipeline's reads only, without those of
    fit()'s first-batch check.
    """
    return [
        key
        for b in run["batches"]
        if b["epoch"] == epoch and b["check"] in check
        for key in b["keys"]
    ]


@pytest.mark.parametrize("run", [0, 1], ids=["no_cache", "cache"])
def test_each_epoch_the_workers_read_disjoint_shares_that_cover_the_folder(
    workers, run
):
    keys, records = workers
    runs = [record["runs"][run] for record in records]
    assert [r["cache"] for r in runs] == [bool(run)] * 2
    assert {b["epoch"] for r in runs for b in r["batches"]} == set(range(EPOCHS))
    for epoch in range(EPOCHS):
        # Every read counts, fit()'s first-batch check's too: a worker that
        # checks the whole first global batch reads the other's files.
        first, second = (set(shares(r, epoch)) for r in runs)
        assert not first & second, f"both workers read {sorted(first & second)}"
        assert sorted(first | second) == keys
    # A new order each epoch: the shares are not the same files again.
    assert set(shares(runs[0], 0)) != set(shares(runs[0], 1))


@pytest.mark.parametrize("run", [0, 1], ids=["no_cache", "cache"])
def test_each_worker_reads_its_part_of_every_global_batch_once(workers, run):
    _, records = workers
    per_epoch = FILES // GLOBAL_BATCH
    every = [(epoch, index) for epoch in range(EPOCHS) for index in range(per_epoch)]
    for task, record in enumerate(records):
        batches = record["runs"][run]["batches"]
        pipeline = [b for b in batches if not b["check"]]
        assert {(b["part"], b["parts"]) for b in batches} == {(task, 2)}
        assert {len(b["keys"]) for b in batches} == {GLOBAL_BATCH // 2}
        # The pipeline reads each share at most once (a batch the check read
        # may be handed on rather than read again), and with the check, all.
        read = [(b["epoch"], b["index"]) for b in pipeline]
        assert len(set(read)) == len(read)
        assert sorted({(b["epoch"], b["index"]) for b in batches}) == every
        for epoch in range(EPOCHS):
            mine = shares(record["runs"][run], epoch, check=(False,))
            assert len(set(mine)) == len(mine)


def test_without_the_cache_each_read_opens_its_files_once(workers):
    _, records = workers
    for record in records:
        run = record["runs"][0]
        read = [key for epoch in range(EPOCHS) for key in shares(run, epoch)]
        assert collections.Counter(run["opened"]) == collections.Counter(read)


def test_with_a_shared_cache_each_worker_opens_a_file_at_most_once(workers):
    keys, records = workers
    runs = [record["runs"][1] for record in records]
    for run in runs:
        assert len(set(run["opened"])) == len(run["opened"])
        read = {key for epoch in range(EPOCHS) for key in shares(run, epoch)}
        assert set(run["opened"]) <= read
    # The first epoch opened every file; later reads come from the cache.
    assert set(runs[0]["opened"]) | set(runs[1]["opened"]) == set(keys)


def test_both_workers_train_every_step_on_half_batches(workers):
    _, records = workers
    for record in records:
        assert record["dataset"] == "DistributedDatasetsFromFunction"
        # One CPU replica per worker: half of each global batch.
        assert record["replica_batches"] == [[GLOBAL_BATCH // 2, *IMAGE_SHAPE]]
        assert [run["steps"] for run in record["runs"]] == [STEPS, STEPS]


def test_one_process_gets_a_plain_dataset_of_whole_batches(tmp_path):
    import tensorflow as tf

    import keras_gans

    write_folder(tmp_path)
    for strategy in (None, tf.distribute.get_strategy()):
        dataset = keras_gans.data.load(
            tmp_path,
            batch_size=GLOBAL_BATCH,
            image_shape=IMAGE_SHAPE,
            seed=0,
            cache=False,
            strategy=strategy,
        )
        assert isinstance(dataset, tf.data.Dataset)
        assert dataset.element_spec.shape == (GLOBAL_BATCH, *IMAGE_SHAPE)
