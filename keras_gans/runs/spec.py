"""What runs and the `keras-gans` command need from a model family.

The runs define this; each family fills it in (`keras_gans/models/<family>/
family.py`), so that the model layer knows nothing of runs:

- `RunOption`: a setting one family adds to a run, a config field and a
  `keras-gans train` flag, its default read from the model's constructor;
- `RunSpec`: how a run builds, compiles and feeds a model of the family,
  what a finished run draws, and the family's own `keras-gans` commands and
  `sample` options. Its methods do what fits an unconditional image
  generator; a family overrides what differs in a subclass.

```python
FAMILY = Family(
    name="gan",
    model_class=GAN,
    runs=RunSpec(options=(RunOption.integer("units"),), shape_argument="data_shape"),
)
```
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_gans.models.family import Spec, model_default
from keras_gans.validation import check_int, check_number

_NOT_GIVEN = object()

# name -> default, in the order a run's identity lists them.
COMMON_FIELDS = {
    "model": None,
    "dataset": None,
    "epochs": 5,
    "batch_size": 128,
    "latent_dim": None,
    "image_shape": None,
    "loss": None,
    "d_steps": 1,
    "learning_rate": None,
    "beta_1": None,
    "seed": 0,
    "limit": None,
    "data_dir": None,
    "sample_every": 1,
    "steps_per_execution": 1,
    "g_learning_rate": None,
    "mixed_precision": None,
    "r1_gamma": 0.0,
    "r1_interval": 1,
    "augment": None,
    "ema_decay": None,
    "data": None,
    "crop_box": None,
    "flip": False,
}
# Names a family's options may not take: the common fields and the CLI's own.
RESERVED = (*COMMON_FIELDS, "out", "verbose")


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
    """

    name: str
    default: object = _NOT_GIVEN
    check: object = None
    parse: object = str
    help: str = ""
    choices: tuple | None = None
    model_argument: object = _NOT_GIVEN
    resumable: bool = False

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



class RunSpec(Spec):
    """How a run builds, trains and draws a family's model; see the module.

    Args:
        options: the family's own `RunOption`s. Defaults to `()`.
        shape_argument: the constructor argument that takes the image shape.
            Defaults to `"image_shape"`.
        default_dataset: the dataset of a run that names none. Defaults to
            `"fashion_mnist"`.
    """

    def __init__(
        self, options=(), shape_argument="image_shape", default_dataset="fashion_mnist"
    ):
        self.options = tuple(options)
        self.shape_argument = shape_argument
        self.default_dataset = default_dataset

    def bind(self, family):
        """A copy for `family`: option defaults read from its model class."""
        taken = [o.name for o in self.options if o.name in RESERVED]
        if taken:
            raise ValueError(
                f"Family {family.name!r}: the run options {taken} are settings every "
                "run has already; give them other names."
            )
        bound = super().bind(family)
        bound.options = tuple(o.resolved(family.model_class) for o in self.options)
        return bound

    @property
    def model_class(self):
        return self.family.model_class

    def default_latent_dim(self):
        """The run's `latent_dim` when none is given: the model's own default."""
        return model_default(self.model_class, "latent_dim")

    def default_optimizer(self, generator=False):
        """Adam's arguments the model states (`optimizer_arguments`): a run's defaults."""
        return self.model_class.optimizer_arguments(generator)

    def default_learning_rate(self):
        """The run's `learning_rate` when none is given (D's and, by default, G's)."""
        return self.default_optimizer().get("learning_rate", 1e-3)

    def default_beta_1(self):
        """The run's Adam `beta_1` when none is given: the model's, else Adam's 0.9."""
        return self.default_optimizer().get("beta_1", 0.9)

    def default_loss(self):
        """The run's `loss` when none is given: the model's `LOSS` (`None`: no GAN loss)."""
        return getattr(self.model_class, "LOSS", None)

    def optimizer(self, learning_rate, beta_1, generator=False):
        """Adam with a run's rate and beta_1, and the model's other arguments.

        With `generator`, G's own arguments (`G_OPTIMIZER`) come on top.
        """
        import keras

        arguments = self.default_optimizer(generator)
        arguments.update(learning_rate=learning_rate, beta_1=beta_1)
        return keras.optimizers.Adam(**arguments)

    # Common run settings that this family's models do not use: a run that
    # sets one of them to other than its default is refused.
    unused_settings = ()

    def compile_model(self, model, config):
        """Compiles the model a run built, with the run's optimizer settings."""
        model.compile(
            g_optimizer=self.optimizer(
                config.g_learning_rate, config.beta_1, generator=True
            ),
            d_optimizer=self.optimizer(config.learning_rate, config.beta_1),
            loss=config.loss,
            r1_gamma=config.r1_gamma,
            r1_interval=config.r1_interval,
            augment=config.augment,
            steps_per_execution=config.steps_per_execution,
        )

    def default_g_learning_rate(self):
        """G's learning rate when none is given (the model's `G_OPTIMIZER`); `None`: D's."""
        g_arguments = getattr(self.model_class, "G_OPTIMIZER", None) or {}
        return g_arguments.get("learning_rate")

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

        A handler takes the parsed arguments and the CLI's loader of model
        sources (`load_model(source)`: a run folder, `.keras` file, preset
        or zoo name, `keras_gans.sources`) and returns an exit status.
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


def misplaced_options(family, given, families, keep_defaults=False):
    """The settings in `given` that are other families' options, by owner.

    The one check that `TrainConfig` and `keras-gans train` share.

    Args:
        family: the run's family.
        given: `{name: value}` of the settings given.
        families: the registered families (`registry.families()`).
        keep_defaults: leave out an option given at its default (a config
            read back from a run folder lists them all). Defaults to `False`.

    Returns:
        `{owner family name: [RunOption, ...]}`, in the order given.
    """
    own = {option.name for option in run_spec(family).options}
    others = {}
    for other in families.values():
        for option in run_spec(other).options:
            if option.name not in own:
                others.setdefault(option.name, (other.name, option))
    found = {}
    for name, value in given.items():
        if name not in others:
            continue
        owner, option = others[name]
        if keep_defaults and _is_default(option, value):
            continue
        found.setdefault(owner, []).append(option)
    return found


def _is_default(option, value):
    """Whether `value` is `option`'s default once normalised (`[10]` is `(10,)`)."""
    if option.check is not None:
        try:
            value = option.check(value)
        except (TypeError, ValueError):
            return False
    return value == option.default


def run_spec(family):
    """The `RunSpec` of `family` (the default one where it gives none)."""
    return family.spec("runs", RunSpec)
