"""What exporting needs from a model family, beyond the model's own signatures.

The SavedModel's functions and metadata are the model's
(`export_signatures()`, `export_metadata()`); a `.tflite` file needs more:
which signature converts, what its noise input is and how a phone draws
it, and any program beside the generator. `TFLiteSpec` says that; its
methods do what fits a generator of latent vectors, and a family overrides
what differs in a subclass (`keras_gans/models/<family>/family.py`).
"""

from __future__ import annotations

from keras_gans.models.family import Spec


class TFLiteSpec(Spec):
    """What `export_tflite` converts for a family, and what its JSON says.

    Args:
        signature: the export signature that the `.tflite` generator file
            converts: one without random ops, since a phone draws the
            noise. Defaults to `"generate"`.
        noise: the name of that signature's noise input, which
            `latent_layout` describes. Defaults to `"latent"`.
        quantizations: the quantizations its generator file converts with
            (`export-tflite --quantize all` takes these). Defaults to all
            four.
        refused: why any other quantization is refused. Defaults to `""`.
    """

    def __init__(
        self,
        signature="generate",
        noise="latent",
        quantizations=("none", "float16", "dynamic", "int8"),
        refused="",
    ):
        self.signature = signature
        self.noise = noise
        self.quantizations = tuple(quantizations)
        self.refused = refused

    def latent_layout(self, meta):
        """Which latent columns are what (for phones), from an export's metadata."""
        distribution = meta["latent_distribution"]
        return {
            "noise": {
                "columns": [0, meta["latent_dim"]],
                "distribution": distribution,
                "range": [-1.0, 1.0] if distribution == "uniform" else None,
            }
        }

    def file_metadata(self, meta):
        """Entries of the export's metadata that a `.tflite` file's JSON repeats."""
        del meta
        return {}

    def feed_metadata(self, meta):
        """What a converted file's JSON (TFLite or ONNX) says of its noise and images.

        The latent size, distribution and layout, the image shape and
        output range, the uint8 formula, and the family's `file_metadata`.
        """
        return {
            "latent_dim": meta.get("latent_dim"),
            "latent_distribution": meta.get("latent_distribution", "uniform"),
            "latent_layout": self.latent_layout(meta),
            "image_shape": meta["image_shape"],
            "output_range": meta["output_range"],
            "uint8": "uint8 = clip(round((images + 1) * 127.5), 0, 255)",
            **self.file_metadata(meta),
        }

    def example_inputs(self, loaded, meta, latent, sample_extras, rng):
        """Generator feeds besides `latent` for parity checks and int8 calibration.

        Args:
            loaded: the SavedModel (`tf.saved_model.load`).
            meta: its metadata.
            latent: the latents drawn, `(n, latent_dim)`.
            sample_extras: what else the export's `sample` signature returned
                (GAN-CLS: the `texts` it chose), or `{}`.
            rng: a NumPy generator for anything drawn here.
        """
        del loaded, meta, latent, sample_extras, rng
        return {}

    def programs(self, export_dir, meta, quantize, count, seed):
        """Extra `.tflite` files beside the generator's: `{role: (bytes, entry)}`.

        GAN-CLS converts its text encoder here. `entry` goes into the
        generator's JSON under the role's name.
        """
        del export_dir, meta, quantize, count, seed
        return {}

    def parity(self, export_dir, loaded, meta, program):
        """Max |tflite - SavedModel| of one of `tflite_programs`' files."""
        del export_dir, loaded, meta
        raise ValueError(
            f"{self.family.name} writes no .tflite file with the signature "
            f"{program.signature!r}."
        )


def tflite_spec(family):
    """The `TFLiteSpec` of `family` (the default one where it gives none)."""
    return family.spec("tflite", TFLiteSpec)


class OnnxSpec(Spec):
    """What an ONNX file of a family's export holds, or why it has none.

    The ONNX file converts the same signature as the family's `.tflite`
    file (its `TFLiteSpec.signature`: noise in, images out, no random
    ops), with a dynamic batch size; its JSON describes the noise as the
    TFLite JSON does.

    Args:
        refused: why this family's exports do not convert to ONNX, or `""`
            when they do. Defaults to `""`.
    """

    def __init__(self, refused=""):
        self.refused = refused


def onnx_spec(family):
    """The `OnnxSpec` of `family` (the default one where it gives none)."""
    return family.spec("onnx", OnnxSpec)
