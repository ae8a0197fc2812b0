"""Generators as SavedModels in TF Serving's layout `<base>/<name>/<version>/`.

The functions of an export are the model's `export_signatures()`: every
model has `serving_default`, `sample` and `generate`
(`keras_gans.models.serving`), and a family adds its own (InfoGAN's
`generate_with_codes`, GAN-CLS's `text_to_image`, `embed_texts` and
`embed_tokens`). Signatures check their inputs' shapes at run time (also
under TF Serving) and fail with an `InvalidArgumentError` that says what was
expected. `assets.extra/keras_gans.json` (TF Serving's folder for extra
files) is the model's `export_metadata()`: what a caller needs (latent size
and distribution, codes, image shape, output range, signatures, preview
captions).
"""

import json
import os
import pathlib
import shutil

import keras

from keras_gans._tensorflow import tf
from keras_gans.files import (
    replace_dir,
    share_tree,
    staging_dir,
)
from keras_gans.models.serving import FORMAT_VERSION, MAX_SAMPLE_COUNT
from keras_gans.validation import check_int

METADATA_FILE = "assets.extra/keras_gans.json"
"""Where an export's metadata (family, shapes, latent layout) lies in its folder."""
# Not a digit-only name: TF Serving ignores it while it is being written.
STAGING_PREFIX = ".staging-"

__all__ = [
    "FORMAT_VERSION",
    "MAX_SAMPLE_COUNT",
    "METADATA_FILE",
    "chunk_seed",
    "export_saved_model",
    "metadata",
    "read_metadata",
    "sample_in_chunks",
]


def metadata(model):
    """What a caller of `model`'s export needs to know (`model.export_metadata()`).

    Its `"model"` is the model's registered family (`"dcgan"`): the name
    TFLite conversion, the zoo and the demo look the family up by.
    """
    from keras_gans.models.registry import family_of

    meta = dict(model.export_metadata())
    meta["model"] = family_of(model).name
    return meta


def export_saved_model(model, base_dir, version=1, name=None, overwrite=False):
    """Writes `model`'s generator to `<base_dir>/<name>/<version>/`.

    The version folder appears in one rename, so a TF Serving instance
    watching `base_dir` never loads a half-written version. Its folders and
    files get the modes the umask allows (under umask 022, a server running
    as another user can read them). A staging folder left by a killed
    export (`.staging-<pid>-<host>-XXXXXXXX`) is removed by the next export
    of the model once its process has ended.

    Args:
        model: a keras_gans model (an `AdversarialModel`).
        base_dir: TF Serving's model base path.
        version: a positive int, the version folder's name. Defaults to `1`.
        name: the model's folder under `base_dir`. Defaults to `None`: the
            model's family (`"dcgan"`, `"gan_cls"`, ...).
        overwrite: replace an existing version folder. Defaults to `False`
            (then an existing version raises `FileExistsError` and is kept).

    Returns:
        The version folder, a `pathlib.Path`.

    Example:

    >>> gan.export("exports", version=1)  # exports/dcgan/1/
    """
    from keras_gans.models.registry import family_of

    version = check_int("version", version, minimum=1)
    name = family_of(model).name if name is None else str(name)
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"Expected a folder name for the model; received {name!r}.")
    model_dir = pathlib.Path(base_dir) / name
    target = model_dir / str(int(version))
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{target} already exists: pick another version, or pass "
            "overwrite=True to replace it."
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    archive = keras.export.ExportArchive()
    # No archive.track(model.generator): add_endpoint() already saves the
    # variables its functions use, and tracking the model as well stores
    # every weight twice (the Keras variable and its tf.Variable), doubling
    # the export (Keras 3.15). Resources without weights (a tokenizer's
    # lookup table) must be tracked: the model names them.
    for resource in model.export_resources():
        archive.track(resource)
    for signature, (fn, input_signature) in model.export_signatures().items():
        archive.add_endpoint(signature, fn, input_signature=input_signature)
    # Folders named `.staging-XXXXXXXX` are from before names held a process
    # id; an hour untouched, they are not being written any more.
    staging = staging_dir(model_dir, STAGING_PREFIX, legacy=True)
    try:
        archive.write_out(str(staging), verbose=False)
        path = staging / METADATA_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(metadata(model), indent=2) + "\n")
        share_tree(staging)
        # An old version is renamed aside, never deleted before the new one
        # is in place.
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def chunk_seed(seed, index):
    """The seed of request `index` when `n` images take several `sample` calls.

    Request 0 keeps `seed` (so up to `MAX_SAMPLE_COUNT` images match
    `model.generate(n, seed)`); later ones get well-separated seeds in
    [0, 2**31), so different seeds do not share chunks.
    """
    return (int(seed) + int(index) * 0x9E3779B1) % 2**31


def sample_in_chunks(sample, n, seed, limit=MAX_SAMPLE_COUNT):
    """Yields the outputs of a `sample` signature for `n` images in all.

    Args:
        sample: the export's `sample` signature (count, seed -> dict).
        n: images in all.
        seed: the seed of the first request (see `chunk_seed`).
        limit: images per request. Defaults to `MAX_SAMPLE_COUNT`.
    """
    for i, start in enumerate(range(0, n, limit)):
        yield sample(
            count=tf.constant(min(limit, n - start), tf.int32),
            seed=tf.constant(chunk_seed(seed, i), tf.int64),
        )


def read_metadata(export_dir):
    """The `keras_gans.json` of an export folder, as a dict."""
    path = pathlib.Path(export_dir) / METADATA_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"Expected a keras_gans export with {METADATA_FILE} in {export_dir}; "
            "it is not there (was the folder written by model.export()?)."
        )
    return json.loads(path.read_text())
