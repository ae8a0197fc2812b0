"""`Family`: what keras_gans knows about one model family, and its hooks.

A family is the model class plus everything the shared machinery needs from
it: the run options it adds to `keras-gans train` (each a config field and a
flag, its default read from the model), how a run builds the model and its
data, what a finished run draws, what its TFLite files and zoo entries hold,
and any commands of its own. The base class does what fits an unconditional
image generator; a family overrides what differs, in its own folder
(`keras_gans/models/<family>/family.py`).

```python
FAMILY = Family(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    presets=PRESETS,
)
```

The registry (`keras_gans.models.registry`) maps names to these objects.
"""

from __future__ import annotations

import dataclasses
import inspect
import pathlib

import numpy as np

from keras_gans.validation import check_int, check_number

_NOT_GIVEN = object()


def model_default(model_class, argument, method="__init__"):
    """The default of `argument` in `model_class.<method>`: defaults are stated
    once, in the model, and runs and flags read them from there."""
    for klass in model_class.__mro__:
        function = klass.__dict__.get(method)
        if function is None:
            continue
        parameter = inspect.signature(function).parameters.get(argument)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            return parameter.default
    raise ValueError(
        f"{model_class.__name__}.{method} has no default for {argument!r}."
    )


@dataclasses.dataclass(frozen=True)
class RunOption:
    """A setting one family adds to a run: a config field and a CLI flag.

    Args:
        name: the config field (`hidden`); the flag is `--hidden`.
        default: its default. Defaults to the model constructor's default of
            `model_argument` (or of `name`), read when the family is made.
        check: `check(value) -> value` that validates and normalises it
            (raises `ValueError` naming the field). Defaults to none.
        parse: the flag's argparse `type`. Defaults to `str`.
        help: the flag's help. Defaults to `""`.
        choices: the flag's choices. Defaults to `None`.
        model_argument: the model constructor argument it sets, or `None`
            for a setting of the run only (`style_steps`). Defaults to the
            option's name.
        resumable: may change between invocations of one run folder (a
            location, like `captions_dir`). Defaults to `False`.
        omit_default: leave it out of the run's identity while it has its
            default, so run folders from before it existed still resume.
            Defaults to `False`.
    """

    name: str
    default: object = _NOT_GIVEN
    check: object = None
    parse: object = str
    help: str = ""
    choices: tuple | None = None
    model_argument: object = _NOT_GIVEN
    resumable: bool = False
    omit_default: bool = False

    @classmethod
    def integer(cls, name, minimum=1, **kwargs):
        """An integer option >= `minimum` (`--hidden 256`)."""
        return cls(
            name,
            check=lambda value: check_int(name, value, minimum=minimum),
            parse=int,
            **kwargs,
        )

    @classmethod
    def number(cls, name, minimum=0, maximum=None, **kwargs):
        """A finite number option in `[minimum, maximum]` (`--beta 0.5`)."""
        return cls(
            name,
            check=lambda value: check_number(name, value, minimum, maximum),
            parse=float,
            **kwargs,
        )

    @classmethod
    def boolean(cls, name, **kwargs):
        """A yes/no option (`--spectral-norm true`)."""
        return cls(
            name,
            check=lambda value: check_bool(name, value),
            parse=parse_bool,
            choices=(True, False),
            **kwargs,
        )

    @property
    def flag(self):
        return flag_for(self.name)

    def shown_default(self):
        """The default as a flag's value: `10,4` for `(10, 4)`, `none` for `()`."""
        if isinstance(self.default, (tuple, list)):
            return ",".join(map(str, self.default)) or "none"
        return str(self.default)

    def argument(self):
        return self.name if self.model_argument is _NOT_GIVEN else self.model_argument

    def resolved(self, model_class):
        """A copy whose default is read from `model_class` where not given."""
        if self.default is not _NOT_GIVEN:
            return self
        return dataclasses.replace(
            self, default=model_default(model_class, self.argument())
        )


