"""Generators as ONNX files: noise in, images out, any batch size.

`export_onnx(export_dir, out_dir)` converts the signature of a SavedModel
export that a phone's `.tflite` file converts too (the family's
`TFLiteSpec.signature`: `generate` for a latent generator, GAN-CLS's
`generate` with its `text_embedding`, the autoregressive models'
`sample_from_uniforms`), through tf2onnx, to `<name>.onnx`, and writes
`<name>.onnx.json` beside it: the inputs and output, the latent layout
(which columns are noise, which are codes, how to draw them) and the
output range, as the TFLite JSON says them. ONNX Runtime then draws what
the model draws for the same noise (`parity`).

The route is TensorFlow's: tf2onnx 1.17 installs beside TensorFlow 2.21
(`pip install "keras-gans[onnx]"`). It converts the SavedModel, so a model
trained on any Keras backend converts once exported. A family whose
generator does not convert says why (`keras_gans.export.spec.OnnxSpec`).
"""

from __future__ import annotations

import json
import os
import pathlib
import warnings

import numpy as np

from keras_gans.export.saved_model import read_metadata
from keras_gans.export.spec import onnx_spec, tflite_spec
from keras_gans.files import write_atomic
from keras_gans.outputs import check_outputs, json_object

FORMAT_VERSION = 1
# ONNX's operator set: 17 is read by ONNX Runtime 1.12 (2022) and later.
OPSET = 17
ONNX_HINT = 'ONNX export needs tf2onnx and onnx: pip install "keras-gans[onnx]"'


def _family(meta):
    from keras_gans.models.registry import family_for_kind

    return family_for_kind(meta["model"])


def _require(module):
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(f"{ONNX_HINT} ({e}).", name=e.name) from e


