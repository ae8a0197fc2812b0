"""GAN losses as pure functions of discriminator outputs.

Every variant is a pair `<variant>_discriminator_loss(real, fake)` and
`<variant>_generator_loss(fake)`, where `real` and `fake` are the
discriminator's raw outputs (logits for the log-loss variants, scores for the
others) on a batch of real and generated examples. Each returns the batch mean
by default, or per-example values with `reduction="none"`, which is what the
models use so they can average over the *global* batch under `tf.distribute`.
All are written in `keras.ops`: they run on every Keras backend.

`get(name)` returns the pair as a `GANLoss`, which the models use by name
(`model.compile(loss="hinge")`). A loss of your own trains, saves and loads
like a built-in one once it is registered, in the running program or
through an entry point, before a saved model that uses it is loaded:

```python
keras_gans.losses.register(GANLoss("relativistic", my_d_loss, my_g_loss))
```

```toml
# pyproject.toml of the package that defines it
[project.entry-points."keras_gans.losses"]
relativistic = "my_package.losses:RELATIVISTIC"
```
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable

import keras
from keras import ops

from keras_gans import plugins

__all__ = [
    "ENTRY_POINT_GROUP",
    "GANLoss",
    "categorical_code_loss",
    "continuous_code_loss",
    "get",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "information_loss",
    "is_registered",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "matching_aware_discriminator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "names",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "r1_penalty",
    "register",
    "unregister",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(values, reduction):
    # Per-example first (mean over any non-batch axes, e.g. a patch
    # discriminator's map), then over the batch.
    values = ops.convert_to_tensor(values)
    rank = len(values.shape)
    if rank > 1:
        values = ops.mean(values, axis=tuple(range(1, rank)))
    if reduction == "mean":
        return ops.mean(values)
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "none":
        return values
    raise ValueError(
        f"`reduction` must be one of {_REDUCTIONS}; received reduction={reduction!r}."
    )


def _float(x):
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    return x if "float" in dtype else ops.cast(x, "float32")


# --- Goodfellow et al. 2014, "Generative Adversarial Nets" ----------------------


def minimax_discriminator_loss(real_logits, fake_logits, reduction="mean"):
    """The discriminator's side of the minimax game (Goodfellow et al. 2014).

    D maximises E[log D(x)] + E[log(1 - D(G(z)))]; this returns the negative,
    `-log sigmoid(real) - log(1 - sigmoid(fake))`, computed stably from logits
    as `softplus(-real) + softplus(fake)`. At the game's optimum D outputs 1/2
    everywhere and the loss is `log 4`.

    Args:
        real_logits: D's logits on real examples, shape `(batch,)` or `(batch, 1)`.
        fake_logits: D's logits on generated examples, same shape.
        reduction: `"mean"`, `"sum"` or `"none"` (per example). Defaults to
            `"mean"`.
    """
    real = _float(real_logits)
    fake = _float(fake_logits)
    return _reduce(ops.softplus(-real) + ops.softplus(fake), reduction)


def minimax_generator_loss(fake_logits, reduction="mean"):
    """The generator's side of the minimax game: minimise E[log(1 - D(G(z)))].

    Saturates: when D confidently rejects samples early in training, the
    gradient of `log(1 - D(G(z)))` vanishes. Use the non-saturating loss to
    train; this one is here for the theory and for comparison.

    Args:
        fake_logits: D's logits on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    # log(1 - sigmoid(x)) = -softplus(x)
    return _reduce(-ops.softplus(_float(fake_logits)), reduction)


def non_saturating_discriminator_loss(real_logits, fake_logits, reduction="mean"):
    """Same as `minimax_discriminator_loss`: only G's loss differs."""
    return minimax_discriminator_loss(real_logits, fake_logits, reduction)


