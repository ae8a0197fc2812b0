"""scikit-learn's 8x8 handwritten digits, offline: a tiny dataset for quick runs.

The UCI "Optical Recognition of Handwritten Digits" test set as bundled with
scikit-learn (`sklearn.datasets.load_digits`): 1797 greyscale 8x8 images of
the digits 0-9, each pixel a count of 0..16. It ships inside the
scikit-learn package, so nothing is downloaded; scikit-learn is an optional
dependency (`pip install "keras-gans[sklearn]"`).

Images are upscaled x2 to 16x16 (so that the DCGAN and InfoGAN networks can
halve them twice: 16 -> 8 -> 4) and stored as uint8 in [0, 255] like
Fashion-MNIST: pixel value v becomes round(v * 255 / 16), so 0 maps to -1.0
and 16 to 1.0 in the models' range.

There is no official split. A fixed permutation (NumPy's PCG64 with seed 0)
puts 1497 images in `"train"` and the other 300 in `"test"`, the same on every
machine and every call.
"""

import numpy as np

CLASS_NAMES = tuple(str(d) for d in range(10))
SPLITS = ("train", "test")
IMAGE_SHAPE = (16, 16, 1)
NATIVE_SHAPE = (8, 8)
NUM_EXAMPLES = {"train": 1497, "test": 300}
SPLIT_SEED = 0
MAX_VALUE = 16  # the scanned counts run from 0 to 16
INSTALL_HINT = 'pip install "keras-gans[sklearn]"'


def _load_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "The 'digits' dataset is scikit-learn's bundled 8x8 digits, and "
            f"scikit-learn is not installed. Install it with: {INSTALL_HINT} "
            f"(or pip install scikit-learn). ({e})"
        ) from e
    return load_digits()


def upscale(images):
    """8x8 counts in 0..16 -> 16x16 uint8 in [0, 255].

    Nearest neighbour (each pixel becomes a 2x2 block) rather than bilinear:
    the images are already tiny and blurry, bilinear would smear each stroke
    further and invent grey levels the scans never had, while pixel
    replication keeps every image exactly (the 17 levels, and 2x2 averaging
    gives the original back).

    Args:
        images: `(n, 8, 8)` numbers in [0, 16].

    Returns:
        uint8 array `(n, 16, 16)`.
    """
    images = np.asarray(images, dtype="float64")
    scaled = np.rint(images * (255.0 / MAX_VALUE)).clip(0, 255).astype("uint8")
    return scaled.repeat(2, axis=1).repeat(2, axis=2)


def split_indices(n, split):
    """Indices into the 1797 images of one split (see the module docstring)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_train = n - NUM_EXAMPLES["test"]
    return np.sort(order[:n_train] if split == "train" else order[n_train:])


def load_split(split="train", data_dir=None):
    """Reads one split of the digits as uint8 numpy arrays.

    Args:
        split: `"train"` (1497 examples) or `"test"` (300 examples).
            Defaults to `"train"`.
        data_dir: ignored: the data ships with scikit-learn. Accepted so that
            every offline dataset takes the same arguments.

    Returns:
        A tuple `(images, labels)`: uint8 arrays of shape `(N, 16, 16)` in
        [0, 255], and `(N,)` with the digit in `[0, 10)`.

    Raises:
        ImportError: If scikit-learn is not installed.
        ValueError: If `split` is unknown or scikit-learn's copy is not the
            expected 1797 8x8 images.
    """
    del data_dir
    if split not in SPLITS:
        raise ValueError(f"Digits splits are {SPLITS}, received split={split!r}.")
    bunch = _load_digits()
    images, labels = np.asarray(bunch.images), np.asarray(bunch.target)
    total = sum(NUM_EXAMPLES.values())
    if images.shape != (total,) + NATIVE_SHAPE or labels.shape != (total,):
        raise ValueError(
            f"Expected scikit-learn's digits as {total} images of 8x8 with one "
            f"label each; received images of shape {images.shape} and labels of "
            f"shape {labels.shape}."
        )
    index = split_indices(total, split)
    return upscale(images[index]), labels[index].astype("uint8")
