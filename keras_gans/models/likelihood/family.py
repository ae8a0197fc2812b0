"""What runs and the zoo need from a likelihood model: `LikelihoodRuns`, `LikelihoodZoo`.

The VAE's and the autoregressive models' families share it: one optimizer
(Adam with the family's learning rate), no GAN loss, no discriminator
steps, a latent size only where the model has one (the VAE), and the
likelihood of the test images as the headline of an evaluation.
"""

from __future__ import annotations

import inspect

from keras_gans.models.family import model_default
from keras_gans.runs.spec import RunSpec
from keras_gans.zoo.spec import ZooSpec


def _takes(model_class, argument):
    return argument in inspect.signature(model_class.__init__).parameters


class LikelihoodRuns(RunSpec):
    """Runs of a model trained on -log p(x) (`LikelihoodModel`)."""

    # A GAN's settings: the loss, the discriminator's steps, G's rate and
    # the stabilisers.
    unused_settings = (
        "loss",
        "d_steps",
        "g_learning_rate",
        "r1_gamma",
        "r1_interval",
        "augment",
        "ema_decay",
    )

    def default_latent_dim(self):
        """The model's own latent size, or `None` for a model without a latent."""
        if not _takes(self.model_class, "latent_dim"):
            return None
        return model_default(self.model_class, "latent_dim")

    def common_kwargs(self, config):
        kwargs = {self.shape_argument: config.image_shape, "seed": config.seed}
        if _takes(self.model_class, "latent_dim"):
            kwargs["latent_dim"] = config.latent_dim
        return kwargs

    def compile_model(self, model, config):
        model.compile(
            optimizer=self.optimizer(config.learning_rate, config.beta_1),
            steps_per_execution=config.steps_per_execution,
        )


class LikelihoodZoo(ZooSpec):
    """The zoo's metrics of a likelihood model: the samples', and -log p(x)."""

    headline_metrics = (
        ("bits_per_dim", "bits/dim (test set)"),
        ("fid", "FID (classifier features)"),
    )

    def metrics(self, pretrained, model, recipe, data_dir, n, seed):
        """The samples' image metrics, and the test set's -log p(x).

        `nll_nats` and `bits_per_dim` over the whole Fashion-MNIST test set:
        exact from the export for an autoregressive model, the IWAE bound
        (k = 64) of the Keras model for a VAE (an upper bound of -log p).
        """
        from keras_gans import evaluation

        metrics, protocol = super().metrics(
            pretrained, model, recipe, data_dir, n, seed
        )
        if model is not None:
            likelihood = model
        elif "log_prob" in pretrained.signatures:
            likelihood = pretrained
        else:  # a VAE's export: the bound needs the encoder's sampling
            return metrics, protocol
        images, _ = evaluation.real_images("fashion_mnist", "test", 10000, data_dir)
        scores = evaluation.likelihood_of(likelihood, images)
        bound = (
            "IWAE bound, k = 64"
            if _takes(self.family.model_class, "latent_dim")
            else "exact"
        )
        for key, how in (
            (
                "nll_nats",
                f"-log p(x) in nats per test image ({bound}); lower is better",
            ),
            ("nll_nats_se", "standard error of nll_nats over the test images"),
            ("bits_per_dim", "nll_nats / (pixels x channels x ln 2); lower is better"),
        ):
            metrics[key] = {"value": scores[key], "how": how}
        return metrics, protocol + (
            "; likelihood: the 10,000 Fashion-MNIST test images, binarised or "
            "8-bit as the model's levels say"
        )