def non_saturating_generator_loss(fake_logits, reduction="mean"):
    """The "modified" generator loss of Goodfellow et al. 2014: maximise log D(G(z)).

    Returns `-log sigmoid(fake) = softplus(-fake)`. It has the same fixed point
    as the minimax loss but strong gradients while D rejects the samples.

    Args:
        fake_logits: D's logits on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    return _reduce(ops.softplus(-_float(fake_logits)), reduction)


# --- Mao et al. 2017, "Least Squares Generative Adversarial Networks" ------------


def least_squares_discriminator_loss(real_scores, fake_scores, reduction="mean"):
    """LSGAN discriminator loss with targets a=0 (fake), b=1 (real).

    `0.5 * (D(x) - 1)^2 + 0.5 * D(G(z))^2` on raw (linear) discriminator outputs.

    Args:
        real_scores: D's outputs on real examples.
        fake_scores: D's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    real = _float(real_scores)
    fake = _float(fake_scores)
    return _reduce(0.5 * ops.square(real - 1.0) + 0.5 * ops.square(fake), reduction)


def least_squares_generator_loss(fake_scores, reduction="mean"):
    """LSGAN generator loss with target c=1: `0.5 * (D(G(z)) - 1)^2`.

    Args:
        fake_scores: D's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    return _reduce(0.5 * ops.square(_float(fake_scores) - 1.0), reduction)


# --- Arjovsky et al. 2017; Gulrajani et al. 2017 (WGAN-GP) -----------------------


def wasserstein_discriminator_loss(real_scores, fake_scores, reduction="mean"):
    """The critic's loss: `D(G(z)) - D(x)` (it maximises the score gap).

    Pair it with `gradient_penalty` (WGAN-GP) to keep the critic 1-Lipschitz.

    Args:
        real_scores: the critic's outputs on real examples.
        fake_scores: the critic's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    return _reduce(_float(fake_scores) - _float(real_scores), reduction)


def wasserstein_generator_loss(fake_scores, reduction="mean"):
    """The generator's Wasserstein loss: `-D(G(z))`.

    Args:
        fake_scores: the critic's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    return _reduce(-_float(fake_scores), reduction)


def gradient_penalty(critic, real, fake, alpha, reduction="mean"):
    """WGAN-GP penalty `(||grad_x D(x_hat)||_2 - 1)^2` (Gulrajani et al. 2017).

    `x_hat = alpha * real + (1 - alpha) * fake`, with one `alpha` per example
    drawn uniformly from [0, 1] by the caller (so the caller owns the
    randomness and the function stays pure).

    Args:
        critic: callable from a batch of examples to scores.
        real: real examples, shape `(batch, ...)`.
        fake: generated examples, same shape as `real`.
        alpha: interpolation weights, shape `(batch,)`, in [0, 1].
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    from keras_gans.models.base import backends

    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    alpha = ops.reshape(
        ops.cast(alpha, real.dtype), (-1,) + (1,) * (len(real.shape) - 1)
    )
    x_hat = alpha * real + (1.0 - alpha) * fake
    # The input gradient is the one thing here keras.ops cannot say.
    grads = backends.input_gradients(critic, x_hat)
    grads = ops.reshape(grads, (ops.shape(grads)[0], -1))
    # The epsilon keeps the gradient of the norm finite where grads == 0.
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=1) + 1e-12)
    return _reduce(ops.square(norm - 1.0), reduction)


def r1_penalty(critic, real, reduction="mean"):
    """R1 penalty `||grad_x D(x)||_2^2` on real examples (Mescheder et al. 2018).

    Penalising D's gradient on the data keeps D from pushing back where G
    already matches it; Mescheder et al. show that it makes training
    converge locally where the plain GAN oscillates. The model multiplies
    it by `gamma / 2` (their weighting).

    Args:
        critic: callable from a batch of examples to scores (logits for the
            logistic losses).
        real: real examples, shape `(batch, ...)`.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    from keras_gans.models.base import backends

    grads = backends.input_gradients(critic, ops.convert_to_tensor(real))
    grads = ops.reshape(ops.cast(grads, "float32"), (ops.shape(grads)[0], -1))
    return _reduce(ops.sum(ops.square(grads), axis=1), reduction)


# --- Lim & Ye 2017; Miyato et al. 2018 -------------------------------------------


def hinge_discriminator_loss(real_scores, fake_scores, reduction="mean"):
    """Hinge discriminator loss: `relu(1 - D(x)) + relu(1 + D(G(z)))`.

    Args:
        real_scores: D's outputs on real examples.
        fake_scores: D's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    real = _float(real_scores)
    fake = _float(fake_scores)
    return _reduce(ops.relu(1.0 - real) + ops.relu(1.0 + fake), reduction)


