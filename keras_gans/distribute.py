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
    "STRATEGIES",
    "cluster_spec",
    "data_parallel",
    "is_chief",
    "is_multi_worker",
    "make_strategy",
    "multi_worker_logs",
    "needs_static_shapes",
    "placement",
]

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
DISTRIBUTIONS = ("none", "data_parallel")


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


def placement(strategy="auto", tpu=None, distribution="none"):
    """The strategy (TensorFlow) or distribution (JAX) that `keras-gans train` asks for.

    Args:
        strategy: a `make_strategy` name, for TensorFlow. Defaults to
            `"auto"`.
        tpu: the TPU's name, for TensorFlow. Defaults to `None`.
        distribution: `"data_parallel"` (`keras.distribution` over every
            device, on JAX) or `"none"`. Defaults to `"none"`.

    Returns:
        A `tf.distribute.Strategy` on TensorFlow, else `None` (a JAX
        distribution is set globally).

    Raises:
        ValueError: an option of the other backend.
    """
    import keras

    backend = keras.backend.backend()
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
            data_parallel()
        return None
    return make_strategy(strategy, tpu=tpu)
