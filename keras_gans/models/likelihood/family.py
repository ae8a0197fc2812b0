"""`LikelihoodFamily`: what runs, the CLI and export need from a likelihood model.

The VAE's and the autoregressive models' families share it: one optimizer
(Adam with the family's learning rate), no GAN loss, no discriminator
steps, a latent size only where the model has one (the VAE), and the
likelihood of the test images as the headline of an evaluation.
"""

from __future__ import annotations

import inspect

from keras_gans.models.family import Family, model_default


class LikelihoodFamily(Family):
    """A family of models trained on -log p(x) (`LikelihoodModel`)."""

    # A GAN's settings: the loss, the discriminator's steps and G's rate.
    unused_settings = ("loss", "d_steps", "g_learning_rate")

    def _takes(self, argument):
        return argument in inspect.signature(self.model_class.__init__).parameters

    def default_latent_dim(self):
        """The model's own latent size, or `None` for a model without a latent."""
        if not self._takes("latent_dim"):
            return None
        return model_default(self.model_class, "latent_dim")

    def default_learning_rate(self):
        return self.model_class.LEARNING_RATE

    def default_beta_1(self):
        return 0.9  # Adam's own (Kingma and Ba 2015)

    def model_kwargs(self, config):
        kwargs = {self.shape_argument: config.image_shape, "seed": config.seed}
        if self._takes("latent_dim"):
            kwargs["latent_dim"] = config.latent_dim
        for option in self.options:
            if option.argument() is not None:
                kwargs[option.argument()] = config.options[option.name]
        if config.mixed_precision is not None:
            kwargs["dtype_policy"] = f"mixed_{config.mixed_precision}"
        return kwargs

    def compile_model(self, model, config):
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
            steps_per_execution=config.steps_per_execution,
        )
