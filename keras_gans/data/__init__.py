"""Image datasets for GAN training, offline first.

`load()` returns a batched `tf.data.Dataset` of float32 images in [-1, 1].
Fashion-MNIST is read from local files (Debian's `dataset-fashion-mnist`, the
Keras cache, or a directory you name) and never downloaded; any
tensorflow-datasets image dataset works through the same call when
`tensorflow-datasets` is installed.

Example:

>>> ds = keras_gans.data.load("fashion_mnist", batch_size=128, seed=0)
>>> ds = keras_gans.data.load("celeb_a", image_shape=(64, 64, 3))  # via tfds
"""

from keras_gans.data.fashion_mnist import CLASS_NAMES, DataNotFoundError
from keras_gans.data.loader import LOCAL_DATASETS, load, load_arrays

__all__ = ["CLASS_NAMES", "DataNotFoundError", "LOCAL_DATASETS", "load", "load_arrays"]
