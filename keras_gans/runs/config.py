"""`TrainConfig`: the settings of one training run.

Settings every family shares are fields of `TrainConfig`; a family adds its
own (`keras_gans.models.family.RunOption`: InfoGAN's `categorical`, GAN's
`g_units`, ...), whose defaults come from the model's constructor. Errors
name the config fields; `keras-gans train` turns them into its flags.
"""

from __future__ import annotations

import os

from keras_gans.models import registry
from keras_gans.runs.spec import COMMON_FIELDS, misplaced_options, run_spec
from keras_gans.validation import check_choice, check_int, check_number

# The common fields as `keras-gans train` flags: field -> (argparse type, help);
# the type None is image_shape's H,W,C parser, in the CLI.
FIELD_HELP = {
    "epochs": (int, "total epochs of the run"),
    "batch_size": (int, "global batch size"),
    "latent_dim": (int, "noise size z (default: the model's)"),
    "image_shape": (None, "H,W,C (default: the dataset's)"),
    "loss": (
        str,
        "a keras_gans.losses name (default: the model's, non_saturating for "
        "the GANs here)",
    ),
    "d_steps": (int, "discriminator steps per generator step"),
    "learning_rate": (
        float,
        "Adam learning rate of D, and of G unless --g-learning-rate is given; "
        "of the one optimizer of a VAE or autoregressive model (default: the "
        "model's: 2e-4 for GANs, 1e-3 for the others)",
    ),
    "g_learning_rate": (
        float,
        "Adam learning rate of G (default: the model's, else --learning-rate)",
    ),
    "beta_1": (float, "Adam beta_1 (default: 0.5 for GANs, 0.9 for the others)"),
    "seed": (int, "seeds weights, noise and data order"),
    "limit": (int, "use the first N examples"),
    "data_dir": (str, "where the dataset's files are"),
    "sample_every": (int, "epochs between sample grids"),
    "steps_per_execution": (int, "batches per compiled call"),
    "mixed_precision": (
        str,
        "bfloat16 or float16: 16-bit compute, float32 weights and outputs "
        "(float16 with loss scaling)",
    ),
    "r1_gamma": (float, "GANs: R1 penalty gamma on D's real inputs (0: none)"),
    "r1_interval": (int, "GANs: lazy R1, on every N-th D update, weighted by N"),
    "augment": (
        str,
        "GANs: DiffAugment policy for every image D sees, e.g. "
        "color,translation,cutout",
    ),
    "ema_decay": (
        float,
        "GANs: sample from an exponential moving average of G's weights with "
        "this decay, e.g. 0.999",
    ),
    "data": (
        str,
        "your pictures: a folder (searched recursively), a glob, or a .zip or "
        ".tar archive, instead of --dataset (default image shape 64,64,3)",
    ),
    "crop_box": (
        None,
        "with --data: LEFT,TOP,RIGHT,BOTTOM pixels to crop from every picture "
        "(default: the largest centred window of the image shape's aspect)",
    ),
    "flip": (bool, "with --data: random left-right flips"),
}
# Settings of runs on a user's pictures (issue 28), refused without `data`.
# `data` itself may move (it is resumable); run.json's `data` record (file
# count and a hash of names and sizes) is what a resumed run checks.
DATA_SETTINGS = ("crop_box", "flip")
MIXED_PRECISIONS = ("bfloat16", "float16")
# Settings that may change between invocations of one run folder.
RESUMABLE = ("epochs", "data_dir", "sample_every", "steps_per_execution", "data")


def default_image_shape(dataset):
    """The image shape a run trains at when none is given.

    Args:
        dataset: a `keras_gans.data.load` name, or `None` for a run on a
            user's pictures (`data`).

    Returns:
        The offline dataset's own shape ((28, 28, 1) for Fashion-MNIST,
        (16, 16, 1) for digits), else (64, 64, 3).
    """
    from keras_gans.data import loader

    if dataset is None:
        return (64, 64, 3)
    return loader.local_image_shape(dataset) or (64, 64, 3)


