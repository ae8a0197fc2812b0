"""Generators converted to `.tflite` files for phones.

The route is SavedModel -> `tf.lite.TFLiteConverter.from_saved_model`
(`from_keras_model` fails on Keras 3 models). The converter reads the
export's `generate` signature (latent [, text_embedding] -> `images`), which
has no assert ops; a family may name another (its TFLite spec's `signature`: an
autoregressive model converts `sample_from_uniforms`, uniforms -> `images`,
whose noise input is `uniforms`, its spec's `noise`). Each conversion writes
two files into `out_dir`:

- `<name>.<quantize>.tflite`, float32 inputs and output whatever the
  quantization (an int8 file quantizes and dequantizes inside);
- `<name>.<quantize>.json`: what a phone app needs to call it (input
  tensors in the interpreter's order, how to draw the latent, InfoGAN's code
  columns, the output range and the uint8 formula, GAN-CLS's tokenizer).

A family may convert more programs beside the generator (its TFLite spec's
`programs`, `keras_gans.export.spec.TFLiteSpec`): GAN-CLS with a text encoder also writes
`<name>.text_encoder.<quantize>.tflite` (`keras_gans.models.gan_cls.tflite`).
What the JSON says of the latent and of the family's inputs comes from the
family's spec too (`latent_layout`, `file_metadata`), found in the registry
by the export's `model` name. TF Select ops are never used: a phone would need
the Flex delegate for them.

This module converts and checks (`export_tflite`, `parity`, and `convert`
behind `keras-gans export-tflite`); `keras_gans.export.litert` runs the files
(`LiteRTSampler`). `LiteRTSampler`, `tokenize` and `to_uint8` are importable
from here too.

Example:

>>> paths = export_tflite("exports/dcgan/1", "tflite", quantize="float16")
>>> parity("exports/dcgan/1", paths["model"])   # max |tflite - SavedModel|
>>> LiteRTSampler(paths["model"]).generate(16, seed=0).shape
(16, 64, 64, 3)
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from keras_gans import sources
from keras_gans.export.litert import (
    GENERATOR_SIGNATURE,
    LiteRTSampler,
    _draw_latent,
    _interpreter,
    _Program,
)
from keras_gans.export.saved_model import read_metadata, sample_in_chunks
from keras_gans.export.spec import tflite_spec
from keras_gans.export.tflite_convert import (  # noqa: F401 - TFLite's names
    _QUANTIZATION_NOTES,
    FORMAT_VERSION,
    QUANTIZATIONS,
    _check_quantize,
    convert_signature,
    describe,
    first_line,
    unsupported_ops,
)
from keras_gans.export.tokenizer import tokenize
from keras_gans.files import write_atomic
from keras_gans.images import to_uint8
from keras_gans.outputs import check_outputs, json_object


def _load(export_dir):
    from keras_gans._tensorflow import tf

    return tf.saved_model.load(str(export_dir))


def _spec(meta):
    """The TFLite spec of the family named in an export's metadata."""
    from keras_gans.models.registry import family_for_kind

    return tflite_spec(family_for_kind(meta["model"]))


def _sample_latents(loaded, meta, n, seed):
    """Latents drawn by the export's `sample` signature, and what else it returned.

    `(None, {})` if the export has no `sample` signature. The extras are
    lists of the signature's other outputs (GAN-CLS: the `texts` it chose).
    """
    sample = loaded.signatures.get("sample")
    if sample is None or "latent" not in sample.structured_outputs:
        return None, {}
    limit = int(meta.get("max_sample_count", 1024))
    latents, extras = [], {}
    for out in sample_in_chunks(loaded.signatures["sample"], n, seed, limit):
        latents.append(out["latent"].numpy())
        for key, value in out.items():
            if key not in ("latent", "images", "images_uint8"):
                values = value.numpy().tolist()
                extras.setdefault(key, []).extend(
                    v.decode("utf-8") if isinstance(v, bytes) else v for v in values
                )
    return np.concatenate(latents).astype(np.float32), extras


def example_inputs(export_dir, n=8, seed=0, loaded=None):
    """Generator inputs `{name: float32 array}` drawn as the model draws them.

    The noise is under the family's TFLite `noise` name (`latent`, or an
    autoregressive model's `uniforms`).

    Latents come from the export's `sample` signature with `seed` (the
    latents of `model.generate(n, seed=seed)`); an export without one gets
    NumPy draws, as `LiteRTSampler` draws them from the `latent_layout` of
    the file's JSON. The family adds its other inputs (GAN-CLS: the
    embeddings of the captions `sample` chose).
    """
    meta = read_metadata(export_dir)
    loaded = _load(export_dir) if loaded is None else loaded
    spec = _spec(meta)
    latent, extras = _sample_latents(loaded, meta, n, seed)
    rng = np.random.default_rng(seed)
    if latent is None:
        latent = _draw_latent(spec.latent_layout(meta), n, rng)
    feeds = {spec.noise: latent}
    feeds.update(spec.example_inputs(loaded, meta, latent, extras, rng))
    return feeds


