"""Fashion-MNIST from local IDX files, without network access.

Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747) is 70,000 28x28 greyscale
images of clothing in 10 classes: 60,000 for training and 10,000 for testing.
The files are looked for, in order:

1. the `data_dir` argument;
2. the directory named by the `KERAS_GANS_DATA_DIR` environment variable;
3. Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`);
4. the Keras download cache (`$KERAS_HOME/datasets/fashion-mnist`).

A location given explicitly (1 or 2) is used on its own: if it lacks the files
that is reported as an error rather than silently replaced by another copy.
Each location may hold the four files directly or in a `fashion-mnist/`
subdirectory.
"""

import os
import pathlib

import numpy as np

from keras_gans.data import idx

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST's ten class names, by label (0: T-shirt/top ... 9: Ankle boot)."""

# The original names, as published and as used by keras.datasets and Debian.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SPLITS = tuple(FILES)
IMAGE_SHAPE = (28, 28, 1)
NUM_EXAMPLES = {"train": 60000, "test": 10000}
DATA_DIR_ENV = "KERAS_GANS_DATA_DIR"
_SUBDIR = "fashion-mnist"


def _keras_cache_dir():
    # Same rule as Keras: $KERAS_HOME, else ~/.keras.
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return pathlib.Path(keras_home) / "datasets" / _SUBDIR


# Searched after `data_dir` and $KERAS_GANS_DATA_DIR. Module level so that
# tests (and unusual installations) can replace it.
DEFAULT_SEARCH_DIRS = [
    pathlib.Path("/usr/share/datasets/fashion-mnist"),
    _keras_cache_dir(),
]

HOW_TO_GET = (
    "To get Fashion-MNIST, do one of:\n"
    "  - on Debian/Ubuntu: apt-get install dataset-fashion-mnist\n"
    "  - with internet access, fill the Keras cache once: "
    'python -c "import keras; keras.datasets.fashion_mnist.load_data()"\n'
    "  - pass data_dir= (or set KERAS_GANS_DATA_DIR) to a directory holding "
    + ", ".join(FILES["train"] + FILES["test"])
)


class DataNotFoundError(FileNotFoundError):
    """Raised when a local dataset is in none of the places searched."""


def _missing_files(directory):
    names = FILES["train"] + FILES["test"]
    return [name for name in names if not (directory / name).is_file()]


def _look_in(directory, allow_subdir):
    """Returns `(found_dir, None)` or `(None, report_line)`."""
    directory = pathlib.Path(directory).expanduser()
    if not directory.is_dir():
        return None, f"  - {directory}: no such directory"
    missing = _missing_files(directory)
    if not missing:
        return directory, None
    line = f"  - {directory}: missing {', '.join(missing)}"
    subdir = directory / _SUBDIR
    if allow_subdir and subdir.is_dir():
        sub_missing = _missing_files(subdir)
        if not sub_missing:
            return subdir, None
        line += f"\n  - {subdir}: missing {', '.join(sub_missing)}"
    return None, line


def find_data_dir(data_dir=None):
    """Finds the directory holding the four Fashion-MNIST files.

    Args:
        data_dir: Directory holding the files (or a `fashion-mnist/`
            subdirectory with them). When given, no other place is searched.
            Defaults to `None`: use `$KERAS_GANS_DATA_DIR` if set, else
            search `DEFAULT_SEARCH_DIRS` in order.

    Returns:
        A `pathlib.Path` of the directory that holds all four files.

    Raises:
        DataNotFoundError: If no searched place holds all four files. The
            message lists every place looked at, the files missing there, and
            how to get the data.
    """
    env_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir is not None:
        searched = "Searched only the data_dir argument, as it was given:"
        places, allow_subdir = [data_dir], True
    elif env_dir:
        searched = f"Searched only ${DATA_DIR_ENV}, as it is set (unset it to use the default locations):"
        places, allow_subdir = [env_dir], True
    else:
        searched = f"Searched (no data_dir given, ${DATA_DIR_ENV} not set):"
        places, allow_subdir = DEFAULT_SEARCH_DIRS, False

    report = []
    for place in places:
        found, line = _look_in(place, allow_subdir)
        if found is not None:
            return found
        report.append(line)
    raise DataNotFoundError(
        "Fashion-MNIST not found: expected the four IDX files in one directory. "
        f"{searched}\n" + "\n".join(report) + "\n" + HOW_TO_GET
    )


def load_split(split="train", data_dir=None):
    """Reads one split of Fashion-MNIST as uint8 numpy arrays.

    Args:
        split: `"train"` (60,000 examples) or `"test"` (10,000 examples).
            Defaults to `"train"`.
        data_dir: Where the files are; see `find_data_dir`. Defaults to
            `None` (search the usual places).

    Returns:
        A tuple `(images, labels)`: uint8 arrays of shape `(N, 28, 28)` with
        0 as background, and `(N,)` with class indices in `[0, 10)` (names in
        `CLASS_NAMES`).

    Raises:
        DataNotFoundError: If the files are not found.
        ValueError: If `split` is unknown or the files are corrupt or
            inconsistent.
    """
    if split not in FILES:
        raise ValueError(
            f"Fashion-MNIST splits are {SPLITS}, received split={split!r}."
        )
    directory = find_data_dir(data_dir)
    image_file, label_file = (directory / name for name in FILES[split])
    images = idx.read_idx(image_file)
    labels = idx.read_idx(label_file)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"Expected uint8 images of shape (N, 28, 28) in {str(image_file)!r}, "
            f"received {images.dtype} of shape {images.shape}."
        )
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(
            f"Expected {images.shape[0]} uint8 labels in {str(label_file)!r} (one "
            f"per image), received {labels.dtype} of shape {labels.shape}."
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise ValueError(
            f"Expected labels in [0, {len(CLASS_NAMES)}) in {str(label_file)!r}, "
            f"received a maximum of {labels.max()}."
        )
    return images, labels