def _plain(value):
    """JSON's view of a setting: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value


class TrainConfig:
    """Settings of one training run (`keras-gans train`'s flags).

    Args:
        model: a registered family (`keras_gans.models.registry.families()`):
            `"gan"`, `"dcgan"`, `"infogan"`, `"gan_cls"`, or a plugin's.
        **settings: the settings below, by name.

    Keyword Args:
        dataset: a `keras_gans.data.load` name. Defaults to `None`: the
            family's (`"fashion_captions"` for GAN-CLS, `"fashion_mnist"`
            otherwise).
        epochs: total epochs of the run. Defaults to `5`.
        batch_size: global batch size. Defaults to `128`.
        latent_dim: size of z (InfoGAN: the noise part; the codes come on
            top). Defaults to `None`: the model's own default (100; 62 for
            InfoGAN, as in Chen et al. 2016).
        image_shape: `(H, W, C)`; `None` for the dataset's own: (28, 28, 1)
            for Fashion-MNIST, (16, 16, 1) for digits, (64, 64, 3) otherwise.
            Defaults to `None`.
        loss: a `keras_gans.losses` name (built in or registered).
            Defaults to `None`: the model's `LOSS` (`"non_saturating"`
            unless the family says otherwise; `None` for a model trained on
            -log p(x)).
        d_steps: discriminator steps per generator step. Defaults to `1`.
        learning_rate: Adam learning rate of D, and of G too unless
            `g_learning_rate` is given (the one optimizer of a VAE or
            PixelCNN). Defaults to `None`: the family's (2e-4 for GANs,
            1e-3 for the likelihood families).
        beta_1: Adam beta_1. Defaults to `None`: the family's (0.5 for
            GANs, 0.9 for the likelihood families).
        seed: seeds weights, noise and data order. Defaults to `0`.
        limit: use only the first N training examples. Defaults to `None`.
        data_dir: where the dataset's files are. Defaults to `None`.
        sample_every: epochs between sample grids. Defaults to `1`.
        steps_per_execution: batches per compiled call. Defaults to `1`.
        g_learning_rate: Adam learning rate of G. Defaults to `None`: the
            model's own (`G_OPTIMIZER`, 1e-3 for InfoGAN), else
            `learning_rate`.
        mixed_precision: `"bfloat16"` or `"float16"`: the networks compute
            in 16 bits (`dtype_policy="mixed_..."`; float16 with loss
            scaling). Defaults to `None`: float32.
        r1_gamma: gamma of the R1 penalty on D's real inputs (`compile`'s).
            Defaults to `0.0` (none).
        r1_interval: lazy R1: every N-th D update, weighted by N. Defaults
            to `1`.
        augment: a DiffAugment policy for D's inputs, such as
            `"color,translation,cutout"`. Defaults to `None` (none).
        ema_decay: sample from an exponential moving average of G's
            weights with this decay (the model's `ema_decay`). Defaults to
            `None` (the live G).
        data: a user's pictures (a folder, glob, `.zip` or `.tar`; see
            `keras_gans.data.load`) instead of `dataset`; the image shape
            then defaults to (64, 64, 3). Defaults to `None`.
        crop_box: with `data`, `(left, top, right, bottom)` to crop from
            every picture. Defaults to `None`: the largest centred window of
            `image_shape`'s aspect.
        flip: with `data`, random left-right flips. Defaults to `False`.
        **options: the family's own settings (`RunOption`s, see
            `keras-gans train MODEL --help`). Another family's settings are
            refused unless they have their defaults.

    Defaults that depend on the family are resolved when the config is made,
    and the resolved values are what a run folder records.
    """

    def __init__(self, model, **settings):
        family = registry.get_family(model, trainable=True)
        self.__dict__["family"] = family
        # The run's `ImageFolder` once its data are loaded (runs with `data`):
        # what run.json records under "data".
        self.__dict__["data_folder"] = None
        values = {
            k: settings.pop(k, v) for k, v in COMMON_FIELDS.items() if k != "model"
        }
        self.__dict__["options"] = self._resolve_options(family, settings)
        self.__dict__.update(values, model=model)
        self._resolve_common()

    def __getattr__(self, name):
        options = self.__dict__.get("options", {})
        if name in options:
            return options[name]
        family = self.__dict__.get("family")
        if family is not None:
            derived = run_spec(family).config_attribute(self, name)
            if derived is not None:
                return derived
        raise AttributeError(f"TrainConfig has no setting {name!r}.")

    def __setattr__(self, name, value):
        if name in self.__dict__.get("options", {}):
            self.options[name] = value
        else:
            self.__dict__[name] = value

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"TrainConfig({shown})"

    def __eq__(self, other):
        return isinstance(other, TrainConfig) and self.to_dict() == other.to_dict()

    # --- Resolution and checks ------------------------------------------------------

    @staticmethod
    def _resolve_options(family, given):
        own = {option.name: option for option in run_spec(family).options}
        families = registry.families()
        every = {o.name for f in families.values() for o in run_spec(f).options}
        unknown = sorted(k for k in given if k not in every)
        if unknown:
            known = sorted(set(COMMON_FIELDS) | every)
            raise ValueError(
                f"Unknown settings {unknown}; expected names from {known}."
            )
        misplaced = misplaced_options(family, given, families, keep_defaults=True)
        for owner, options in misplaced.items():
            shown = [f"{o.name}={given[o.name]!r}" for o in options]
            raise ValueError(
                f"{', '.join(shown)} only apply to model={owner!r}; received them "
                f"with model={family.name!r}."
            )
        options = {}
        for name, option in own.items():
            value = given.get(name, option.default)
            options[name] = option.check(value) if option.check else value
        return run_spec(family).check_settings(options)

    def _resolve_common(self):
        spec = run_spec(self.family)
        self._resolve_data()
        if self.dataset is None and self.data is None:
            self.dataset = spec.default_dataset
        self._refuse_unused()
        if self.latent_dim is None:
            self.latent_dim = spec.default_latent_dim()
        if self.learning_rate is None:
            self.learning_rate = spec.default_learning_rate()
        if self.beta_1 is None:
            self.beta_1 = spec.default_beta_1()
        if self.g_learning_rate is None:
            self.g_learning_rate = (
                spec.default_g_learning_rate() or self.learning_rate
            )
        for key in ("learning_rate", "g_learning_rate"):
            setattr(
                self,
                key,
                check_number(
                    key, getattr(self, key), minimum=0, exclusive_minimum=True
                ),
            )
        self.beta_1 = check_number("beta_1", self.beta_1, minimum=0, maximum=1)
        for key in (
            "epochs",
            "batch_size",
            "latent_dim",
            "d_steps",
            "sample_every",
            "steps_per_execution",
        ):
            # A model without a latent (PixelCNN) has no latent size.
            allow_none = key == "latent_dim" and spec.default_latent_dim() is None
            setattr(
                self,
                key,
                check_int(key, getattr(self, key), minimum=1, allow_none=allow_none),
            )
        self.limit = check_int("limit", self.limit, minimum=1, allow_none=True)
        if self.mixed_precision is not None:
            check_choice("mixed_precision", self.mixed_precision, MIXED_PRECISIONS)
        self.seed = check_int("seed", self.seed, minimum=0)
        self._resolve_stabilisers()
        if self.loss is None:
            self.loss = spec.default_loss()
        if self.loss is not None:
            from keras_gans import losses

            check_choice("loss", self.loss, losses.names())
        if self.data_dir is not None:
            self.data_dir = os.fspath(self.data_dir)
        if self.image_shape is None:
            self.image_shape = default_image_shape(self.dataset)
        self.image_shape = tuple(int(d) for d in self.image_shape)

    def _resolve_data(self):
        if self.data is not None:
            if self.dataset is not None:
                raise ValueError(
                    "Expected either dataset=NAME or data=PATH, not both; received "
                    f"dataset={self.dataset!r} and data={self.data!r}."
                )
            self.data = os.fspath(self.data)
            if self.data_dir is not None:
                raise ValueError(
                    "data_dir is where a named dataset's files are; with data "
                    f"(your pictures) leave it out. Received data_dir={self.data_dir!r}."
                )
        else:
            given = [
                f"{k}={getattr(self, k)!r}"
                for k in DATA_SETTINGS
                if getattr(self, k) != COMMON_FIELDS[k]
            ]
            if given:
                raise ValueError(
                    f"{', '.join(given)} apply to runs on your pictures (data=PATH)."
                )
        if self.crop_box is not None:
            from keras_gans.data.folders.decode import check_crop_box

            self.crop_box = check_crop_box(self.crop_box)
        if not isinstance(self.flip, bool):
            raise ValueError(
                f"Expected flip=True or False, received flip={self.flip!r}."
            )

    def data_options(self):
        """What `keras_gans.data.load` takes for this run's training data."""
        if self.data is None:
            return {"name": self.dataset, "data_dir": self.data_dir}
        return {"name": self.data, "crop_box": self.crop_box, "flip": self.flip}

    def _resolve_stabilisers(self):
        from keras_gans import augment

        self.r1_gamma = float(check_number("r1_gamma", self.r1_gamma, minimum=0))
        self.r1_interval = check_int("r1_interval", self.r1_interval, minimum=1)
        self.augment = ",".join(augment.parse_policy(self.augment)) or None
        if self.ema_decay is not None:
            decay = check_number("ema_decay", self.ema_decay, minimum=0, maximum=1)
            if decay in (0.0, 1.0):
                raise ValueError(f"Expected 0 < ema_decay < 1; received {decay!r}.")
            self.ema_decay = decay

    def _refuse_unused(self):
        """Refuses common settings the family does not use, unless left at default."""
        given = [
            f"{name}={getattr(self, name)!r}"
            for name in run_spec(self.family).unused_settings
            if getattr(self, name) != COMMON_FIELDS[name]
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} do not apply to model={self.model!r} (a "
                f"{self.family.model_class.__name__} has no such setting)."
            )

    # --- What a run folder records ----------------------------------------------------

    def to_dict(self):
        """Every setting, common and the family's, as JSON-able values."""
        values = {k: _plain(self.__dict__[k]) for k in COMMON_FIELDS}
        values.update({k: _plain(v) for k, v in self.options.items()})
        return values

    def resumable(self):
        """Settings that may change between invocations of one run folder."""
        own = [o.name for o in run_spec(self.family).options if o.resumable]
        return (*RESUMABLE, *own)

    def identity(self):
        """The settings that define the run: every one but the resumable ones.

        A run folder's `run.json` records it; a later invocation resumes the
        folder only if its identity is equal (`runs.folder.check_same_run`).
        """
        skip = set(self.resumable())
        return {k: v for k, v in self.to_dict().items() if k not in skip}
