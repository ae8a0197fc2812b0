"""TensorFlow for the parts of keras_gans that need it, with one clear error.

tf.data loaders, `tf.distribute`, SavedModel and TFLite export, TensorBoard
images, tfds and the streaming metrics use TensorFlow; the models, losses,
latent tools and most callbacks do not. Those parts import TensorFlow
through here, so that without it they fail with one line naming the extra.
"""

try:
    import tensorflow as tf
except ModuleNotFoundError as error:  # pragma: no cover - needs a TF-less env
    if error.name != "tensorflow":
        raise
    raise ModuleNotFoundError(
        "This part of keras_gans (tf.data loaders, tf.distribute, SavedModel "
        "and TFLite export, TensorBoard images, tfds) needs TensorFlow, which "
        "is not installed: pip install 'keras-gans[tensorflow]'.",
        name="tensorflow",
    ) from error

__all__ = ["tf"]
