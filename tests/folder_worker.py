"""One worker of a two-machine run on 127.0.0.1 reading a picture folder, for test_folder_workers.py.

    TF_CONFIG=... python tests/folder_worker.py FOLDER OUT_DIR

Under `MultiWorkerMirroredStrategy` (`TF_CONFIG` names the cluster), trains
a tiny GAN for two epochs on `keras_gans.data.load(FOLDER, strategy=...)`
with the decoded-picture cache off, then for two more on a second `load`
with the cache on (in `$KERAS_GANS_HOME`), and writes what this worker
read to OUT_DIR/worker<task index>.json:

    dataset: the type `load` returned
    replica_batches: the shape of the batch each of its replicas receives
    runs: [{"cache", "steps",
            "batches": [{"epoch", "index", "part", "parts", "check", "keys"}],
            "opened": [key, ...]}]

`batches` has one entry per share of a global batch this worker read
(`BatchPlan.uint8_batch`), with the relative paths of the pictures it
holds; `check` marks the reads of `fit()`'s first-batch check, the others
being the input pipeline's. `opened` names every file whose bytes were
read, in order (with the cache on, only the pictures not yet in the
cache).
"""

from __future__ import annotations

import json
import pathlib
import sys
import threading

GLOBAL_BATCH = 8
IMAGE_SHAPE = (8, 8, 1)
EPOCHS = 2


def record_reads():
    """Logs each batch share and each file read, in this process only."""
    from keras_gans.data.folders.batches import BatchPlan
    from keras_gans.data.folders.folder import ImageFolder
    from keras_gans.data.folders.sources import ImageList
    from keras_gans.models.base import first_batch

    record = {"batches": [], "opened": []}
    lock = threading.Lock()
    # `uint8_batch` knows the epoch, `ImageFolder.read` the pictures that
    # filled the share; the second runs inside the first, on its thread, as
    # both run inside fit()'s first-batch check when it reads the folder.
    current = threading.local()
    uint8_batch, folder_read, file_read, check = (
        BatchPlan.uint8_batch,
        ImageFolder.read,
        ImageList.read,
        first_batch.first_batch,
    )

    def logged_check(x):
        current.check = True
        try:
            return check(x)
        finally:
            current.check = False

    def logged_uint8_batch(self, epoch, index, part=0, parts=1):
        current.batch = {"epoch": epoch, "index": index, "part": part, "parts": parts}
        try:
            return uint8_batch(self, epoch, index, part, parts)
        finally:
            del current.batch

    def logged_folder_read(self, order, start, stop):
        images, indices = folder_read(self, order, start, stop)
        keys = [self.files.keys[i] for i in indices]
        with lock:
            record["batches"].append(
                {
                    **getattr(current, "batch", {"epoch": None}),
                    "check": getattr(current, "check", False),
                    "keys": keys,
                }
            )
        return images, indices

    def logged_file_read(self, index):
        with lock:
            record["opened"].append(self.keys[index])
        return file_read(self, index)

    BatchPlan.uint8_batch = logged_uint8_batch
    ImageFolder.read = logged_folder_read
    ImageList.read = logged_file_read
    first_batch.first_batch = logged_check
    return record, lock


def main(folder, out_dir):
    import keras

    import keras_gans
    from keras_gans.distribute import make_strategy

    # Before any other TensorFlow work: multi_worker under TF_CONFIG.
    strategy = make_strategy("auto")
    keras.utils.set_random_seed(0)
    record, lock = record_reads()
    with strategy.scope():
        model = keras_gans.GAN(
            data_shape=IMAGE_SHAPE,
            latent_dim=4,
            g_units=(16,),
            d_units=(8,),
            d_pieces=2,
            seed=0,
        )
        model.compile(
            g_optimizer=keras.optimizers.Adam(1e-3),
            d_optimizer=keras.optimizers.Adam(1e-3),
        )
    runs = []
    for cache in (False, True):
        dataset = keras_gans.data.load(
            folder,
            batch_size=GLOBAL_BATCH,
            image_shape=IMAGE_SHAPE,
            seed=0,
            cache=cache,
            strategy=strategy,
        )
        before = int(keras.ops.convert_to_numpy(model.g_optimizer.iterations))
        model.fit(dataset, epochs=EPOCHS, verbose=0)
        after = int(keras.ops.convert_to_numpy(model.g_optimizer.iterations))
        with lock:
            runs.append({"cache": cache, "steps": after - before, **record})
            for key in record:
                record[key] = []
    # What this worker's replicas receive, read once the record is done (its
    # reads ahead would land in a record still in use).
    batch = next(iter(dataset))
    replica_batches = [
        list(t.shape) for t in strategy.experimental_local_results(batch)
    ]
    task = strategy.cluster_resolver.task_id
    with open(pathlib.Path(out_dir) / f"worker{task}.json", "w") as file:
        json.dump(
            {
                "dataset": type(dataset).__name__,
                "replica_batches": replica_batches,
                "runs": runs,
            },
            file,
            indent=1,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