def hinge_generator_loss(fake_scores, reduction="mean"):
    """Hinge generator loss: `-D(G(z))`.

    Args:
        fake_scores: D's outputs on generated examples.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    return _reduce(-_float(fake_scores), reduction)


# --- Chen et al. 2016, "InfoGAN" ------------------------------------------------
#
# InfoGAN maximises a variational lower bound of the mutual information
# between the codes c and the image G(z, c):
#     I(c; G(z, c)) >= E[log Q(c | G(z, c))] + H(c) = H(c) - L_I,
# where Q is an auxiliary network and L_I = E[-log Q(c | x)] is the negative
# log-likelihood below. H(c) is a constant, so minimising L_I tightens the
# bound; `log K - L_I` for a uniform categorical code is the bound in nats.

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def categorical_code_loss(codes, logits, reduction="mean"):
    """-log Q(c | x) for a categorical code: softmax cross-entropy.

    Args:
        codes: the codes G was given, one-hot `(batch, K)` (or
            probabilities) or category indices `(batch,)`.
        logits: Q's logits `(batch, K)`.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.

    Returns:
        The cross-entropy in nats; `log K` when Q guesses uniformly.
    """
    logits = _float(logits)
    codes = ops.convert_to_tensor(codes)
    if len(codes.shape) == 1 and len(logits.shape) == 2:
        codes = ops.one_hot(ops.cast(codes, "int32"), logits.shape[-1])
    codes = ops.cast(codes, logits.dtype)
    if len(codes.shape) != 2 or len(logits.shape) != 2:
        raise ValueError(
            "Expected categorical codes (batch, K) or (batch,) and logits "
            f"(batch, K); received shapes {tuple(codes.shape)} and "
            f"{tuple(logits.shape)}."
        )
    values = -ops.sum(codes * ops.log_softmax(logits), axis=-1)
    return _reduce(values, reduction)


def continuous_code_loss(codes, mean, log_std=None, reduction="mean"):
    """-log Q(c | x) for continuous codes under a factored Gaussian Q.

    Per example, the sum over codes j of
    `0.5 * ((c_j - mu_j) / sigma_j)**2 + log sigma_j + 0.5 * log(2 pi)`.
    With `log_std=None` sigma is fixed to 1 (as in the InfoGAN authors' MNIST
    code), which leaves half the squared error plus a constant.

    Args:
        codes: the codes G was given, `(batch, c)`.
        mean: Q's predicted means `(batch, c)`.
        log_std: Q's predicted log standard deviations `(batch, c)`, or
            `None` for sigma = 1. Defaults to `None`.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    mean = _float(mean)
    codes = ops.cast(codes, mean.dtype)
    if len(codes.shape) != 2 or tuple(codes.shape) != tuple(mean.shape):
        raise ValueError(
            "Expected continuous codes and Q's means of one shape (batch, c); "
            f"received {tuple(codes.shape)} and {tuple(mean.shape)}."
        )
    if log_std is None:
        log_std = ops.zeros_like(mean)
    log_std = ops.cast(log_std, mean.dtype)
    z = (codes - mean) * ops.exp(-log_std)
    values = ops.sum(0.5 * ops.square(z) + log_std + _HALF_LOG_2PI, axis=-1)
    return _reduce(values, reduction)


