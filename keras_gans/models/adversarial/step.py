"""The alternating D/G step of `AdversarialModel`, on every Keras backend.

Written once in `keras.ops` and `keras.random`. `train_step` / `test_step`
hand Keras's trainer to the backend's module (`backends`), which calls
`run_train_step(data)`: `d_steps` discriminator updates, then one generator
update, each a `minimize` of a loss function on the backend. The loss hooks
(`discriminator_loss`, `generator_loss`) return per-example values and may
add a dict of per-example extras for a subclass's metrics
(`_update_metrics`), so nothing travels between them on the side. Every
random draw goes through `_random`, which a test can replace
(`keras_gans.testing.injected_draws`).
"""

from __future__ import annotations

import keras
from keras import ops

from keras_gans import augment
from keras_gans import losses as gan_losses
from keras_gans.models.base import backends, replicas
from keras_gans.models.base.tensors import _as_tensors, _is_integer, _rank


class AdversarialStep:
    """The step of `AdversarialModel` (mixed in before `keras.Model`)."""

    def _start_step(self, local_batch):
        replicas.start_step(local_batch)

    def _global_batch(self):
        return replicas.global_batch()

    def _local_slice(self, values, local_batch):
        return replicas.local_slice(values, local_batch)

    def _random(self, name, shape, draw):
        """Every random draw of a step: `draw()`, unless a test injects it.

        `keras_gans.testing.injected_draws` sets a hook `(name, shape) ->
        array` so that the same step can be compared across backends, whose
        random number generators differ. Names: `"latent"`, `"alpha"` (the
        gradient penalty's), `"augment_<batch>_<draw>"` (DiffAugment's),
        and those of subclasses (GANCLS's `"wrong_scores"` and
        `"wrong_shift"`).
        """
        hook = getattr(self, "_draw_hook", None)
        if hook is None:
            return draw()
        return ops.convert_to_tensor(hook(name, shape), "float32")

    def _draw_latent(self, local_batch, seed=None):
        # One global draw sliced per replica: N replicas see exactly the noise
        # that one device would for the same global batch.
        n = self._global_batch()
        latent = self._random(
            "latent", (n, self.latent_dim), lambda: self.sample_latent(n, seed=seed)
        )
        return self._local_slice(latent, local_batch)

    def _augment_draws(self, local_batch, name):
        """DiffAugment's uniforms for one batch D sees (`{}` without a policy).

        Drawn for the global batch and sliced per replica, like the noise;
        `name` (`real`, `fake`, `generated`) keeps the batches' draws apart.
        """
        policy = getattr(self, "augment", ())
        if not policy:
            return {}
        n = self._global_batch()
        draws = {}
        for key, shape in augment.draw_shapes(n, policy).items():
            value = self._random(
                f"augment_{name}_{key}",
                shape,
                lambda s=shape: keras.random.uniform(s, seed=self.seed_generator),
            )
            draws[key] = self._local_slice(value, local_batch)
        return draws

    def _augmented(self, images, draws):
        return augment.apply(images, draws, self.augment) if draws else images

    def _r1(self, real, condition):
        """gamma / 2 * R1 per example on this D update (lazy: every k-th, times k)."""
        gamma, k = getattr(self, "r1_gamma", 0.0), getattr(self, "r1_interval", 1)
        if not gamma:
            return None
        critic = self.critic(condition, training=True)

        def penalty():
            return (0.5 * gamma * k) * gan_losses.r1_penalty(
                critic, real, reduction="none"
            )

        if k == 1:
            return penalty()
        # The optimizer's count before this update: the first update pays.
        due = ops.equal(ops.mod(self.d_optimizer.iterations, k), 0)
        n = ops.shape(real)[0]
        return backends.current().cond(
            due,
            penalty,
            lambda: ops.zeros((n,), "float32"),
            self.non_trainable_variables,
        )

    def _average(self, per_example):
        return replicas.average(per_example)

    def _score(self, outputs):
        outputs = ops.cast(outputs, "float32")
        return ops.sigmoid(outputs) if self.gan_loss.outputs_logits else outputs

    @staticmethod
    def _with_extras(outputs, size):
        # Hooks may add a dict of per-example values for the metrics.
        outputs = tuple(outputs)
        return outputs if len(outputs) > size else (*outputs, {})

    def discriminator_step(self, real, condition):
        """One D update; returns (per-example loss, D(real), D(fake), extras)."""
        latent = self._draw_latent(ops.shape(real)[0])
        fake = ops.stop_gradient(
            self.generator(self.generator_inputs(latent, condition), training=True)
        )
        local_batch = ops.shape(real)[0]
        real = self._augmented(real, self._augment_draws(local_batch, "real"))
        fake = self._augmented(fake, self._augment_draws(local_batch, "fake"))

        def loss_fn():
            outputs = self._with_extras(
                self.discriminator_loss(real, fake, condition), 3
            )
            # R1 joins D's objective but not the logged d_loss, which
            # would jump on the lazy updates.
            r1 = self._r1(real, condition)
            objective = outputs[0] if r1 is None else outputs[0] + r1
            return self._average(objective), outputs

        variables = self.discriminator_trainable_variables
        outputs = backends.current().minimize(
            self, self.d_optimizer, variables, loss_fn
        )
        if self.gan_loss.weight_clip:
            # WGAN (Arjovsky et al. 2017): clipping keeps the critic Lipschitz.
            c = self.gan_loss.weight_clip
            for v in variables:
                v.assign(ops.clip(v, -c, c))
        return outputs

    def generator_step(self, local_batch, condition):
        """One G update; returns (per-example loss, extras)."""
        latent = self._draw_latent(local_batch)
        draws = self._augment_draws(local_batch, "generated")

        def loss_fn():
            fake = self.generator(
                self.generator_inputs(latent, condition), training=True
            )
            fake = self._augmented(fake, draws)
            outputs = self._with_extras(self.generator_loss(fake, latent, condition), 2)
            return self._average(outputs[0]), outputs

        per_example, _, extras = backends.current().minimize(
            self, self.g_optimizer, self.generator_trainable_variables, loss_fn
        )
        return per_example, extras

    def _check_compiled(self):
        # fit() checks this itself; a direct train_step() call would fail
        # later with an unhelpful NoneType error.
        if self.gan_loss is None:
            raise RuntimeError(
                f"{type(self).__name__} must be compiled before training: call "
                "model.compile(g_optimizer=..., d_optimizer=...) first."
            )

    def _check_examples(self, real):
        expected = self.discriminator.input_shape
        if _is_integer(real):
            raise ValueError(
                f"{type(self).__name__} expects float examples scaled to [-1, 1] "
                "(the range of the generator's tanh); received dtype "
                f"{keras.backend.standardize_dtype(real.dtype)}. "
                "Use keras_gans.data.load(...) or scale images with x / 127.5 - 1."
            )
        if not isinstance(expected, tuple) or _rank(real) is None:
            return
        got = tuple(real.shape[1:])
        want = tuple(expected[1:])
        if len(got) != len(want) or any(
            g is not None and w is not None and g != w
            for g, w in zip(got, want, strict=True)
        ):
            raise ValueError(
                f"{type(self).__name__} was built for examples of shape {want}; the "
                f"dataset yields {got}. Build the model for that shape "
                f"(image_shape= / data_shape=) or load the data with image_shape={want}."
            )

    def train_step(self, *args):
        # Keras's JAX trainer passes (state, data), the others (data,).
        return backends.current().train_step(self, args)

    def test_step(self, *args):
        return backends.current().test_step(self, args)

    def _begin_step(self, data):
        """Checks a step's data and records this replica's layout.

        Returns `(real examples, condition, local batch size)`.
        """
        self._check_compiled()
        real, condition = self.unpack_data(_as_tensors(data))
        self._check_examples(real)
        local_batch = ops.shape(real)[0]
        self._start_step(local_batch)
        return real, condition, local_batch

    def run_train_step(self, data):
        """The training step on any backend: `d_steps` D updates, one G update."""
        real, condition, local_batch = self._begin_step(data)
        for _ in range(self.d_steps):
            d_loss, real_out, fake_out, d_extras = self.discriminator_step(
                real, condition
            )
        g_loss, g_extras = self.generator_step(local_batch, condition)
        if self.generator_ema is not None:
            self._update_ema()
        return self._update_metrics(
            d_loss, g_loss, real_out, fake_out, {**d_extras, **g_extras}
        )

    def run_test_step(self, data):
        """Losses on held-out data without updating any weight."""
        real, condition, local_batch = self._begin_step(data)
        # Evaluation draws from the sampling stream: validation never changes
        # the noise that training sees.
        latent = self._draw_latent(local_batch, seed=self.sampling_seed_generator)
        fake = self.generator(self.generator_inputs(latent, condition), training=False)
        d_loss, real_out, fake_out, d_extras = self._with_extras(
            self.discriminator_loss(real, fake, condition, training=False), 3
        )
        g_loss, _, g_extras = self._with_extras(
            self.generator_loss(fake, latent, condition, training=False), 2
        )
        return self._update_metrics(
            d_loss, g_loss, real_out, fake_out, {**d_extras, **g_extras}
        )

    @staticmethod
    def _update_mean(tracker, values, count):
        """Adds the mean of per-example `values` to `tracker`, weighted by `count`.

        Each replica adds its mean weighted by its number of examples, so the
        logged values are means over the global batch even when replicas hold
        different numbers of examples (a replica with none adds nothing).
        """
        values = ops.cast(values, "float32")
        count = ops.cast(count, "float32")
        tracker.update_state(
            ops.divide_no_nan(ops.sum(values), count), sample_weight=count
        )

    def _update_metrics(self, d_loss, g_loss, real_out, fake_out, extras=None):
        """Updates the trackers from per-example values.

        `extras` holds what the loss hooks added for a subclass's metrics.
        """
        n = ops.shape(d_loss)[0]
        for tracker, values in (
            (self.d_loss_tracker, d_loss),
            (self.g_loss_tracker, g_loss),
            (self.d_real_tracker, self._score(real_out)),
            (self.d_fake_tracker, self._score(fake_out)),
        ):
            self._update_mean(tracker, values, n)
        return {m.name: m.result() for m in self.metrics}
