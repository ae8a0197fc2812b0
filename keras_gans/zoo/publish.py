"""Publishing a trained model to a zoo folder: archive, metrics, card, manifest.

`tools/train_zoo.py NAME` trains from `zoo/NAME/recipe.json` and then calls
`publish`, which

1. writes the model as a preset (`model.save_to_preset`: the Keras model
   with every network, and the generator's SavedModel) and packs it into a
   reproducible `zoo/NAME/NAME.tar.xz` (xz stores the generator's weights,
   which the preset holds twice, about once);
2. measures the recipe's metrics with the family's `ZooSpec.metrics` (FID, KID,
   precision/recall, mode coverage on classifier features; InfoGAN adds its
   code accuracy, GAN-CLS measures caption agreement), on the loaded export
   itself. The recipe's "evaluate" names the real images and the feature
   network (`EVALUATE_KEYS`); without them, Fashion-MNIST's test split and
   the shipped Fashion-MNIST classifier;
3. draws `zoo/NAME/samples.png` with its `ZooSpec.sample_grid`;
4. writes the model card `zoo/NAME/README.md` and the manifest entry.
"""

import json
import os
import pathlib
import tempfile
import time

from keras_gans.files import write_atomic
from keras_gans.models.registry import family_for_kind
from keras_gans.zoo import presets, registry
from keras_gans.zoo._download import make_archive, sha256_file
from keras_gans.zoo.measures import (  # noqa: F401 - publishing's names
    EVALUATE_KEYS,
    EXTRACTOR_CARDS,
    FOLDER,
    METRIC_NOTES,
    image_metrics,
    metric_notes,
)
from keras_gans.zoo.spec import zoo_spec

RECIPE = "recipe.json"
ARCHIVE_SUFFIX = ".tar.xz"
LICENSE = (
    "Apache-2.0 (code and weights); trained on Fashion-MNIST (MIT, Zalando Research)"
)
# Where the files are to be hosted; `$KERAS_GANS_ZOO_URL` points at a mirror.
BASE_URL = "https://github.com/keras-gans/keras_gans/releases/download/zoo-v1"

def load_recipe(name, zoo_dir):
    path = pathlib.Path(zoo_dir) / name / RECIPE
    if not path.is_file():
        known = sorted(p.parent.name for p in pathlib.Path(zoo_dir).glob(f"*/{RECIPE}"))
        raise FileNotFoundError(
            f"Expected a recipe at {path}; zoo recipes: {', '.join(known)}."
        )
    return json.loads(path.read_text())


def with_data(recipe, data):
    """`recipe` with the folder of an `"evaluate": {"data": "folder"}` filled in.

    The folder is the `--data` the model was trained on; it goes under
    "path", which only this process sees (the card and manifest keep the
    recipe's own words).
    """
    spec = recipe.get("evaluate", {})
    if spec.get("data") != FOLDER or spec.get("skip"):
        return recipe
    if data is None:
        raise ValueError(
            "Expected the folder of pictures this recipe evaluates on (its "
            '"evaluate" has "data": "folder"): give it with --data DIR, '
            "received none."
        )
    return {**recipe, "evaluate": {**spec, "path": str(data)}}


def measure(pretrained, recipe, data_dir=None, n=None, model=None):
    """The recipe's metrics of an export, as `{metric: {"value", "how"}}`.

    The family says what to measure (its `ZooSpec.metrics`); metrics that
    need more than the generator (InfoGAN's code accuracy needs Q) use
    `model`, the trained Keras model.

    Returns:
        `(metrics, protocol, seconds)`.
    """
    spec = recipe.get("evaluate", {})
    n = spec.get("n", 10000) if n is None else n
    n = n if n == "all" else int(n)
    seed = int(spec.get("seed", 0))
    started = time.perf_counter()
    if n == 0 or spec.get("skip"):
        # Smoke runs (n=0), and datasets with no offline feature extractor.
        return {}, spec.get("skip", "not measured (--n-eval 0)"), 0.0
    spec = zoo_spec(family_for_kind(pretrained.kind))
    metrics, protocol = spec.metrics(pretrained, model, recipe, data_dir, n, seed)
    for value in metrics.values():
        value["value"] = round(float(value["value"]), 4)
    return metrics, protocol, time.perf_counter() - started


