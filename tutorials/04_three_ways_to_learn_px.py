# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Tutorial 4: three ways to learn p(x)
#
# The source notes teach three families of generative models. All three fit
# a model p_theta(x) to data; they differ in what they can tell us about it:
#
# 1. **Autoregressive models** write p(x) with the chain rule,
#    p(x) = p(x_1) p(x_2 | x_1) ... p(x_n | x_<n), and model each
#    conditional. The likelihood is exact; sampling takes n steps.
# 2. **Latent-variable models** (the VAE) write p(x) = integral p(x|z) p(z)
#    dz, which no one can compute, and maximise a lower bound of log p(x),
#    the ELBO. Sampling is one pass; the likelihood is only bounded.
# 3. **GANs** learn to sample and give no likelihood at all.
#
# This tutorial trains the autoregressive ladder of the notes and a VAE on
# binarised Fashion-MNIST with `keras_gans`, checks what can be checked
# exactly, and compares them by likelihood and by their samples.
#
# Run it top to bottom: `python tutorials/04_three_ways_to_learn_px.py`
# (about 10 minutes on a 2-core CPU), or open it in Jupyter with jupytext.
# Figures go to `docs/tutorials/04_*.png`. With
# `KERAS_GANS_TUTORIAL_QUICK=1` it trains tiny models on the 512 images of
# the test fixture (CI uses this; the numbers then mean nothing) and writes
# its figures to `$KERAS_GANS_TUTORIAL_OUT` if that is set.

# %%
import io
import itertools
import math
import os
import pathlib
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write PNG files; no window needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.files import write_atomic  # noqa: E402
from keras_gans.images import from_uint8, image_grid  # noqa: E402

warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

QUICK = os.environ.get("KERAS_GANS_TUTORIAL_QUICK", "") == "1"


def _repo_root():
    try:
        return pathlib.Path(__file__).resolve().parents[1]
    except NameError:  # inside Jupyter, started from tutorials/ or the repo
        cwd = pathlib.Path.cwd()
        return cwd.parent if cwd.name == "tutorials" else cwd


ROOT = _repo_root()
OUT = pathlib.Path(
    os.environ.get("KERAS_GANS_TUTORIAL_OUT") or ROOT / "docs" / "tutorials"
)
OUT.mkdir(parents=True, exist_ok=True)
DATA_DIR = ROOT / "tests" / "fixtures" / "fashion-mnist" if QUICK else None
START = time.perf_counter()
print(f"mode: {'quick (CI)' if QUICK else 'full'}; figures -> {OUT}")


