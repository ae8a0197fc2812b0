"""TensorFlow: `tf.GradientTape`; Keras's trainer calls the step as it is."""

from __future__ import annotations

import tensorflow as tf

from keras_gans.distribute import multi_worker_logs


def train_step(model, args):
    (data,) = args
    # Shaped for Keras's multi-worker reduction (keras-team/keras#20585).
    return multi_worker_logs(model.run_train_step(data))


def test_step(model, args):
    (data,) = args
    return multi_worker_logs(model.run_test_step(data))


def minimize(model, optimizer, variables, loss_fn):
    with tf.GradientTape() as tape:
        loss, aux = loss_fn()
        loss = optimizer.scale_loss(loss)
    grads = tape.gradient(loss, variables)
    optimizer.apply(grads, variables)
    return aux


def cond(pred, fn, skip, variables):
    del variables  # tf.cond records any assignment in the taken branch
    return tf.cond(pred, fn, skip)


def input_gradients(fn, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x)