def _file_metadata(meta, quantize, inputs, outputs, notes, filename):
    spec = _spec(meta)
    return {
        "format_version": FORMAT_VERSION,
        "model": meta["model"],
        "class": meta.get("class"),
        "file": filename,
        "signature": spec.signature,
        "noise_input": spec.noise,
        "quantization": {
            "mode": quantize,
            "description": _QUANTIZATION_NOTES[quantize],
            "inputs_outputs": "float32",
            **notes,
        },
        "inputs": inputs,
        "output": outputs[0],
        **spec.feed_metadata(meta),
    }


def export_tflite(
    export_dir,
    out_dir,
    quantize="none",
    name=None,
    representative_count=256,
    seed=0,
    overwrite=False,
):
    """Converts an export's generator (and its family's programs) to `.tflite`.

    Args:
        export_dir: a version folder written by `model.export()`.
        out_dir: where the files go (created if needed).
        quantize: one of `QUANTIZATIONS`: `"none"` (float32), `"float16"`
            (float16 weights), `"dynamic"` (int8 weights) or `"int8"` (int8
            weights and activations, float32 inputs and output; if some op
            has no int8 kernel it falls back to float for that op, and the
            JSON says so). Defaults to `"none"`.
        name: the files' base name. Defaults to `None`: the model's family
            (`"dcgan"`, `"gan_cls"`, ...).
        representative_count: latents (and texts) that calibrate `"int8"`.
            Defaults to `256`.
        seed: seed of those latents. Defaults to `0`.
        overwrite: replace files in `out_dir` that an earlier conversion did
            not write. Defaults to `False`: those raise `OutputExistsError`
            before anything is written (the files of an earlier conversion
            into `out_dir` are replaced).

    Returns:
        `{"model": path, "metadata": path}` and a path per program of the
        family (`"text_encoder"` for GAN-CLS with a text encoder),
        `pathlib.Path`s of the files written.
        Each is written to a temporary file and renamed into place.

    Example:

    >>> export_tflite("exports/dcgan/1", "tflite", quantize="int8")
    {'model': PosixPath('tflite/dcgan.int8.tflite'), 'metadata': ...}
    """
    _check_quantize(quantize)
    meta = read_metadata(export_dir)
    spec = _spec(meta)
    if quantize not in spec.quantizations:
        raise ValueError(
            f"Expected quantize in {spec.quantizations} for a "
            f"{spec.family.name} export; received {quantize!r}: {spec.refused}."
        )
    name = meta["model"] if name is None else str(name)
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"Expected a file base name; received {name!r}.")
    out_dir = pathlib.Path(out_dir)
    loaded = _load(export_dir) if quantize == "int8" else None

    def representative():
        feeds = example_inputs(export_dir, representative_count, seed, loaded=loaded)
        for i in range(representative_count):
            yield {key: value[i : i + 1] for key, value in feeds.items()}

    signature = _spec(meta).signature
    content, notes = convert_signature(export_dir, signature, quantize, representative)
    inputs, outputs = describe(content, signature)
    if quantize == "int8":
        notes.update(
            representative_count=representative_count, representative_seed=seed
        )
    model_file = f"{name}.{quantize}.tflite"
    info = _file_metadata(meta, quantize, inputs, outputs, notes, model_file)
    programs = _spec(meta).programs(
        export_dir, meta, quantize, representative_count, seed
    )
    files = {"model": model_file}
    for role, (_, entry) in programs.items():
        files[role] = f"{name}.{role}.{quantize}.tflite"
        info[role] = {"file": files[role], **entry}
    metadata_file = f"{name}.{quantize}.json"
    # Converted in memory; nothing is written unless every file may be.
    check_outputs(
        [out_dir / f for f in (*files.values(), metadata_file)],
        overwrite,
        ours=lambda path: _written_here(path, out_dir / metadata_file),
    )
    paths = {"model": write_atomic(out_dir / model_file, content)}
    for role, (program_content, _) in programs.items():
        paths[role] = write_atomic(out_dir / files[role], program_content)
    paths["metadata"] = write_atomic(
        out_dir / metadata_file,
        (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    )
    return paths


def _written_here(path, metadata_path):
    """Whether `path` is a file of an earlier `export_tflite` into the same folder.

    Its JSON (`metadata_path`) is one this module writes, and names `path`.
    """
    info = json_object(metadata_path)
    if info is None or not {"format_version", "file", "quantization"} <= set(info):
        return False
    if path.name == metadata_path.name:
        return True
    named = [info["file"]] + [
        v["file"] for v in info.values() if isinstance(v, dict) and "file" in v
    ]
    return path.name in named


# --- checks ------------------------------------------------------------------------


def parity(export_dir, tflite_path, n=8, seed=0):
    """Max absolute difference between a `.tflite` file and its SavedModel.

    A generator file is compared with the export's signature that it
    converts (the family's TFLite `signature`, usually `generate`) on
    `example_inputs(export_dir, n, seed)`; another program of the family
    (GAN-CLS's text encoder) as the family's TFLite `parity` says. Runs on
    LiteRT, or on
    TensorFlow's own (deprecated) interpreter when the `litert` extra is not
    installed, so `export-tflite` checks its files either way.

    Returns:
        The max absolute difference, a float.
    """
    from keras_gans._tensorflow import tf

    program = _Program(_interpreter(model_path=str(tflite_path), litert_only=False))
    loaded = _load(export_dir)
    meta = read_metadata(export_dir)
    if program.signature == _spec(meta).signature:
        feeds = example_inputs(export_dir, n, seed, loaded=loaded)
        reference = loaded.signatures[program.signature]
        expected = reference(**{k: tf.constant(v) for k, v in feeds.items()})
        got = program.run(feeds)
        return float(np.max(np.abs(got["images"] - expected["images"].numpy())))
    return _spec(meta).parity(export_dir, loaded, meta, program)


# --- the command-line entry points -------------------------------------------------


def quantizations(values, supported=QUANTIZATIONS):
    """`--quantize` values (repeatable, or `"all"`) -> unique modes in order.

    `"all"` is every mode in `supported` (a family's TFLite `quantizations`).
    """
    chosen = []
    for value in values or ("none",):
        for mode in supported if value == "all" else (_check_quantize(value),):
            if mode not in chosen:
                chosen.append(mode)
    return chosen


def convert(source, out_dir, quantize=("none",), name=None, check=True, **kwargs):
    """Converts `source` once per quantization and checks every file.

    Args:
        source: a model source (`keras_gans.sources`): an export, run
            folder, `.keras` file, preset or zoo name.
        out_dir: where the files go.
        quantize: modes from `QUANTIZATIONS`, or `"all"` (those the
            family converts with: not `"int8"` for an autoregressive
            sampler). Defaults to `("none",)`.
        name: the files' base name. Defaults to `None`: the zoo name when
            `source` is one, else the model kind.
        check: measure `parity` for every `.tflite` file written. Defaults
            to `True`.
        **kwargs: passed on to `export_tflite`.

    Returns:
        One dict per mode: `quantize`, `paths`, `bytes` and `parity` (by file
        role, `"model"` / `"text_encoder"`), and the `export_dir` converted.
    """
    requested = [quantize] if isinstance(quantize, str) else quantize
    quantizations(requested)  # a bad mode fails before anything is loaded
    if name is None and sources.kind(source) == "name":
        name = str(source)  # a zoo name: dcgan_fashion_mnist.none.tflite
    results = []
    with sources.saved_model_dir(source) as export_dir:
        spec = _spec(read_metadata(export_dir))
        for mode in quantizations(requested, spec.quantizations):
            paths = export_tflite(export_dir, out_dir, mode, name=name, **kwargs)
            result = {
                "quantize": mode,
                "export_dir": str(export_dir),
                "paths": {k: str(p) for k, p in paths.items()},
                "bytes": {k: p.stat().st_size for k, p in paths.items()},
                "parity": {},
            }
            if check:
                for role, path in paths.items():
                    if role != "metadata":
                        result["parity"][role] = parity(export_dir, path)
            results.append(result)
    return results


def report_lines(results):
    """Human-readable lines for `convert`'s results (what the tools print)."""
    lines = []
    for result in results:
        lines.append(f"{result['quantize']}:")
        for role, path in result["paths"].items():
            line = f"  {path}  {result['bytes'][role]:,} bytes"
            if role in result["parity"]:
                line += f"  max |tflite - SavedModel| = {result['parity'][role]:.3g}"
            lines.append(line)
    return lines


__all__ = [
    "GENERATOR_SIGNATURE",
    "LiteRTSampler",
    "QUANTIZATIONS",
    "convert",
    "example_inputs",
    "export_tflite",
    "parity",
    "quantizations",
    "report_lines",
    "to_uint8",
    "tokenize",
]