def save(fig, name):
    """Writes a figure to OUT/name as a PNG (atomically) and closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    path = write_atomic(OUT / name, buffer.getvalue())
    print(f"wrote {path}")


# %% [markdown]
# ## 1. The chain rule, and what each assumption costs
#
# For n binary pixels the full joint table has 2^n - 1 free numbers: for a
# 28x28 image, 2^784 - 1, about 10^236. The chain rule is exact in any
# order; a model becomes affordable by what it assumes about each
# conditional p(x_i | x_<i):
#
# - independent pixels: p(x_i | x_<i) = p(x_i), n parameters;
# - a Markov chain of order 1: p(x_i | x_<i) = p(x_i | x_{i-1}), one number
#   for the first pixel and two for each other: 2n - 1;
# - a fully connected autoregressive model (MADE): every conditional a
#   function of all earlier pixels, one masked network for all of them;
# - PixelCNN: conditionals of a neighbourhood of earlier pixels, with
#   convolution weights shared across positions.
#
# `keras_gans` has each of them; their parameter counts:

# %%
SHAPE = (28, 28, 1)
n = int(np.prod(SHAPE))
MADE_HIDDEN = (64,) if QUICK else (500,)
PIXELCNN = dict(filters=8, blocks=1) if QUICK else dict(filters=32, blocks=5)


def build(name):
    keras.utils.set_random_seed(0)
    if name == "independent pixels":
        return keras_gans.IndependentPixels(image_shape=SHAPE, seed=0)
    if name == "Markov chain":
        return keras_gans.MarkovChain(image_shape=SHAPE, seed=0)
    if name == "MADE":
        return keras_gans.MADE(image_shape=SHAPE, hidden=MADE_HIDDEN, seed=0)
    return keras_gans.PixelCNN(image_shape=SHAPE, seed=0, **PIXELCNN)


LADDER = ("independent pixels", "Markov chain", "MADE", "PixelCNN")
models = {name: build(name) for name in LADDER}
counts = {"full joint": 2.0**n - 1}
counts.update({name: float(m.parameter_count()) for name, m in models.items()})
for name, count in counts.items():
    print(f"{name:>20}: {count:.4g} parameters")
assert counts["independent pixels"] == n and counts["Markov chain"] == 2 * n - 1

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.barh(list(counts)[::-1], [math.log10(c) for c in list(counts.values())[::-1]])
ax.set_xlabel("log10(parameters), 28x28 binary images")
ax.set_title("The ladder: what each assumption costs")
for i, c in enumerate(list(counts.values())[::-1]):
    ax.text(math.log10(c), i, f" {c:.3g}", va="center")
ax.set_xlim(0, 260)
fig.tight_layout()
save(fig, "04_parameter_counts.png")

# %% [markdown]
# ## 2. Exact likelihoods sum to one
#
# "Exact" can be checked. On images of 2x2 binary pixels there are 16
# images; an autoregressive model's probabilities over all of them must sum
# to 1, whatever its weights (here random ones).

# %%
tiny = np.array(list(itertools.product([-1.0, 1.0], repeat=4)), "float32").reshape(
    16, 2, 2, 1
)
for name, model in (
    ("independent pixels", keras_gans.IndependentPixels(image_shape=(2, 2, 1))),
    ("Markov chain", keras_gans.MarkovChain(image_shape=(2, 2, 1))),
    ("MADE", keras_gans.MADE(image_shape=(2, 2, 1), hidden=(8,))),
    ("PixelCNN", keras_gans.PixelCNN(image_shape=(2, 2, 1), filters=4, blocks=1)),
):
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 1, w.shape) for w in model.get_weights()])
    total = np.exp(model.log_prob(tiny)).sum()
    print(f"{name:>20}: sum of p(x) over the 16 images = {total:.6f}")
    assert abs(total - 1) < 1e-4

# %% [markdown]
# ## 3. Training the ladder
#
# `keras_gans.data.load` gives images in [-1, 1]; each model binarises them
# itself (a pixel is 1 where it is brighter than mid-grey) and minimises
# -log p(x) with `fit()`. The two convex models get a larger step.

# %%
EPOCHS = {"independent pixels": 3, "Markov chain": 3, "MADE": 10, "PixelCNN": 3}
dataset = keras_gans.data.load(
    "fashion_mnist", batch_size=128, data_dir=DATA_DIR, seed=0
)
test_images, test_labels = keras_gans.data.load_arrays(
    "fashion_mnist", "test", data_dir=DATA_DIR
)
test = from_uint8(test_images[: 128 if QUICK else 2000])
train_seconds = {}
for name, model in models.items():
    rate = 0.05 if name in ("independent pixels", "Markov chain") else 1e-3
    model.compile(optimizer=keras.optimizers.Adam(rate))
    started = time.perf_counter()
    model.fit(dataset, epochs=1 if QUICK else EPOCHS[name], verbose=0)
    train_seconds[name] = time.perf_counter() - started
    print(f"{name:>20}: trained in {train_seconds[name]:.0f} s")

# %% [markdown]
# ## 4. The VAE and its ELBO
#
# The VAE's encoder gives q(z|x) = N(mu(x), sigma(x)^2); the decoder gives
# p(x|z), here a Bernoulli per pixel. The loss is -ELBO:
#
#     -ELBO = E_q[-log p(x|z)] + KL(q(z|x) || N(0, I)),
#
# reconstruction plus regulariser, logged separately by `fit()`.

# %%
keras.utils.set_random_seed(0)
vae = keras_gans.VAE(
    image_shape=SHAPE,
    latent_dim=8 if QUICK else 32,
    filters=(8, 16) if QUICK else (32, 64),
    seed=0,
)
vae.compile()
started = time.perf_counter()
history = vae.fit(dataset, epochs=2 if QUICK else 10, verbose=0).history
train_seconds["VAE"] = time.perf_counter() - started
epochs = np.arange(1, len(history["loss"]) + 1)
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(epochs, history["loss"], "k-o", label="-ELBO (loss)")
ax.plot(
    epochs, history["reconstruction"], "b-o", label="reconstruction: E_q[-log p(x|z)]"
)
ax.plot(epochs, history["kl"], "r-o", label="KL(q(z|x) || p(z))")
ax.set_xlabel("epoch")
ax.set_ylabel("nats per image")
ax.set_title("The ELBO's two terms during training")
ax.legend()
fig.tight_layout()
save(fig, "04_elbo_terms.png")
print({k: round(v[-1], 2) for k, v in history.items()})

# %% [markdown]
# The ELBO is below log p(x) by KL(q(z|x) || p(z|x)). Averaging k importance
# weights tightens it (Burda et al. 2016): the IWAE bound rises with k
# towards log p(x).

# %%
ks = (1, 4, 16, 64) if QUICK else (1, 4, 16, 64, 256)
few = test[:64]
bounds = [-vae.iwae_bound(few, k=k, seed=0).mean() for k in ks]
elbo = -vae.elbo(few, seed=0).mean()
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(ks, bounds, "b-o", label="-IWAE bound")
ax.axhline(elbo, color="k", ls="--", label="-ELBO (one z)")
ax.set_xscale("log")
ax.set_xlabel("importance samples k")
ax.set_ylabel("nats per image (64 test images)")
ax.set_title("Tighter bounds on -log p(x) as k grows")
ax.legend()
fig.tight_layout()
save(fig, "04_iwae_k.png")
for k, b in zip(ks, bounds, strict=True):
    print(f"k = {k:>3}: -IWAE = {b:.2f} nats")

# %% [markdown]
# ## 5. The likelihoods side by side
#
# Exact -log p(x) for the ladder, and the two bounds for the VAE, on the
# binarised test images (nats per image; lower is better).

# %%
scores = {name: -m.log_prob(test).mean() for name, m in models.items()}
scores["VAE (-ELBO)"] = -vae.elbo(test, seed=0).mean()
scores["VAE (-IWAE, k=64)"] = -vae.iwae_bound(test, k=64, seed=0).mean()
for name, value in scores.items():
    print(f"{name:>20}: {value:8.2f} nats  ({value / (n * math.log(2)):.4f} bits/dim)")
fig, ax = plt.subplots(figsize=(7, 3.6))
ax.barh(list(scores)[::-1], list(scores.values())[::-1], color="tab:blue")
ax.set_xlabel(f"-log p(x), nats per test image ({len(test)} images)")
ax.set_title("Lower is better; the VAE's bars are upper bounds")
fig.tight_layout()
save(fig, "04_likelihoods.png")

# %% [markdown]
# ## 6. Samples
#
# A likelihood does not say how samples look. Independent pixels draw
# noise shaped like the mean image; the Markov chain adds horizontal
# streaks; MADE and PixelCNN draw garments; the VAE's decoder means are
# blurry but shaped (its Bernoulli samples would add pixel noise).

# %%
rows = []
for name, model in models.items():
    started = time.perf_counter()
    rows.append((name, model.generate(8, seed=1)))
    print(f"{name:>20}: 8 samples in {time.perf_counter() - started:.1f} s")
rows.append(("VAE (means)", vae.generate(8, seed=1)))
rows.append(("data (binarised)", np.where(test[:8] > 0, 1.0, -1.0)))
fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.3 * len(rows)))
for ax, (name, images) in zip(axes, rows, strict=True):
    ax.imshow(image_grid(images, ncols=8)[..., 0], cmap="gray")
    ax.set_ylabel(name, rotation=0, ha="right", va="center")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Samples of each model (seed 1)")
fig.tight_layout()
save(fig, "04_samples.png")
print(f"done in {time.perf_counter() - START:.0f} s")
