"""The InfoGAN family: code options, run figures, `sweep`, TFLite codes, zoo metrics.

It fills in what runs, the demo, TFLite export and the zoo need from it
(their specs); the model itself is `infogan.py`.
"""

from __future__ import annotations

import argparse

import numpy as np

from keras_gans.demo.spec import DemoSpec
from keras_gans.export.spec import TFLiteSpec
from keras_gans.latent import LatentSpec
from keras_gans.models.family import Family, model_default, require_family
from keras_gans.models.infogan import figures as code_figures
from keras_gans.models.infogan.infogan import InfoGAN
from keras_gans.runs.spec import (
    RunOption,
    RunSpec,
    parse_int_list,
    spectral_norm_option,
)
from keras_gans.validation import is_int
from keras_gans.zoo.spec import ZooSpec


def _categorical(value):
    if is_int(value):
        value = (value,)
    try:
        value = tuple(value)
        if not all(is_int(k) for k in value):
            raise TypeError
    except TypeError:
        raise ValueError(
            "Expected categorical to be a tuple of category counts (ints) "
            f"such as (10,) or (10, 4); received categorical={value!r}."
        ) from None
    if any(k < 2 for k in value):
        raise ValueError(
            "Expected every categorical code to have at least 2 categories; "
            f"received categorical={tuple(int(k) for k in value)}."
        )
    return tuple(int(k) for k in value)


def _int_list(text):
    """`--categorical 10,4` -> (10, 4); `none` -> ()."""
    values = parse_int_list(text, none=True)
    if isinstance(values, str):
        raise argparse.ArgumentTypeError(
            "expected comma-separated category counts such as 10 or 10,4 (or "
            f"'none' for no categorical code); received {text!r}"
        )
    return values


def _sweep_values(text):
    """`--values -2,2,10` -> (-2.0, 2.0, 10)."""
    parts = text.split(",")
    try:
        start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3 or num < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            "expected START,STOP,NUM such as -2,2,10 (NUM >= 1 evenly spaced "
            f"values from START to STOP); received {text!r}"
        ) from None
    return start, stop, num


class InfoGANRuns(RunSpec):
    def default_latent_dim(self):
        # The noise part only; the codes come on top (62 in Chen et al. 2016).
        return model_default(LatentSpec, "noise_dim")

    def check_settings(self, settings):
        if not settings["categorical"] and not settings["continuous"]:
            raise ValueError(
                "Expected at least one InfoGAN code (categorical or continuous); "
                "received categorical=() and continuous=0."
            )
        return settings

    def config_attribute(self, config, name):
        if name == "latent_spec":
            return lambda: latent_spec(config)
        return None

    def model_kwargs(self, config):
        kwargs = super().model_kwargs(config)
        del kwargs["latent_dim"]
        kwargs["latent_spec"] = latent_spec(config)
        return kwargs

    figures = {"sweep": "code_sweep.png", "codes": "categories.png"}

    def write_figures(self, model, out_dir, config):
        code_figures.save_code_figures(model, out_dir, seed=config.seed)

    # --- Command line ------------------------------------------------------------------

    def add_commands(self, subparsers):
        sweep = subparsers.add_parser(
            "sweep",
            help="InfoGAN: write a grid with the categories of one categorical code "
            "as rows and one continuous code swept along the columns",
        )
        sweep.add_argument("model", help="InfoGAN run folder or .keras file")
        sweep.add_argument("--categorical-code", type=int, default=0)
        sweep.add_argument("--continuous-code", type=int, default=0)
        sweep.add_argument(
            "--values",
            type=_sweep_values,
            default=(-2.0, 2.0, 10),
            help="START,STOP,NUM of the swept values (default: -2,2,10)",
        )
        sweep.add_argument("--seed", type=int, default=0, help="seed of the noise")
        sweep.add_argument("--out", default="sweep.png")
        return {"sweep": self._sweep}

    def _sweep(self, args, load_model):
        model = require_family(
            load_model(args.model), self.family, "keras-gans sweep"
        )
        values = np.linspace(*args.values)
        path = code_figures.save_code_sweep(
            model,
            args.out,
            categorical_code=args.categorical_code,
            continuous_code=args.continuous_code,
            values=values,
            seed=args.seed,
        )
        k = model.spec.categorical[args.categorical_code]
        print(
            f"Wrote {k} categories of categorical code {args.categorical_code} x "
            f"{len(values)} values of continuous code {args.continuous_code} to {path}"
        )
        return 0

    def add_sample_arguments(self, parser):
        parser.add_argument(
            "--category",
            type=int,
            default=None,
            help="InfoGAN only: every sample in this category of categorical code 0",
        )
        return ("category",)

    def sample_images(self, model, args):
        if args.category is None:
            return super().sample_images(model, args)
        images = code_figures.generate_in_category(
            model, args.n, args.category, seed=args.seed
        )
        return images, f"{args.n} samples of category {args.category}"


