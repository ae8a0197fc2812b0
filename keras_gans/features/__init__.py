"""Feature extractors for evaluation metrics: images in [-1, 1] -> activations.

Three extractors share one interface (`FeatureExtractor`: `features`,
`probabilities`, `predict_classes`, `describe`):

- `"fashion_mnist_classifier"` (the offline default): a small CNN trained
  here on Fashion-MNIST and shipped in the package; 128-d features from its
  penultimate layer, 10 class probabilities. Card: `docs/classifier.md`.
- `"emoji_classifier"` (offline, colour 64x64): a small CNN trained here on
  the 11 Twemoji groups and shipped in the package; 128-d features, 11
  class probabilities. Card: `docs/emoji_classifier.md`.
- `"inception_v3"`: `keras.applications.InceptionV3`, 2048-d pool features
  as in the common FID code, with weights from a local file or the Keras cache
  (never downloaded).

A reported metric names its extractor (`extractor.describe()`) and its
sample counts: numbers from different extractors are not comparable.

Example:

>>> extractor = keras_gans.features.get_extractor("fashion_mnist_classifier")
>>> feats = extractor.features(images)  # (n, 28, 28, 1) in [-1, 1] -> (n, 128)
"""

from keras_gans.features.base import FeatureExtractor
from keras_gans.features.classifier import (
    FashionClassifierFeatures,
    build_fashion_classifier,
    default_classifier_path,
    evaluate_fashion_classifier,
    load_fashion_classifier,
    save_fashion_classifier,
    train_fashion_classifier,
)
from keras_gans.features.emoji import (
    EmojiClassifierFeatures,
    build_emoji_classifier,
    evaluate_emoji_classifier,
    load_emoji_classifier,
    train_emoji_classifier,
)
from keras_gans.features.inception import (
    InceptionFeatures,
    WeightsNotFoundError,
    find_inception_weights,
    inception_preprocess,
)

DEFAULT_EXTRACTOR = "fashion_mnist_classifier"
"""The feature extractor of the metrics when none is named."""
_EXTRACTORS = {
    "fashion_mnist_classifier": FashionClassifierFeatures,
    "emoji_classifier": EmojiClassifierFeatures,
    "inception_v3": InceptionFeatures,
}
EXTRACTORS = tuple(_EXTRACTORS)
"""The names `get_extractor` takes."""


def get_extractor(name=DEFAULT_EXTRACTOR, **kwargs):
    """Returns a `FeatureExtractor` by name (or passes one through).

    Args:
        name: One of `EXTRACTORS`, or a `FeatureExtractor` instance, returned
            as it is. Defaults to `"fashion_mnist_classifier"`.
        **kwargs: Passed to the extractor's constructor, e.g.
            `weights_path=` for `"inception_v3"`, `path=` for the classifier.
    """
    if isinstance(name, FeatureExtractor):
        if kwargs:
            raise ValueError(
                f"Expected no keyword arguments with an extractor instance, "
                f"received {sorted(kwargs)}."
            )
        return name
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else name
    if key not in _EXTRACTORS:
        raise ValueError(f"Expected an extractor in {EXTRACTORS}, received {name!r}.")
    return _EXTRACTORS[key](**kwargs)


__all__ = [
    "DEFAULT_EXTRACTOR",
    "EXTRACTORS",
    "EmojiClassifierFeatures",
    "FashionClassifierFeatures",
    "FeatureExtractor",
    "InceptionFeatures",
    "WeightsNotFoundError",
    "build_emoji_classifier",
    "build_fashion_classifier",
    "default_classifier_path",
    "evaluate_emoji_classifier",
    "evaluate_fashion_classifier",
    "find_inception_weights",
    "get_extractor",
    "inception_preprocess",
    "load_emoji_classifier",
    "load_fashion_classifier",
    "save_fashion_classifier",
    "train_emoji_classifier",
    "train_fashion_classifier",
]
