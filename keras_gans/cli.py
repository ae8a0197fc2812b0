"""`keras-gans`: train, sample, evaluate and export models from the command line.

    keras-gans train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gans sample runs/dcgan --n 64 --out grid.png
    keras-gans interpolate runs/dcgan --rows 8 --steps 10 --out interpolation.png
    keras-gans evaluate runs/dcgan --metrics fid,kid,pr,modes --n 10000 --out eval.json
    keras-gans export dcgan_fashion_mnist --out exports     # a zoo preset too
    keras-gans demo dcgan_fashion_mnist                     # http://127.0.0.1:7860
    keras-gans train dcgan --data ./photos --epochs 20 --out runs/photos  # 64x64x3
    keras-gans preview-data ./photos --out preview.png       # what it will see
    keras-gans cache list                                   # the cache

    keras-gans train infogan --dataset digits --categorical 10 --continuous 2 \\
        --epochs 20 --out runs/infogan
    keras-gans sweep runs/infogan --continuous-code 1 --values -2,2,10 --out sweep.png
    keras-gans sample runs/infogan --category 3 --n 16 --out threes.png

    keras-gans train gan_cls --dataset fashion_captions --epochs 10 --out runs/gan_cls
    keras-gans generate-text "a dark ankle boot" "a pale slim dress" \\
        --model runs/gan_cls --n 8 --out grid.png

`keras-gans --verbose ...` also shows TensorFlow's start-up lines. The
commands parse flags and call library functions (`keras_gans.runs`, the
families' hooks); a family's own flags and commands come from its `Family`
in the registry, and library errors that name a config field are shown with
its flag.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings

from keras_gans import cli_data, cli_placement
from keras_gans.runs.spec import flag_for, misplaced_options, run_spec


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


def _add_overwrite(parser, what="replace files at --out that keras_gans did not write"):
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=f"{what} (default: refuse them; files it wrote are rewritten)",
    )


# Commands whose --out is a folder of their own, checked as they write.
_OUT_FOLDER = ("train", "export", "export-tflite")
# `keras-gans export --format`: TF Serving's SavedModel, or ONNX.
EXPORT_FORMATS = ("saved_model", "onnx")


def _check_out_file(args):
    # One file (a PNG, evaluate's JSON): checked before the model loads.
    if getattr(args, "out", None) is None or args.command in _OUT_FOLDER:
        return
    from keras_gans.outputs import check_output_file

    keys = ()
    if args.command == "evaluate":
        from keras_gans.evaluation import REPORT_KEYS as keys
    check_output_file(args.out, args.overwrite, keys)


def _join_negative_values(argv):
    # ["--values", "-2,2,10"] -> ["--values=-2,2,10"]: argparse would take a
    # value that starts with "-" for an option.
    joined = []
    for token in argv:
        if (
            joined
            and joined[-1].startswith("--")
            and "=" not in joined[-1]
            and re.fullmatch(r"-[\d.][\d.,e-]*", token)
        ):
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def _add_train(sub, families):
    from keras_gans import losses
    from keras_gans.runs.config import COMMON_FIELDS, FIELD_HELP, MIXED_PRECISIONS

    train = sub.add_parser(
        "train",
        help="train a model; rerun the same command to resume after an interruption",
    )
    train.add_argument("model", choices=sorted(families))
    datasets = ", ".join(
        f"{n}: {run_spec(f).default_dataset}" for n, f in families.items()
    )
    train.add_argument(
        "--dataset", default=None, help=f"default: the model's ({datasets})"
    )
    train.add_argument("--out", required=True, help="run folder")
    for field, (kind, help_text) in FIELD_HELP.items():
        default = COMMON_FIELDS[field]
        shown = (
            f"{help_text} (default: {default})" if default is not None else help_text
        )
        if kind is bool:
            train.add_argument(
                flag_for(field), action="store_true", default=None, help=help_text
            )
            continue
        train.add_argument(
            flag_for(field),
            type={"image_shape": _shape, "crop_box": cli_data.crop_box}.get(
                field, kind
            ),
            choices=(
                losses.names()
                if field == "loss"
                else MIXED_PRECISIONS
                if field == "mixed_precision"
                else None
            ),
            default=None,
            help=shown,
        )
    train.add_argument(
        "--verbose", type=int, choices=(0, 1, 2), default=None, help="fit() verbosity"
    )
    cli_data.add_train_flags(train)
    cli_placement.add_flags(train)
    # A flag that several families declare (two plugins' `--units`) is added
    # once, under the first; `_train` checks that the chosen family has it.
    added = set()
    for name, family in families.items():
        options = [o for o in run_spec(family).options if o.name not in added]
        if not options:
            continue
        group = train.add_argument_group(
            f"{family.model_class.__name__} ({name})", family.description
        )
        for option in options:
            added.add(option.name)
            group.add_argument(
                option.flag,
                dest=option.name,
                type=option.parse,
                choices=option.choices,
                default=None,
                help=f"{option.help} (default: {option.shown_default()})",
            )


def _parser():
    from keras_gans.export.tflite import QUANTIZATIONS
    from keras_gans.models.registry import families

    parser = argparse.ArgumentParser(
        prog="keras-gans", description="Train and sample GANs built on Keras 3."
    )
    parser.add_argument(
        "--verbose",
        "-v",
        dest="show_tensorflow_log",
        action="store_true",
        help="also show TensorFlow's start-up lines (give it before the command)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub, families(trainable=True))

    sample = sub.add_parser("sample", help="write a grid of samples as PNG")
    sample.add_argument("model", help="run folder, .keras file or preset")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--ncols", type=int, default=None)
    sample.add_argument("--out", default="samples.png")
    _add_overwrite(sample)
    owners = {}
    for name, family in families().items():
        try:
            for dest in run_spec(family).add_sample_arguments(sample):
                owners[dest] = family
        except argparse.ArgumentError as e:
            warnings.warn(f"keras-gans sample: family {name!r}: {e}", stacklevel=2)
    sample.set_defaults(family_options=owners)

    evaluate = sub.add_parser(
        "evaluate", help="score a model's samples (FID, KID, IS, precision/recall, ...)"
    )
    evaluate.add_argument("model", help="run folder, .keras file or preset")
    evaluate.add_argument("--dataset", default="fashion_mnist")
    evaluate.add_argument("--data", default=None, help="your pictures, not --dataset")
    evaluate.add_argument(
        "--metrics",
        default="fid,kid,pr,modes",
        help="comma-separated from fid,kid,is,pr,dc,modes,parzen,nll (nll: -log p of the test images, for a VAE or an autoregressive model)",
    )
    evaluate.add_argument("--n", type=int, default=10000)
    evaluate.add_argument("--extractor", default=None)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data-dir", default=None)
    evaluate.add_argument("--out", default=None, help="JSON file (default: none)")
    _add_overwrite(evaluate)

    interp = sub.add_parser(
        "interpolate", help="write a PNG of samples along latent interpolation paths"
    )
    interp.add_argument("model", help="run folder, .keras file or preset")
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
    _add_overwrite(interp)

    export = sub.add_parser(
        "export",
        help="write a SavedModel for TF Serving (<out>/<name>/<version>/), or "
        "with --format onnx an ONNX file and its JSON (<out>/<name>.onnx)",
    )
    export.add_argument(
        "model",
        help="run folder, .keras file, preset, zoo name (or, for onnx, an "
        "export folder)",
    )
    export.add_argument(
        "--out", required=True, help="TF Serving's base folder (onnx: a folder)"
    )
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default=EXPORT_FORMATS[0],
        help="saved_model (default) or onnx (pip install 'keras-gans[onnx]')",
    )
    export.add_argument("--version", type=int, default=1, help="saved_model only")
    export.add_argument(
        "--name",
        default=None,
        help="model folder, or onnx file's base name (default: the model's family)",
    )
    _add_overwrite(export, "replace an existing version folder")

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
        "else the model's family)",
    )
    lite.add_argument(
        "--representative-count",
        type=int,
        default=256,
        help="latents that calibrate int8 (default: 256)",
    )
    _add_overwrite(lite)

    demo = sub.add_parser(
        "demo",
        help="serve an interactive page for a model (Gradio; needs "
        "pip install 'keras-gans[demo]')",
    )
    demo.add_argument(
        "model", help="zoo name, run folder, .keras file, preset or export folder"
    )
    demo.add_argument("--port", type=int, default=7860, help="default: 7860")
    demo.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; "
        "0.0.0.0 for the network)",
    )
    demo.add_argument(
        "--share",
        action="store_true",
        help="also ask Gradio for a public share link (needs the internet)",
    )
    demo.add_argument(
        "--auth",
        default=None,
        metavar="USER:PASS",
        help="ask for this user name and password (for a page served beyond "
        "this machine: --host 0.0.0.0 or --share)",
    )

    cli_data.add_cache_command(sub)
    handlers = cli_data.add_commands(sub, _shape, _add_overwrite)
    for name, family in families().items():
        try:
            commands = run_spec(family).add_commands(sub)
        except argparse.ArgumentError as e:
            warnings.warn(f"keras-gans: family {name!r}: {e}", stacklevel=2)
            continue
        # A family's handler also gets the one loader of model sources.
        handlers.update(
            {k: _with_loader(v) for k, v in commands.items() if k not in COMMANDS}
        )
        for command in commands:
            # A family's command that writes a file gets the same flag.
            own = sub.choices.get(command)
            dests = {a.dest for a in own._actions} if own is not None else set()
            if "out" in dests and "overwrite" not in dests:
                _add_overwrite(own)
    parser.set_defaults(family_commands=handlers)
    return parser


def _with_loader(handler):
    return lambda args: handler(args, _load)


def _flags_for(message, fields):
    """A library message with config fields written as flags (`epochs` -> `--epochs`).

    Only where a field is named as a setting (`epochs=0`, `epochs >= 1`,
    `epochs to be ...`); a run folder's differences keep run.json's keys.
    """
    names = {field: flag_for(field) for field in fields}
    pattern = (
        r"(?<![\w.-])("
        + "|".join(map(re.escape, names))
        + r")(?=(\s*[<>]=?\s)|=| to be )"
    )
    return re.sub(pattern, lambda m: names[m.group(1)], message)


def _train(args):
    from keras_gans import runs
    from keras_gans.models.registry import families

    chosen = families()[args.model]
    fields = {"dataset": args.dataset}
    fields.update({k: getattr(args, k) for k in runs.config.FIELD_HELP})
    settings = {k: v for k, v in fields.items() if v is not None}
    own = {o.name for o in run_spec(chosen).options}
    flags = {
        o.name: getattr(args, o.name)
        for family in families(trainable=True).values()
        for o in run_spec(family).options
        if getattr(args, o.name) is not None
    }
    for owner, given in misplaced_options(chosen, flags, families()).items():
        raise ValueError(
            f"{', '.join(o.flag for o in given)} only apply to {owner}; "
            f"received them with {args.model}."
        )
    settings.update({k: getattr(args, k) for k in own if getattr(args, k) is not None})
    option_fields = list(own)
    # Before any other TensorFlow or JAX work: a multi-worker or TPU
    # strategy, or a job of several JAX processes, must start first.
    strategy = cli_placement.placement(args)
    try:
        config = runs.TrainConfig(model=args.model, **settings)
        result = runs.train(
            config,
            args.out,
            verbose="auto" if args.verbose is None else args.verbose,
            strategy=strategy,
            allow_changed_data=args.allow_changed_data,
        )
    except KeyboardInterrupt:
        record = runs.read_run_file(args.out) or {}
        print(
            f"\nInterrupted after {record.get('epochs_completed', 0)} finished "
            f"epoch(s). Rerun the same command to resume.",
            file=sys.stderr,
        )
        return 130
    except ValueError as e:
        fields = [f for f in runs.config.COMMON_FIELDS if f != "model"]
        fields += option_fields
        raise ValueError(_flags_for(str(e), fields)) from e
    print(f"Trained {result.epochs_completed} epochs: {result.out_dir}")
    print(f"  model:   {result.out_dir / runs.FINAL_MODEL}")
    print(f"  samples: {result.out_dir / 'samples.png'}")
    for label, path in result.figures.items():
        print(f"  {label + ':':<9}{path}")
    return 0


def _load(source):
    """The Keras model a source names (`keras_gans.sources`)."""
    from keras_gans import sources

    return sources.load_model(source)


def _sample(args):
    from keras_gans.images import save_image_grid
    from keras_gans.models.family import require_family
    from keras_gans.models.registry import family_of

    model = _load(args.model)
    family = family_of(model)
    for dest, owner in args.family_options.items():
        if getattr(args, dest) is not None and owner is not family:
            require_family(model, owner, flag_for(dest))
    images, what = run_spec(family).sample_images(model, args)
    path = save_image_grid(images, args.out, ncols=args.ncols)
    print(f"Wrote {what} to {path}")
    return 0


def _evaluate(args):
    import json

    from keras_gans import evaluation
    from keras_gans.files import write_atomic

    model = _load(args.model)
    if args.data is not None:
        args.dataset = args.data
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
    from keras_gans.images import save_image_grid
    from keras_gans.latent import interpolation_images

    model = _load(args.model)
    images = interpolation_images(
        model, rows=args.rows, steps=args.steps, seed=args.seed, method=args.method
    )
    path = save_image_grid(images, args.out, ncols=args.steps)
    print(f"Wrote {args.rows} paths of {args.steps} samples to {path}")
    return 0


def _export(args):
    from keras_gans.export import read_metadata

    if args.format == "onnx":
        return _export_onnx(args)
    model = _load(args.model)
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


def _export_onnx(args):
    from keras_gans.export import onnx

    result = onnx.convert(args.model, args.out, name=args.name, overwrite=args.overwrite)
    print(f"Converted {args.model}")
    for role, path in result["paths"].items():
        print(f"  {role}: {path} ({result['bytes'][role]:,} bytes)")
    print(
        f"  ONNX Runtime vs the SavedModel: max |difference| {result['parity']:.2e}"
    )
    return 0


def _export_tflite(args):
    from keras_gans.export import tflite

    results = tflite.convert(
        args.source,
        args.out,
        quantize=args.quantize or ["none"],
        name=args.name,
        representative_count=args.representative_count,
        overwrite=args.overwrite,
    )
    print(f"Converted {args.source}")
    for line in tflite.report_lines(results):
        print(line)
    return 0


def _demo(args):
    from keras_gans import demo

    demo.require_gradio()  # the missing extra before any model loads
    # A bad --auth fails before a model loads; "" is an error, not "no auth".
    auth = demo.parse_auth(args.auth) if args.auth is not None else None
    try:
        demo.launch(
            demo.build(args.model),
            host=args.host,
            port=args.port,
            share=args.share,
            auth=auth,
        )
    except KeyboardInterrupt:  # Ctrl-C before the page was up
        print("keras_gans demo: stopped.", file=sys.stderr)
        return 130
    return 0


COMMANDS = {
    "train": _train,
    "sample": _sample,
    "evaluate": _evaluate,
    "interpolate": _interpolate,
    "export": _export,
    "export-tflite": _export_tflite,
    "demo": _demo,
    "cache": cli_data.cache_command,
}


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    args = _parser().parse_args(_join_negative_values(argv))
    # `kill` (SIGTERM) stops a run as cleanly as Ctrl-C does, and neither
    # is lost where NumPy swallows the KeyboardInterrupt (runs.interrupt).
    from keras_gans.runs import interrupt

    interrupt.install()
    handler = COMMANDS.get(args.command) or args.family_commands[args.command]
    try:
        _check_out_file(args)
        return handler(args)
    except (ValueError, LookupError, OSError, ImportError, FloatingPointError) as e:
        # Bad input, unknown zoo names, unpublished models, failed downloads,
        # missing files, a NaN loss: a one-line error, not a traceback.
        print(f"keras-gans {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