def spectral_norm_option():
    """`--spectral-norm true`: the constructor's `spectral_norm` (D's layers)."""
    return RunOption.boolean(
        "spectral_norm",
        help="spectral normalisation of D's layers (D then has no batch norm)",
        omit_default=True,
    )


def parse_bool(text):
    """A flag's yes/no: true/false, yes/no, 1/0 (any case)."""
    value = {"true": True, "yes": True, "1": True, "false": False, "no": False}.get(
        str(text).strip().lower(), {"0": False}.get(str(text).strip())
    )
    if value is None:
        raise ValueError(f"expected true or false; received {text!r}")
    return value


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Expected {name} to be True or False; received {value!r}.")
    return bool(value)


def flag_for(name):
    """The `keras-gans` flag of a setting: `g_learning_rate` -> `--g-learning-rate`."""
    return "--" + name.replace("_", "-")


def require_family(model, family, what):
    """`model` if it belongs to `family`, else an error saying `what` needs one."""
    cls = family.model_class.__name__
    if not isinstance(model, family.model_class):
        article = "an" if cls[0] in "AEIOU" else "a"
        raise ValueError(
            f"{what} needs {article} {cls} model; received a {type(model).__name__}."
        )
    return model


class Family:
    """One model family: its class, run options and hooks.

    Args:
        name: the registered name (`"dcgan"`): the `keras-gans train`
            argument, the `model` of a run's config, the `model` of an
            export's metadata and the `kind` of a zoo entry.
        model_class: the `AdversarialModel` subclass.
        description: one line for listings and help.
        options: the family's own `RunOption`s. Defaults to `()`.
        presets: the zoo names of its models (published, or with a recipe
            only). Defaults to `()`.
        shape_argument: the constructor argument that takes the image shape.
            Defaults to `"image_shape"`.
        default_dataset: the dataset of a run that names none. Defaults to
            `"fashion_mnist"`.
        trainable: whether a run can build it from a config alone (not the
            adversarial model, which needs user networks). Defaults to
            `True`.
    """

    def __init__(
        self,
        name,
        model_class,
        description="",
        options=(),
        presets=(),
        shape_argument="image_shape",
        default_dataset="fashion_mnist",
        trainable=True,
    ):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                "Expected a family name that is a Python identifier such as "
                f"'dcgan', received name={name!r}."
            )
        from keras_gans.runs.config import COMMON_FIELDS

        taken = [
            o.name for o in options if o.name in (*COMMON_FIELDS, "out", "verbose")
        ]
        if taken:
            raise ValueError(
                f"Family {name!r}: the run options {taken} are settings every run "
                "has already; give them other names."
            )
        self.name = name
        self.model_class = model_class
        self.description = description
        self.options = tuple(option.resolved(model_class) for option in options)
        self.presets = tuple(presets)
        self.shape_argument = shape_argument
        self.default_dataset = default_dataset
        self.trainable = trainable

    def __repr__(self):
        return f"<Family {self.name!r}: {self.model_class.__name__}>"

    # --- Run settings ------------------------------------------------------------------

    def default_latent_dim(self):
        """The run's `latent_dim` when none is given: the model's own default."""
        return model_default(self.model_class, "latent_dim")

    def default_learning_rate(self):
        """The run's `learning_rate` when none is given (D's and, by default, G's)."""
        return 2e-4  # Radford et al. 2015

    def default_beta_1(self):
        """The run's Adam `beta_1` when none is given."""
        return 0.5  # Radford et al. 2015: 0.9 oscillated

    # Common run settings that this family's models do not use: a run that
    # sets one of them to other than its default is refused.
    unused_settings = ()

    def compile_model(self, model, config):
        """Compiles the model a run built, with the run's optimizer settings."""
        import keras

        model.compile(
            g_optimizer=keras.optimizers.Adam(
                config.g_learning_rate, beta_1=config.beta_1
            ),
            d_optimizer=keras.optimizers.Adam(
                config.learning_rate, beta_1=config.beta_1
            ),
            loss=config.loss,
            r1_gamma=config.r1_gamma,
            r1_interval=config.r1_interval,
            augment=config.augment,
            steps_per_execution=config.steps_per_execution,
        )

    def default_g_learning_rate(self):
        """G's learning rate when none is given; `None`: D's (`learning_rate`)."""
        return getattr(self.model_class, "G_LEARNING_RATE", None)

    def config_attribute(self, config, name):
        """A value derived from a run's config (`config.<name>`), or `None`.

        InfoGAN offers `config.latent_spec()`.
        """
        del config, name
        return None

    def check_settings(self, settings):
        """Validates the family's own settings together (after each option's check).

        Args:
            settings: `{option name: value}`, each already checked.

        Returns:
            The settings, possibly normalised.
        """
        return settings

    def common_kwargs(self, config):
        """Constructor arguments that the run's common settings give."""
        kwargs = {
            self.shape_argument: config.image_shape,
            "latent_dim": config.latent_dim,
            "d_steps": config.d_steps,
            "seed": config.seed,
        }
        if config.ema_decay is not None:
            kwargs["ema_decay"] = config.ema_decay
        return kwargs

    def model_kwargs(self, config):
        """Constructor arguments of the model a run builds from `config`.

        `common_kwargs`, then the family's options and the precision policy.
        """
        kwargs = self.common_kwargs(config)
        for option in self.options:
            if option.argument() is not None:
                kwargs[option.argument()] = config.options[option.name]
        if config.mixed_precision is not None:
            kwargs["dtype_policy"] = f"mixed_{config.mixed_precision}"
        return kwargs

    def build(self, config, **context):
        """The (uncompiled) model a run trains, built from `config`.

        Args:
            config: a `keras_gans.runs.TrainConfig`.
            **context: what the run prepared (its folder and data) for
                families that need it. Ignored here.
        """
        del context
        return self.model_class(**self.model_kwargs(config))

    # --- Runs --------------------------------------------------------------------------

    def load_data(self, config):
        """The run's training data, loaded before its folder is made.

        Returns a batched `tf.data.Dataset` of images here; a family may
        return anything its `training_dataset` understands.
        """
        from keras_gans import data

        return data.load(
            **config.data_options(),
            split="train",
            batch_size=config.batch_size,
            image_shape=config.image_shape,
            seed=config.seed,
            limit=config.limit,
        )

    def build_context(self, config, out_dir, data, verbose="auto"):
        """Keyword arguments for `build` that need the run's folder or data.

        GAN-CLS pretrains its text encoder on the run's captions here.
        """
        del config, out_dir, data, verbose
        return {}

    def training_dataset(self, model, data, config):
        """What `fit()` trains on, from what `load_data` returned."""
        del model, config
        return data

    def after_fit(self, model, config, data, verbose="auto"):
        """Training after the last epoch (GAN-CLS fits its style encoder).

        Returns:
            Whether the model changed; the run then saves it again before
            drawing any figure.
        """
        del model, config, data, verbose
        return False

    # The family's own files in a finished run folder, `{label: file name}`
    # (the CLI lists those that exist).
    figures = {}

    def write_figures(self, model, out_dir, config):
        """Writes the family's figures (`figures`) into a finished run's folder."""
        del model, out_dir, config

    # --- Command line ------------------------------------------------------------------

    def add_commands(self, subparsers):
        """Adds the family's own `keras-gans` commands; returns `{name: handler}`.

        A handler takes the parsed arguments and returns an exit status.
        """
        del subparsers
        return {}

    def add_sample_arguments(self, parser):
        """Adds options of `keras-gans sample` that only this family has.

        Returns the option names (argparse `dest`s) it added.
        """
        del parser
        return ()

    def sample_images(self, model, args):
        """The images `keras-gans sample` draws: the model's preview samples.

        Returns `(images, description)`.
        """
        n = check_int("n", args.n, minimum=1)
        images = model.preview_samples(model.sample_latent(n, seed=args.seed))
        if images is None:
            raise ValueError(
                f"This {type(model).__name__} has nothing to draw without a "
                "condition (no preview conditions)."
            )
        return images, f"{args.n} samples"

    # --- Demo --------------------------------------------------------------------------

    def demo_views(self, target):
        """The tabs of `keras-gans demo` for a model of this family.

        Args:
            target: a `keras_gans.demo.Target` (a Keras model or an export).

        Returns:
            `keras_gans.demo.View`s, in tab order. A view that needs a part
            an export leaves out is listed too: the page names it as not
            shown. Here the samples, and interpolation for a latent model.
        """
        from keras_gans.demo import views

        shown = [views.SamplesView()]
        if target.latent_dim is not None:
            shown.append(views.InterpolationView())
        return shown

    # --- TFLite ------------------------------------------------------------------------

    # The export signature that a `.tflite` generator file converts (one
    # without random ops, since a phone draws the noise), and the name of
    # its noise input: what `latent_layout` describes.
    tflite_signature = "generate"
    tflite_noise = "latent"
    # The quantizations its generator file converts with (`export-tflite
    # --quantize all` takes these), and why any other is refused.
    tflite_quantizations = ("none", "float16", "dynamic", "int8")
    tflite_refused = ""

    def latent_layout(self, meta):
        """Which latent columns are what (for phones), from an export's metadata."""
        distribution = meta["latent_distribution"]
        return {
            "noise": {
                "columns": [0, meta["latent_dim"]],
                "distribution": distribution,
                "range": [-1.0, 1.0] if distribution == "uniform" else None,
            }
        }

    def tflite_metadata(self, meta):
        """Entries of the export's metadata that a `.tflite` file's JSON repeats."""
        del meta
        return {}

    def example_inputs(self, loaded, meta, latent, sample_extras, rng):
        """Generator feeds besides `latent` for parity checks and int8 calibration.

        Args:
            loaded: the SavedModel (`tf.saved_model.load`).
            meta: its metadata.
            latent: the latents drawn, `(n, latent_dim)`.
            sample_extras: what else the export's `sample` signature returned
                (GAN-CLS: the `texts` it chose), or `{}`.
            rng: a NumPy generator for anything drawn here.
        """
        del loaded, meta, latent, sample_extras, rng
        return {}

    def tflite_programs(self, export_dir, meta, quantize, count, seed):
        """Extra `.tflite` files beside the generator's: `{role: (bytes, entry)}`.

        GAN-CLS converts its text encoder here. `entry` goes into the
        generator's JSON under the role's name.
        """
        del export_dir, meta, quantize, count, seed
        return {}

    def tflite_parity(self, export_dir, loaded, meta, program):
        """Max |tflite - SavedModel| of one of `tflite_programs`' files."""
        del export_dir, loaded, meta
        raise ValueError(
            f"{self.name} writes no .tflite file with the signature "
            f"{program.signature!r}."
        )

    # --- Zoo ---------------------------------------------------------------------------

    def zoo_metrics(self, pretrained, model, recipe, data_dir, n, seed):
        """The recipe's metrics of a published model: `(metrics, protocol)`.

        Here FID, KID, precision/recall and mode coverage on the features
        and real images the recipe's "evaluate" names (by default the shipped
        Fashion-MNIST classifier's), measured on the export.
        """
        del model
        from keras_gans.zoo import publish

        return publish.image_metrics(
            pretrained, data_dir, n, seed, recipe.get("evaluate")
        )

    def sample_grid(self, pretrained, path):
        """Writes the model card's sample grid (64 samples, seed 0)."""
        from keras_gans.images import save_image_grid

        save_image_grid(pretrained.generate(64, seed=0), path, ncols=8)
        return pathlib.Path(path)

    grid_caption = "64 samples, `generate(64, seed=0)`."

    def card_usage(self):
        """Extra lines of the model card's code example."""
        return []

    # Metric keys whose values headline a zoo entry, in order.
    headline_metrics = (("fid", "FID (classifier features)"),)


def parse_int_list(text, none=False):
    """A flag's comma-separated integers: `"512,512"` -> `(512, 512)`.

    With `none`, `"none"` gives `()`. What is not a list of integers comes
    back as it is, for the option's check to refuse with a clear message.
    """
    if none and text.strip().lower() == "none":
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        return text
