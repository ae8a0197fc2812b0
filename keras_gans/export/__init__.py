"""Exporting generators: SavedModels for TF Serving, TFLite for phones, ONNX.

LiteRT (`ai_edge_litert`, the `litert` extra) is imported only when a
`.tflite` file is opened, not by importing this package.
"""

from keras_gans.export.litert import LiteRTSampler
from keras_gans.export.onnx import export_onnx
from keras_gans.export.saved_model import (
    METADATA_FILE,
    export_saved_model,
    metadata,
    read_metadata,
)
from keras_gans.export.spec import OnnxSpec, TFLiteSpec
from keras_gans.export.tflite import QUANTIZATIONS, export_tflite, parity
from keras_gans.export.tokenizer import tokenize

__all__ = [
    "LiteRTSampler",
    "METADATA_FILE",
    "OnnxSpec",
    "QUANTIZATIONS",
    "TFLiteSpec",
    "export_onnx",
    "export_saved_model",
    "export_tflite",
    "metadata",
    "parity",
    "read_metadata",
    "tokenize",
]
