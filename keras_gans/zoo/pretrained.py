"""`load_pretrained(name)`: a zoo generator's SavedModel, ready to sample and serve.

This is the serving side of a preset: the exported generator alone, through
its signatures, as TF Serving and phones see it (no Keras class needed). To
train on, fine-tune or use every network of a zoo model (D, InfoGAN's Q,
GAN-CLS's style encoder), load the Keras model with
`keras_gans.DCGAN.from_preset(name)` (or `keras_gans.models.from_preset`).

```python
from keras_gans import zoo

zoo.list_models()
gan = zoo.load_pretrained("dcgan_fashion_mnist")
images = gan.generate(16, seed=0)  # float32 (16, 28, 28, 1) in [-1, 1]
gan.signatures["serving_default"]  # the SavedModel's own signatures
```
"""

import pathlib

import numpy as np

from keras_gans._tensorflow import tf
from keras_gans.export.saved_model import read_metadata, sample_in_chunks
from keras_gans.validation import check_int
from keras_gans.zoo import presets, registry


class Pretrained:
    """A published generator: its SavedModel, metadata and sampling calls.

    Attributes:
        name: the zoo name.
        entry: the manifest entry (dataset, metrics, license, files, ...).
        export_dir: the SavedModel folder (TF Serving's version folder).
        metadata: the export's `keras_gans.json` (latent size, codes, ...).
        saved_model: the object `tf.saved_model.load` returned.
        signatures: its signatures by name (`serving_default`, `sample`, ...).
    """

    def __init__(self, name, export_dir, entry=None):
        self.name = name
        self.entry = entry or {}
        self.export_dir = pathlib.Path(export_dir)
        self.metadata = read_metadata(self.export_dir)
        self.saved_model = tf.saved_model.load(str(self.export_dir))
        self.signatures = dict(self.saved_model.signatures)
        self.kind = self.metadata["model"]
        _, named = self.signatures["serving_default"].structured_input_signature
        self.takes_text_embedding = "text_embedding" in named
        # None for an autoregressive model: its noise is one uniform per pixel.
        latent_dim = self.metadata.get("latent_dim")
        self.latent_dim = None if latent_dim is None else int(latent_dim)
        self.image_shape = tuple(self.metadata["image_shape"])

    def __repr__(self):
        return (
            f"<Pretrained {self.name!r}: {self.metadata['class']}, images "
            f"{self.image_shape} in [-1, 1], latent {self.latent_dim or 'none'}, signatures "
            f"{sorted(self.signatures)}>"
        )

    # --- sampling ----------------------------------------------------------------

    def generate(self, n=16, seed=0, uint8=False):
        """`n` images from the export's `sample` signature.

        Up to 1024 images, the same `seed` gives the same images as the
        trained model's `generate(n, seed=seed)` (GAN-CLS: its preview
        captions, cycled); beyond, each further chunk of 1024 (the
        signature's limit per request) draws with a seed mixed from `seed`
        and the chunk's index.

        Args:
            n: how many. Defaults to `16`.
            seed: an int in [0, 2**31). Defaults to `0`.
            uint8: return uint8 in [0, 255] instead of float32 in [-1, 1].
                Defaults to `False`.

        Returns:
            A NumPy array `(n, H, W, C)`.
        """
        return self._sample("images_uint8" if uint8 else "images", n, seed)

    def sample_latent(self, n=16, seed=0):
        """The `(n, latent_dim)` latents `generate(n, seed)` draws its images from.

        The trained model's `sample_latent(n, seed=seed)`, from the export's
        `sample` signature (in `generate`'s chunks and chunk seeds).
        """
        if self.latent_dim is None:
            raise ValueError(
                f"{self.name} has no latent vector (a {self.metadata['class']} "
                "draws each pixel in turn)."
            )
        return self._sample("latent", n, seed)

    def _sample(self, key, n, seed):
        """Output `key` of the `sample` signature for `n` draws from `seed`."""
        check_int("n", n, minimum=1)
        _check_seed(seed)
        if "sample" not in self.signatures:
            raise ValueError(
                f"{self.name} has no `sample` signature (signatures: "
                f"{sorted(self.signatures)})."
            )
        chunks = sample_in_chunks(self.signatures["sample"], n, seed)
        return np.concatenate([out[key].numpy() for out in chunks])

    def __call__(self, latent, text_embedding=None, uint8=False):
        """Images for given latent vectors (`serving_default`).

        Args:
            latent: `(n, latent_dim)` float32.
            text_embedding: GAN-CLS only: `(n, text_dim)` text encoder outputs.
            uint8: return uint8 images. Defaults to `False`.
        """
        if self.latent_dim is None:
            raise ValueError(
                f"{self.name} has no latent vector (a {self.metadata['class']} "
                "draws each pixel in turn): use generate(n, seed) or "
                "signatures['sample_from_uniforms']."
            )
        latent = np.asarray(latent, np.float32)
        if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
            raise ValueError(
                f"Expected latent of shape (n, {self.latent_dim}); received "
                f"{latent.shape}."
            )
        inputs = {"latent": tf.constant(latent)}
        if self.takes_text_embedding:
            if text_embedding is None:
                raise ValueError(
                    f"{self.name} draws images for texts: pass text_embedding "
                    f"(n, {self.metadata['text_dim']}), e.g. from embed_texts()."
                )
            inputs["text_embedding"] = tf.constant(
                np.asarray(text_embedding, np.float32)
            )
        elif text_embedding is not None:
            raise ValueError(f"{self.name} takes no text_embedding.")
        out = self.signatures["serving_default"](**inputs)
        return out["images_uint8" if uint8 else "images"].numpy()

    def log_prob(self, images, batch_size=256):
        """log p(x) per image in nats, from the export's `log_prob` signature.

        Autoregressive models only (exact likelihood); `images` `(n, H, W, C)`
        float32 in [-1, 1].
        """
        if "log_prob" not in self.signatures:
            raise ValueError(
                f"{self.name} has no `log_prob` signature (a likelihood is "
                "exported by the autoregressive models); signatures: "
                f"{sorted(self.signatures)}."
            )
        images = np.asarray(images, np.float32)
        return np.concatenate(
            [
                self.signatures["log_prob"](
                    images=tf.constant(images[i : i + batch_size])
                )["log_prob"].numpy()
                for i in range(0, len(images), batch_size)
            ]
        ).astype("float64")

    # --- InfoGAN ---------------------------------------------------------------------

    def generate_with_codes(self, categorical, continuous=None, seed=0, uint8=False):
        """InfoGAN: images with chosen codes and random noise.

        Args:
            categorical: `(n, m)` category indices (one column per
                categorical code) or `(n,)` for a single code.
            continuous: `(n, c)` continuous codes, typically in [-1, 1].
                Defaults to `None`: zeros.
            seed: seed of the noise. Defaults to `0`.
            uint8: return uint8 images. Defaults to `False`.
        """
        self._require("generate_with_codes", "InfoGAN")
        spec = self.metadata["latent_spec"]
        categorical = np.asarray(categorical, np.int32)
        if categorical.ndim == 1:
            categorical = categorical[:, None]
        n = categorical.shape[0]
        n_cont = int(spec["continuous"])
        continuous = (
            np.zeros((n, n_cont), np.float32)
            if continuous is None
            else np.asarray(continuous, np.float32).reshape(n, -1)
        )
        noise_dim = int(spec["noise_dim"])
        rng = np.random.default_rng(seed)
        if spec.get("noise_distribution", "uniform") == "uniform":
            noise = rng.uniform(-1, 1, (n, noise_dim))
        else:
            noise = rng.standard_normal((n, noise_dim))
        out = self.signatures["generate_with_codes"](
            noise=tf.constant(noise, tf.float32),
            categorical=tf.constant(categorical),
            continuous=tf.constant(continuous),
        )
        return out["images_uint8" if uint8 else "images"].numpy()

    # --- GAN-CLS ---------------------------------------------------------------------

    def text_to_image(self, texts, seed=0, uint8=False):
        """GAN-CLS: one image per text (`text_to_image` signature)."""
        self._require("text_to_image", "GAN-CLS with a text encoder")
        _check_seed(seed)
        texts = _as_texts(texts)
        out = self.signatures["text_to_image"](
            texts=tf.constant(texts), seed=tf.constant(seed, tf.int64)
        )
        return out["images_uint8" if uint8 else "images"].numpy()

    def embed_texts(self, texts):
        """GAN-CLS: the text encoder's `(n, text_dim)` embeddings."""
        self._require("embed_texts", "GAN-CLS with a text encoder")
        out = self.signatures["embed_texts"](texts=tf.constant(_as_texts(texts)))
        return out["embeddings"].numpy()

    def _require(self, signature, what):
        if signature not in self.signatures:
            raise ValueError(
                f"{signature}() needs a {what} export; {self.name} is a "
                f"{self.metadata['class']} with signatures {sorted(self.signatures)}."
            )


