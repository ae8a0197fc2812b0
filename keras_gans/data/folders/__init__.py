"""Your own pictures: folders, globs, file lists and archives, on every backend.

`keras_gans.data.load(path)` reads them through `load_folder`:

>>> ds = keras_gans.data.load("./photos", image_shape=(64, 64, 3), seed=0)
>>> ds = keras_gans.data.load("~/img_align_celeba/", crop_box=(25, 45, 153, 173))
>>> ds = keras_gans.data.load("emoji.zip", with_labels=True, holdout=0.05)

- `sources`: what a path names (no picture opened);
- `decode`: one file to one uint8 array, with Pillow, the same everywhere;
- `cache`: decoded pictures kept on disk, memory-mapped when read;
- `folder`: `ImageFolder`, the pictures of a source, read on demand;
- `batches`: its batches, as `tf.data` on TensorFlow, a `PyDataset` elsewhere;
- `captions`: captions from `.txt` files, `metadata.jsonl` or a caption tree.
"""

from keras_gans.data.folders.decode import BadImageError
from keras_gans.data.folders.load import FOLDER_OPTIONS, load_folder, open_folder
from keras_gans.data.folders.sources import NoImagesError, is_path_source, list_images

__all__ = [
    "BadImageError",
    "FOLDER_OPTIONS",
    "NoImagesError",
    "is_path_source",
    "list_images",
    "load_folder",
    "open_folder",
]
