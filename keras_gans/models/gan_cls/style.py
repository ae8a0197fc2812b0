"""GAN-CLS's style encoder S (Reed et al. 2016, section 4.4).

With G trained, S learns to invert it, min ||z - S(G(z, phi(t)))||^2, so that
G(S(x), phi(t')) draws the content of the caption t' in the style of the
image x: whatever the caption leaves open (pose, shade, pattern).
`StyleTransfer` is mixed into `GANCLS`, which holds S as `style_encoder`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans.images import check_model_images
from keras_gans.models.base import backends
from keras_gans.validation import check_int


class StyleTransfer:
    """Training S on the frozen generator, and drawing texts in an image's style."""

    def fit_style_encoder(
        self,
        texts,
        steps=2000,
        batch_size=128,
        learning_rate=2e-4,
        seed=0,
        verbose=0,
    ):
        """Trains the style encoder S to invert the (frozen) generator.

        Reed et al. 2016, section 4.4: with G trained, S learns
        min ||z - S(G(z, phi(t)))||^2 over z ~ N(0, I) and captions t of
        the training data. G is held fixed (inference mode), so this never
        changes what G draws; S trains in training mode and is sampled in
        inference mode like any batch-norm network.

        Args:
            texts: training captions (strings) or their embeddings
                `(n, text_dim)`; each step draws `batch_size` of them.
            steps: optimisation steps. Defaults to `2000`.
            batch_size: Defaults to `128`.
            learning_rate: Adam's (beta_1 0.5). Defaults to `2e-4`.
            seed: seed of the draws. Defaults to `0`.
            verbose: print the loss every 10% of the steps. Defaults to `0`.

        Returns:
            A dict: `"loss"`, the per-step mean ||z - S(G(z, phi))||^2 (summed
            over z's dimensions), and `"explained"`, 1 - final loss /
            latent_dim (the fraction of z's variance S recovers; 0 for S = 0).
        """
        steps = check_int("steps", steps, minimum=1)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        embeddings = ops.convert_to_tensor(
            np.concatenate(
                [
                    ops.convert_to_numpy(self._conditions(texts[i : i + 4096]))
                    for i in range(0, len(texts), 4096)
                ],
                axis=0,
            )
        )
        count = int(embeddings.shape[0])
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        variables = self.style_encoder.trainable_variables
        optimizer.build(variables)
        seeds = keras.random.SeedGenerator(seed)

        def step():
            index = keras.random.randint((batch_size,), 0, count, seed=seeds)
            phi = ops.take(embeddings, index, axis=0)
            z = keras.random.normal((batch_size, self.latent_dim), seed=seeds)
            images = ops.stop_gradient(self.generator([z, phi], training=False))

            def loss_fn():
                guess = self.style_encoder(images, training=True)
                loss = ops.mean(ops.sum(ops.square(z - guess), axis=-1))
                return loss, loss

            return backends.current().minimize(self, optimizer, variables, loss_fn)

        if keras.backend.backend() == "tensorflow":
            from keras_gans._tensorflow import tf

            # No Python control flow inside: autograph has nothing to convert.
            step = tf.function(step, autograph=False)

        history = []
        for i in range(int(steps)):
            history.append(float(step()))
            if not np.isfinite(history[-1]):
                raise FloatingPointError(
                    f"The style encoder's loss became {history[-1]} at step {i}; "
                    "lower learning_rate."
                )
            if verbose and (i + 1) % max(1, int(steps) // 10) == 0:
                print(f"style encoder step {i + 1}/{steps}: loss {history[-1]:.4f}")
        tail = float(np.mean(history[-max(1, len(history) // 20) :]))
        return {"loss": history, "explained": 1.0 - tail / self.latent_dim}

    def style_error(self, texts, n=512, seed=0):
        """Mean ||z - S(G(z, phi))||^2 / latent_dim on fresh draws (inference mode).

        1.0 is no better than predicting z = 0; 0 is a perfect inversion.
        """
        texts = (
            np.asarray(texts)
            if isinstance(texts, (list, tuple, np.ndarray))
            else ops.convert_to_numpy(texts)
        )
        rng = np.random.default_rng(seed)
        chosen = texts[rng.integers(0, len(texts), int(n))]
        z = self.sample_latent(int(n), seed=seed)
        images = self.generate(chosen, z=z)
        error = np.sum(
            (keras.ops.convert_to_numpy(z) - self.infer_style(images)) ** 2, axis=-1
        )
        return float(np.mean(error) / self.latent_dim)

    def infer_style(self, images, batch_size=256):
        """S(x): the latent vectors that G would draw `images` from."""
        images = check_model_images(images, self.image_shape)
        out = [
            keras.ops.convert_to_numpy(
                self.style_encoder(images[i : i + batch_size], training=False)
            )
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(out).astype("float32")

    def transfer_style(self, images, texts, batch_size=256):
        """Draws each text's content in the style of the matching image.

        The style is what S reads from the image (pose, shade, width, ...
        whatever the caption does not fix): G(S(x_i), phi(t_i)). Train S
        first with `fit_style_encoder`.

        Args:
            images: `(n, H, W, C)` in [-1, 1] giving the style.
            texts: `n` texts (or one, used for every image), or embeddings.

        Returns:
            `(n, H, W, C)` images.
        """
        z = self.infer_style(images, batch_size)
        embeddings = self._conditions(texts)
        if int(embeddings.shape[0]) == 1:
            embeddings = ops.repeat(embeddings, len(z), axis=0)
        if int(embeddings.shape[0]) != len(z):
            raise ValueError(
                f"Expected one text per image or one for all; received "
                f"{int(embeddings.shape[0])} texts for {len(z)} images."
            )
        return self.generate(embeddings, 1, z=z, batch_size=batch_size)

    def style_transfer_grid(self, images, texts):
        """Rows: the style images; columns: each text drawn in that style.

        Returns:
            `(len(images) * len(texts), H, W, C)`, row-major, for
            `save_image_grid(..., ncols=len(texts))`.
        """
        z = self.infer_style(images)
        embeddings = self._conditions(texts)
        k = int(embeddings.shape[0])
        return self._run_generator(
            [
                ops.convert_to_tensor(np.repeat(z, k, axis=0)),
                ops.tile(embeddings, (len(z), 1)),
            ],
            256,
        )
