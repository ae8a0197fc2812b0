"""InceptionV3 pool features, as FID is usually computed, from local weights.

The network is `keras.applications.InceptionV3` and the weights are Keras's
own ImageNet file, read from a path you give or from the Keras cache; nothing
is downloaded. Preprocessing follows the common FID code (TTUR, pytorch-fid):
grey copied to 3 channels, bilinear resize to 299x299, values in [-1, 1]
(what `keras.applications.inception_v3.preprocess_input` makes of [0, 255]
pixels), then the 2048-d global average pool of the last block.

FID values from these weights are comparable with each other, not with
published FIDs: those use the 2015 TensorFlow Inception graph
(`pt_inception-2015-12-05` in pytorch-fid), whose weights and a few pooling
layers differ from `keras.applications`.
"""

import os
import pathlib

import keras

from keras_gans._tensorflow import tf
from keras_gans.features.base import FeatureExtractor, file_digest

NAME = "inception_v3"
INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_CLASSES = 1000
DEFAULT_BATCH_SIZE = 32

# The names keras.applications.InceptionV3 caches its downloads under
# (keras/src/applications/inception_v3.py), and the md5 hashes it checks.
WEIGHTS_FILES = {
    False: "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
    True: "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
}
OFFICIAL_MD5 = {
    WEIGHTS_FILES[False]: "bcbd6486424b2319ff4ef7d526e38f63",
    WEIGHTS_FILES[True]: "9a0d58056eeedaa3f26cb7ebd46da564",
}
WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
)


class WeightsNotFoundError(FileNotFoundError):
    """Raised when InceptionV3 weights are in none of the places searched."""


def keras_cache_dirs():
    """Directories Keras caches downloaded weights in, in the order it uses them.

    `$KERAS_HOME/models` if `KERAS_HOME` is set, `~/.keras/models`, and
    `/tmp/.keras/models` (Keras's fallback when the home is not writable).
    """
    homes = []
    if os.environ.get("KERAS_HOME"):
        homes.append(pathlib.Path(os.environ["KERAS_HOME"]))
    homes.append(pathlib.Path(os.path.expanduser("~")) / ".keras")
    homes.append(pathlib.Path("/tmp") / ".keras")
    dirs = []
    for home in homes:
        if home / "models" not in dirs:
            dirs.append(home / "models")
    return dirs


def find_inception_weights(weights_path=None, include_top=False):
    """Returns the path of a local InceptionV3 weights file.

    Args:
        weights_path: A file to use (`.h5` as Keras ships it, or a
            `.weights.h5` / `.keras` file saved by Keras 3). Defaults to
            `None`: look in the Keras cache (`keras_cache_dirs()`) for the
            file `keras.applications.InceptionV3` would have downloaded.
        include_top: Whether the weights include the 1000-class ImageNet
            head. Defaults to `False`.

    Raises:
        FileNotFoundError: If `weights_path` is given and is not a file.
        WeightsNotFoundError: If no cached file exists; the message lists
            the places searched and how to get the file.
    """
    if weights_path is not None:
        path = pathlib.Path(weights_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"Expected an InceptionV3 weights file at weights_path={str(path)!r}; "
                "there is no such file."
            )
        return path
    filename = WEIGHTS_FILES[bool(include_top)]
    candidates = [directory / filename for directory in keras_cache_dirs()]
    for path in candidates:
        if path.is_file():
            return path
    top = "True" if include_top else "False"
    raise WeightsNotFoundError(
        f"InceptionV3 weights ({filename}) not found. Looked in:\n"
        + "".join(f"  - {path}\n" for path in candidates)
        + "keras_gans never downloads them. To get the file, do one of:\n"
        "  - on a machine with internet access, fill the Keras cache once: "
        f'python -c "import keras; keras.applications.InceptionV3('
        f'include_top={top})"\n'
        f"  - download {WEIGHTS_URL}{filename} (md5 {OFFICIAL_MD5[filename]}) "
        "and pass weights_path=, or put it in one of the folders above."
    )


