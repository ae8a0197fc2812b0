"""Image datasets for GAN training, offline first.

`load()` returns a batched `tf.data.Dataset` of float32 images in [-1, 1].
Fashion-MNIST is read from local files (Debian's `dataset-fashion-mnist`, the
Keras cache, or a directory you name) and never downloaded; any
tensorflow-datasets image dataset works through the same call when
`tensorflow-datasets` is installed.

For text-to-image models, `load("fashion_captions")` yields `(image, caption)`
pairs: Fashion-MNIST with captions naming each image's class and its shade
and width measured from the pixels (`keras_gans.data.captions`), with
held-out sentence patterns for evaluation (`wording="held_out"`).
`from_pairs` and `from_embeddings` build the same pipeline from your own
(image, text) pairs or precomputed text embeddings; `measure_attributes`
measures the attributes on any images, generated ones included.
`load_cub_captions` pairs CUB-200-2011 birds (tfds `caltech_birds2011`) with
Reed et al.'s captions (`keras_gans.data.cub`).

A path instead of a name reads your own pictures (`keras_gans.data.folders`):
a folder, glob, list of files, `.zip` or `.tar`, on every backend.

Example:

>>> ds = keras_gans.data.load("fashion_mnist", batch_size=128, seed=0)
>>> ds = keras_gans.data.load("./photos", image_shape=(64, 64, 3), seed=0)
>>> ds = keras_gans.data.load("celeb_a", image_shape=(64, 64, 3))  # via tfds
>>> ds = keras_gans.data.load("fashion_captions", batch_size=64, with_labels=True)
"""

from typing import TYPE_CHECKING

from keras_gans._lazy import lazy
from keras_gans.data.fashion_mnist import CLASS_NAMES, DataNotFoundError

if TYPE_CHECKING:  # what the lazy names are, for type checkers and the API pages
    from keras_gans.data.captions import (
        CaptionedData,
        from_embeddings,
        from_pairs,
        load_captioned,
        measure_attributes,
    )
    from keras_gans.data.cub import CubCaptions, load_cub_captions
    from keras_gans.data.loader import (
        CAPTIONED_DATASETS,
        LOCAL_DATASETS,
        load,
        load_arrays,
    )
    from keras_gans.data.options import pipeline_options, with_pipeline_options

# The tf.data pipelines import TensorFlow when first used.
__getattr__, __dir__ = lazy(
    __name__,
    {
        **dict.fromkeys(
            (
                "CaptionedData",
                "from_embeddings",
                "from_pairs",
                "load_captioned",
                "measure_attributes",
            ),
            "keras_gans.data.captions",
        ),
        "CubCaptions": "keras_gans.data.cub",
        "pipeline_options": "keras_gans.data.options",
        "with_pipeline_options": "keras_gans.data.options",
        "load_cub_captions": "keras_gans.data.cub",
        **dict.fromkeys(
            ("CAPTIONED_DATASETS", "LOCAL_DATASETS", "load", "load_arrays"),
            "keras_gans.data.loader",
        ),
    },
)

__all__ = [
    "CAPTIONED_DATASETS",
    "CLASS_NAMES",
    "CaptionedData",
    "CubCaptions",
    "DataNotFoundError",
    "LOCAL_DATASETS",
    "from_embeddings",
    "from_pairs",
    "load",
    "load_arrays",
    "load_captioned",
    "load_cub_captions",
    "measure_attributes",
    "pipeline_options",
    "with_pipeline_options",
]