def information_loss(
    categorical_codes=(),
    categorical_logits=(),
    continuous_codes=None,
    continuous_mean=None,
    continuous_log_std=None,
    categorical_weight=1.0,
    continuous_weight=0.1,
    reduction="mean",
):
    """InfoGAN's weighted information term: lambda times L_I, per code kind.

    `categorical_weight * sum_i CE(c_i, Q_i) + continuous_weight * NLL(c, Q)`.
    Chen et al. 2016 use lambda = 1 for categorical codes and a smaller one
    for continuous codes, whose log-likelihood has another scale.

    Args:
        categorical_codes: one `(batch, K_i)` one-hot block per categorical
            code.
        categorical_logits: Q's logits for each, same shapes.
        continuous_codes: `(batch, c)` or `None`.
        continuous_mean: Q's means `(batch, c)` or `None`.
        continuous_log_std: Q's log standard deviations, or `None` (sigma 1).
        categorical_weight: lambda of the categorical codes. Defaults to `1.0`.
        continuous_weight: lambda of the continuous codes. Defaults to `0.1`.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    if len(categorical_codes) != len(categorical_logits):
        raise ValueError(
            f"Expected one logits tensor per categorical code; received "
            f"{len(categorical_codes)} codes and {len(categorical_logits)} logits."
        )
    total = None
    for codes, logits in zip(categorical_codes, categorical_logits, strict=True):
        term = categorical_weight * categorical_code_loss(codes, logits, "none")
        total = term if total is None else total + term
    if continuous_codes is not None and continuous_codes.shape[-1]:
        term = continuous_weight * continuous_code_loss(
            continuous_codes, continuous_mean, continuous_log_std, "none"
        )
        total = term if total is None else total + term
    if total is None:
        raise ValueError("Expected at least one code; received none.")
    return _reduce(total, reduction)


# --- Reed et al. 2016, "Generative Adversarial Text to Image Synthesis" --------


def matching_aware_discriminator_loss(
    real_right, real_wrong, fake_right, base="non_saturating", reduction="mean"
):
    """GAN-CLS's discriminator loss over three (image, text) pairs.

    (real image, right text) is real; (real image, wrong text) and (fake
    image, right text) are fake, weighted 0.5 each:
    `0.5 * L_D(real_right, real_wrong) + 0.5 * L_D(real_right, fake_right)`,
    which for the log loss is
    `-log s_r - 0.5 * (log(1 - s_w) + log(1 - s_f))` (Reed et al. 2016,
    Algorithm 1), with `L_D` the discriminator loss of `base`.

    Args:
        real_right: D's outputs on (real image, its own text).
        real_wrong: D's outputs on (real image, a mismatching text).
        fake_right: D's outputs on (generated image, the text it was drawn for).
        base: a loss name or `GANLoss` whose discriminator loss is used.
            Defaults to `"non_saturating"`.
        reduction: `"mean"`, `"sum"` or `"none"`. Defaults to `"mean"`.
    """
    d_loss = get(base).discriminator_loss
    values = 0.5 * d_loss(real_right, real_wrong, reduction="none") + 0.5 * d_loss(
        real_right, fake_right, reduction="none"
    )
    return _reduce(values, reduction)


# --- Registry --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """A named pair of GAN losses and how to read the discriminator's output.

    Attributes:
        name: the registry name.
        discriminator_loss: `(real, fake, reduction) -> loss`.
        generator_loss: `(fake, reduction) -> loss`.
        outputs_logits: whether D's output is a logit, so that `sigmoid(D(x))`
            is the probability that x is real (the models report it as
            `d_real` / `d_fake`); otherwise the raw score is reported.
        gradient_penalty_weight: weight of `gradient_penalty` added to D's
            loss (0 for none).
        weight_clip: clip D's weights to [-c, c] after each D step (0 for
            none); the original WGAN's way to keep the critic Lipschitz.
    """

    name: str
    discriminator_loss: Callable
    generator_loss: Callable
    outputs_logits: bool = True
    gradient_penalty_weight: float = 0.0
    weight_clip: float = 0.0


_LOSSES = {
    "minimax": GANLoss("minimax", minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": GANLoss(
        "non_saturating",
        non_saturating_discriminator_loss,
        non_saturating_generator_loss,
    ),
    "least_squares": GANLoss(
        "least_squares",
        least_squares_discriminator_loss,
        least_squares_generator_loss,
        outputs_logits=False,
    ),
    # Arjovsky et al. 2017: c = 0.01 (use RMSprop, lr 5e-5, as the paper did).
    "wasserstein": GANLoss(
        "wasserstein",
        wasserstein_discriminator_loss,
        wasserstein_generator_loss,
        outputs_logits=False,
        weight_clip=0.01,
    ),
    "wasserstein_gp": GANLoss(
        "wasserstein_gp",
        wasserstein_discriminator_loss,
        wasserstein_generator_loss,
        outputs_logits=False,
        gradient_penalty_weight=10.0,
    ),
    "hinge": GANLoss(
        "hinge", hinge_discriminator_loss, hinge_generator_loss, outputs_logits=False
    ),
}


ENTRY_POINT_GROUP = "keras_gans.losses"
"""The entry-point group a package lists its losses under (`name = "module:loss"`)."""
_BUILTIN = tuple(_LOSSES)
_LOCK = threading.RLock()
_PLUGINS_LOADED = False


def _load_plugins():
    """Registers the losses of the entry-point group, once per process."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    with _LOCK:
        if _PLUGINS_LOADED:
            return
        _PLUGINS_LOADED = True
        plugins.load_group(ENTRY_POINT_GROUP, _add_plugin, "GAN loss")