def inception_preprocess(images):
    """The FID preprocessing: `(n, H, W, 1 or 3)` in [-1, 1] -> `(n, 299, 299, 3)`.

    Grey images are copied to 3 channels; the resize is bilinear with
    half-pixel centres and no antialiasing (as `F.interpolate(...,
    mode="bilinear", align_corners=False)` in pytorch-fid). Values stay in
    [-1, 1], the input range of `keras.applications` InceptionV3.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 1:
        images = tf.tile(images, [1, 1, 1, 3])
    if tuple(images.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
        images = tf.image.resize(
            images, (INPUT_SIZE, INPUT_SIZE), method="bilinear", antialias=False
        )
    return images


def build_inception(include_top=False):
    """InceptionV3 with random weights, shaped for FID.

    `include_top=False`: outputs the 2048-d average pool. `include_top=True`:
    outputs `[pool features, 1000 logits]`.
    """
    if not include_top:
        return keras.applications.InceptionV3(
            include_top=False,
            weights=None,
            input_shape=(INPUT_SIZE, INPUT_SIZE, 3),
            pooling="avg",
        )
    full = keras.applications.InceptionV3(
        include_top=True, weights=None, classifier_activation=None
    )
    return full, keras.Model(
        full.inputs, [full.get_layer("avg_pool").output, full.outputs[0]]
    )


class InceptionFeatures(FeatureExtractor):
    """InceptionV3 (`keras.applications`) pool features, for FID/KID on any images.

    Args:
        weights_path: Weights file. Defaults to `None`: the file Keras caches
            for `InceptionV3(include_top=include_top)`; see
            `find_inception_weights`.
        include_top: Also load the ImageNet head, so that `probabilities()`
            (1000 classes, for the Inception Score) works. Needs the larger
            with-top weights file. Defaults to `False`.

    Raises:
        FileNotFoundError / WeightsNotFoundError: See `find_inception_weights`.

    Example:

    >>> extractor = InceptionFeatures()  # ~/.keras/models/...notop.h5
    >>> extractor.features(images).shape  # images: (n, H, W, C) in [-1, 1]
    (n, 2048)
    """

    name = NAME
    feature_dim = FEATURE_DIM
    default_batch_size = DEFAULT_BATCH_SIZE
    expected_shape = "(n, H, W, 1 or 3) or (n, H, W)"

    def __init__(self, weights_path=None, include_top=False):
        self.weights_path = weights_path
        self.include_top = bool(include_top)
        self._path = find_inception_weights(weights_path, self.include_top)
        if self.include_top:
            self.model, both = build_inception(include_top=True)
            self.num_classes = NUM_CLASSES
        else:
            self.model = both = build_inception(include_top=False)
            self.num_classes = None
        # The same call keras.applications makes after downloading.
        self.model.load_weights(self._path)
        self._md5 = file_digest(self._path, "md5")
        self._sha256 = file_digest(self._path)

        def forward(batch):
            outputs = both(inception_preprocess(batch), training=False)
            return tuple(outputs) if self.include_top else (outputs, None)

        # One trace per input shape; reduce_retracing folds batch sizes.
        self._forward = tf.function(forward, reduce_retracing=True, autograph=False)

    def describe(self):
        info = super().describe()
        official = self._md5 == OFFICIAL_MD5[WEIGHTS_FILES[self.include_top]]
        info.update(
            layer="avg_pool",
            input="floats in [-1, 1]; grey tiled to RGB, bilinear resize to 299x299",
            weights=str(self._path),
            weights_sha256=self._sha256,
            official_keras_weights=official,
        )
        return info

    def _accepts_shape(self, shape):
        return shape[-1] in (1, 3) and min(shape[1:3]) >= 1

    def _run(self, batch):
        return self._forward(tf.constant(batch))
