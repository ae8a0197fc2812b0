"""The shared machinery of the likelihood families: one minimised -log p(x).

`LikelihoodModel` is the base of the VAE and the autoregressive models (the
notes' other two ways to learn p(x)). A model gives the per-example terms of
its loss (`loss_terms(images)`: `"loss"`, -log p(x) or -ELBO in nats, and
any other terms it logs, such as the VAE's `reconstruction` and `kl`), and
`train_step` takes one gradient step on their mean over the global batch.

The step runs on every Keras backend through the same adapters as the GANs
(`keras_gans.models.base.backends`): TensorFlow's tape, JAX with
every variable threaded through a stateless step, PyTorch's `backward`.
Losses are summed per replica and divided by the global batch
(`replicas`), so a `MirroredStrategy` step is the one-device step.

Images come in as the GANs take them, floats in [-1, 1]
(`keras_gans.data.load`), and are discretised into `levels` integer levels
(`to_levels`): 2 for binarised images (a pixel is 1 where it is brighter
than mid-grey), 256 for 8-bit ones. Logged: `loss` (nats per image) and
`bits_per_dim` (the same in bits per pixel and channel).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_gans.models.base import backends, forms, precision, replicas
from keras_gans.models.base.fitting import CheckedFit
from keras_gans.models.base.persistence import Persistence
from keras_gans.models.base.tensors import _as_tensors, _is_integer, _rank
from keras_gans.validation import (
    check_choice,
    check_compile_config,
    check_int,
    check_int_tuple,
)

LEVELS = (2, 256)


def check_image_shape(image_shape):
    """`(H, W, C)` of positive ints, or a `ValueError` saying so."""
    shape = check_int_tuple("image_shape", image_shape, example="(28, 28, 1)")
    if len(shape) != 3:
        raise ValueError(
            "Expected image_shape=(height, width, channels); received "
            f"image_shape={tuple(image_shape)!r}."
        )
    return shape


@keras.saving.register_keras_serializable(package="keras_gans")
class LikelihoodModel(CheckedFit, Persistence, keras.Model):
    """A model of p(x) over images trained by minimising -log p(x) with `fit()`.

    Subclasses build their networks in `__init__` (then call
    `_finish_networks(*networks)`) and give `loss_terms`.

    Args:
        image_shape: `(H, W, C)`.
        levels: values a pixel takes: `2` (binarised) or `256` (8-bit).
        seed: seed of the model's noise. Defaults to `None` (random).
        dtype_policy: `"float32"`, `"mixed_bfloat16"` or `"mixed_float16"`
            (the networks compute in 16 bits; their output layers, the
            losses and the log-probabilities stay float32). Defaults to
            `None`: Keras's global policy.
    """

    # Per-example terms logged besides `loss` (the VAE's reconstruction, KL).
    TERMS = ()
    # Adam's arguments when compile() gets no optimizer; `keras-gans train`
    # reads its `learning_rate` and `beta_1` defaults from here too.
    OPTIMIZER = {"learning_rate": 1e-3}

    @classmethod
    def optimizer_arguments(cls, generator=False):
        """Adam's default arguments (`OPTIMIZER`): one optimizer, no G of its own."""
        del generator
        return dict(cls.OPTIMIZER)

    def __init__(self, image_shape, levels, seed=None, dtype_policy=None, **kwargs):
        if dtype_policy is not None:
            kwargs["dtype"] = dtype_policy
        super().__init__(**kwargs)
        check_choice("dtype_policy", self.dtype_policy.name, precision.POLICIES)
        self.image_shape = check_image_shape(image_shape)
        self.levels = check_int("levels", levels)
        check_choice("levels", self.levels, LEVELS)
        self._make_seed_generators(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.bits_tracker = keras.metrics.Mean(name="bits_per_dim")
        self.term_trackers = [keras.metrics.Mean(name=name) for name in self.TERMS]

    def _finish_networks(self, *networks):
        """Puts the networks under the model's policy and layer forms; marks it built."""
        precision.apply_policy(self.dtype_policy, networks)
        # Layers computed the faster way on this backend and CPU; same weights.
        forms.apply_layer_forms(*networks)
        # The networks are built, so this model is too: Keras must not try
        # to build it by calling it on a batch of images.
        self.built = True

    @property
    def dims(self):
        """Pixels times channels: the `D` of bits per dimension."""
        return int(np.prod(self.image_shape))

    # --- Compilation -------------------------------------------------------------

    def compile(self, optimizer=None, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: an optimizer (instance, name or config). Defaults to
                `Adam(**OPTIMIZER)` (1e-3). Under `"mixed_float16"` Keras
                wraps it in a `LossScaleOptimizer`.
            **kwargs: passed to `keras.Model.compile` (`steps_per_execution`,
                `jit_compile`, `run_eagerly`). The loss is the model's own.
        """
        for key in ("loss", "metrics", "loss_weights", "weighted_metrics"):
            if kwargs.get(key) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile() trains on the model's own "
                    f"-log p(x); it takes optimizer= only, received {key}="
                    f"{kwargs[key]!r}."
                )
            kwargs.pop(key, None)
        optimizer = keras.optimizers.get(
            optimizer or keras.optimizers.Adam(**self.optimizer_arguments())
        )
        super().compile(optimizer=optimizer, **kwargs)
        # Inside whatever strategy scope compile() runs in (see
        # AdversarialModel.compile).
        self.optimizer.build(self.trainable_variables)
        self._compile_kwargs = {
            k: v
            for k, v in kwargs.items()
            if k in ("steps_per_execution", "jit_compile", "run_eagerly")
        }

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {
            "optimizer": keras.optimizers.serialize(self.optimizer),
            **self._compile_kwargs,
        }

    def compile_from_config(self, config):
        config = check_compile_config(self, config, required=("optimizer",))
        config["optimizer"] = keras.optimizers.deserialize(config["optimizer"])
        self.compile(**config)

    def _data_bound(self):
        return 1.0  # images in [-1, 1], discretised into `levels`

    # --- Data ----------------------------------------------------------------------

    def unpack_data(self, data):
        """The image batch of a dataset element (labels are ignored)."""
        if isinstance(data, (tuple, list)):
            return data[0], None
        if isinstance(data, dict):
            raise ValueError(
                f"{type(self).__name__} expects dataset elements that are an "
                "image batch or an (images, labels) tuple; received a dict with "
                f"keys {sorted(data)}."
            )
        return data, None

    def to_levels(self, images):
        """Images in [-1, 1] -> levels `0 .. levels-1` (float32).

        Binarised: 1 where the pixel is brighter than mid-grey (> 0). 8-bit:
        round((x + 1) * 127.5), which undoes `x / 127.5 - 1` exactly.
        """
        x = ops.clip(ops.cast(images, "float32"), -1.0, 1.0)
        if self.levels == 2:
            return ops.cast(x > 0.0, "float32")
        return ops.round((x + 1.0) * ((self.levels - 1) / 2.0))

    def from_levels(self, levels):
        """Levels -> images in [-1, 1]: what the networks read and samples show."""
        return ops.cast(levels, "float32") * (2.0 / (self.levels - 1)) - 1.0

    def _check_images(self, images):
        if _is_integer(images):
            raise ValueError(
                f"{type(self).__name__} expects float images scaled to [-1, 1]; "
                f"received dtype {keras.backend.standardize_dtype(images.dtype)}. "
                "Use keras_gans.data.load(...) or scale images with x / 127.5 - 1."
            )
        if _rank(images) is None:
            return
        got = tuple(images.shape[1:])
        if len(got) != 3 or any(
            g is not None and g != w for g, w in zip(got, self.image_shape, strict=True)
        ):
            raise ValueError(
                f"{type(self).__name__} was built for images of shape "
                f"{self.image_shape}; received a batch of shape "
                f"{tuple(images.shape)}. Build the model with image_shape= that "
                "shape, or load the data with image_shape="
                f"{self.image_shape}."
            )

    # --- The step ------------------------------------------------------------------

    def loss_terms(self, images, training=False):
        """Per-example terms: `{"loss": -log p(x) (or -ELBO) in nats, ...}`."""
        raise NotImplementedError

    def train_step(self, *args):
        # Keras's JAX trainer passes (state, data), the others (data,).
        return backends.current().train_step(self, args)

    def test_step(self, *args):
        return backends.current().test_step(self, args)

    def _begin_step(self, data):
        if self.optimizer is None:
            raise RuntimeError(
                f"{type(self).__name__} must be compiled before training: call "
                "model.compile() first."
            )
        images, _ = self.unpack_data(_as_tensors(data))
        self._check_images(images)
        replicas.start_step(ops.shape(images)[0])
        return images

    def run_train_step(self, data):
        """One gradient step on the mean of `loss_terms(...)["loss"]`."""
        images = self._begin_step(data)

        def loss_fn():
            terms = self.loss_terms(images, training=True)
            return replicas.average(terms["loss"]), terms

        terms = backends.current().minimize(
            self, self.optimizer, self.trainable_variables, loss_fn
        )
        return self._update_metrics(terms)

    def run_test_step(self, data):
        images = self._begin_step(data)
        return self._update_metrics(self.loss_terms(images, training=False))

    def _draw(self, shape, training, draw):
        """A draw for this replica's rows of the global batch (`draw(seed, shape)`)."""
        seed = self.seed_generator if training else self.sampling_seed_generator
        n = replicas.global_batch()
        local = shape[0]
        return replicas.local_slice(draw(seed, (n, *shape[1:])), local)

    @property
    def metrics(self):
        return [self.loss_tracker, self.bits_tracker, *self.term_trackers]

    def _update_metrics(self, terms):
        loss = ops.cast(terms["loss"], "float32")
        n = ops.cast(ops.shape(loss)[0], "float32")
        values = [loss, self.nats_to_bits_per_dim(loss)]
        values += [ops.cast(terms[name], "float32") for name in self.TERMS]
        for tracker, value in zip(self.metrics, values, strict=True):
            # Each replica adds its mean weighted by its examples: the logged
            # value is the mean over the global batch.
            tracker.update_state(ops.divide_no_nan(ops.sum(value), n), sample_weight=n)
        return {m.name: m.result() for m in self.metrics}

    # --- Likelihoods ---------------------------------------------------------------

    def _per_example(self, fn, images, batch_size):
        """`fn(batch)` (per-example values) over `images` in batches, as NumPy."""
        images = np.asarray(keras.ops.convert_to_numpy(images), "float32")
        if images.ndim == 3:
            images = images[None]
        self._check_images(images)
        out = [
            np.asarray(keras.ops.convert_to_numpy(fn(images[i : i + batch_size])))
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(out).astype("float64")

    def nats_to_bits_per_dim(self, nats):
        """-log p in nats per image -> bits per dimension (numbers or tensors)."""
        return nats / (self.dims * math.log(2.0))

    # --- Serialisation -------------------------------------------------------------

    # Constructor arguments saved in the config (besides seed and dtype).
    _network_config = ()

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in self._network_config})
        config["image_shape"] = list(self.image_shape)
        config["seed"] = self.seed
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
