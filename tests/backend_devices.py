"""One JAX step over two host CPU devices vs one device, for test_backends.py.

    XLA_FLAGS=--xla_force_host_platform_device_count=2 KERAS_BACKEND=jax \\
        python tests/backend_devices.py

Trains the same DCGAN (same starting weights, injected draws) three compiled
steps on one device and under `keras.distribution.DataParallel` over two
devices (the batch split between them), and prints the largest weight
difference, the number of devices and how the batch was laid out.
"""

from __future__ import annotations

import jax
import keras
import numpy as np

import keras_gans
from keras_gans.testing import injected_draws


def train(distribution, weights):
    keras.distribution.set_distribution(distribution)
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4
    )
    model.compile()
    if weights is not None:
        model.set_weights(weights)
    images = np.tanh(np.random.default_rng(1).standard_normal((24, 16, 16, 1)))
    with injected_draws(model, seed=0, batch_size=8):
        model.fit(
            images.astype("float32"), batch_size=8, epochs=1, verbose=0, shuffle=False
        )
    return model


def main():
    devices = jax.devices("cpu")
    assert len(devices) == 2, devices
    keras.utils.set_random_seed(0)
    start = keras_gans.DCGAN(
        image_shape=(16, 16, 1), latent_dim=4, g_filters=4, d_filters=4
    ).get_weights()
    one = train(None, start)
    two = train(keras.distribution.DataParallel(devices=devices), start)
    diff = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(one.get_weights(), two.get_weights(), strict=True)
    )
    moved = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(start, one.get_weights(), strict=True)
    )
    sharding = two.generator.weights[0].value.sharding
    print(diff, moved, len(devices), int(two.g_optimizer.iterations), sharding)


if __name__ == "__main__":
    main()