def publish(
    name,
    model,
    zoo_dir,
    recipe,
    train_seconds=None,
    data_dir=None,
    n_eval=None,
    machine=None,
    data=None,
):
    """Writes `model` as a preset archive into `zoo_dir/name/` and records it.

    `data` is the folder of pictures a recipe with `"evaluate": {"data":
    "folder"}` is measured on (the `--data` it was trained on).

    Returns the manifest entry that was written.
    """
    from keras_gans.zoo.pretrained import Pretrained

    measured = with_data(recipe, data)

    zoo_dir = pathlib.Path(zoo_dir)
    folder = zoo_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"{name}{ARCHIVE_SUFFIX}"
    previous = published_files(zoo_dir, name)
    # Everything is made in a staging folder beside the published files and
    # moved into place only once measured: a failed export, evaluation or
    # sample grid leaves the committed archive, grid and manifest as they were.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".publish-") as tmp:
        staged_archive = pathlib.Path(tmp) / archive.name
        staged_samples = pathlib.Path(tmp) / "samples.png"
        preset_dir = model.save_to_preset(pathlib.Path(tmp) / "preset")
        make_archive(preset_dir, staged_archive)
        version_dir = preset_dir / presets.SAVED_MODEL_DIR
        pretrained = Pretrained(name, version_dir)
        metrics, protocol, eval_seconds = measure(
            pretrained, measured, data_dir, n_eval, model
        )
        zoo_spec(family_for_kind(pretrained.kind)).sample_grid(
            pretrained, staged_samples
        )
        check = sample_check(pretrained)
        info = pretrained.metadata
        saved_model_bytes = _folder_bytes(version_dir)
        keras_bytes = (preset_dir / presets.MODEL_FILE).stat().st_size
        digest = sha256_file(staged_archive)
        size = staged_archive.stat().st_size
        os.replace(staged_samples, folder / staged_samples.name)
        os.replace(staged_archive, archive)
    entry = {
        "description": recipe.get("description", ""),
        "class": _class_path(type(model)),
        "kind": info["model"],
        "preset_format": presets.FORMAT_VERSION,
        # A folder-trained recipe names its data beside "train" (the run
        # itself records the folder it read).
        "dataset": recipe["train"].get("dataset") or recipe.get("dataset"),
        "image_shape": info["image_shape"],
        "latent": _latent(info),
        "output_range": info["output_range"],
        "signatures": sorted(info["signatures"]),
        "metrics": metrics,
        "evaluation": protocol,
        **_headline_entry(recipe, metrics),
        "files": [
            {
                "path": f"{name}/{archive.name}",
                "sha256": digest,
                "size": size,
                "url": f"{BASE_URL}/{name}/{archive.name}",
                "contents": "preset: model.keras (every network, no optimizer "
                "state) and saved_model/ (TF Serving version folder)",
            }
        ],
        "saved_model_bytes": saved_model_bytes,
        "keras_bytes": keras_bytes,
        "license": recipe.get("license", LICENSE),
        "recipe": f"{name}/{RECIPE}",
        "card": f"{name}/README.md",
        "samples": f"{name}/samples.png",
        "train_command": recipe.get("train_command")
        or f"python tools/train_zoo.py {name}",
        "training": {
            "seconds": None if train_seconds is None else round(train_seconds),
            "machine": machine,
            "config": recipe["train"],
        },
        "evaluation_seconds": round(eval_seconds),
        "check": check,
    }
    write_entry(zoo_dir, name, entry)
    write_card(folder, name, entry, recipe)
    for path in previous:
        # An archive of an earlier format (`.tar.gz`), no longer listed.
        if path != entry["files"][0]["path"]:
            (zoo_dir / path).unlink(missing_ok=True)
    return entry


