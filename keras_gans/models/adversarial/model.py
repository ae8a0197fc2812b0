"""The shared machinery of every keras_gans model: one alternating D/G step.

`AdversarialModel` holds a generator and a discriminator and trains them with
plain `fit()`. Each family (GAN, DCGAN, InfoGAN, GAN-CLS, and any registered
through `keras_gans.models.registry`) subclasses it and overrides only what makes it different, through a few hooks:

- `unpack_data(data)`: what a dataset element means (images, labels, text).
- `sample_latent(n, seed)`: the generator's random input.
- `generator_inputs(latent, condition)`: what G is called on.
- `discriminator_loss(...)` / `generator_loss(...)`: per-example losses.
- `discriminator_trainable_variables` / `generator_trainable_variables`:
  which weights each optimizer updates.

Distribution (`replicas`): losses are per example, summed and divided by the
*global* batch, and noise is drawn for the global batch and sliced per
replica, so a two-replica step is the one-device step.

Backends: the step is written in `keras.ops` and `keras.random`; only the
gradient steps and input gradients differ per backend (`backends`), so the
same model trains with `fit()` on TensorFlow, JAX and PyTorch.

Export, TFLite and the zoo reach a model through three methods a subclass
may extend: `export_signatures()`, `export_metadata()` and
`export_resources()`; presets through `from_preset` and `save_to_preset`.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
from keras import ops

from keras_gans import augment as diff_augment
from keras_gans import losses as gan_losses
from keras_gans.models.adversarial.optimizer_pair import OptimizerPair
from keras_gans.models.adversarial.step import AdversarialStep
from keras_gans.models.base import first_batch, forms, precision
from keras_gans.models.base.fitting import CheckedFit
from keras_gans.models.base.persistence import Persistence
from keras_gans.models.base.tensors import _rank
from keras_gans.validation import check_choice, check_compile_config, check_int

_LATENT_DISTRIBUTIONS = ("normal", "uniform")
# What an EMA generator does with G's batch-norm statistics.
EMA_STATISTICS = ("average", "copy")


@keras.saving.register_keras_serializable(package="keras_gans")
class AdversarialModel(CheckedFit, Persistence, AdversarialStep, keras.Model):
    """A generator and a discriminator trained against each other by `fit()`.

    Each `train_step` takes `d_steps` discriminator steps and then one
    generator step, as in Algorithm 1 of Goodfellow et al. 2014, except that
    the k D steps reuse the step's real batch (with fresh noise each) where
    the paper draws a new real minibatch for each. Metrics: `d_loss`, `g_loss`, and `d_real` /
    `d_fake`, the mean of D's output on real and generated data as a
    probability (for the log-loss variants; the raw score otherwise). At the
    game's optimum both approach 1/2.

    Args:
        generator: a `keras.Model` from a latent batch `(n, latent_dim)` to
            examples.
        discriminator: a `keras.Model` from examples to one logit or score
            per example.
        latent_dim: size of the noise vector z. Defaults to the generator's
            input size.
        latent_distribution: `"normal"` (N(0, 1)) or `"uniform"` (U(-1, 1)).
            Defaults to `"normal"`.
        d_steps: discriminator steps per generator step (k in the paper).
            Each reuses the batch's real examples with new noise. Defaults to
            `1`.
        seed: seed of the model's noise. Defaults to `None` (random).
        dtype_policy: `"float32"`, `"mixed_bfloat16"` or `"mixed_float16"`:
            the networks compute in 16 bits with float32 weights, while G's
            image, D's logit, the losses and batch-norm statistics stay
            float32; `"mixed_float16"` adds dynamic loss scaling to both
            optimizers (`keras_gans.models.base.precision`).
            Defaults to `None`: Keras's global policy.
        ema_decay: keep an exponential moving average of G's weights, with
            this decay per generator step, in `generator_ema`, and sample
            from it (`generate`, calling the model, the callbacks' grids,
            export and the zoo); training uses the live `generator`. The
            decay warms up as `min(ema_decay, (1 + t) / (10 + t))` after t
            updates (TensorFlow's `ExponentialMovingAverage`), so early
            averages do not remember the random start. Defaults to `None`
            (no average). Not the optimizers' `use_ema`, which `fit()` would
            write into the live weights.
        ema_statistics: G's batch-norm moving statistics in the average:
            `"average"` them like the weights (statistics and weights then
            come from the same window), or `"copy"` the live ones
            (StyleGAN2-ADA's choice, for networks without batch norm).
            Defaults to `"average"`.

    Example:

    ```python
    gan = keras_gans.AdversarialModel(generator, discriminator)
    gan.compile(g_optimizer="adam", d_optimizer="adam", loss="non_saturating")
    gan.fit(images_dataset, epochs=3)
    samples = gan.generate(16, seed=0)
    ```
    """

    # Training defaults, stated once (a family changes them in its class):
    # `compile()` without arguments uses them, and a run's `loss`,
    # `learning_rate`, `beta_1` and `g_learning_rate` default to them. The
    # GAN loss; Adam's arguments (Radford et al. 2015: a lower rate and
    # beta_1 than Adam's own, 0.9 oscillated); G's that differ, or `None`.
    LOSS = "non_saturating"
    OPTIMIZER = {"learning_rate": 2e-4, "beta_1": 0.5}
    G_OPTIMIZER = None

    @classmethod
    def optimizer_arguments(cls, generator=False):
        """Adam's default arguments: `OPTIMIZER`'s, with `G_OPTIMIZER`'s on top for G."""
        arguments = dict(cls.OPTIMIZER)
        if generator:
            arguments.update(cls.G_OPTIMIZER or {})
        return arguments

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        latent_distribution="normal",
        d_steps=1,
        seed=None,
        dtype_policy=None,
        ema_decay=None,
        ema_statistics="average",
        **kwargs,
    ):
        if dtype_policy is not None:
            kwargs["dtype"] = dtype_policy
        super().__init__(**kwargs)
        check_choice("dtype_policy", self.dtype_policy.name, precision.POLICIES)
        check_choice("latent_distribution", latent_distribution, _LATENT_DISTRIBUTIONS)
        d_steps = check_int("d_steps", d_steps, minimum=1)
        for role, network in (
            ("generator", generator),
            ("discriminator", discriminator),
        ):
            if not getattr(network, "built", False) or not network.weights:
                raise ValueError(
                    f"Expected a built {role}: a keras.Model with weights and a "
                    "known input shape (start it with keras.Input(...)); received "
                    f"an unbuilt {type(network).__name__} named "
                    f"{getattr(network, 'name', '?')!r}."
                )
        self.generator = generator
        self.discriminator = discriminator
        self._apply_dtype_policy(generator, discriminator)
        if latent_dim is None:
            latent_dim = self._infer_latent_dim(generator)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.latent_distribution = latent_distribution
        self.d_steps = d_steps
        self._make_ema(ema_decay, ema_statistics)
        # Layers computed the faster way on this backend and CPU (sub-pixel
        # upsampling, float32 convolutions); the same function and weights.
        forms.apply_layer_forms(generator, self.generator_ema, discriminator)
        self._make_seed_generators(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.g_optimizer = None
        self.d_optimizer = None
        self.gan_loss = None
        # The sub-models are built, so this model is too: Keras must not try
        # to build it by calling it on a batch of images.
        self.built = True

    def _make_ema(self, decay, statistics):
        if decay is not None:
            decay = float(decay)
            if not 0.0 < decay < 1.0:
                raise ValueError(f"Expected 0 < ema_decay < 1; received {decay!r}.")
        self.ema_decay = decay
        self.ema_statistics = check_choice("ema_statistics", statistics, EMA_STATISTICS)
        self.generator_ema = None
        if decay is None:
            return
        try:
            ema = keras.models.clone_model(self.generator)
        except ValueError as e:
            raise ValueError(
                "Expected a functional or Sequential generator to keep an EMA copy "
                f"of (ema_decay={decay}); cloning {type(self.generator).__name__} "
                f"failed: {e}"
            ) from e
        ema.set_weights(self.generator.get_weights())
        ema.trainable = False
        self.generator_ema = ema
        self.ema_updates = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="ema_updates"
        )

    @property
    def sampling_generator(self):
        """The generator that draws samples: `generator_ema` if kept, else `generator`."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def _update_ema(self):
        """One EMA step of G's weights (after each generator update)."""
        t = ops.cast(self.ema_updates, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for average, live in zip(
            self.generator_ema.weights, self.generator.weights, strict=True
        ):
            if not keras.backend.is_float_dtype(live.dtype) or (
                not live.trainable and self.ema_statistics == "copy"
            ):
                average.assign(live)
            else:
                value = ops.convert_to_tensor(live)
                average.assign(value + decay * (ops.convert_to_tensor(average) - value))
        self.ema_updates.assign(self.ema_updates + 1.0)

    def _apply_dtype_policy(self, *networks):
        """Puts `networks` under the model's mixed policy (float32: left as built)."""
        precision.apply_policy(self.dtype_policy, networks)

    @staticmethod
    def _infer_latent_dim(generator):
        shape = getattr(generator, "input_shape", None)
        if isinstance(shape, list):
            shape = shape[0]
        if not shape or shape[-1] is None:
            raise ValueError(
                "Could not infer `latent_dim` from the generator (expected an "
                f"input shape (None, latent_dim); received {shape}). Pass "
                "`latent_dim=` explicitly."
            )
        return shape[-1]

    # --- Compilation -------------------------------------------------------------

    def compile(
        self,
        g_optimizer=None,
        d_optimizer=None,
        loss=None,
        gradient_penalty_weight=None,
        r1_gamma=0.0,
        r1_interval=1,
        augment=None,
        **kwargs,
    ):
        """Configures the model for training.

        Args:
            g_optimizer: the generator's optimizer (instance, name or config).
                Defaults to `default_g_optimizer()`: Adam with `OPTIMIZER`'s
                arguments and `G_OPTIMIZER`'s on top, `Adam(2e-4, beta_1=0.5)`
                (Radford et al. 2015) unless the class says otherwise
                (InfoGAN uses its paper's 1e-3).
            d_optimizer: the discriminator's optimizer. Defaults to
                `default_d_optimizer()`: Adam with `OPTIMIZER`'s arguments.
            loss: a name from `keras_gans.losses.names()` or a
                `keras_gans.losses.GANLoss`. Defaults to `None`: the class's
                `LOSS` (`"non_saturating"` unless a family says otherwise).
            gradient_penalty_weight: weight of the WGAN-GP penalty on D.
                Defaults to the loss's own (10 for `"wasserstein_gp"`, else 0).
            r1_gamma: gamma of the R1 penalty `gamma / 2 * ||grad D(x)||^2`
                on D's real inputs (Mescheder et al. 2018). It is added to
                D's objective, not to the logged `d_loss`. Defaults to `0.0`
                (none).
            r1_interval: lazy regularisation (Karras et al. 2020): the
                penalty, times this interval, on every `r1_interval`-th D
                update only (counted by D's optimizer, so `d_steps` counts
                too). Defaults to `1` (every update).
            augment: a DiffAugment policy (`keras_gans.augment`: "color",
                "translation", "cutout", comma-separated) applied to every
                image D sees in training, real and generated, with
                independent draws per image (Zhao et al. 2020). Defaults to
                `None` (none).
            **kwargs: passed to `keras.Model.compile` (e.g.
                `steps_per_execution`, `jit_compile`, `run_eagerly`).
        """
        for key in ("optimizer", "metrics", "loss_weights", "weighted_metrics"):
            if kwargs.get(key) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile() takes g_optimizer= and "
                    f"d_optimizer= and a GAN `loss=`; received {key}={kwargs[key]!r}."
                )
            kwargs.pop(key, None)
        super().compile(optimizer=None, **kwargs)
        self.gan_loss = gan_losses.get(self.LOSS if loss is None else loss)
        self.r1_gamma = float(r1_gamma)
        if self.r1_gamma < 0:
            raise ValueError(f"Expected r1_gamma >= 0; received {r1_gamma!r}.")
        self.r1_interval = check_int("r1_interval", r1_interval, minimum=1)
        self.augment = diff_augment.parse_policy(augment)
        if self.augment and len(self._example_shape()) != 3:
            raise ValueError(
                "DiffAugment transforms images (height, width, channels); this "
                f"model's examples have shape {self._example_shape()}."
            )
        self.gradient_penalty_weight = float(
            self.gan_loss.gradient_penalty_weight
            if gradient_penalty_weight is None
            else gradient_penalty_weight
        )
        self.g_optimizer = keras.optimizers.get(
            g_optimizer or self.default_g_optimizer()
        )
        self.d_optimizer = keras.optimizers.get(
            d_optimizer or self.default_d_optimizer()
        )
        if (self.gradient_penalty_weight or self.r1_gamma) and any(
            isinstance(layer, keras.layers.BatchNormalization)
            for layer in self.discriminator._flatten_layers()
        ):
            warnings.warn(
                "The gradient penalty and R1 assume D scores each example on its own, "
                "but this discriminator has BatchNormalization, which couples the "
                "examples of a batch; Gulrajani et al. 2017 use layer norm or none.",
                stacklevel=2,
            )
        if self.g_optimizer is self.d_optimizer:
            raise ValueError(
                "g_optimizer and d_optimizer must be two optimizer instances; "
                "received the same object for both."
            )
        if self.dtype_policy.name == "mixed_float16":
            # float16 gradients below ~6e-8 flush to zero: scale the losses.
            self.g_optimizer = precision.loss_scaled(self.g_optimizer)
            self.d_optimizer = precision.loss_scaled(self.d_optimizer)
        # Build optimizer state now, inside whatever strategy scope compile()
        # runs in; variables created lazily in the first step would be made
        # outside it and fail under MirroredStrategy.
        self.g_optimizer.build(self.generator_trainable_variables)
        self.d_optimizer.build(self.discriminator_trainable_variables)
        # Keras's trainers see both through `model.optimizer` (JAX threads
        # exactly those variables through its step).
        self.optimizer = OptimizerPair(self.g_optimizer, self.d_optimizer)
        self._compile_kwargs = {
            k: v
            for k, v in kwargs.items()
            if k in ("steps_per_execution", "jit_compile", "run_eagerly")
        }

    def default_g_optimizer(self):
        """G's optimizer when `compile()` gets none: Adam(**optimizer_arguments(True))."""
        return keras.optimizers.Adam(**self.optimizer_arguments(generator=True))

    def default_d_optimizer(self):
        """D's optimizer when `compile()` gets none: Adam(**optimizer_arguments())."""
        return keras.optimizers.Adam(**self.optimizer_arguments())

    def get_compile_config(self):
        if not self.compiled:
            return {}
        if not gan_losses.is_registered(self.gan_loss):
            raise ValueError(
                "Only registered GAN losses can be saved with the model; "
                f"received a custom loss named {self.gan_loss.name!r}. Register "
                "it first with keras_gans.losses.register(loss) (and again, or "
                "through the entry-point group 'keras_gans.losses', before "
                "loading the file)."
            )
        return {
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "loss": self.gan_loss.name,
            "gradient_penalty_weight": self.gradient_penalty_weight,
            "r1_gamma": self.r1_gamma,
            "r1_interval": self.r1_interval,
            "augment": ",".join(self.augment) or None,
            **self._compile_kwargs,
        }

    def compile_from_config(self, config):
        config = check_compile_config(
            self, config, required=("g_optimizer", "d_optimizer")
        )
        config["g_optimizer"] = keras.optimizers.deserialize(config["g_optimizer"])
        config["d_optimizer"] = keras.optimizers.deserialize(config["d_optimizer"])
        self.compile(**config)

    def _data_bound(self):
        """1.0 when G's examples lie in [-1, 1] (tanh), else None: what fit() checks."""
        return first_batch.output_bound(self.generator)

    # --- Hooks for subclasses ------------------------------------------------------

    @property
    def generator_trainable_variables(self):
        return self.generator.trainable_variables

    @property
    def discriminator_trainable_variables(self):
        return self.discriminator.trainable_variables

    def unpack_data(self, data):
        """Splits a dataset element into (real examples, condition or None).

        Labels in `(images, labels)` elements are ignored by unconditional
        models.
        """
        if isinstance(data, (tuple, list)):
            return data[0], None
        if isinstance(data, dict):
            raise ValueError(
                f"{type(self).__name__} expects dataset elements that are an "
                "image batch or an (images, labels) tuple; received a dict with "
                f"keys {sorted(data)}."
            )
        return data, None

    def sample_latent(self, n, seed=None):
        """Draws `n` latent vectors.

        Args:
            n: how many.
            seed: an int for a reproducible draw, a `SeedGenerator`, or `None`
                for the model's own seed stream. Defaults to `None`.
        """
        seed = self.seed_generator if seed is None else seed
        shape = (n, self.latent_dim)
        if self.latent_distribution == "uniform":
            return keras.random.uniform(shape, -1.0, 1.0, seed=seed)
        return keras.random.normal(shape, seed=seed)

    @property
    def latent_description(self):
        """What the latent vectors are, for messages (export's shape checks)."""
        return f"{self.latent_distribution} latent vectors"

    def _example_shape(self):
        """D's input shape without the batch (its first input's)."""
        shape = self.discriminator.input_shape
        if isinstance(shape, list):
            shape = shape[0]
        return tuple(shape[1:])

    def critic(self, condition=None, training=True):
        """D as a function of its image input alone (R1's), the condition held."""
        del condition
        return lambda x: self.discriminator(x, training=training)

    def generator_inputs(self, latent, condition=None):
        """What the generator is called on for this latent batch and condition."""
        return latent

    def discriminator_loss(self, real, fake, condition=None, training=True):
        """Per-example D loss and D's outputs on the real and fake batch."""
        real_out = self.discriminator(real, training=training)
        fake_out = self.discriminator(fake, training=training)
        loss = self.gan_loss.discriminator_loss(real_out, fake_out, reduction="none")
        if self.gradient_penalty_weight:
            loss += self.gradient_penalty(
                lambda x: self.discriminator(x, training=training), real, fake, training
            )
        return loss, real_out, fake_out

    def gradient_penalty(self, critic, real, fake, training=True):
        """The weighted WGAN-GP penalty per example (0 when the weight is 0).

        Args:
            critic: examples -> D's scores (a conditional D with its
                condition bound).
            real: this replica's real examples (`fake`: its generated ones).
            training: whether this is a training step (its draws come from
                the training stream). Defaults to `True`.
        """
        if not self.gradient_penalty_weight:
            return 0.0
        seed = self.seed_generator if training else self.sampling_seed_generator
        shape = (self._global_batch(),)
        alpha = self._local_slice(
            self._random(
                "alpha", shape, lambda: keras.random.uniform(shape, seed=seed)
            ),
            ops.shape(real)[0],
        )
        return self.gradient_penalty_weight * gan_losses.gradient_penalty(
            critic, real, fake, alpha, reduction="none"
        )

    def generator_loss(self, fake, latent, condition=None, training=True):
        """Per-example G loss (and D's output on the fakes)."""
        fake_out = self.discriminator(fake, training=training)
        return self.gan_loss.generator_loss(fake_out, reduction="none"), fake_out

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
        ]

    # --- Sampling ----------------------------------------------------------------

    def call(self, inputs, training=False):
        """Calling the model on a latent batch returns generated examples.

        The sampling generator's (the EMA copy, if kept) unless `training`.
        """
        generator = self.generator if training else self.sampling_generator
        return generator(inputs, training=training)

    def _check_latent(self, z):
        z = ops.convert_to_tensor(z, dtype="float32")
        if _rank(z) != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"Expected latent vectors of shape (n, {self.latent_dim}); "
                f"received shape {tuple(z.shape)}."
            )
        return z

    def generate(self, n_or_z=16, seed=None, batch_size=256):
        """Generates examples from `n` fresh latent vectors or from given ones.

        Args:
            n_or_z: how many to generate, or a latent batch `(n, latent_dim)`.
                Defaults to `16`.
            seed: int for a reproducible draw (the same seed gives the same
                images from the same weights). Defaults to `None`.
            batch_size: generator batch size. Defaults to `256`.

        Returns:
            A float32 NumPy array; for image models, `(n, H, W, C)` in [-1, 1].
        """
        if isinstance(n_or_z, (int, np.integer)):
            check_int("n", n_or_z, minimum=1)
            if seed is None:
                seed = self.sampling_seed_generator
            z = self.sample_latent(int(n_or_z), seed=seed)
        else:
            z = self._check_latent(n_or_z)
        return self._run_generator(z, batch_size)

    def preview_samples(self, latent):
        """What the training callbacks draw for their fixed latent batch.

        `generate(latent)` here; a conditional model draws its preview
        conditions (GANCLS: `preview_texts`), or returns `None` when it has
        none and the callbacks skip it.
        """
        return self.generate(latent)

    def _run_generator(self, inputs, batch_size):
        n = int(keras.tree.flatten(inputs)[0].shape[0])
        chunks = []
        for start in range(0, n, batch_size):
            chunk = keras.tree.map_structure(
                lambda v, s=start: v[s : s + batch_size], inputs
            )
            chunks.append(
                keras.ops.convert_to_numpy(
                    self.sampling_generator(chunk, training=False)
                )
            )
        return np.concatenate(chunks, axis=0).astype("float32")

    # --- Serialisation -----------------------------------------------------------

    # A subclass that builds its own networks from hyperparameters names
    # them here; its config then holds those instead of the two networks.
    _network_config = ()

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "latent_dim": self.latent_dim,
                "latent_distribution": self.latent_distribution,
                "d_steps": self.d_steps,
                "seed": self.seed,
                "ema_decay": self.ema_decay,
                "ema_statistics": self.ema_statistics,
            }
        )
        if self._network_config:
            config.update({k: getattr(self, k) for k in self._network_config})
        else:
            config["generator"] = keras.saving.serialize_keras_object(self.generator)
            config["discriminator"] = keras.saving.serialize_keras_object(
                self.discriminator
            )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