class InfoGANDemo(DemoSpec):
    def views(self, target):
        from keras_gans.models.infogan.demo import CodesView

        samples, *others = super().views(target)
        return [CodesView(), samples, *others]


class InfoGANTFLite(TFLiteSpec):
    def latent_layout(self, meta):
        spec, layout = meta["latent_spec"], meta["latent_layout"]
        r = float(spec["continuous_range"])
        uniform = spec["noise_distribution"] == "uniform"
        return {
            "noise": {
                "columns": layout["noise"],
                "distribution": spec["noise_distribution"],
                "range": [-1.0, 1.0] if uniform else None,
            },
            "categorical": [
                {
                    "columns": columns,
                    "categories": int(k),
                    "encoding": "one-hot: 1.0 in the chosen category's column, "
                    "0 elsewhere",
                }
                for columns, k in zip(
                    layout["categorical"], spec["categorical"], strict=True
                )
            ],
            "continuous": {
                "columns": layout["continuous"],
                "distribution": "uniform",
                "range": [-r, r],
            },
        }

    def file_metadata(self, meta):
        return {"latent_spec": meta["latent_spec"]}


class InfoGANZoo(ZooSpec):
    def metrics(self, pretrained, model, recipe, data_dir, n, seed):
        from keras_gans import evaluation
        from keras_gans.data import load_arrays

        metrics, protocol = super().metrics(
            pretrained, model, recipe, data_dir, n, seed
        )
        if model is None:  # the code accuracy needs Q, which the export leaves out
            return metrics, protocol
        images, labels = load_arrays("fashion_mnist", "test", data_dir)
        result = evaluation.code_accuracy(model, images[:n], labels[:n])
        how = (
            f"keras_gans.evaluation.code_accuracy on the trained model: Q's "
            f"category for the first {n} Fashion-MNIST test images vs their "
            "labels (never seen in training), categories matched one to one"
        )
        metrics["code_accuracy"] = {"value": result["accuracy"], "how": how}
        metrics["code_nmi"] = {
            "value": result["nmi"],
            "how": "normalized mutual information of the same (no matching)",
        }
        return metrics, protocol

    def sample_grid(self, pretrained, path):
        from keras_gans.images import save_image_grid

        # One row per value of the first categorical code.
        spec = pretrained.metadata["latent_spec"]
        k = int(spec["categorical"][0])
        cats = np.zeros((k * 8, len(spec["categorical"])), np.int32)
        cats[:, 0] = np.repeat(np.arange(k), 8)
        images = pretrained.generate_with_codes(
            cats, np.zeros((k * 8, int(spec["continuous"])), np.float32), seed=0
        )
        return save_image_grid(images, path, ncols=8)

    grid_caption = (
        "One row per value of the categorical code, continuous codes 0, noise seed 0."
    )

    def card_usage(self):
        return [
            "# one image per value of the categorical code, continuous codes 0:",
            "rows = gan.generate_with_codes(range(10), seed=0)",
        ]

    headline_metrics = (
        ("code_accuracy", "code accuracy"),
        ("fid", "FID (classifier features)"),
    )


def latent_spec(config):
    """InfoGAN's `LatentSpec` for a run's settings (noise z = `latent_dim`)."""
    return LatentSpec(
        noise_dim=config.latent_dim,
        categorical=config.categorical,
        continuous=config.continuous,
    )


FAMILY = Family(
    name="infogan",
    model_class=InfoGAN,
    description="Chen et al. 2016: codes learned without labels",
    runs=InfoGANRuns(
        options=(
            spectral_norm_option(),
            RunOption(
                "categorical",
                default=model_default(LatentSpec, "categorical"),
                check=_categorical,
                parse=_int_list,
                help="categories K of each categorical code, comma-separated: 10 or "
                "10,4; 'none' for no categorical code",
                model_argument=None,
            ),
            RunOption.integer(
                "continuous",
                minimum=0,
                default=model_default(LatentSpec, "continuous"),
                help="number of continuous codes",
                model_argument=None,
            ),
            RunOption.number(
                "categorical_weight",
                help="lambda of the categorical codes' information loss",
            ),
            RunOption.number(
                "continuous_weight",
                help="lambda of the continuous codes' information loss",
            ),
            RunOption.integer(
                "hidden",
                help="width of the fully connected layers of G and D; the default is "
                "the paper's",
            ),
        ),
    ),
    demo=InfoGANDemo(),
    tflite=InfoGANTFLite(),
    zoo=InfoGANZoo(),
)
