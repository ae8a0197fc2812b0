"""Text encoders for text-to-image GANs (GAN-CLS): strings -> phi(t).

- `TextEncoder`: a Keras model from raw strings to vectors
  (`TextVectorization`, embedding, 1-D CNN or bidirectional GRU, Dense);
  saves and loads inside any `.keras` file, vocabulary included.
- `pretrain_text_encoder`: trains it with an image encoder on (image,
  caption) pairs so that matching pairs score higher than non-matching
  ones (`symmetric_contrastive_loss`, in `JointEmbedding`), as Reed et al.
  (2016) pretrain their char-CNN-RNN with a joint embedding.
- `evaluate_text_encoder` and `keras_gans.text.retrieval`: retrieval,
  class structure and attribute probes.
- `load_text_encoder()`: the encoder pretrained on `fashion_captions` that
  ships in this package (card: `docs/text_encoder.md`).
- `get_encoder(spec)`: any text encoder as a Keras layer: a `TextEncoder`,
  any Keras layer, a Python callable, a `.keras` file, a SavedModel
  sentence encoder directory, or the name `"fashion_captions"`.

Example:

>>> encoder = keras_gans.text.load_text_encoder()
>>> encoder(["a pale, slim sneaker", "a dark wide coat"]).shape
TensorShape([2, 128])
"""

from keras_gans.text.contrastive import (
    JointEmbedding,
    build_image_encoder,
    contrastive_logits,
    symmetric_contrastive_loss,
)
from keras_gans.text.encoder import TextEncoder
from keras_gans.text.pretraining import (
    default_encoder_path,
    evaluate_text_encoder,
    load_text_encoder,
    pretrain_text_encoder,
    save_text_encoder,
)
from keras_gans.text.wrappers import (
    CallableTextEncoder,
    SavedModelTextEncoder,
    get_encoder,
)

__all__ = [
    "CallableTextEncoder",
    "JointEmbedding",
    "SavedModelTextEncoder",
    "TextEncoder",
    "build_image_encoder",
    "contrastive_logits",
    "default_encoder_path",
    "evaluate_text_encoder",
    "get_encoder",
    "load_text_encoder",
    "pretrain_text_encoder",
    "save_text_encoder",
    "symmetric_contrastive_loss",
]
