"""`keras-gans`: train and sample GANs from the command line.

    keras-gans train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gans sample runs/dcgan --n 64 --out grid.png
    keras-gans interpolate runs/dcgan --rows 8 --steps 10 --out interpolation.png
    keras-gans evaluate runs/dcgan --metrics fid,kid,pr,modes --n 10000 --out eval.json

    keras-gans train infogan --dataset digits --categorical 10 --continuous 2 \
        --epochs 20 --out runs/infogan
    keras-gans sweep runs/infogan --continuous-code 1 --values -2,2,10 --out sweep.png
    keras-gans sample runs/infogan --category 3 --n 16 --out threes.png

    keras-gans train gan_cls --dataset fashion_captions --epochs 10 --out runs/gan_cls
    keras-gans generate-text "a dark ankle boot" "a pale slim dress" \
        --model runs/gan_cls --n 8 --out grid.png

The commands parse flags and call library functions (`keras_gans.training`);
no logic lives only here.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys


def _shape(text):
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(
            f"expected an image shape H,W,C such as 28,28,1; received {text!r}"
        )
    return dims


def _int_list(text):
    if text.strip().lower() == "none":
        return ()
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values:
        raise argparse.ArgumentTypeError(
            "expected comma-separated category counts such as 10 or 10,4 (or "
            f"'none' for no categorical code); received {text!r}"
        )
    return values


def _units(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as 512,512; received {text!r}"
        )
    return values


def _sweep_values(text):
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


# Options whose value may start with "-" (such as `--values -2,2,10`), which
# argparse would otherwise take for an option.
_NEGATIVE_VALUE_OPTIONS = ("--values",)

# `keras-gans train` flags that only InfoGAN has: flag -> TrainConfig field.
_INFOGAN_FLAGS = {
    "--categorical": "categorical",
    "--continuous": "continuous",
    "--categorical-weight": "categorical_weight",
    "--continuous-weight": "continuous_weight",
    "--hidden": "hidden",
}


# `keras-gans train` flags that only the MLP GAN has.
_GAN_FLAGS = {"--g-units": "g_units"}


# `keras-gans train` flags that only GAN-CLS has: flag -> TrainConfig field.
_GAN_CLS_FLAGS = {
    "--condition": "condition",
    "--text-encoder": "text_encoder",
    "--projection-dim": "projection_dim",
    "--interpolation-weight": "interpolation_weight",
    "--beta": "beta",
    "--style-steps": "style_steps",
}


def _join_negative_values(argv):
    # ["--values", "-2,2,10"] -> ["--values=-2,2,10"].
    joined = []
    for token in argv:
        if (
            joined
            and joined[-1] in _NEGATIVE_VALUE_OPTIONS
            and re.match(r"-[\d.]", token)
        ):
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def _parser():
    from keras_gans import losses
    from keras_gans.training import MODEL_CLASSES

    parser = argparse.ArgumentParser(
        prog="keras-gans", description="Train and sample GANs built on Keras 3."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser(
        "train",
        help="train a model; rerun the same command to resume after an interruption",
    )
    train.add_argument("model", choices=sorted(MODEL_CLASSES))
    train.add_argument(
        "--dataset",
        default=None,
        help="default: fashion_captions for gan_cls, fashion_mnist otherwise",
    )
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--out", required=True, help="run folder")
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument(
        "--latent-dim",
        type=int,
        default=None,
        help="noise size z (default: 100; 62 for infogan, plus its codes)",
    )
    train.add_argument("--image-shape", type=_shape, default=None, help="H,W,C")
    train.add_argument("--loss", choices=losses.names(), default="non_saturating")
    train.add_argument("--d-steps", type=int, default=1)
    train.add_argument(
        "--learning-rate",
        type=float,
        default=2e-4,
        help="Adam learning rate of D, and of G unless --g-learning-rate is given",
    )
    train.add_argument(
        "--g-learning-rate",
        type=float,
        default=None,
        help="Adam learning rate of G (default: --learning-rate; 1e-3 for infogan)",
    )
    train.add_argument("--beta-1", type=float, default=0.5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--limit", type=int, default=None, help="use the first N examples"
    )
    train.add_argument("--data-dir", default=None)
    train.add_argument("--sample-every", type=int, default=1)
    train.add_argument("--steps-per-execution", type=int, default=1)
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None)
    info = train.add_argument_group("InfoGAN codes (infogan only)")
    info.add_argument(
        "--categorical",
        type=_int_list,
        default=None,
        help="categories K of each categorical code, comma-separated: 10 or "
        "10,4; 'none' for no categorical code (default: 10)",
    )
    info.add_argument(
        "--continuous",
        type=int,
        default=None,
        help="number of continuous codes (default: 2)",
    )
    info.add_argument(
        "--categorical-weight",
        type=float,
        default=None,
        help="lambda of the categorical codes' information loss (default: 1.0)",
    )
    info.add_argument(
        "--continuous-weight",
        type=float,
        default=None,
        help="lambda of the continuous codes' information loss (default: 0.1)",
    )
    info.add_argument(
        "--hidden",
        type=int,
        default=None,
        help="width of the fully connected layers of G and D (default: 1024, "
        "the paper's)",
    )

    mlp = train.add_argument_group("GAN (gan only)")
    mlp.add_argument(
        "--g-units",
        type=_units,
        default=None,
        help="widths of G's hidden layers, comma-separated (default: 1200,1200, "
        "the paper's)",
    )

    cls = train.add_argument_group("GAN-CLS text to image (gan_cls only)")
    cls.add_argument(
        "--condition",
        choices=("captions", "labels"),
        default=None,
        help="train on caption embeddings, or on one-hot classes (the "
        "class-conditional baseline) (default: captions)",
    )
    cls.add_argument(
        "--text-encoder",
        default=None,
        help="'fashion_captions' (shipped), a .keras file or a SavedModel "
        "folder (default: fashion_captions)",
    )
    cls.add_argument(
        "--projection-dim",
        type=int,
        default=None,
        help="size of the projected text embedding in G and D (default: 128)",
    )
    cls.add_argument(
        "--interpolation-weight",
        type=float,
        default=None,
        help="weight of GAN-INT's interpolated-text term; 0 for plain GAN-CLS "
        "(default: 1.0)",
    )
    cls.add_argument(
        "--beta", type=float, default=None, help="GAN-INT's mixing weight (0.5)"
    )
    cls.add_argument(
        "--style-steps",
        type=int,
        default=None,
        help="steps of style-encoder training after the GAN (default: 2000)",
    )

    sample = sub.add_parser("sample", help="write a grid of samples as PNG")
    sample.add_argument("model", help="run folder or .keras file")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--ncols", type=int, default=None)
    sample.add_argument(
        "--category",
        type=int,
        default=None,
        help="InfoGAN only: every sample in this category of categorical code 0",
    )
    sample.add_argument("--out", default="samples.png")

    text = sub.add_parser(
        "generate-text",
        help="GAN-CLS: write a PNG with one row of generated images per caption",
    )
    text.add_argument("texts", nargs="+", help="one or more captions")
    text.add_argument("--model", required=True, help="run folder or .keras file")
    text.add_argument("--n", type=int, default=8, help="images per caption")
    text.add_argument("--seed", type=int, default=0)
    text.add_argument("--out", default="text_to_image.png")

    sweep = sub.add_parser(
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

    evaluate = sub.add_parser(
        "evaluate", help="score a model's samples (FID, KID, IS, precision/recall, ...)"
    )
    evaluate.add_argument("model", help="run folder or .keras file")
    evaluate.add_argument("--dataset", default="fashion_mnist")
    evaluate.add_argument(
        "--metrics",
        default="fid,kid,pr,modes",
        help="comma-separated from fid,kid,is,pr,dc,modes,parzen",
    )
    evaluate.add_argument("--n", type=int, default=10000)
    evaluate.add_argument("--extractor", default=None)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data-dir", default=None)
    evaluate.add_argument("--out", default=None, help="JSON file (default: none)")

    interp = sub.add_parser(
        "interpolate", help="write a PNG of samples along latent interpolation paths"
    )
    interp.add_argument("model", help="run folder or .keras file")
    interp.add_argument("--rows", type=int, default=8)
    interp.add_argument("--steps", type=int, default=10)
    interp.add_argument(
        "--method",
        choices=("slerp", "lerp"),
        default=None,
        help="default: slerp for Gaussian z, lerp for uniform z",
    )
    interp.add_argument("--seed", type=int, default=0)
    interp.add_argument("--out", default="interpolation.png")

    export = sub.add_parser(
        "export", help="write a SavedModel for TF Serving: <out>/<name>/<version>/"
    )
    export.add_argument("model", help="run folder or .keras file")
    export.add_argument("--out", required=True, help="TF Serving's base folder")
    export.add_argument("--version", type=int, default=1)
    export.add_argument(
        "--name", default=None, help="model folder (default: the model kind)"
    )
    export.add_argument(
        "--overwrite", action="store_true", help="replace an existing version"
    )

    from keras_gans.export.tflite import QUANTIZATIONS

    lite = sub.add_parser(
        "export-tflite",
        help="write .tflite files (and their JSON) for phones, and check them "
        "against the SavedModel",
    )
    lite.add_argument(
        "source",
        help="export version folder, folder of versions, run folder, .keras file "
        "or zoo name",
    )
    lite.add_argument(
        "--quantize",
        action="append",
        choices=(*QUANTIZATIONS, "all"),
        default=None,
        help="repeat for several files, or 'all' (default: none)",
    )
    lite.add_argument("--out", required=True, help="folder for the files")
    lite.add_argument(
        "--name",
        default=None,
        help="files' base name (default: the zoo name when converting one, "
        "else the model kind)",
    )
    lite.add_argument(
        "--representative-count",
        type=int,
        default=256,
        help="latents that calibrate int8 (default: 256)",
    )
    return parser


def _train(args):
    from keras_gans import training

    extra = {}
    for owner, flags in (
        ("infogan", _INFOGAN_FLAGS),
        ("gan_cls", _GAN_CLS_FLAGS),
        ("gan", _GAN_FLAGS),
    ):
        given = {
            flag: field
            for flag, field in flags.items()
            if getattr(args, field) is not None
        }
        if given and args.model != owner:
            raise ValueError(
                f"{', '.join(given)} only apply to {owner}; received them with "
                f"{args.model}."
            )
        extra.update({field: getattr(args, field) for field in given.values()})
    config = training.TrainConfig(
        model=args.model,
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        latent_dim=args.latent_dim,
        image_shape=args.image_shape,
        loss=args.loss,
        d_steps=args.d_steps,
        learning_rate=args.learning_rate,
        g_learning_rate=args.g_learning_rate,
        beta_1=args.beta_1,
        seed=args.seed,
        limit=args.limit,
        data_dir=args.data_dir,
        sample_every=args.sample_every,
        steps_per_execution=args.steps_per_execution,
        **extra,
    )
    try:
        result = training.train(
            config, args.out, verbose="auto" if args.verbose is None else args.verbose
        )
    except KeyboardInterrupt:
        record = training.read_run_file(args.out) or {}
        print(
            f"\nInterrupted after {record.get('epochs_completed', 0)} finished "
            f"epoch(s). Rerun the same command to resume.",
            file=sys.stderr,
        )
        return 130
    print(f"Trained {result.epochs_completed} epochs: {result.out_dir}")
    print(f"  model:   {result.out_dir / training.FINAL_MODEL}")
    print(f"  samples: {result.out_dir / 'samples.png'}")
    for label, name in (
        ("sweep", "code_sweep.png"),
        ("codes", "categories.png"),
        ("interp", "interpolation.png"),
        ("style", "style_transfer.png"),
    ):
        if (result.out_dir / name).exists():
            print(f"  {label + ':':<9}{result.out_dir / name}")
    return 0


def _sample(args):
    from keras_gans import training
    from keras_gans.images import save_image_grid
    from keras_gans.models import GANCLS

    model = training.load_trained(args.model)
    if isinstance(model, GANCLS) and args.category is None:
        # A text-to-image model draws its preview captions, one per row.
        images = model.preview_samples(model.sample_latent(args.n, seed=args.seed))
        if images is None:
            raise ValueError(
                "This GANCLS has no preview_texts; draw captions with "
                "keras-gans generate-text."
            )
    elif args.category is None:
        images = model.generate(args.n, seed=args.seed)
    else:
        training.check_infogan(model, "--category")
        images = training.generate_in_category(
            model, args.n, args.category, seed=args.seed
        )
    path = save_image_grid(images, args.out, ncols=args.ncols)
    where = "" if args.category is None else f" of category {args.category}"
    print(f"Wrote {args.n} samples{where} to {path}")
    return 0


def _generate_text(args):
    from keras_gans import training
    from keras_gans.images import save_captioned_grid
    from keras_gans.models import GANCLS

    model = training.load_trained(args.model)
    if not isinstance(model, GANCLS):
        raise ValueError(
            "keras-gans generate-text needs a GAN-CLS model (text to image); "
            f"received a {type(model).__name__}."
        )
    if model.text_encoder is None:
        raise ValueError(
            "This GANCLS has no text encoder (it was trained on precomputed "
            "embeddings or one-hot classes), so it cannot read captions."
        )
    if args.n < 1:
        raise ValueError(f"Expected --n >= 1 images per caption; received {args.n}.")
    images = model.generate(args.texts, n_per_text=args.n, seed=args.seed)
    path = save_captioned_grid(images, args.texts, args.out, ncols=args.n)
    print(f"Wrote {len(args.texts)} caption(s) x {args.n} images to {path}")
    for i, text in enumerate(args.texts):
        print(f"  row {i}: {text}")
    return 0


def _sweep(args):
    import numpy as np

    from keras_gans import training
    from keras_gans.models.infogan import save_code_sweep

    model = training.check_infogan(
        training.load_trained(args.model), "keras-gans sweep"
    )
    values = np.linspace(*args.values)
    path = save_code_sweep(
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


def _evaluate(args):
    import json

    from keras_gans import evaluation, training
    from keras_gans.files import write_atomic

    model = training.load_trained(args.model)
    result = evaluation.evaluate(
        model,
        dataset=args.dataset,
        metrics=[m.strip() for m in args.metrics.split(",") if m.strip()],
        n=args.n,
        extractor=args.extractor,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    result["model"] = str(args.model)
    print(
        f"{args.model}: {result['num_fake']} samples vs {result['num_real']} "
        f"{args.dataset} test images, features: {result['extractor']['name']}"
    )
    for key, value in result.items():
        if isinstance(value, (int, float)) and key not in ("seed",):
            print(
                f"  {key:<16} {value:.4f}"
                if isinstance(value, float)
                else f"  {key:<16} {value}"
            )
    if args.out:
        write_atomic(args.out, json.dumps(result, indent=2).encode())
        print(f"Wrote {args.out}")
    return 0


def _interpolate(args):
    from keras_gans import training
    from keras_gans.images import save_image_grid
    from keras_gans.latent import interpolation_images

    model = training.load_trained(args.model)
    images = interpolation_images(
        model, rows=args.rows, steps=args.steps, seed=args.seed, method=args.method
    )
    path = save_image_grid(images, args.out, ncols=args.steps)
    print(f"Wrote {args.rows} paths of {args.steps} samples to {path}")
    return 0


def _export(args):
    from keras_gans import training
    from keras_gans.export import read_metadata

    model = training.load_trained(args.model)
    try:
        folder = model.export(
            args.out, version=args.version, name=args.name, overwrite=args.overwrite
        )
    except FileExistsError as e:
        raise ValueError(str(e)) from e
    print(f"Exported {folder}")
    for name, what in read_metadata(folder)["signatures"].items():
        print(f"  {name}: {what}")
    return 0


def _export_tflite(args):
    from keras_gans.export import tflite

    results = tflite.convert(
        args.source,
        args.out,
        quantize=args.quantize or ["none"],
        name=args.name,
        representative_count=args.representative_count,
    )
    print(f"Converted {args.source}")
    for line in tflite.report_lines(results):
        print(line)
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    args = _parser().parse_args(_join_negative_values(argv))
    # `kill` (SIGTERM) stops a run as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        commands = {
            "train": _train,
            "sample": _sample,
            "evaluate": _evaluate,
            "interpolate": _interpolate,
            "sweep": _sweep,
            "generate-text": _generate_text,
            "export": _export,
            "export-tflite": _export_tflite,
        }
        return commands[args.command](args)
    except (ValueError, LookupError, OSError, ImportError) as e:
        # Bad input, unknown zoo names, unpublished models, failed downloads,
        # missing files: a one-line error, not a traceback.
        print(f"keras-gans {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
