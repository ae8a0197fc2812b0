"""`keras-gans train`'s flags for where to train: strategies, devices, processes."""

from __future__ import annotations


def add_flags(train):
    """Adds the "where to train" group to the `train` subparser."""
    from keras_gans import distribute

    where = train.add_argument_group(
        "where to train",
        "TensorFlow: a tf.distribute strategy; JAX: a keras.distribution. "
        "See keras_gans.distribute.",
    )
    where.add_argument(
        "--strategy",
        choices=distribute.STRATEGIES,
        default="auto",
        help="TensorFlow: auto (multi_worker when TF_CONFIG names several "
        "machines, mirrored with several GPUs, else one device), one_device, "
        "mirrored (this machine's GPUs), multi_worker (the machines of "
        "TF_CONFIG; run the same command on each), tpu (default: auto)",
    )
    where.add_argument(
        "--tpu",
        default=None,
        help="with --strategy tpu: the TPU's name or address (default: local, "
        "a Cloud TPU VM's own)",
    )
    where.add_argument(
        "--distribution",
        choices=distribute.DISTRIBUTIONS,
        default="none",
        help="JAX: data_parallel splits each batch over every device, of every "
        "process with the flags below (default: none)",
    )
    where.add_argument(
        "--coordinator-address",
        default=None,
        help="JAX, several processes: process 0's HOST:PORT, the same for every "
        "process (default: KERAS_DISTRIBUTION_JOB_ADDRESSES)",
    )
    where.add_argument(
        "--num-processes",
        type=int,
        default=None,
        help="JAX, several processes: how many (default: "
        "KERAS_DISTRIBUTION_NUM_PROCESSES, else 1)",
    )
    where.add_argument(
        "--process-id",
        type=int,
        default=None,
        help="JAX, several processes: this one's, 0 to N-1; process 0 writes the "
        "run folder (default: KERAS_DISTRIBUTION_PROCESS_ID)",
    )


def placement(args):
    """The strategy (TensorFlow) or distribution (JAX) the parsed `args` ask for.

    Call it before any other TensorFlow or JAX work (see
    `keras_gans.distribute.placement`).
    """
    from keras_gans import distribute

    processes = dict(
        coordinator_address=args.coordinator_address,
        num_processes=args.num_processes,
        process_id=args.process_id,
    )
    return distribute.placement(
        args.strategy, args.tpu, args.distribution, processes=processes
    )
