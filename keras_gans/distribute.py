"""Where to train: one device, several, many machines or a TPU.

On TensorFlow, a `tf.distribute` strategy (`make_strategy`); on JAX, a
`keras.distribution` layout (`data_parallel`). Build and compile the model
in the strategy's scope, then `fit()` as usual:

```python
strategy = keras_gans.distribute.make_strategy("mirrored")
with strategy.scope():
    model = keras_gans.DCGAN(image_shape=(28, 28, 1))
    model.compile()
model.fit(dataset)  # the dataset's batch is the global batch
```

`keras-gans train --strategy NAME` (TensorFlow) and `--distribution
data_parallel` (JAX) do the same for a run.

Many machines (`"multi_worker"`): every machine runs the same program with
`TF_CONFIG` naming the cluster and its own place in it. Keras 3's `fit()`
fails under `MultiWorkerMirroredStrategy` for any model that logs scalars
(keras-team/keras#20585: it reduces each log over an axis 0 that a scalar
does not have); keras_gans's models return their logs in the shape that
reduction expects there (`multi_worker_logs`), so `fit()` works for them.
Only the chief writes a run folder (`is_chief`); the other workers write the
same files to a private temporary folder.
"""

from __future__ import annotations

import json
import os

import keras

from keras_gans.validation import check_choice

__all__ = [
    "DISTRIBUTIONS",
    "HEARTBEAT_SECONDS",
    "STRATEGIES",
    "ProcessShare",
    "cluster_spec",
    "data_parallel",
    "initialize_processes",
    "is_chief",
    "is_multi_worker",
    "make_strategy",
    "multi_worker_logs",
    "needs_static_shapes",
    "placement",
    "process_count",
    "process_share",
]

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
"""The `tf.distribute` strategies `make_strategy` makes by name."""
DISTRIBUTIONS = ("none", "data_parallel")
"""The `keras.distribution` layouts (JAX) `placement` sets by name."""
# What keras.distribution.initialize reads where its arguments are None.
PROCESS_VARIABLES = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)
# How long JAX's coordination service waits for a silent process before it
# ends the others (JAX's own default is 100 s; Keras passes none).
HEARTBEAT_SECONDS = 10
"""Seconds JAX's coordination service waits for a silent process."""
# How long a finished process waits at exit for the others.
SHUTDOWN_SECONDS = 120
_processes = {"count": 1, "index": 0}