def _as_texts(texts):
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    texts = [t.decode() if isinstance(t, bytes) else str(t) for t in texts]
    if not texts:
        raise ValueError("Expected at least one text; received none.")
    return texts


def _check_seed(seed):
    return check_int("seed", seed, minimum=0, maximum=2**31 - 1)


def load_pretrained(name, cache_dir=None, progress=True, zoo_dir=None):
    """A zoo model's SavedModel by name, verified against the manifest's sha256.

    Files come from the package's own zoo, else the cache, else the
    manifest's URL (downloaded with a progress bar into the cache); archives
    are unpacked into the cache. Works offline for every model the package
    ships. For the trained Keras model (to fine-tune, or to use D, Q or the
    style encoder), use `keras_gans.models.from_preset(name)`.

    Args:
        name: a zoo name (`keras_gans.zoo.list_models()`), e.g.
            `"dcgan_fashion_mnist"`.
        cache_dir: where downloads and unpacked archives go. Defaults to
            `None`: `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.
        progress: show a progress bar while downloading. Defaults to `True`.
        zoo_dir: another zoo folder (with its own `manifest.json`). Defaults
            to `None`: the package's.

    Returns:
        A `Pretrained` generator; for the evaluation classifier
        (`"fashion_mnist_classifier"`), the `keras.Model`.

    Raises:
        UnknownModelError: `name` is not in the manifest (the message lists
            the known names).
        NotPublishedError: the entry has a recipe but no files yet (the
            message gives the command that trains it).
        ChecksumError, DownloadError: a file is corrupt or cannot be fetched.
    """
    registry.get_entry(name, zoo_dir)  # zoo names only: UnknownModelError
    limits = {"max_unpacked_bytes": None, "max_archive_members": None}
    folder, entry, written = presets._resolve(
        name, cache_dir, progress, zoo_dir, limits
    )
    if entry.get("kind") == "classifier":
        import keras

        return keras.saving.load_model(folder)
    cache = presets._cache(cache_dir)
    try:
        return Pretrained(name, _export_dir(folder), entry)
    except (OSError, ValueError, tf.errors.OpError):
        if folder in written:  # unpacked just now: again would not help
            presets._discard(written, cache)
            raise
    # The unpacked copy was damaged on disk (the archive itself was just
    # verified): unpack it again, once.
    archive = presets.resolve_archive(entry, cache_dir, zoo_dir)
    digest = entry["files"][0]["sha256"].lower()
    presets._unpack(archive, folder, digest, limits, again=True)
    try:
        return Pretrained(name, _export_dir(folder), entry)
    except Exception:
        presets._discard([*written, folder], cache)
        raise


def _export_dir(folder):
    """The SavedModel of a preset folder (or of an archive that is one)."""
    inner = pathlib.Path(folder) / presets.SAVED_MODEL_DIR
    return inner if inner.is_dir() else pathlib.Path(folder)
