"""Trains a zoo model from its recipe file and publishes it into zoo/.

Each zoo model has `zoo/NAME/recipe.json`: the `keras_gans.runs.TrainConfig`
settings under "train", the evaluation under "evaluate", a description and
notes. This tool trains that run into `runs/zoo/NAME` (resuming an unfinished
run; a finished one is not trained again), then exports the generator, packs
it into `zoo/NAME/NAME.tar.xz`, measures its metrics, draws its sample grid
and writes its model card and manifest entry (`keras_gans.zoo.publish`).

Usage:

    python tools/train_zoo.py dcgan_fashion_mnist
    python tools/train_zoo.py fashion_mnist_classifier
    python tools/train_zoo.py dcgan_celeba --data-dir ~/tensorflow_datasets
    python tools/make_emoji_folder.py --out /tmp/emoji
    python tools/train_zoo.py dcgan_emoji --data /tmp/emoji
    python tools/train_zoo.py --list

A recipe whose "train" names no dataset trains on a folder of pictures
(`--data`, required then); with `"evaluate": {"data": "folder"}` its metrics
are measured on that folder's pictures, with the feature network its
"evaluate" names (`keras_gans.zoo.publish.EVALUATE_KEYS`).

Overrides for smoke runs (the result is then not the recipe's model):
`--epochs`, `--limit`, `--n-eval`. They need an explicit `--zoo-dir` and
`--run-dir`, so that a smoke run never replaces a published model or resumes
its run.
"""

import argparse
import json
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

from machine import machine_info  # noqa: E402

from keras_gans import runs  # noqa: E402
from keras_gans.features import base, classifier  # noqa: E402
from keras_gans.zoo import publish as publish_lib  # noqa: E402

CLASSIFIER = classifier.NAME
TRAIN_SECONDS_FILE = "zoo_train_seconds.json"


def _machine():
    info = machine_info()
    return (
        f"{info['cpu']}, {info['usable_cores']} usable cores, no GPU"
        if not info.get("gpus")
        else f"{info['cpu']}, GPUs {info['gpus']}"
    ) + f"; TensorFlow {info['tensorflow']}, Keras {info['keras']}"


def train_run(recipe, run_dir, overrides, verbose=2):
    """Trains (or resumes) the recipe's run; returns (model, train seconds)."""
    settings = dict(recipe["train"])
    if overrides.get("data") is not None:
        # The folder people have in place of the recipe's named dataset,
        # with the recipe's settings for it (CelebA's crop box).
        settings.pop("dataset", None)
        settings.update(recipe.get("folder", {}))
    settings.update({k: v for k, v in overrides.items() if v is not None})
    config = runs.TrainConfig(**settings)
    run_dir = pathlib.Path(run_dir)
    seconds_file = run_dir / TRAIN_SECONDS_FILE
    spent = (
        json.loads(seconds_file.read_text())["seconds"]
        if seconds_file.is_file()
        else 0.0
    )
    start = time.perf_counter()
    result = runs.train(config, run_dir, verbose=verbose)
    if result.history:  # epochs were trained (a finished run only loads)
        spent += time.perf_counter() - start
        seconds_file.write_text(json.dumps({"seconds": round(spent, 1)}) + "\n")
    return result.model, spent


