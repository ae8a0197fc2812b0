"""One SavedModel signature to `.tflite` bytes, with TFLite's builtin ops only.

The converter step that `keras_gans.export.tflite` runs for a generator,
and that a family's TFLite spec runs for its other programs (GAN-CLS's text
encoder), so that neither needs the other.
"""

from __future__ import annotations

import re
import warnings

from keras_gans.export.litert import _interpreter, _Program

QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
"""The quantizations `export_tflite` writes a `.tflite` file for."""
FORMAT_VERSION = 1

_QUANTIZATION_NOTES = {
    "none": "float32 weights and arithmetic",
    "float16": "float16 weights, dequantized to float32 when loaded",
    "dynamic": "int8 weights; activations quantized on the fly where an op "
    "supports it (dynamic range)",
    "int8": "int8 weights and activations, calibrated on latents drawn like "
    "the model draws them; float32 inputs and output (quantized and "
    "dequantized inside the model)",
}


def _check_quantize(quantize):
    if quantize not in QUANTIZATIONS:
        raise ValueError(
            f"Expected quantize in {QUANTIZATIONS}; received {quantize!r}."
        )
    return quantize


# --- conversion --------------------------------------------------------------------


def convert_signature(export_dir, signature, quantize, representative=None):
    """`.tflite` bytes of one signature, and notes on how it was converted."""
    from keras_gans._tensorflow import tf

    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(export_dir), signature_keys=[signature]
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    notes = {}
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize != "int8":
        return converter.convert(), notes
    converter.representative_dataset = representative
    converter.inference_input_type = tf.float32
    converter.inference_output_type = tf.float32
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with warnings.catch_warnings():
        # Calibration runs the deprecated tf.lite.Interpreter.
        warnings.simplefilter("ignore")
        try:
            content = converter.convert()
            notes.update(full_integer=True, float_ops_allowed=False)
        except Exception as e:  # noqa: BLE001 - the converter raises several types
            # Some op has no int8 kernel: let it run in float.
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                tf.lite.OpsSet.TFLITE_BUILTINS,
            ]
            content = converter.convert()
            notes.update(
                full_integer=False,
                float_ops_allowed=True,
                fallback_reason=first_line(e),
            )
    return content, notes


def first_line(error):
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    # Drop MLIR's location (a long call-site path) before the message.
    return re.sub(r"loc\(.*\): (?=')", "", line)[:500]


def unsupported_ops(error):
    return sorted(set(re.findall(r"'tf\.(\w+)' op is neither", str(error))))


def describe(content, signature):
    """The inputs and outputs of `signature` in a `.tflite` file's bytes."""
    program = _Program(
        _interpreter(model_content=content, litert_only=False), signature
    )
    return program.inputs, program.outputs