def convert_signature(export_dir, signature, opset=OPSET):
    """ONNX bytes of one signature of a SavedModel, inputs and outputs by name.

    The batch dimension stays dynamic; the inputs keep the signature's
    argument names and the outputs its output keys.
    """
    from keras_gans._tensorflow import tf

    tf2onnx = _require("tf2onnx")
    loaded = tf.saved_model.load(str(export_dir))
    function = loaded.signatures[signature]
    arguments = function.structured_input_signature[1]
    names = sorted(arguments)
    specs = [
        tf.TensorSpec(arguments[k].shape, arguments[k].dtype, name=k) for k in names
    ]

    @tf.function(input_signature=specs)
    def call(*values):
        return function(**dict(zip(names, values, strict=True)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf2onnx's NumPy 2 notes
        proto, _ = tf2onnx.convert.from_function(call, specs, opset=opset)
    return proto.SerializeToString()


def describe(content):
    """`(inputs, outputs)` of ONNX bytes: name, shape (None: any) and dtype each."""
    onnx = _require("onnx")
    from onnx import helper

    graph = onnx.load_from_string(content).graph
    initialized = {i.name for i in graph.initializer}

    def info(value):
        tensor = value.type.tensor_type
        shape = [
            d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim
        ]
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
        return {"name": value.name, "shape": shape, "dtype": dtype}

    inputs = [info(v) for v in graph.input if v.name not in initialized]
    return inputs, [info(v) for v in graph.output]


def _file_metadata(meta, content, filename, opset):
    spec = tflite_spec(_family(meta))
    inputs, outputs = describe(content)
    return {
        "format_version": FORMAT_VERSION,
        "model": meta["model"],
        "class": meta.get("class"),
        "file": filename,
        "opset": opset,
        "signature": spec.signature,
        "noise_input": spec.noise,
        "inputs": inputs,
        "outputs": outputs,
        "batch": "the first dimension of every input and output is the batch: any size",
        **spec.feed_metadata(meta),
    }


def export_onnx(export_dir, out_dir, name=None, opset=OPSET, overwrite=False):
    """Converts an export's generator to `<out_dir>/<name>.onnx` and its JSON.

    Args:
        export_dir: a version folder written by `model.export()`.
        out_dir: where the files go (created if needed).
        name: the files' base name. Defaults to `None`: the model's family
            (`"dcgan"`, `"pixelcnn"`, ...).
        opset: ONNX's operator set. Defaults to `OPSET` (17).
        overwrite: replace files in `out_dir` that an earlier conversion did
            not write. Defaults to `False`: those raise `OutputExistsError`
            before anything is written.

    Returns:
        `{"model": path, "metadata": path}`, the files written (each to a
        temporary file first, then renamed into place).

    Raises:
        ValueError: for a family whose generator does not convert, with the
            reason.
    """
    meta = read_metadata(export_dir)
    family = _family(meta)
    refused = onnx_spec(family).refused
    if refused:
        raise ValueError(f"A {family.name} export has no ONNX form: {refused}.")
    name = meta["model"] if name is None else str(name)
    if not name or os.sep in name or name in (".", ".."):
        raise ValueError(f"Expected a file base name; received {name!r}.")
    out_dir = pathlib.Path(out_dir)
    model_file, metadata_file = f"{name}.onnx", f"{name}.onnx.json"
    content = convert_signature(export_dir, tflite_spec(family).signature, opset)
    info = _file_metadata(meta, content, model_file, opset)
    check_outputs(
        [out_dir / model_file, out_dir / metadata_file],
        overwrite,
        ours=lambda path: _written_here(path, out_dir / metadata_file),
    )
    return {
        "model": write_atomic(out_dir / model_file, content),
        "metadata": write_atomic(
            out_dir / metadata_file,
            (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        ),
    }


def _written_here(path, metadata_path):
    """Whether `path` is a file of an earlier `export_onnx` into the same folder."""
    info = json_object(metadata_path)
    if info is None or not {"format_version", "file", "opset"} <= set(info):
        return False
    return path.name in (metadata_path.name, info["file"])


def session(onnx_path):
    """An ONNX Runtime session of a file (CPU)."""
    ort = _require("onnxruntime")
    return ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])


def parity(export_dir, onnx_path, n=8, seed=0):
    """Max |ONNX Runtime - SavedModel| on the same noise (and conditions).

    The inputs are the TFLite parity check's (`keras_gans.export.tflite.
    example_inputs`): noise drawn as the model draws it, and a family's
    other inputs (GAN-CLS's text embeddings).
    """
    from keras_gans._tensorflow import tf
    from keras_gans.export.tflite import example_inputs

    loaded = tf.saved_model.load(str(export_dir))
    spec = tflite_spec(_family(read_metadata(export_dir)))
    feeds = example_inputs(export_dir, n, seed, loaded=loaded)
    expected = loaded.signatures[spec.signature](
        **{k: tf.constant(v) for k, v in feeds.items()}
    )["images"].numpy()
    runtime = session(onnx_path)
    wanted = {i.name for i in runtime.get_inputs()}
    got = runtime.run(["images"], {k: v for k, v in feeds.items() if k in wanted})[0]
    return float(np.max(np.abs(got - expected)))


def convert(source, out_dir, name=None, check=True, overwrite=False):
    """Converts `source` (an export, run folder, `.keras` file, preset or zoo name).

    Returns:
        `{"paths": {role: path}, "bytes": {role: size}, "parity": float or
        None, "export_dir": str}`.
    """
    from keras_gans import sources

    if name is None and sources.kind(source) == "name":
        name = str(source)
    with sources.saved_model_dir(source) as export_dir:
        paths = export_onnx(export_dir, out_dir, name=name, overwrite=overwrite)
        return {
            "export_dir": str(export_dir),
            "paths": {k: str(p) for k, p in paths.items()},
            "bytes": {k: p.stat().st_size for k, p in paths.items()},
            "parity": parity(export_dir, paths["model"]) if check else None,
        }


def export_model(model, filepath, overwrite=False):
    """`model.export(filepath, format="onnx")`: the model's generator as ONNX.

    `filepath` is the `.onnx` file to write (its JSON goes beside it), or a
    folder (then `<family>.onnx` in it). The model is exported as a
    SavedModel to a temporary folder first and converted from there, as
    `export_onnx` converts any export.

    Returns:
        `{"model": path, "metadata": path}`.
    """
    from keras_gans import sources

    path = pathlib.Path(filepath)
    out_dir, name = (path.parent, path.stem) if path.suffix == ".onnx" else (path, None)
    with sources.exported(model) as export_dir:
        return export_onnx(export_dir, out_dir, name=name, overwrite=overwrite)
