"""InfoGAN: interpretable codes learned without labels (Chen et al. 2016).

The generator sees noise z and structured codes c (`keras_gans.latent.LatentSpec`).
An auxiliary head Q on the discriminator's trunk predicts c from an image,
and the generator step adds lambda * L_I, the negative of a variational lower
bound of the mutual information I(c; G(z, c)), so that G must keep its codes
recoverable from the image. Nothing tells a categorical code what to mean;
on digits it ends up as the digit class, on garments mostly as the garment
type.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_gans import losses as gan_losses
from keras_gans.images import check_model_images
from keras_gans.latent import LatentSpec
from keras_gans.models.adversarial import AdversarialModel
from keras_gans.models.blocks import dense, maybe_spectral
from keras_gans.models.infogan.networks import (
    build_infogan_generator,
    build_infogan_trunk,
    build_q_head,
)
from keras_gans.validation import check_int, check_number

# AdversarialModel's arguments that InfoGAN derives from its `latent_spec`.
_FROM_SPEC = ("latent_dim", "latent_distribution")


@keras.saving.register_keras_serializable(package="keras_gans")
class InfoGAN(AdversarialModel):
    """InfoGAN (Chen et al. 2016): GAN + recoverable structured latent codes.

    The generator's input is `[z | one-hot categorical codes | continuous
    codes]` as described by `latent_spec`. D and an auxiliary head Q share a
    trunk; Q predicts the codes from an image. The generator step minimises
    the GAN loss plus `categorical_weight * CE + continuous_weight * NLL`
    (lambda times L_I), and Q's own layers are updated in that step with the
    generator, as in the paper; the shared trunk trains with D.

    Networks follow the paper's MNIST architecture (Table 1) for 28x28 and
    extend it with more stride-2 layers for larger images (32, 64, 128).
    The paper trains D with Adam(2e-4) and G (with Q) with Adam(1e-3), both
    with beta_1 = 0.5: `compile()`'s defaults here.

    Metrics, besides the GAN ones: `info_loss` (unweighted L_I: categorical
    cross-entropy plus the continuous codes' Gaussian negative
    log-likelihood), `code_accuracy` (how often Q recovers the first
    categorical code of a generated image) and `code_mi` (H(c) - CE of the
    categorical codes, the paper's lower bound on their mutual information
    with the image in nats; at most `log K`, 2.303 for K = 10).

    Args:
        image_shape: `(H, W, C)`; H and W must halve at least twice to a grid
            of at least 4x4 (16, 28, 32, 64, ...). Defaults to `(28, 28, 1)`.
        latent_spec: a `keras_gans.latent.LatentSpec` or its config dict.
            Defaults to 62 noise + one 10-way categorical code + 2
            continuous codes (the paper's MNIST setting). The model's
            `latent_dim` and `latent_distribution` follow from it; passing
            either raises `TypeError`.
        categorical_weight: lambda of the categorical codes. Defaults to `1.0`.
        continuous_weight: lambda of the continuous codes. Defaults to `0.1`.
        learn_std: whether Q predicts a standard deviation for continuous
            codes (a factored Gaussian) instead of fixing it to 1. Defaults
            to `False`.
        g_filters: G's last hidden convolution width. Defaults to `64`.
        d_filters: D's first convolution width. Defaults to `64`.
        hidden: width of the fully connected layers in G and the trunk.
            Defaults to `1024`.
        q_hidden: width of Q's hidden layer. Defaults to `128`.
        d_steps: discriminator steps per generator step. Defaults to `1`.
        seed: noise seed. Defaults to `None`.
        spectral_norm: spectral normalisation of the trunk's and the logit's
            layers (Q's own layers are left as they are), without batch
            norm in the trunk. Defaults to `False`.

    Example:

    ```python
    gan = keras_gans.InfoGAN(image_shape=(28, 28, 1))
    gan.compile()
    gan.fit(keras_gans.data.load("fashion_mnist", batch_size=128), epochs=10)
    boots = gan.generate(8, codes={"categorical": 3}, seed=0)
    probs = gan.infer_codes(real_images)["categorical"][0]  # (n, 10)
    ```
    """

    _network_config = (
        "image_shape",
        "latent_spec",
        "categorical_weight",
        "continuous_weight",
        "learn_std",
        "g_filters",
        "d_filters",
        "hidden",
        "q_hidden",
        "spectral_norm",
    )

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_spec=None,
        categorical_weight=1.0,
        continuous_weight=0.1,
        learn_std=False,
        g_filters=64,
        d_filters=64,
        hidden=1024,
        q_hidden=128,
        d_steps=1,
        seed=None,
        spectral_norm=False,
        **kwargs,
    ):
        if latent_spec is None:
            latent_spec = LatentSpec()
        elif isinstance(latent_spec, dict):
            latent_spec = LatentSpec.from_config(latent_spec)
        elif not isinstance(latent_spec, LatentSpec):
            raise ValueError(
                "Expected latent_spec to be a keras_gans.latent.LatentSpec or its "
                f"config dict; received {type(latent_spec).__name__}."
            )
        categorical_weight = check_number(
            "categorical_weight", categorical_weight, minimum=0
        )
        continuous_weight = check_number(
            "continuous_weight", continuous_weight, minimum=0
        )
        hidden = check_int("hidden", hidden, minimum=1)
        derived = [f"{k}={kwargs[k]!r}" for k in _FROM_SPEC if k in kwargs]
        if derived:
            raise TypeError(
                "InfoGAN takes its latent size and noise distribution from "
                "latent_spec (noise_dim plus the codes: "
                f"{latent_spec.dim}, {latent_spec.noise_distribution} noise); "
                f"received {', '.join(derived)}. Pass latent_spec=keras_gans."
                "latent.LatentSpec(noise_dim=..., noise_distribution=...) instead."
            )
        image_shape = tuple(int(d) for d in image_shape)
        spectral_norm = bool(spectral_norm)
        trunk = build_infogan_trunk(image_shape, d_filters, hidden, spectral_norm)
        image = keras.Input(image_shape, name="image")
        # Found by name (`logit`) whether or not it is wrapped.
        logit = (
            maybe_spectral(dense(1, "logit_dense"), True, name="logit")
            if spectral_norm
            else dense(1, "logit")
        )
        discriminator = keras.Model(image, logit(trunk(image)), name="discriminator")
        super().__init__(
            generator=build_infogan_generator(
                image_shape, latent_spec.dim, g_filters, hidden
            ),
            discriminator=discriminator,
            latent_dim=latent_spec.dim,
            latent_distribution=latent_spec.noise_distribution,
            d_steps=d_steps,
            seed=seed,
            **kwargs,
        )
        self.q_head = build_q_head(hidden, latent_spec, q_hidden, learn_std)
        self._apply_dtype_policy(self.q_head)
        self._latent_spec = latent_spec
        self.image_shape = image_shape
        self.categorical_weight = float(categorical_weight)
        self.continuous_weight = float(continuous_weight)
        self.learn_std = bool(learn_std)
        self.g_filters = g_filters
        self.d_filters = d_filters
        self.hidden = hidden
        self.q_hidden = q_hidden
        self.spectral_norm = spectral_norm
        self.info_loss_tracker = keras.metrics.Mean(name="info_loss")
        self.code_accuracy_tracker = keras.metrics.Mean(name="code_accuracy")
        self.code_mi_tracker = keras.metrics.Mean(name="code_mi")

    @property
    def spec(self):
        """The model's `LatentSpec`."""
        return self._latent_spec

    @property
    def latent_description(self):
        """How the latent's columns divide (for export's shape-check messages)."""
        spec = self._latent_spec
        return (
            f"{spec.noise_dim} noise + {sum(spec.categorical)} one-hot for "
            f"categorical codes {list(spec.categorical)} + {spec.continuous} "
            "continuous"
        )

    @property
    def latent_spec(self):
        # For get_config: the spec's config dict.
        return self._latent_spec.get_config()

    def get_config(self):
        config = super().get_config()
        # They follow from latent_spec, and the constructor refuses them.
        for key in _FROM_SPEC:
            config.pop(key, None)
        return config

    # --- Networks ------------------------------------------------------------------

    @property
    def trunk(self):
        """The convolutional trunk that D and Q share."""
        return self.discriminator.get_layer("trunk")

    # Chen et al. 2016 train G (with Q) at 1e-3 and D at 2e-4; runs read it
    # from here too.
    G_OPTIMIZER = {"learning_rate": 1e-3, "beta_1": 0.5}

    @property
    def generator_trainable_variables(self):
        # Q's own layers learn in the generator step (Chen et al. 2016); the
        # trunk they read from trains with D.
        return self.generator.trainable_variables + self.q_head.trainable_variables

    def sample_latent(self, n, seed=None):
        return self.spec.sample(n, seed=self.seed_generator if seed is None else seed)

    # --- Losses --------------------------------------------------------------------

    def _q_outputs(self, features, training):
        outputs = self.q_head(features, training=training)
        return (
            [outputs[f"categorical_{i}"] for i in range(len(self.spec.categorical))],
            outputs.get("continuous_mean"),
            outputs.get("continuous_log_std"),
        )

    def information_loss(self, latent, features, training=True):
        """Per-example lambda * L_I for the codes in `latent` given trunk features.

        Returns:
            `(weighted per-example loss, unweighted per-example loss,
            per-example accuracy of Q on the first categorical code or None,
            per-example lower bound H(c) - L_I on the mutual information of
            the categorical codes in nats, or None)`. The bound reaches
            `sum(log K)` when Q recovers every categorical code with
            certainty; the unweighted loss includes the Gaussian's constant
            `0.5 * log(2 pi)` per continuous code, so it never reaches 0.
        """
        codes = self.spec.split(latent)
        logits, mean, log_std = self._q_outputs(features, training)
        args = dict(
            categorical_codes=codes["categorical"],
            categorical_logits=logits,
            continuous_codes=codes["continuous"] if self.spec.continuous else None,
            continuous_mean=mean,
            continuous_log_std=log_std,
            reduction="none",
        )
        weighted = gan_losses.information_loss(
            categorical_weight=self.categorical_weight,
            continuous_weight=self.continuous_weight,
            **args,
        )
        raw = gan_losses.information_loss(
            categorical_weight=1.0, continuous_weight=1.0, **args
        )
        accuracy = mi_bound = None
        if logits:
            # H(c) - CE for uniform categorical codes: the paper's bound.
            mi_bound = sum(
                math.log(k) - gan_losses.categorical_code_loss(c, lg, "none")
                for k, c, lg in zip(
                    self.spec.categorical, codes["categorical"], logits, strict=True
                )
            )
            accuracy = ops.cast(
                ops.equal(
                    ops.argmax(logits[0], axis=-1),
                    ops.argmax(codes["categorical"][0], axis=-1),
                ),
                "float32",
            )
        return weighted, raw, accuracy, mi_bound

    def generator_loss(self, fake, latent, condition=None, training=True):
        features = self.trunk(fake, training=training)
        fake_out = self.discriminator.get_layer("logit")(features)
        adversarial = self.gan_loss.generator_loss(fake_out, reduction="none")
        weighted, raw, accuracy, mi_bound = self.information_loss(
            latent, features, training
        )
        extras = {"info_loss": raw}
        if accuracy is not None:
            extras.update(code_accuracy=accuracy, code_mi=mi_bound)
        loss = adversarial + ops.cast(weighted, adversarial.dtype)
        return loss, fake_out, extras

    def _update_metrics(self, d_loss, g_loss, real_out, fake_out, extras=None):
        results = super()._update_metrics(d_loss, g_loss, real_out, fake_out)
        n = ops.shape(d_loss)[0]
        for tracker in (
            self.info_loss_tracker,
            self.code_accuracy_tracker,
            self.code_mi_tracker,
        ):
            if tracker.name in (extras or {}):
                self._update_mean(tracker, extras[tracker.name], n)
        results.update({m.name: m.result() for m in self.metrics})
        return results

    @property
    def metrics(self):
        extra = [self.info_loss_tracker]
        if self.spec.categorical:
            extra += [self.code_accuracy_tracker, self.code_mi_tracker]
        return super().metrics + extra

    # --- Using the codes -----------------------------------------------------------

    def generate(self, n_or_z=16, seed=None, batch_size=256, codes=None):
        """Generates images, optionally with chosen codes.

        Args:
            n_or_z: how many, or full generator inputs `(n, spec.dim)`.
            seed: int for a reproducible draw. Defaults to `None`.
            batch_size: generator batch size. Defaults to `256`.
            codes: `None`, or a dict with `"categorical"` and/or
                `"continuous"` in the forms `LatentSpec.with_codes` takes
                (e.g. `{"categorical": 3, "continuous": [0.5, 0.0]}`); codes
                not given are drawn at random.

        Returns:
            `(n, H, W, C)` float32 in [-1, 1].
        """
        if codes is None:
            return super().generate(n_or_z, seed=seed, batch_size=batch_size)
        if not isinstance(codes, dict) or not set(codes) <= {
            "categorical",
            "continuous",
        }:
            raise ValueError(
                "Expected codes as a dict with keys 'categorical' and/or "
                f"'continuous'; received {codes!r}."
            )
        if isinstance(n_or_z, (int, np.integer)):
            check_int("n", n_or_z, minimum=1)
            latent = self.sample_latent(
                int(n_or_z), seed=self.sampling_seed_generator if seed is None else seed
            )
        else:
            latent = self._check_latent(n_or_z)
        latent = self.spec.with_codes(
            np.asarray(latent), codes.get("categorical"), codes.get("continuous")
        )
        return self._run_generator(ops.convert_to_tensor(latent), batch_size)

    def infer_codes(self, images, batch_size=256):
        """Q's predictions of the codes behind `images` (real or generated).

        With a trained model, the first categorical code's argmax is an
        unsupervised classifier of the images, and the continuous means
        measure the properties the codes learned.

        Args:
            images: `(n, H, W, C)` float images in [-1, 1].
            batch_size: batch size. Defaults to `256`.

        Returns:
            A dict: `"categorical"` a list of `(n, K_i)` probabilities,
            `"categories"` `(n, m)` int argmax per categorical code,
            `"continuous"` `(n, c)` means, `"continuous_std"` `(n, c)`
            standard deviations (ones unless `learn_std`), `"features"` the
            trunk's `(n, hidden)` features. NumPy arrays.
        """
        images = check_model_images(images, self.image_shape)
        probs = [[] for _ in self.spec.categorical]
        means, stds, feats = [], [], []
        for start in range(0, len(images), batch_size):
            chunk = ops.convert_to_tensor(images[start : start + batch_size], "float32")
            features = self.trunk(chunk, training=False)
            logits, mean, log_std = self._q_outputs(features, training=False)
            for i, lg in enumerate(logits):
                probs[i].append(ops.convert_to_numpy(ops.softmax(lg)))
            if mean is not None:
                mean = ops.convert_to_numpy(mean)
                means.append(mean)
                stds.append(
                    np.ones_like(mean)
                    if log_std is None
                    else np.exp(ops.convert_to_numpy(log_std))
                )
            feats.append(ops.convert_to_numpy(features))
        c = self.spec.continuous
        n = len(images)
        categorical = [
            np.concatenate(p) if p else np.zeros((0, k))
            for p, k in zip(probs, self.spec.categorical, strict=True)
        ]
        return {
            "categorical": categorical,
            "categories": np.stack([p.argmax(-1) for p in categorical], axis=1)
            if categorical
            else np.zeros((n, 0), "int64"),
            "continuous": np.concatenate(means)
            if means
            else np.zeros((n, c), "float32"),
            "continuous_std": np.concatenate(stds)
            if stds
            else np.zeros((n, c), "float32"),
            "features": np.concatenate(feats) if feats else np.zeros((0, self.hidden)),
        }

    def code_sweep(self, categorical_code=0, continuous_code=0, values=None, seed=0):
        """Images for a code-sweep grid: rows are categories, columns a sweep.

        Args:
            categorical_code: the categorical code whose categories form the
                rows. Defaults to `0`.
            continuous_code: the continuous code swept along each row.
                Defaults to `0`.
            values: the swept values. Defaults to 10 points in [-2, 2].
            seed: seed of the shared noise. Defaults to `0`.

        Returns:
            `(K * len(values), H, W, C)` images, row by row; save them with
            `keras_gans.images.save_image_grid(images, path, ncols=len(values))`
            or use `save_code_sweep`.
        """
        latent = self.spec.sweep_grid(categorical_code, continuous_code, values, seed)
        return self._run_generator(ops.convert_to_tensor(latent), 256)

    def discriminator_features(self, images):
        """The shared trunk's features for `images` (as DCGAN's)."""
        return keras.ops.convert_to_numpy(self.trunk(images, training=False))

    # --- Export ----------------------------------------------------------------------

    def export_signatures(self):
        """Adds `generate_with_codes` (noise, category indices, continuous codes)."""
        from keras_gans.models.infogan import export

        return {**super().export_signatures(), **export.signatures(self)}

    def export_metadata(self):
        """Adds the latent spec and which latent columns hold which code."""
        from keras_gans.models.infogan import export

        return export.metadata(self, super().export_metadata())
