"""bfloat16 convolutions computed in float32 on a CPU without oneDNN's bfloat16."""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.models.base import precision

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="a TensorFlow CPU question"
)


def _network(policy="mixed_bfloat16"):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(8, 4, strides=2, padding="same", name="down")(inputs)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2DTranspose(4, 4, strides=2, padding="same", name="up")(x)
    # The output layer stays float32 (precision.apply).
    x = keras.layers.Conv2D(3, 1, name="out")(keras.layers.LeakyReLU(0.2)(x))
    network = keras.Model(inputs, x)
    if policy != "float32":
        precision.apply(network, policy)
    return network


def _loss_and_grads(network, images):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        outputs = network(images)
        loss = tf.reduce_sum(tf.cast(outputs, "float32") ** 2)
    return outputs, loss, tape.gradient(loss, network.trainable_variables)


def test_float32_convolutions_keep_the_function_in_bfloat16_precision():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype("float32")
    plain, patched = _network(), _network()
    config = patched.get_config()
    assert precision.float32_convolutions(patched, force=True) == 2
    # Once per layer: a second call changes nothing.
    assert precision.float32_convolutions(patched, force=True) == 0
    exact = _loss_and_grads(_network("float32"), images)
    bf16 = _loss_and_grads(plain, images)
    out, loss, grads = _loss_and_grads(patched, images)
    # The layers still speak bfloat16 to their neighbours.
    up = patched.get_layer("up")(np.zeros((1, 4, 4, 8)))
    assert keras.backend.standardize_dtype(up.dtype) == "bfloat16"
    assert patched.get_layer("down").compute_dtype == "bfloat16"

    # The same function as the bfloat16 layers', within bfloat16's rounding
    # (8 significant bits; relative errors measured 0.1-1.8%), and computed
    # another way (the outputs are not bit for bit the bfloat16 ones).
    def error(result):
        values = [result[0], result[1], *result[2]]
        return max(
            float(np.linalg.norm(np.asarray(v, "float32") - np.asarray(e, "float32")))
            / float(np.linalg.norm(np.asarray(e, "float32")))
            for v, e in zip(values, [exact[0], exact[1], *exact[2]], strict=True)
        )

    assert error((out, loss, grads)) < 0.04
    assert error(bf16) < 0.04
    assert not np.array_equal(np.asarray(out), np.asarray(bf16[0]))
    for g in grads:
        assert keras.backend.standardize_dtype(g.dtype) == "float32"
    # Class, config and weights untouched: saved files are the same.
    assert type(patched.get_layer("up")) is keras.layers.Conv2DTranspose
    assert patched.get_config() == config


def test_only_bfloat16_layers_on_a_cpu_that_lacks_it(monkeypatch):
    float32 = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    assert precision.float32_convolutions(float32, force=True) == 0
    monkeypatch.setattr(precision, "cpu_lacks_bfloat16", lambda: False)
    assert precision.float32_convolutions(_network()) == 0
    monkeypatch.setattr(precision, "cpu_lacks_bfloat16", lambda: True)
    assert precision.float32_convolutions(_network(), None) == 2


def test_oneDNN_turned_off_means_no_fast_bfloat16(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert precision.cpu_lacks_bfloat16() is True


def test_cpu_probe_is_tensorflows_own(monkeypatch):
    from tensorflow.python.util import _pywrap_utils

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    import tensorflow as tf

    expected = not _pywrap_utils.IsDataTypeSupportedByOneDNNOnThisCPU(tf.bfloat16)
    assert precision.cpu_lacks_bfloat16() is expected


def test_dcgan_under_mixed_bfloat16_trains_and_reloads(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "cpu_lacks_bfloat16", lambda: True)
    model = keras_gans.DCGAN(
        image_shape=(16, 16, 1), seed=0, dtype_policy="mixed_bfloat16"
    )
    layers = [
        layer
        for network in (model.generator, model.discriminator)
        for layer in network._flatten_layers(include_self=False)
    ]
    patched = [
        layer.name for layer in layers if getattr(layer, "_float32_convolution", 0)
    ]
    bfloat16 = [
        layer.name
        for layer in layers
        if isinstance(layer, precision.CONVOLUTIONS)
        and layer.compute_dtype == "bfloat16"
    ]
    # Every bfloat16 convolution; G's image layer stays float32 and as it is.
    assert patched == bfloat16 and len(patched) >= 3
    assert "image" not in patched
    model.compile()
    images = np.tanh(np.random.default_rng(0).normal(size=(64, 16, 16, 1)))
    history = model.fit(images.astype("float32"), batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    path = tmp_path / "dcgan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    z = np.random.default_rng(1).normal(size=(4, model.latent_dim)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.generator(z, training=False)),
        keras.ops.convert_to_numpy(model.generator(z, training=False)),
    )


def test_layer_forms_apply_in_order_and_once(monkeypatch):
    from keras_gans.models import subpixel
    from keras_gans.models.base import forms

    monkeypatch.setattr(subpixel, "BACKENDS", ("tensorflow",))  # as on JAX
    monkeypatch.setattr(precision, "cpu_lacks_bfloat16", lambda: True)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 8))
    x = keras.layers.Conv2DTranspose(16, 4, strides=2, padding="same", name="up")(
        inputs
    )
    network = keras.Model(inputs, keras.layers.Conv2D(1, 1, name="out")(x))
    precision.apply(network, "mixed_bfloat16")
    config = network.get_config()
    images = np.random.default_rng(0).standard_normal((2, 4, 4, 8)).astype("float32")
    before = np.asarray(network(images), "float32")

    changed = forms.apply_layer_forms(network, None)
    assert changed == {"subpixel": 1, "float32_convolutions": 1}
    assert forms.apply_layer_forms(network) == {
        "subpixel": 0,
        "float32_convolutions": 0,
    }
    up = network.get_layer("up")
    assert up._subpixel and up._float32_convolution  # float32 around sub-pixel
    assert type(up) is keras.layers.Conv2DTranspose
    assert network.get_config() == config
    after = np.asarray(network(images), "float32")
    assert np.linalg.norm(after - before) / np.linalg.norm(before) < 0.02