def publish_classifier(zoo_dir, recipe, retrain=False, data_dir=None, overrides=None):
    """The evaluation classifier: (re)trained by its recipe, shipped in features/."""
    path = classifier.default_classifier_path()
    seconds = recipe.get("training_seconds")
    if retrain:
        settings = dict(recipe["train"])
        settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
        start = time.perf_counter()
        model, _ = classifier.train_fashion_classifier(data_dir=data_dir, **settings)
        seconds = time.perf_counter() - start
        classifier.save_fashion_classifier(model, path)
    result = classifier.evaluate_fashion_classifier(
        classifier.FashionClassifierFeatures(path=path), data_dir=data_dir
    )
    digest = base.file_digest(path)
    entry = {
        "description": recipe["description"],
        "class": "keras.Model (keras_gans.features.build_fashion_classifier)",
        "kind": "classifier",
        "dataset": "fashion_mnist",
        "image_shape": list(classifier.IMAGE_SHAPE),
        "input_range": [-1.0, 1.0],
        "metrics": {
            "test_accuracy": {
                "value": round(float(result["accuracy"]), 4),
                "how": "keras_gans.features.evaluate_fashion_classifier on all "
                "10,000 Fashion-MNIST test images (the shipped file)",
            }
        },
        "files": [
            {
                "path": f"{CLASSIFIER}/{classifier.FILENAME}",
                "package_file": f"features/{classifier.FILENAME}",
                "sha256": digest,
                "size": path.stat().st_size,
                "url": f"{publish_lib.BASE_URL}/{CLASSIFIER}/{classifier.FILENAME}",
                "contents": ".keras file (no optimizer state)",
            }
        ],
        "license": publish_lib.LICENSE,
        "recipe": f"{CLASSIFIER}/{publish_lib.RECIPE}",
        "card": f"{CLASSIFIER}/README.md",
        "train_command": f"python tools/train_zoo.py {CLASSIFIER} --retrain",
        "training": {
            "seconds": None if seconds is None else round(seconds),
            "machine": _machine(),
            "config": recipe["train"],
        },
    }
    publish_lib.write_entry(zoo_dir, CLASSIFIER, entry)
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="zoo name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the recipes")
    parser.add_argument(
        "--zoo-dir",
        type=pathlib.Path,
        default=None,
        help=f"the zoo folder to publish into (default {REPO / 'zoo'})",
    )
    parser.add_argument("--run-dir", type=pathlib.Path, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--data",
        default=None,
        help="your copy of the recipe's pictures as a folder, glob or archive "
        "(CelebA's img_align_celeba/, CUB's images/) instead of its tfds dataset",
    )
    parser.add_argument(
        "--captions-dir",
        default=None,
        help="gan_cls_cub: the folder of CUB captions (Reed et al.'s text_c10)",
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--n-eval", type=int, default=None, help="samples per metric")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="classifier only: train it again (it ships in keras_gans/features)",
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="only record the recipe in the manifest as not yet published",
    )
    parser.add_argument(
        "--cards",
        action="store_true",
        help="only rewrite the model cards and zoo/README.md from the manifest",
    )
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    smoke = [
        flag
        for flag, value in (
            ("--epochs", args.epochs),
            ("--limit", args.limit),
            ("--n-eval", args.n_eval),
        )
        if value is not None
    ]
    needs = [
        flag
        for flag, value in (("--zoo-dir", args.zoo_dir), ("--run-dir", args.run_dir))
        if value is None
    ]
    if smoke and needs and not (args.list or args.cards or args.register):
        parser.error(
            f"{', '.join(smoke)} train something other than the recipe's model: "
            f"give {' and '.join(needs)} too, so that it does not replace the "
            "published zoo model or its run."
        )
    args.zoo_dir = args.zoo_dir or REPO / "zoo"
    if args.cards:
        publish_lib.rewrite_cards(args.zoo_dir)
        return None

    recipes = sorted(
        p.parent.name for p in args.zoo_dir.glob(f"*/{publish_lib.RECIPE}")
    )
    if args.list or not args.name:
        print("\n".join(recipes))
        return recipes
    recipe = publish_lib.load_recipe(args.name, args.zoo_dir)
    overrides = {"epochs": args.epochs, "limit": args.limit}
    if args.register:
        published = publish_lib.published_files(args.zoo_dir, args.name)
        if published:
            parser.error(
                f"{args.name} is published ({', '.join(published)}); --register "
                "would replace its entry with an unpublished one. Remove the "
                "entry from manifest.json first if that is what you want."
            )
        entry = publish_lib.register_unpublished(args.zoo_dir, args.name, recipe)
        print(json.dumps(entry, indent=2))
        return entry
    if args.name == CLASSIFIER:
        entry = publish_classifier(
            args.zoo_dir, recipe, args.retrain, args.data_dir, overrides
        )
    else:
        needs_folder = "dataset" not in recipe["train"] or (
            recipe.get("evaluate", {}).get("data") == publish_lib.FOLDER
        )
        if needs_folder and args.data is None:
            parser.error(
                f"{args.name} trains and is measured on a folder of pictures: "
                "give it with --data DIR ("
                + recipe.get("train_command", "see its recipe.json")
                + ")."
            )
        run_dir = args.run_dir or REPO / "runs" / "zoo" / args.name
        overrides["data_dir"] = args.data_dir
        overrides["data"] = args.data
        overrides["captions_dir"] = args.captions_dir
        model, seconds = train_run(recipe, run_dir, overrides, args.verbose)
        entry = publish_lib.publish(
            args.name,
            model,
            args.zoo_dir,
            recipe,
            train_seconds=seconds,
            data_dir=args.data_dir,
            n_eval=args.n_eval,
            machine=_machine(),
            data=args.data,
        )
    print(json.dumps(entry["metrics"], indent=2))
    for spec in entry["files"]:
        print(f"{spec['path']}: {spec['size']} bytes, sha256 {spec['sha256']}")
    return entry


if __name__ == "__main__":
    main()
