"""Sub-pixel transposed convolutions (`keras_gans.models.subpixel`): the same function and gradients."""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.models import subpixel

BACKEND = keras.backend.backend()


def gradients(fn, x, kernel):
    """d sum(tanh(fn(x, kernel))) / d(x, kernel), as NumPy, on this backend."""
    if BACKEND == "jax":
        import jax

        loss = lambda x, k: keras.ops.sum(keras.ops.tanh(fn(x, k)))  # noqa: E731
        return [np.asarray(g) for g in jax.grad(loss, argnums=(0, 1))(x, kernel)]
    if BACKEND == "torch":
        import torch

        x, kernel = (torch.tensor(v, requires_grad=True) for v in (x, kernel))
        torch.sum(torch.tanh(fn(x, kernel))).backward()
        return [x.grad.numpy(), kernel.grad.numpy()]
    import tensorflow as tf

    x, kernel = tf.constant(x), tf.constant(kernel)
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        loss = tf.reduce_sum(tf.tanh(fn(x, kernel)))
    # The kernel's gradient comes through a gather: IndexedSlices.
    return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, [x, kernel])]


def native(x, kernel):
    return keras.ops.conv_transpose(x, kernel, strides=2, padding="same")


@pytest.mark.parametrize("shape", [(2, 4, 4, 8), (3, 5, 7, 2)])
def test_the_subpixel_form_gives_the_same_outputs_and_gradients(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype("float32")
    kernel = rng.standard_normal((4, 4, 6, shape[-1])).astype("float32")
    ours = keras.ops.convert_to_numpy(subpixel.conv_transpose(x, kernel))
    theirs = keras.ops.convert_to_numpy(native(x, kernel))
    assert ours.shape == (shape[0], 2 * shape[1], 2 * shape[2], 6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    for a, b in zip(gradients(subpixel.conv_transpose, x, kernel), gradients(native, x, kernel), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(BACKEND != "torch", reason="torch's own conv_transpose2d")
def test_the_torch_form_gives_the_same_outputs_and_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 7, 3)).astype("float32")
    kernel = rng.standard_normal((4, 4, 6, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(
        subpixel.torch_conv_transpose(keras.ops.convert_to_tensor(x), kernel)
    )
    np.testing.assert_allclose(
        ours, keras.ops.convert_to_numpy(native(x, kernel)), rtol=1e-5, atol=1e-5
    )
    ours = gradients(subpixel.torch_conv_transpose, x, kernel)
    for a, b in zip(ours, gradients(native, x, kernel), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_every_kernel_tap_is_used_once_per_parity():
    # A kernel of distinct numbers: the 2x2 kernel holds each tap exactly once.
    kernel = np.arange(16, dtype="float32").reshape(4, 4, 1, 1)
    taps = keras.ops.convert_to_numpy(subpixel.subpixel_kernel(kernel))
    assert taps.shape == (2, 2, 1, 4)
    assert sorted(taps.reshape(-1).tolist()) == list(range(16))


def layer(filters=16, **kwargs):
    defaults = dict(kernel_size=4, strides=2, padding="same")
    return keras.layers.Conv2DTranspose(filters, **{**defaults, **kwargs})


@pytest.mark.parametrize(
    "made, expected",
    [
        (layer(), True),
        (layer(filters=3), False),  # an image's channels: the backend's own is faster
        (layer(kernel_size=3), False),
        (layer(strides=1), False),
        (layer(padding="valid"), False),
        (keras.layers.Conv2D(16, 4, strides=2, padding="same"), False),
    ],
)
def test_only_4x4_stride_2_same_transposed_convolutions_are_eligible(made, expected):
    assert subpixel.eligible(made) is expected


def test_a_dcgan_generator_keeps_its_config_weights_and_images(tmp_path, monkeypatch):
    monkeypatch.setattr(subpixel, "BACKENDS", ())  # made as on any backend
    keras.utils.set_random_seed(0)
    model = keras_gans.DCGAN(image_shape=(32, 32, 1), g_filters=16, seed=0)
    reference = keras.models.clone_model(model.generator)
    reference.set_weights(model.generator.get_weights())
    config = model.generator.get_config()
    changed = subpixel.use_subpixel(model.generator, backends=(BACKEND,))
    # up_0 (64 -> 32 channels) and up_1 (32 -> 16); the 1-channel image layer
    # too on PyTorch, whose form pays for any width.
    assert changed == (3 if BACKEND == "torch" else 2)
    assert subpixel.use_subpixel(model.generator, backends=(BACKEND,)) == 0
    assert model.generator.get_config() == config
    z = np.random.default_rng(1).standard_normal((4, model.latent_dim)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.generator(z, training=False)),
        keras.ops.convert_to_numpy(reference(z, training=False)),
        atol=1e-5,
    )
    path = tmp_path / "g.keras"
    model.generator.save(path)
    loaded = keras.models.load_model(path)
    assert [type(x) for x in loaded.layers] == [type(x) for x in reference.layers]


def test_models_use_it_on_jax_and_torch_only():
    model = keras_gans.DCGAN(image_shape=(32, 32, 1), g_filters=16, seed=0, ema_decay=0.9)
    used = [
        network.get_layer(name)._subpixel
        for network in (model.generator, model.generator_ema)
        for name in ("up_0", "up_1")
        if getattr(network.get_layer(name), "_subpixel", False)
    ]
    assert len(used) == (4 if BACKEND in subpixel.BACKENDS else 0)