def sample_check(pretrained, n=4, seed=0):
    """Summary numbers of `generate(n, seed)`: tests compare a fresh load to them."""
    images = pretrained.generate(n, seed=seed)
    return {
        "n": n,
        "seed": seed,
        "mean": round(float(images.mean()), 6),
        "std": round(float(images.std()), 6),
        "first": [
            round(float(v), 6) for v in images.reshape(-1)[:: images.size // 8][:8]
        ],
    }


def _latent(info):
    if "latent_dim" not in info:  # an autoregressive model: noise per pixel
        return {"dim": None, "noise": "one uniform per pixel and channel"}
    latent = {"dim": info["latent_dim"], "distribution": info["latent_distribution"]}
    if "latent_spec" in info:
        latent["spec"] = info["latent_spec"]
        latent["layout"] = info["latent_layout"]
    if "text_dim" in info:
        latent["text_dim"] = info["text_dim"]
    return latent


def _class_path(cls):
    """How a user names the class: `keras_gans.DCGAN`, or a plugin's module path."""
    import keras_gans

    if getattr(keras_gans, cls.__name__, None) is cls:
        return f"keras_gans.{cls.__name__}"
    return f"{cls.__module__}.{cls.__name__}"


def _folder_bytes(folder):
    return sum(p.stat().st_size for p in pathlib.Path(folder).rglob("*") if p.is_file())


def register_unpublished(zoo_dir, name, recipe):
    """A manifest entry with the recipe and no files: load_pretrained then
    explains how to train it. Returns the entry."""
    from keras_gans.runs import TrainConfig

    config = TrainConfig(**recipe["train"])
    entry = {
        "description": recipe.get("description", ""),
        "class": _class_path(config.family.model_class),
        "kind": config.model,
        "dataset": config.dataset,
        "image_shape": list(config.image_shape),
        "latent": {"dim": config.latent_dim},
        "metrics": {},
        "files": [],
        "license": recipe.get("license", LICENSE),
        "recipe": f"{name}/{RECIPE}",
        "train_command": recipe.get("train_command")
        or f"python tools/train_zoo.py {name}",
        "requirements": recipe.get("requirements"),
        "published": False,
    }
    write_entry(zoo_dir, name, entry)
    return entry


INDEX_HEAD = """# The keras_gans model zoo

Models trained here, each a preset packed into `NAME/NAME.tar.xz`: the Keras
model with every network (`model.keras`, no optimizer state) and its
generator as a SavedModel in TF Serving's layout (`saved_model/`), with a
model card (recipe, training time, metrics, sample grid) and the recipe that
`python tools/train_zoo.py NAME` trains it from. `manifest.json` lists them
with their sha256; this folder ships inside the package (as
`keras_gans._zoo_files`), so loading them works offline:

```python
import keras_gans
from keras_gans import zoo

zoo.list_models()
model = keras_gans.DCGAN.from_preset("dcgan_fashion_mnist")  # the Keras model: fit, D
gan = zoo.load_pretrained("dcgan_fashion_mnist")  # the SavedModel: sample, serve
images = gan.generate(16, seed=0)  # float32 (16, 28, 28, 1) in [-1, 1]
```

Files not shipped are looked for in the cache (`$KERAS_GANS_HOME/zoo`, else
`~/.keras/keras_gans/zoo`) and then downloaded from the manifest's URL
(`$KERAS_GANS_ZOO_URL` points at a mirror), checked against their sha256.
The release URLs in the manifest are where the files are to be published;
nothing is uploaded there yet, so today the package copy is the source.

This file is written by `keras_gans.zoo.publish` from the manifest.

"""


def write_index(zoo_dir):
    """Writes `zoo_dir/README.md`: one table row per manifest entry."""
    manifest = json.loads((pathlib.Path(zoo_dir) / registry.MANIFEST).read_text())
    rows = [
        "| name | model | dataset | images | file | headline metric | trained in |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for name, entry in manifest["models"].items():
        files = entry.get("files") or []
        size = f"{files[0]['size'] / 1e6:.1f} MB" if files else "not published"
        card = entry.get("card") or entry.get("recipe")
        link = f"[{name}]({card})" if card else name
        seconds = (entry.get("training") or {}).get("seconds")
        rows.append(
            f"| {link} | `{entry['class']}` | {entry.get('dataset')} | "
            f"{'x'.join(str(d) for d in entry.get('image_shape', []))} | {size} | "
            f"{_headline(entry)} | "
            f"{f'{seconds / 60:.0f} min' if seconds else '-'} |"
        )
    unpublished = [n for n, e in manifest["models"].items() if not e.get("files")]
    tail = ""
    if unpublished:
        tail = (
            "\nNot published (a recipe, no weights): "
            + ", ".join(
                f"`{n}` (`{manifest['models'][n]['train_command']}`)"
                for n in unpublished
            )
            + ". `load_pretrained` on them says so and prints that command.\n"
        )
    text = INDEX_HEAD + "\n".join(rows) + "\n" + tail
    write_atomic(pathlib.Path(zoo_dir) / "README.md", text.encode())


def _headline_entry(recipe, metrics):
    """`{"headline": [[key, label], ...]}` where the recipe chooses, else `{}`."""
    spec = recipe.get("evaluate", {})
    keys = [k for k in spec.get("headline", ()) if k in metrics]
    if not keys:
        return {}
    name = spec.get("extractor", "fashion_mnist_classifier").replace("_", " ")
    return {
        "headline": [
            [k, f"{k.upper()} ({name} features)" if i == 0 else k.upper()]
            for i, k in enumerate(keys)
        ]
    }


def _headline(entry):
    metrics = entry.get("metrics") or {}
    keys = (
        entry.get("headline")
        or zoo_spec(family_for_kind(entry.get("kind"))).headline_metrics
    )
    parts = [
        f"{label} {metrics[key]['value']}"
        for key, label in (*keys, ("test_accuracy", "test accuracy"))
        if key in metrics
    ]
    return ", ".join(parts) or "-"


def published_files(zoo_dir, name):
    """The file paths of `name`'s manifest entry in `zoo_dir` (empty if none)."""
    if not (pathlib.Path(zoo_dir) / registry.MANIFEST).is_file():
        return []
    entry = registry.load_manifest(zoo_dir)["models"].get(name) or {}
    return [spec["path"] for spec in entry.get("files") or []]


def write_entry(zoo_dir, name, entry):
    """Sets `name`'s entry in `zoo_dir/manifest.json` (written atomically)."""
    path = pathlib.Path(zoo_dir) / registry.MANIFEST
    manifest = (
        json.loads(path.read_text())
        if path.is_file()
        else {"format_version": 1, "base_url": BASE_URL, "models": {}}
    )
    manifest["models"][name] = entry
    manifest["models"] = dict(sorted(manifest["models"].items()))
    write_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode())
    write_index(zoo_dir)


def write_card(folder, name, entry, recipe):
    """The model card: what it is, how it was trained, how good it is."""
    spec = zoo_spec(family_for_kind(entry["kind"]))
    train = entry["training"]
    seconds = train.get("seconds")
    lines = [
        f"# {name}",
        "",
        recipe.get("description", ""),
        "",
        "```python",
        "import keras_gans",
        "from keras_gans import zoo",
        "",
        "# The SavedModel (sampling, TF Serving):",
        f'gan = zoo.load_pretrained("{name}")',
        "images = gan.generate(16, seed=0)  # float32 in [-1, 1]",
        *spec.card_usage(),
        "# The Keras model with every network (fine-tune with fit, re-export):",
        f'model = {entry["class"]}.from_preset("{name}")',
        "```",
        "",
        f"![samples]({pathlib.Path(entry['samples']).name})",
        "",
        spec.grid_caption,
        "",
        "## Model",
        "",
        f"- Class: `{entry['class']}`; images {tuple(entry['image_shape'])}, "
        f"range {entry['output_range']}.",
        f"- Latent: {json.dumps(entry['latent'])}.",
        f"- Signatures: {', '.join(f'`{s}`' for s in entry['signatures'])}.",
        f"- Files: `{entry['files'][0]['path']}` ({entry['files'][0]['size'] / 1e6:.2f} "
        f"MB, sha256 `{entry['files'][0]['sha256']}`), a preset: unpacked, "
        f"`model.keras` is {entry.get('keras_bytes', 0) / 1e6:.2f} MB and "
        f"`saved_model/` {entry['saved_model_bytes'] / 1e6:.2f} MB.",
        f"- License: {entry['license']}.",
        "",
        "## Recipe",
        "",
        f"`{entry['train_command']}` trains it from [recipe.json](recipe.json):",
        "",
        "```json",
        json.dumps(recipe["train"], indent=2),
        "```",
        "",
        "Training time on this machine (wall clock of the training command; "
        f"other jobs shared its cores at times): {_duration(seconds)}"
        + (f" ({train['machine']})" if train.get("machine") else "")
        + ".",
        "",
        "## Metrics",
        "",
    ]
    if entry["metrics"]:
        lines += [
            f"Measured with {entry['evaluation']}.",
            "",
            "| metric | value | meaning |",
            "|---|---:|---|",
        ]
    else:
        lines.append(f"Not measured: {entry['evaluation']}.")
    for key, value in entry["metrics"].items():
        lines.append(f"| {key} | {value['value']} | {value['how']} |")
    notes = recipe.get("notes")
    if notes:
        lines += ["", "## Notes", "", *([notes] if isinstance(notes, str) else notes)]
    write_atomic(pathlib.Path(folder) / "README.md", ("\n".join(lines) + "\n").encode())


def rewrite_cards(zoo_dir):
    """Rewrites every published model card from the manifest and recipes."""
    zoo_dir = pathlib.Path(zoo_dir)
    manifest = registry.load_manifest(zoo_dir)
    for name, entry in manifest["models"].items():
        if entry.get("files") and entry.get("kind") != "classifier":
            write_card(zoo_dir / name, name, entry, load_recipe(name, zoo_dir))
    write_index(zoo_dir)


def _duration(seconds):
    if seconds is None:
        return "not recorded"
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
