"""What outlives a Python session: noise state, SavedModels and presets.

`Persistence` is mixed into `AdversarialModel`:

- `.keras` files also keep the state of every `SeedGenerator` (the noise and
  dropout streams), so a reloaded model trains on exactly as it would have;
- `export()` writes TF Serving's layout through `keras_gans.export` (a
  service, `keras_gans.models.services`), with
  the signatures and metadata that `export_signatures()`,
  `export_metadata()` and `export_resources()` give (a family extends them);
- `save_to_preset()` / `from_preset()` write and read a preset folder (the
  Keras model with every network, and its SavedModel), locally, from the
  zoo or from a URL (`keras_gans.zoo.presets`, which knows no model: a
  model tells it its `family_name`, and `from_preset` its class).
"""

from __future__ import annotations

import keras

from keras_gans.models import services


class classproperty:  # noqa: N801 - reads like the built-in `property`
    """A read-only property of the class (`DCGAN.presets`)."""

    def __init__(self, getter):
        self.getter = getter
        self.__doc__ = getter.__doc__

    def __get__(self, instance, owner):
        return self.getter(owner)


class Persistence:
    """Noise state in `.keras` files, SavedModel export and presets."""

    # --- Noise state in .keras files ---------------------------------------------

    def save(self, filepath, *args, **kwargs):
        # What cannot be saved (an unregistered loss) is refused before Keras
        # opens the file, so that a failed save leaves no partial file and
        # never truncates the one already there.
        self.get_compile_config()
        return super().save(filepath, *args, **kwargs)

    _SEED_KEY = "seed_state_"

    def _make_seed_generators(self, seed):
        """`seed_generator` (training noise) and `sampling_seed_generator`.

        generate() without a seed draws from its own stream, so sampling
        between epochs never changes the noise that training sees.
        """
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        self.sampling_seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="sampling_seed"
        )

    def _seed_generators_in_order(self):
        generators = []
        for layer in self._flatten_layers(include_self=True, recursive=True):
            for generator in getattr(layer, "_seed_generators", ()):
                if all(generator is not g for g in generators):
                    generators.append(generator)
        return generators

    def save_own_variables(self, store):
        # Keras does not save random-number state; a GAN that resumes from a
        # file should draw the noise (and dropout masks) it would have drawn,
        # so that saving and reloading never changes the training run.
        super().save_own_variables(store)
        for i, generator in enumerate(self._seed_generators_in_order()):
            store[f"{self._SEED_KEY}{i}"] = generator.state

    def load_own_variables(self, store):
        generators = self._seed_generators_in_order()
        own = {}
        for key in store.keys():
            if key.startswith(self._SEED_KEY):
                index = int(key[len(self._SEED_KEY) :])
                if index < len(generators):
                    generators[index].state.assign(store[key])
            else:
                own[key] = store[key]
        super().load_own_variables(own)

    # --- SavedModel export -----------------------------------------------------------

    def export(
        self,
        filepath,
        version=1,
        name=None,
        overwrite=False,
        format="tf_saved_model",  # noqa: A002 - Keras's own argument name
        **kwargs,
    ):
        """Writes the generator as a SavedModel in TF Serving's layout, or as ONNX.

        `model.export("exports", version=1)` writes `exports/<name>/1/` with
        the signatures `serving_default` (latent in, images out), `sample`
        (count and seed in) and the model's own (`export_signatures()`).
        Images are float32 in [-1, 1] (`images`) and uint8 in [0, 255]
        (`images_uint8`). `model.export("g.onnx", format="onnx")` writes
        `g.onnx` (noise in, images out, any batch size) and `g.onnx.json`
        (its inputs and latent layout): `keras_gans.export.onnx`.

        Args:
            filepath: TF Serving's base folder; for ONNX, the `.onnx` file
                (or a folder for `<family>.onnx`).
            version: a positive int, the version folder. Defaults to `1`.
            name: the model's folder under `filepath`. Defaults to `None`:
                the model's family (`"dcgan"`, `"infogan"`, ...).
            overwrite: replace an existing version (or ONNX files). Defaults
                to `False`.
            format: `"tf_saved_model"` or `"onnx"`. Defaults to
                `"tf_saved_model"`.
            **kwargs: Keras's other export options go to `keras.Model.export`
                of the generator network alone (`format="tflite"`,
                `input_signature=...`).

        Returns:
            The version folder, a `pathlib.Path`; for ONNX, `{"model": path,
            "metadata": path}`.
        """
        if format == "onnx" and not kwargs:
            return services.get("export_onnx")(self, filepath, overwrite=overwrite)
        if format != "tf_saved_model" or kwargs:
            return self.sampling_generator.export(filepath, format=format, **kwargs)
        return services.get("export_saved_model")(
            self, filepath, version, name, overwrite
        )

    def export_signatures(self):
        """The SavedModel's signatures: `{name: (function, input_signature)}`.

        By default `serving_default` (latent -> images, images_uint8),
        `generate` (latent -> images, no checks: what TFLite converts) and
        `sample` (count, seed -> the images of `generate(count, seed)`). A
        family adds its own (InfoGAN's `generate_with_codes`) by extending
        the dict that `super().export_signatures()` returns.
        """
        from keras_gans.models import serving

        return serving.latent_signatures(self)

    def export_metadata(self):
        """The export's `assets.extra/keras_gans.json` as a dict.

        A family adds what its callers need (InfoGAN: the latent layout of
        its codes) to the dict of `super().export_metadata()`, and lists
        its own signatures under `"signatures"`.
        """
        from keras_gans.models import serving

        return serving.base_metadata(self)

    def export_resources(self):
        """Objects the SavedModel must track besides the functions' variables.

        Defaults to none; GAN-CLS returns its tokenizer (a lookup table).
        """
        return []

    # --- Presets ---------------------------------------------------------------------

    @classproperty
    def family_name(cls):  # noqa: N805 - a class property
        """The name of this class's registered family (`"dcgan"`).

        The family of the nearest registered class among its bases (a
        subclass of `DCGAN` is a `"dcgan"`): what a preset records and a
        zoo entry names as its `kind`.
        """
        return services.get("family_of")(cls).name

    @classproperty
    def presets(cls):  # noqa: N805 - a class property
        """The zoo's presets of this class and its subclasses: `{name: description}`."""
        kinds = {
            name
            for name, family in services.get("families")().items()
            if issubclass(family.model_class, cls)
        }
        return services.get("presets_of")(kinds)

    @classmethod
    def from_preset(cls, preset, cache_dir=None, progress=True, safe_mode=True):
        """The trained model of a preset, ready to `fit`, sample and export.

        A preset is a zoo name (`keras_gans.zoo.list_models()`), a preset
        folder or archive written by `save_to_preset`, or the URL of such an
        archive. Zoo files are checked against the manifest's sha256 before
        use. The model comes back with every network (D, and InfoGAN's Q or
        GAN-CLS's encoders too) and compiled as it was trained (fresh
        optimizer state), so `fit` fine-tunes it.

        Args:
            preset: a zoo name, a preset folder, an archive of one
                (`.tar.xz`, `.tar.gz`, `.zip`) or a URL (`URL#sha256=<hex>`).
            cache_dir: where downloads and unpacked archives go. Defaults
                to `None`: `$KERAS_GANS_HOME/zoo` or `~/.keras/keras_gans/zoo`.
            progress: show a progress bar while downloading. Defaults to
                `True`.
            safe_mode: refuse a preset whose model would run code or open
                a path its config names (a SavedModel text encoder), as
                Keras's `load_model` does. Defaults to `True`; pass `False`
                only for a preset you trust.

        Returns:
            An instance of this class (a subclass's, for a subclass preset).

        Raises:
            ValueError: the preset holds a model of another class (a
                `keras_gans.zoo.presets.PresetClassError`), or is not a
                preset.

        Example:

        ```python
        gan = keras_gans.DCGAN.from_preset("dcgan_fashion_mnist")
        gan.fit(sneakers, epochs=1)
        ```
        """
        # The loader checks the class `model.keras` names before building it.
        return services.get("load_preset")(
            preset,
            cache_dir=cache_dir,
            progress=progress,
            safe_mode=safe_mode,
            cls=cls,
        )

    def save_to_preset(self, preset_dir, saved_model=True):
        """Writes this model as a preset folder that `from_preset` loads.

        The folder holds `preset.json` (family, class, format, compile
        settings), `model.keras` (every network and the noise state, no
        optimizer state) and, with `saved_model`, `saved_model/` (the
        generator in TF Serving's layout, `load_pretrained` serves it).

        Args:
            preset_dir: the folder to write: new, or empty.
            saved_model: also export the SavedModel. Defaults to `True`.

        Returns:
            The folder, a `pathlib.Path`.
        """
        return services.get("save_preset")(self, preset_dir, saved_model=saved_model)
