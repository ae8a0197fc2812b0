"""Exporting generators: SavedModels for TF Serving, TFLite for phones."""

from keras_gans.export.saved_model import (
    METADATA_FILE,
    export_saved_model,
    metadata,
    read_metadata,
)

__all__ = ["METADATA_FILE", "export_saved_model", "metadata", "read_metadata"]
