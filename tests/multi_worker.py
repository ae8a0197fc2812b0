"""One worker of a two-machine run on 127.0.0.1, for test_multi_worker.py.

    python tests/multi_worker.py OUT.npz INDEX PORT0 PORT1   # worker INDEX of 2
    python tests/multi_worker.py OUT.npz                     # one process

Trains a GAN without dropout (no batch norm, no random layer: the step of
N replicas is then exactly the one-device step) for one epoch of six global
batches of 8 under `MultiWorkerMirroredStrategy`, or in one process, and
saves the weights, the step count and the logged losses to OUT.npz.
"""

from __future__ import annotations

import json
import os
import sys

GLOBAL_BATCH = 8


def main(out, index=None, *ports):
    if index is not None:
        os.environ["TF_CONFIG"] = json.dumps(
            {
                "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                "task": {"type": "worker", "index": int(index)},
            }
        )
    import keras
    import numpy as np

    import keras_gans
    from keras_gans.distribute import make_strategy

    # auto: multi_worker under TF_CONFIG, else one device.
    strategy = make_strategy("auto")
    keras.utils.set_random_seed(0)
    import tensorflow as tf

    images = np.tanh(np.random.default_rng(1).standard_normal((48, 6, 6, 1)))
    dataset = tf.data.Dataset.from_tensor_slices(images.astype("float32"))
    with strategy.scope():
        model = keras_gans.GAN(
            data_shape=(6, 6, 1),
            latent_dim=4,
            g_units=(16,),
            d_units=(8,),
            d_pieces=2,
            dropout=0.0,
            input_dropout=0.0,
            seed=0,
        )
        model.compile(
            g_optimizer=keras.optimizers.Adam(1e-2),
            d_optimizer=keras.optimizers.Adam(1e-2),
        )
    history = model.fit(dataset.batch(GLOBAL_BATCH), epochs=1, verbose=0, shuffle=False)
    np.savez(
        out,
        *model.get_weights(),
        steps=keras.ops.convert_to_numpy(model.g_optimizer.iterations),
        replicas=strategy.num_replicas_in_sync,
        d_loss=history.history["d_loss"][-1],
        g_loss=history.history["g_loss"][-1],
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