def _add_plugin(name, loss):
    if isinstance(loss, GANLoss) and loss.name != name:
        raise ValueError(f"the entry point is named {name!r} but the loss {loss.name!r}")
    register(loss)


def register(loss, replace=False):
    """Adds a `GANLoss` to the losses `get()` and `compile(loss=...)` know; returns it.

    A model compiled with a registered loss saves it by name, and a
    `.keras` file or preset that names it loads wherever it is registered
    again first (in the program, or through the entry-point group
    `keras_gans.losses`, which is read on first use).

    Args:
        loss: a `GANLoss` whose `name` is a Python identifier.
        replace: replace a loss registered under the same name. Defaults to
            `False`; the built-in losses are never replaced.
    """
    if not isinstance(loss, GANLoss):
        raise TypeError(
            "Expected a keras_gans.losses.GANLoss to register; received "
            f"{type(loss).__name__}."
        )
    if not isinstance(loss.name, str) or not loss.name.isidentifier():
        raise ValueError(
            "Expected a loss name that is a Python identifier such as "
            f"'relativistic'; received name={loss.name!r}."
        )
    with _LOCK:
        existing = _LOSSES.get(loss.name)
        if existing is not None and existing != loss:
            if loss.name in _BUILTIN or not replace:
                raise ValueError(
                    f"A GAN loss named {loss.name!r} is registered already"
                    + (
                        " (a built-in one); give yours another name."
                        if loss.name in _BUILTIN
                        else "; pass replace=True to replace it."
                    )
                )
        _LOSSES[loss.name] = loss
    return loss


def unregister(name):
    """Removes the registered loss `name` (not a built-in one); returns it or `None`."""
    if name in _BUILTIN:
        raise ValueError(f"{name!r} is a built-in GAN loss; it cannot be removed.")
    with _LOCK:
        return _LOSSES.pop(name, None)


def is_registered(loss):
    """Whether `loss` (a `GANLoss`) is the one registered under its name."""
    _load_plugins()
    return _LOSSES.get(loss.name) == loss


def names():
    """The names `get()` accepts: the built-in losses and the registered ones."""
    _load_plugins()
    return tuple(_LOSSES)


def get(identifier):
    """Returns a `GANLoss` by name, or `identifier` itself if it is one.

    Args:
        identifier: one of `names()` (`"minimax"`, `"non_saturating"`,
            `"least_squares"`, `"wasserstein"`, `"wasserstein_gp"`,
            `"hinge"`, and any registered with `register`) or a `GANLoss`.
    """
    if isinstance(identifier, GANLoss):
        return identifier
    _load_plugins()
    if isinstance(identifier, str) and identifier in _LOSSES:
        return _LOSSES[identifier]
    raise ValueError(
        f"Unknown GAN loss: expected one of {list(_LOSSES)} or a "
        f"keras_gans.losses.GANLoss; received {identifier!r}. A loss of your own "
        "must be registered (keras_gans.losses.register, or the entry-point "
        f"group {ENTRY_POINT_GROUP!r}) before a model that uses it is compiled "
        "or loaded."
    )
