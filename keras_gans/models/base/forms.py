"""Layer forms: how a network's layers compute on this backend and at this precision.

A form swaps how some layers compute (their `call`) for a way that is
faster here, and changes nothing else: each layer keeps its class, config
and weights, computes the same function, and is saved and loaded as
before, so a file written on one backend or CPU loads and trains the same
on another. Every model calls `apply_layer_forms` once, on its built
networks (after its dtype policy is set, which some forms read):

1. `keras_gans.models.subpixel.use_subpixel`: on JAX and PyTorch, the
   4x4 stride-2 "same" transposed convolutions (DCGAN's and the VAE's
   upsampling) as the computation that measured faster there;
2. `keras_gans.models.base.precision.float32_convolutions`: on a CPU
   whose TensorFlow has no fast bfloat16 convolutions, the bfloat16
   convolutions computed in float32.

The order matters: a later form wraps what an earlier one made (the
float32 form casts around the sub-pixel computation).
"""

from __future__ import annotations

from keras_gans.models import subpixel
from keras_gans.models.base import precision

# (name, function): each function takes networks (skipping `None`s), changes
# the layers it applies to once, and returns how many it changed.
FORMS = (
    ("subpixel", subpixel.use_subpixel),
    ("float32_convolutions", precision.float32_convolutions),
)


def apply_layer_forms(*networks):
    """Applies every form of `FORMS`, in order, to the layers of `networks`.

    A layer a form already changed is left as it is, so calling this again
    (on a network shared with another model) changes nothing more.

    Args:
        *networks: `keras.Model`s; `None`s (a model without an EMA
            generator) are skipped.

    Returns:
        `{form name: the number of layers it changed}`.
    """
    return {name: form(*networks) for name, form in FORMS}