def cluster_spec():
    """`TF_CONFIG` read and checked, or None when it is not set.

    Returns:
        `{"cluster": {...}, "task": {"type": ..., "index": ...}}`.

    Raises:
        ValueError: `TF_CONFIG` is not JSON, or lacks the cluster or this
            task's place in it.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"TF_CONFIG must be JSON such as {_EXAMPLE_TF_CONFIG}; received "
            f"{text[:200]!r} ({e})."
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise ValueError(
            "TF_CONFIG must name the cluster's machines under 'cluster', such "
            f"as {_EXAMPLE_TF_CONFIG}; received {text[:200]!r}."
        )
    if (
        not isinstance(task, dict)
        or task.get("type") not in cluster
        or not isinstance(task.get("index"), int)
        or not 0 <= task["index"] < len(cluster[task["type"]])
    ):
        raise ValueError(
            "TF_CONFIG's 'task' must give this machine's type (one of "
            f"{sorted(cluster)}) and its index in that list; received "
            f"task={task!r}."
        )
    return config


_EXAMPLE_TF_CONFIG = (
    '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)


def _num_workers(config):
    if config is None:
        return 1
    cluster = config["cluster"]
    return len(cluster.get("chief", ())) + len(cluster.get("worker", ()))


def is_chief():
    """Whether this process writes the run's files.

    The chief is the `"chief"` task of `TF_CONFIG`, else worker 0; on JAX
    across processes, process 0. A single process is always the chief.
    """
    config = cluster_spec()
    if config is not None:
        task = config["task"]
        if "chief" in config["cluster"]:
            return task["type"] == "chief"
        return task["type"] == "worker" and task["index"] == 0
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_index() == 0
    return True


def is_multi_worker(strategy=None):
    """Whether `strategy` (default: the current one) spans several machines."""
    if keras.backend.backend() != "tensorflow":
        return False
    from keras_gans._tensorflow import tf

    strategy = strategy or tf.distribute.get_strategy()
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and bool(
        strategy.extended._in_multi_worker_mode()
    )


def needs_static_shapes(strategy):
    """Whether `strategy` runs on TPUs, which need batches of one shape."""
    if strategy is None or keras.backend.backend() != "tensorflow":
        return False
    from keras_gans._tensorflow import tf

    return isinstance(strategy, tf.distribute.TPUStrategy)


def multi_worker_logs(logs):
    """A step's scalar logs in the shape Keras's multi-worker `fit()` needs.

    Under `MultiWorkerMirroredStrategy`, Keras 3 reduces every value a step
    returns with `strategy.reduce("MEAN", value, axis=0)`, which fails on a
    scalar ("Invalid reduction dimension 0 for input with 0 dimensions").
    Given as shape `(1,)`, the reduction is the mean over replicas: a
    scalar again. Elsewhere the logs are returned as they are.
    """
    if not is_multi_worker():
        return logs
    from keras_gans._tensorflow import tf

    return keras.tree.map_structure(
        lambda v: tf.reshape(v, [1]) if v.shape.rank == 0 else v,
        logs,
    )


def make_strategy(name="auto", tpu=None):
    """A `tf.distribute` strategy by name (TensorFlow backend).

    Create it first thing in the program, before other TensorFlow work:
    `"multi_worker"` and `"tpu"` must start before any tensor is made.

    Args:
        name: one of:
            - `"auto"`: `"multi_worker"` when `TF_CONFIG` names several
              machines, `"mirrored"` with several GPUs, else TensorFlow's
              default (one device).
            - `"one_device"`: the first GPU, else the CPU.
            - `"mirrored"`: every GPU of this machine (or CPU device).
            - `"multi_worker"`: every machine of `TF_CONFIG`; each runs the
              same program with its own `task`.
            - `"tpu"`: a Cloud TPU, at `tpu`.
            Defaults to `"auto"`.
        tpu: the TPU's name or address (`"local"` on a TPU VM, a name on
            Google Cloud, `"grpc://10.0.0.2:8470"`). Only for `"tpu"`.
            Defaults to `None`: `"local"`.

    Returns:
        A `tf.distribute.Strategy`.
    """
    check_choice("strategy", name, STRATEGIES)
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"strategy={name!r} needs the TensorFlow backend; the backend is "
            f"{keras.backend.backend()!r}. On JAX use "
            "keras_gans.distribute.data_parallel() (keras-gans train "
            "--distribution data_parallel)."
        )
    if tpu is not None and name != "tpu":
        raise ValueError(
            f"tpu={tpu!r} is only used with strategy='tpu'; received strategy={name!r}."
        )
    from keras_gans._tensorflow import tf

    config = cluster_spec()
    if name == "auto":
        if _num_workers(config) > 1:
            name = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            return tf.distribute.get_strategy()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if config is None:
            raise ValueError(
                "strategy='multi_worker' reads the cluster from TF_CONFIG, "
                f"which is not set. Set it on every machine, such as "
                f"{_EXAMPLE_TF_CONFIG} (index 0 on the first, 1 on the second)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "local")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def data_parallel(devices=None):
    """Splits every batch over `devices` on JAX (`keras.distribution`).

    Sets Keras's global distribution, so build the model after calling it.
    Across processes, call `jax.distributed.initialize(...)` first and give
    every process the same seed (`keras.utils.set_random_seed`).

    Args:
        devices: JAX devices. Defaults to `None`: all of them.

    Returns:
        The `keras.distribution.DataParallel` set.
    """
    if keras.backend.backend() != "jax":
        raise ValueError(
            "data_parallel() uses keras.distribution, which runs on the JAX "
            f"backend; the backend is {keras.backend.backend()!r}. On "
            "TensorFlow use keras_gans.distribute.make_strategy('mirrored')."
        )
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    return distribution


def initialize_processes(
    coordinator_address=None,
    num_processes=None,
    process_id=None,
    heartbeat_seconds=HEARTBEAT_SECONDS,
):
    """Joins this process to a JAX job of several processes (machines, TPU hosts).

    Every process runs the same program; call this first, before any other
    JAX work, then `data_parallel()`. It calls `keras.distribution.initialize`
    (JAX's `jax.distributed.initialize`) with CPU collectives over gloo and
    a heartbeat of `heartbeat_seconds`: when a process dies, JAX's
    coordination service ends the others after that long, so that a
    cluster manager can restart the job (which then resumes).

    Args:
        coordinator_address: `host:port` of process 0, which every process
            can reach. Defaults to `KERAS_DISTRIBUTION_JOB_ADDRESSES` (its
            first address), else JAX's own detection (TPU pods, SLURM).
        num_processes: processes in the job. Defaults to
            `KERAS_DISTRIBUTION_NUM_PROCESSES`.
        process_id: this process's index, 0 to `num_processes - 1`.
            Defaults to `KERAS_DISTRIBUTION_PROCESS_ID`, else JAX's own
            detection.
        heartbeat_seconds: see above. Defaults to `HEARTBEAT_SECONDS` (10).

    Returns:
        The number of processes: 1 (and nothing done) when neither the
        arguments nor the variables name more than one.

    Raises:
        ValueError: not on JAX, an id out of range, or a job JAX could not
            start (no address or id, and no cluster it detects).
    """
    values = dict(
        zip(
            PROCESS_VARIABLES,
            (coordinator_address, num_processes, process_id),
            strict=True,
        )
    )
    for name in PROCESS_VARIABLES:
        if values[name] is None and os.environ.get(name, "").strip():
            values[name] = os.environ[name].strip()
    address, count, index = values.values()
    if count is None or int(count) <= 1:
        return 1
    if keras.backend.backend() != "jax":
        raise ValueError(
            "Several processes (keras.distribution.initialize) need the JAX "
            f"backend; the backend is {keras.backend.backend()!r}. Set "
            "KERAS_BACKEND=jax, or on TensorFlow use --strategy multi_worker "
            "with TF_CONFIG."
        )
    count = int(count)
    index = None if index is None else int(index)
    if index is not None and not 0 <= index < count:
        raise ValueError(
            f"Expected a process id from 0 to {count - 1}; received {index}."
        )
    import functools

    import jax

    # Before any JAX work: the CPU client is made with its collectives.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    joined = jax.distributed.initialize
    jax.distributed.initialize = functools.partial(
        joined,
        heartbeat_timeout_seconds=int(heartbeat_seconds),
        shutdown_timeout_seconds=SHUTDOWN_SECONDS,
    )
    try:
        keras.distribution.initialize(
            job_addresses=address, num_processes=count, process_id=index
        )
    except (ValueError, RuntimeError) as e:
        # Without an address or id, JAX looks for a cluster it knows (TPU
        # pods, SLURM, Open MPI); elsewhere it cannot start.
        raise ValueError(
            f"Could not start a job of {count} processes ({e}). Give every "
            "process the coordinator's --coordinator-address HOST:PORT and its "
            "own --process-id (or KERAS_DISTRIBUTION_JOB_ADDRESSES and "
            "KERAS_DISTRIBUTION_PROCESS_ID)."
        ) from e
    finally:
        jax.distributed.initialize = joined
    _processes.update(count=jax.process_count(), index=jax.process_index())
    return _processes["count"]


def process_count():
    """Processes in this JAX job (`initialize_processes`); 1 when alone."""
    return _processes["count"]


class ProcessShare(keras.utils.PyDataset):
    """This process's rows of each batch of `data`, for a job of several processes.

    Under `keras.distribution` across processes, each process feeds its
    share of the global batch, and Keras assembles the global batch from
    them in process order. Process `i` of `n` feeds rows
    `[i * b / n, (i + 1) * b / n)` of each batch of `b` rows: together, the
    batches of one process, in the same order. A last batch whose rows do
    not split evenly is left out of every epoch (with a warning).

    Args:
        data: a `keras.utils.PyDataset` of batches, the same in every
            process (the same files and seed).
        index: this process's index. count: the number of processes.
    """

    def __init__(self, data, index, count):
        super().__init__(
            workers=data.workers,
            use_multiprocessing=data.use_multiprocessing,
            max_queue_size=data.max_queue_size,
        )
        self.data, self.index, self.count = data, int(index), int(count)
        self.folder = getattr(data, "folder", None)
        self._batches = data.num_batches
        if self._batches:
            first = len(keras.tree.flatten(data[0])[0])
            if first % self.count:
                raise ValueError(
                    f"Expected a batch size divisible by the {self.count} "
                    f"processes; received batches of {first}."
                )
            last = len(keras.tree.flatten(data[self._batches - 1])[0])
            if last % self.count:
                import warnings

                warnings.warn(
                    f"The last batch of each epoch ({last} examples) does not "
                    f"split over {self.count} processes: it is left out.",
                    stacklevel=2,
                )
                self._batches -= 1

    @property
    def num_batches(self):
        return self._batches

    def __len__(self):
        return self._batches

    def __getitem__(self, i):
        def share(x):
            rows = len(x) // self.count
            return x[self.index * rows : (self.index + 1) * rows]

        return keras.tree.map_structure(share, self.data[i])

    def on_epoch_begin(self):
        self.data.on_epoch_begin()

    def on_epoch_end(self):
        self.data.on_epoch_end()


def process_share(dataset):
    """What this process feeds `fit()` in a job of several JAX processes.

    A tf.data dataset of full batches is sharded by Keras itself
    (`auto_shard_dataset`); a `PyDataset` becomes a `ProcessShare`. Alone,
    `dataset` as it is.
    """
    if process_count() == 1:
        return dataset
    distribution = keras.distribution.distribution()
    if distribution is None:
        raise ValueError(
            "A job of several processes trains under a keras.distribution: "
            "call keras_gans.distribute.data_parallel() (--distribution "
            "data_parallel) after initialize_processes()."
        )
    tf_data = hasattr(dataset, "element_spec") and hasattr(dataset, "rebatch")
    distribution.auto_shard_dataset = tf_data
    if tf_data:
        return dataset
    return ProcessShare(dataset, _processes["index"], _processes["count"])


def placement(strategy="auto", tpu=None, distribution="none", processes=None):
    """The strategy (TensorFlow) or distribution (JAX) that `keras-gans train` asks for.

    Args:
        strategy: a `make_strategy` name, for TensorFlow. Defaults to
            `"auto"`.
        tpu: the TPU's name, for TensorFlow. Defaults to `None`.
        distribution: `"data_parallel"` (`keras.distribution` over every
            device, on JAX) or `"none"`. Defaults to `"none"`.
        processes: `initialize_processes`'s keyword arguments, for a job of
            several JAX processes (with `"data_parallel"`). Defaults to
            `None`: the `KERAS_DISTRIBUTION_*` variables, if set.

    Returns:
        A `tf.distribute.Strategy` on TensorFlow, else `None` (a JAX
        distribution is set globally).

    Raises:
        ValueError: an option of the other backend.
    """
    import keras

    backend = keras.backend.backend()
    if distribution != "data_parallel" and any(
        v is not None for v in (processes or {}).values()
    ):
        raise ValueError(
            "--coordinator-address, --num-processes and --process-id start a "
            "job of several JAX processes: add --distribution data_parallel "
            "(with KERAS_BACKEND=jax)."
        )
    if distribution != "none" and backend != "jax":
        raise ValueError(
            f"--distribution {distribution} uses keras.distribution, which "
            f"runs on JAX; the backend is {backend!r} (set KERAS_BACKEND=jax, or "
            "use --strategy on TensorFlow)."
        )
    if backend != "tensorflow":
        if strategy != "auto" or tpu is not None:
            raise ValueError(
                f"--strategy and --tpu choose a tf.distribute strategy, on the "
                f"TensorFlow backend; the backend is {backend!r}. On JAX use "
                "--distribution data_parallel."
            )
        if distribution == "data_parallel":
            initialize_processes(**(processes or {}))
            data_parallel()
        return None
    return make_strategy(strategy, tpu=tpu)
