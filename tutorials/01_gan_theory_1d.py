# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Tutorial 1: the theory of GANs, seen on a 1-D Gaussian
#
# Goodfellow et al. (2014), *Generative Adversarial Nets*, make three claims
# that this tutorial checks numerically with `keras_gans`, on data so small
# (one number per example) that every density can be drawn and every integral
# computed on a grid:
#
# 1. The generator should not use the loss of the game it plays: the
#    "non-saturating" loss gives it gradients when it needs them most.
# 2. For a fixed generator G the best discriminator is
#    D*(x) = p_data(x) / (p_data(x) + p_g(x)), and the value of the game is
#    then -log 4 + 2 JSD(p_data || p_g).
# 3. The game's global optimum is p_g = p_data, where D outputs 1/2
#    everywhere.
#
# Run it top to bottom: `python tutorials/01_gan_theory_1d.py` (about half
# a minute on a 2-core CPU), or open it in Jupyter with jupytext. Figures go
# to `docs/tutorials/01_*.png`. With `KERAS_GANS_TUTORIAL_QUICK=1` it trains
# far less (CI uses this; the numbers are then less converged) and writes
# its figures to `$KERAS_GANS_TUTORIAL_OUT` if that is set.

# %%
import io
import os
import pathlib
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow
os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # what keras_gans needs

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")  # write PNG files; no window needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.files import write_atomic  # noqa: E402

# fit() warns that its shuffle argument is ignored for a tf.data.Dataset (ours
# is shuffled by the dataset itself).
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

QUICK = os.environ.get("KERAS_GANS_TUTORIAL_QUICK", "") == "1"


def _repo_root():
    try:
        return pathlib.Path(__file__).resolve().parents[1]
    except NameError:  # inside Jupyter, started from tutorials/ or the repo
        cwd = pathlib.Path.cwd()
        return cwd.parent if cwd.name == "tutorials" else cwd


OUT = pathlib.Path(
    os.environ.get("KERAS_GANS_TUTORIAL_OUT") or _repo_root() / "docs" / "tutorials"
)
OUT.mkdir(parents=True, exist_ok=True)
START = time.perf_counter()
print(f"mode: {'quick (CI)' if QUICK else 'full'}; figures -> {OUT}")


def save(fig, name):
    """Writes a figure to OUT/name as a PNG (atomically) and closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    path = write_atomic(OUT / name, buffer.getvalue())
    print(f"wrote {path}")


def gaussian_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def jensen_shannon(p, q, x):
    """JSD (in nats) of two densities tabulated on the grid x (trapezoid rule)."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_pm = np.where(p > 0, p * np.log(p / m), 0.0)
        kl_qm = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (np.trapezoid(kl_pm, x) + np.trapezoid(kl_qm, x))


def gaussian_dataset(mean, std, n, batch, seed=0):
    """n draws of N(mean, std^2), shape (n, 1), as shuffled batches."""
    x = np.random.RandomState(seed).normal(mean, std, (n, 1)).astype("float32")
    return (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(n, seed=seed)
        .batch(batch, drop_remainder=True)
    )


# %% [markdown]
# ## 1. The game, and why G plays a slightly different one
#
# D maps an example to the probability that it is real; G maps noise z to an
# example. They play
#
#     min_G max_D V(D, G) = E_x~p_data[log D(x)] + E_z~p_z[log(1 - D(G(z)))].
#
# In `keras_gans` the discriminator outputs a *logit* l and D = sigmoid(l);
# the losses in `keras_gans.losses` take logits, which keeps them numerically
# stable. G's side of the game is to minimise log(1 - D(G(z))):
#
# - `minimax_generator_loss(l)` = log(1 - sigmoid(l)) = -softplus(l), whose
#   gradient is d/dl = -sigmoid(l) = -D(G(z)).
#
# Early in training G's samples are bad, D rejects them confidently,
# D(G(z)) is close to 0, and so is this gradient: G learns nothing exactly
# when it has the most to learn. The paper's fix is to let G *maximise*
# log D(G(z)) instead:
#
# - `non_saturating_generator_loss(l)` = -log sigmoid(l) = softplus(-l), with
#   d/dl = -(1 - D(G(z))), close to -1 when D rejects the samples.
#
# Both push D(G(z)) up, so the dynamics have the same fixed point; only the
# strength of the push differs. Let us measure the gradients with a
# `GradientTape`, at a few logits D might give a fake.

# %%
logits = tf.constant([-8.0, -4.0, -2.0, 0.0, 2.0, 4.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(logits)
    minimax = keras_gans.losses.minimax_generator_loss(logits, reduction="none")
    non_sat = keras_gans.losses.non_saturating_generator_loss(logits, reduction="none")
grad_minimax = tape.gradient(minimax, logits).numpy()
grad_non_sat = tape.gradient(non_sat, logits).numpy()

print("G's loss and its gradient w.r.t. D's logit on a fake example")
print(
    f"{'logit':>6} {'D(G(z))':>9} | {'minimax':>9} {'d/dlogit':>9} | "
    f"{'non-sat.':>9} {'d/dlogit':>9}"
)
for i, logit in enumerate(logits.numpy()):
    d = 1.0 / (1.0 + np.exp(-logit))
    print(
        f"{logit:6.1f} {d:9.4f} | {minimax[i]:9.4f} {grad_minimax[i]:9.4f} | "
        f"{non_sat[i]:9.4f} {grad_non_sat[i]:9.4f}"
    )

# %% [markdown]
# At logit -8 (D says "fake" with probability 0.9997) the minimax gradient is
# about -0.0003, some 3000 times weaker than the non-saturating one (about
# -1). The figure shows the whole range: on the left the two losses as
# functions of D(G(z)), on the right the size of their gradients with
# respect to D's logit, which is what flows back into G.

# %%
d_axis = np.linspace(1e-3, 1 - 1e-3, 500).astype("float32")
logit_axis = tf.constant(np.log(d_axis / (1 - d_axis)))
with tf.GradientTape(persistent=True) as tape:
    tape.watch(logit_axis)
    curve_minimax = keras_gans.losses.minimax_generator_loss(
        logit_axis, reduction="none"
    )
    curve_non_sat = keras_gans.losses.non_saturating_generator_loss(
        logit_axis, reduction="none"
    )
curve_grad_minimax = tape.gradient(curve_minimax, logit_axis)
curve_grad_non_sat = tape.gradient(curve_non_sat, logit_axis)

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
for ax in (ax_loss, ax_grad):
    ax.axvspan(0, 0.1, color="0.9", zorder=0)
    ax.set_xlabel("D(G(z)), D's probability that a fake is real")
    ax.set_xlim(0, 1)
ax_loss.plot(d_axis, curve_minimax, label="minimax: log(1 - D(G(z)))")
ax_loss.plot(d_axis, curve_non_sat, label="non-saturating: -log D(G(z))")
ax_loss.set_ylim(-5, 5)
ax_loss.text(0.012, -3.2, "early training:\nD rejects\nfakes", fontsize=9)
ax_grad.text(0.012, 0.42, "early training:\nD rejects\nfakes", fontsize=9)
ax_loss.set_ylabel("generator loss (G minimises it)")
ax_loss.set_title("G's two losses")
ax_loss.legend(loc="upper right")
ax_grad.plot(d_axis, np.abs(curve_grad_minimax), label="minimax: D(G(z))")
ax_grad.plot(d_axis, np.abs(curve_grad_non_sat), label="non-saturating: 1 - D(G(z))")
ax_grad.set_ylabel("|d loss / d logit|")
ax_grad.set_title("Gradient that reaches G")
ax_grad.legend(loc="upper center")
fig.suptitle("Why G maximises log D(G(z)) instead of minimising log(1 - D(G(z)))")
fig.tight_layout()
save(fig, "01_generator_losses.png")

# %% [markdown]
# ## 2. The optimal discriminator for a fixed generator
#
# For a fixed G the value of the game is an integral over x:
#
#     V(D, G) = integral of p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx.
#
# For each x, the function y -> a log y + b log(1 - y) is largest at
# y = a / (a + b), so the best discriminator is
#
#     D*(x) = p_data(x) / (p_data(x) + p_g(x))        (Proposition 1)
#
# and putting it back into V gives (Theorem 1)
#
#     max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g),
#
# where JSD is the Jensen-Shannon divergence; it is zero only when p_g =
# p_data. So an optimal D turns the game into minimising a divergence.
#
# To check this we *freeze* G: G(z) = z - 1 with z ~ N(0, 1), so
# p_g = N(-1, 1), while p_data = N(1, 1). Then log p_data - log p_g = 2x and
# D*(x) = sigmoid(2x). G is a `Dense(1)` with fixed weights and an optimizer
# with learning rate 0, so `fit()` trains only D (a small tanh MLP) through
# the same `AdversarialModel` machinery every GAN in the library uses. The
# D loss that Keras logs, `d_loss`, is -V(D, G).

# %%
D_EPOCHS = 8 if QUICK else 30
keras.utils.set_random_seed(0)
frozen_generator = keras.Sequential(
    [
        keras.Input((1,)),
        keras.layers.Dense(
            1,
            kernel_initializer="ones",
            bias_initializer=keras.initializers.Constant(-1.0),
        ),
    ],
    name="frozen_generator",
)
discriminator = keras.Sequential(
    [
        keras.Input((1,)),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(1),  # a logit
    ],
    name="discriminator",
)
d_only = keras_gans.AdversarialModel(frozen_generator, discriminator, seed=0)
d_only.compile(
    g_optimizer=keras.optimizers.SGD(learning_rate=0.0),  # G never moves
    d_optimizer=keras.optimizers.Adam(3e-3),
    loss="minimax",
    steps_per_execution=20,
)
d_history = d_only.fit(
    gaussian_dataset(1.0, 1.0, 512 * 40, 512), epochs=D_EPOCHS, verbose=0
).history
assert frozen_generator.get_weights()[0][0, 0] == 1.0  # G really stayed fixed

# %% [markdown]
# Now compare the learned D with the formula, and the value of the game with
# -log 4 + 2 JSD. Both integrals are computed on a fine grid (trapezoid
# rule). V at the learned D can only be *below* the maximum V(D*, G).

# %%
x = np.linspace(-12.0, 12.0, 24001)
p_data = gaussian_pdf(x, 1.0, 1.0)
p_g = gaussian_pdf(x, -1.0, 1.0)
d_star = p_data / (p_data + p_g)
d_learned = keras.ops.convert_to_numpy(
    keras.ops.sigmoid(discriminator.predict(x[:, None].astype("float32"), verbose=0))
)[:, 0].astype("float64")


def game_value(d):
    """V(D, G) = integral of p_data log D + p_g log(1 - D), on the grid."""
    d = np.clip(d, 1e-12, 1 - 1e-12)
    return np.trapezoid(p_data * np.log(d) + p_g * np.log(1 - d), x)


jsd = jensen_shannon(p_data, p_g, x)
value_theory = -np.log(4) + 2 * jsd
value_d_star = game_value(d_star)
value_learned = game_value(d_learned)
value_logged = -d_history["d_loss"][-1]
window = np.abs(x) <= 2.5  # where nearly all the data of both is
max_gap = np.max(np.abs(d_learned - d_star)[window])

print(f"JSD(p_data || p_g)             = {jsd:.4f} nats")
print(f"-log 4 + 2 JSD                 = {value_theory:.4f}")
print(f"V(D*, G), D* from the formula  = {value_d_star:.4f}")
print(f"V(D, G), the trained D         = {value_learned:.4f}")
print(f"-d_loss of the last epoch      = {value_logged:.4f}  (minibatch estimate)")
print(f"-log 4 (the value if p_g = p_data) = {-np.log(4):.4f}")
print(f"max |D(x) - D*(x)| for |x| <= 2.5 = {max_gap:.4f}")

# %%
fig, (ax_d, ax_v) = plt.subplots(
    1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.4, 1]}
)
plot = np.abs(x) <= 4
ax_d.fill_between(
    x[plot], p_data[plot], alpha=0.25, color="k", label="p_data = N(1, 1)"
)
ax_d.fill_between(x[plot], p_g[plot], alpha=0.25, color="g", label="p_g = N(-1, 1)")
ax_d.plot(x[plot], d_star[plot], "k-", lw=2, label="D*(x) = p_data / (p_data + p_g)")
ax_d.plot(x[plot], d_learned[plot], "b--", lw=2, label="trained D(x)")
ax_d.axhline(0.5, color="0.6", lw=0.8, ls=":")
ax_d.set_xlabel("x")
ax_d.set_ylabel("D(x)  /  density")
ax_d.set_ylim(0, 1.02)
ax_d.set_title("For a fixed G, D learns p_data / (p_data + p_g)")
ax_d.legend(loc="upper left", fontsize=8)
epochs = np.arange(1, len(d_history["d_loss"]) + 1)
ax_v.plot(epochs, -np.array(d_history["d_loss"]), "b.-", label="-d_loss (epoch mean)")
ax_v.axhline(value_theory, color="k", label="-log 4 + 2 JSD")
ax_v.axhline(-np.log(4), color="0.5", ls="--", label="-log 4 (p_g = p_data)")
ax_v.set_xlabel("epoch (D steps only; G frozen)")
ax_v.set_ylabel("V(D, G)")
ax_v.set_title("D climbs to max_D V = -log 4 + 2 JSD")
ax_v.legend(loc="center right", fontsize=8)
fig.tight_layout()
save(fig, "01_optimal_discriminator.png")

# %% [markdown]
# The trained D follows sigmoid(2x) to within about 0.02, and the value of
# the game at the trained D sits just below the maximum -log 4 + 2 JSD, as it
# must: D* is the best of all discriminators. The epoch means of `-d_loss`
# (right) scatter by a few thousandths on *both* sides of the line because
# each is an average over finite minibatches, not an integral. Where there
# is almost no data of either kind (|x| > 3) D gets almost no training
# signal: the optimum is a statement about where p_data + p_g has mass.
#
# ## 3. The global optimum: p_g = p_data and D = 1/2
#
# If G is free to move, the best it can do against an optimal D is to make
# the JSD zero, i.e. p_g = p_data; then D*(x) = 1/2 everywhere and the value
# is -log 4. Algorithm 1 of the paper approximates this by alternating k
# steps of D (here k = 1, `d_steps=1`) with one step of G.
#
# We train `keras_gans.GAN`, the paper's architecture (ReLU MLP generator,
# maxout discriminator) made small, on p_data = N(2, 1). The data is
# unbounded, so G has no tanh on its output (`output_activation=None`);
# dropout is off because D has so little to learn. G uses the
# non-saturating loss (the default of `compile()`).
#
# A small callback snapshots G's samples (`model.generate(n, seed=0)`, the
# same noise each time) and D's output on a grid, and
# `keras_gans.callbacks.LossCurves` records the windowed means of the four
# metrics. `d_real` and `d_fake` are D's mean probability "real" on real and
# generated batches.

# %%
MEAN, STD = 2.0, 1.0
GAN_EPOCHS = 8 if QUICK else 30  # of 50 steps of batch 256
SNAPSHOT_STEPS = (0, 10, 25, 50, 150, 50 * GAN_EPOCHS)
GRID = np.linspace(-3.0, 7.0, 401).astype("float32")


class Snapshots(keras.callbacks.Callback):
    """Keeps G's samples and D's probabilities at the given training steps."""

    def __init__(self, steps, n=20000):
        super().__init__()
        self.steps = set(steps)
        self.n = n
        self.samples = {}
        self.d_of_x = {}

    def _take(self):
        step = int(self.model.g_optimizer.iterations)  # G steps taken so far
        if step in self.steps and step not in self.samples:
            self.samples[step] = self.model.generate(self.n, seed=0)[:, 0]
            logits = self.model.discriminator(GRID[:, None], training=False)
            probability = keras.ops.convert_to_numpy(keras.ops.sigmoid(logits))
            self.d_of_x[step] = probability[:, 0]

    def on_train_begin(self, logs=None):
        self._take()

    def on_train_batch_end(self, batch, logs=None):
        self._take()


keras.utils.set_random_seed(1)
gan = keras_gans.GAN(
    data_shape=(1,),
    latent_dim=4,
    g_units=(32, 32),
    d_units=(64, 64),
    d_pieces=4,
    dropout=0.0,
    input_dropout=0.0,
    output_activation=None,  # unbounded data: no tanh
    latent_distribution="normal",
    seed=1,
)
gan.compile(
    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    loss="non_saturating",
    # Callbacks see the model every 5 steps (Keras runs the steps in between
    # inside one compiled call, which is faster).
    steps_per_execution=5,
)
snapshots = Snapshots(SNAPSHOT_STEPS)
curves = keras_gans.callbacks.LossCurves(OUT / "01_gan_loss_curves.png", every=10)
gan_history = gan.fit(
    gaussian_dataset(MEAN, STD, 256 * 50, 256),
    epochs=GAN_EPOCHS,
    callbacks=[snapshots, curves],
    verbose=0,
).history

# %% [markdown]
# The snapshots, drawn like Figure 1 of the paper: the data density (black),
# the histogram of G's samples (green) and D(x) (blue, dashed). At step 0
# both networks are untrained: G's samples are a narrow spike near 0. Within
# a few dozen steps D learns to call the region of the data "real" (D > 1/2)
# and the spike "fake" (D < 1/2), and G's samples slide along D's slope
# towards the data. Read D(x) as a map of p_data / (p_data + p_g): it
# dips below 1/2 wherever G puts too many samples (around step 150 G
# overshoots to a std of about 1.6 and D pushes back on its tails). At the
# end p_g covers the data and D(x) is close to 1/2 wherever there is data.

# %%
data_density = gaussian_pdf(GRID, MEAN, STD)
bins = np.linspace(GRID[0], GRID[-1], 81)
shown = sorted(snapshots.samples)
fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, sharey=True)
for ax, step in zip(axes.flat, shown, strict=False):
    samples = snapshots.samples[step]
    ax.hist(samples, bins=bins, density=True, color="g", alpha=0.45, label="p_g")
    ax.plot(GRID, data_density, "k-", lw=2, label="p_data = N(2, 1)")
    ax.plot(GRID, snapshots.d_of_x[step], "b--", lw=2, label="D(x)")
    ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(0, 1.05)
    heights = np.histogram(samples, bins=bins, density=True)[0]
    if heights.max() > 1.05:  # a narrow p_g early on: say how tall the bar is
        top = np.argmax(heights)
        ax.annotate(
            f"p_g peaks at {heights[top]:.1f}",
            xy=((bins[top] + bins[top + 1]) / 2, 1.0),
            xytext=(0.03, 0.3),
            textcoords="axes fraction",
            arrowprops={"arrowstyle": "->", "color": "g"},
            color="g",
            fontsize=9,
        )
    ax.set_title(
        f"step {step}: G mean {samples.mean():.2f}, std {samples.std():.2f}",
        fontsize=10,
    )
for ax in axes[-1]:
    ax.set_xlabel("x")
for ax in axes[:, 0]:
    ax.set_ylabel("density  /  D(x)")
axes.flat[len(shown) - 1].legend(loc="upper right", fontsize=8)
fig.suptitle("G's samples move onto the data; D(x) flattens towards 1/2")
fig.tight_layout()
save(fig, "01_gan_training_snapshots.png")

# %% [markdown]
# `LossCurves` rewrites its PNG at the end of every epoch, so that one can
# watch a long run. Here we redraw the same recorded numbers with the
# theory's reference values added: D's loss -V tends to log 4, G's
# non-saturating loss -log D(G(z)) to log 2, and `d_real` and `d_fake` to 1/2.
# The step axis is logarithmic, because the game is decided in the first
# ~100 steps; grey vertical lines mark the snapshots above.

# %%
fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
ax_loss.plot(curves.steps, curves.history["d_loss"], label="d_loss = -V(D, G)")
ax_loss.plot(curves.steps, curves.history["g_loss"], label="g_loss = -log D(G(z))")
ax_loss.axhline(np.log(4), color="C0", ls="--", lw=1, label="log 4")
ax_loss.axhline(np.log(2), color="C1", ls="--", lw=1, label="log 2")
ax_loss.set_ylabel(f"loss (mean over windows of {curves.every} steps)")
ax_loss.set_title("Losses approach their values at the optimum")
ax_d.plot(curves.steps, curves.history["d_real"], label="d_real = mean D(x)")
ax_d.plot(curves.steps, curves.history["d_fake"], label="d_fake = mean D(G(z))")
ax_d.axhline(0.5, color="0.4", ls="--", label="optimum 1/2")
ax_d.set_ylabel("D's mean probability 'real'")
ax_d.set_ylim(0, 1)
ax_d.set_title("D can no longer tell real from fake")
for ax in (ax_loss, ax_d):
    ax.set_xscale("log")  # the interesting part happens early
    ax.set_xlabel("training step (one D step + one G step), log scale")
    for step in shown[1:]:
        ax.axvline(step, color="0.85", lw=0.8, zorder=0)
    ax.legend(fontsize=8, loc="lower right" if ax is ax_d else "center right")
fig.tight_layout()
save(fig, "01_gan_loss_curves.png")

# %% [markdown]
# Finally the numbers. The JSD between the data and a Gaussian with G's
# sample mean and std tells how close the game is to its optimum -log 4
# (G's samples need not be exactly Gaussian; this is a summary).

# %%
final = gan.generate(20000, seed=0)[:, 0]
start = snapshots.samples[0]
x = np.linspace(-15.0, 20.0, 35001)
jsd_final = jensen_shannon(
    gaussian_pdf(x, MEAN, STD), gaussian_pdf(x, final.mean(), final.std()), x
)
steps_done = int(gan.g_optimizer.iterations)
rows = {
    "data": (MEAN, STD),
    "G before training": (start.mean(), start.std()),
    f"G after {steps_done} steps": (final.mean(), final.std()),
}
for label, (m, sd) in rows.items():
    print(f"{label + ':':24} mean {m:.3f}, std {sd:.3f}")
print(f"JSD(data || N(G's mean, G's std^2)) = {jsd_final:.5f} nats")
print(
    f"first epoch: d_real {gan_history['d_real'][0]:.3f}, "
    f"d_fake {gan_history['d_fake'][0]:.3f}"
)
print(
    f"last epoch:  d_real {gan_history['d_real'][-1]:.3f}, "
    f"d_fake {gan_history['d_fake'][-1]:.3f}   (optimum 0.5)"
)
print(
    f"last epoch:  d_loss {gan_history['d_loss'][-1]:.4f} (log 4 = {np.log(4):.4f}), "
    f"g_loss {gan_history['g_loss'][-1]:.4f} (log 2 = {np.log(2):.4f})"
)
on_data = snapshots.d_of_x[shown[-1]][(GRID >= 0) & (GRID <= 4)]
print(f"final D(x) for x in [0, 4]: {on_data.min():.3f} .. {on_data.max():.3f}")

# %% [markdown]
# ## What you saw
#
# - **The non-saturating loss.** When D rejects a fake with logit -8, the
#   minimax loss log(1 - D(G(z))) passes back a gradient of about 3e-4, the
#   non-saturating -log D(G(z)) about 1. Same fixed point, usable gradients.
# - **The optimal discriminator.** With G frozen, plain `fit()` trained D to
#   p_data / (p_data + p_g) (here sigmoid(2x)), and the value of the game
#   reached -log 4 + 2 JSD(p_data || p_g), the maximum over all D.
# - **The global optimum.** Trained as a game, G's samples moved onto
#   N(2, 1), D's output flattened to 1/2 on real and generated data alike,
#   and D's loss settled at log 4: the value -log 4 of the game when
#   p_g = p_data.
#
# What the theory assumes and practice does not give: an optimal D at every
# step, and G and D with unlimited capacity, updated in function space. Here
# D took one step per G step and both are small networks; on a 1-D Gaussian
# that is enough. On images it often is not, which is what DCGAN's
# architecture rules (`keras_gans.DCGAN`) and the other losses in
# `keras_gans.losses` are about.
#
# The same three points in this run's numbers:

# %%
print(
    f"non-saturating loss: gradient at logit -8 is {grad_minimax[0]:.1e} "
    f"(minimax) vs {grad_non_sat[0]:.4f} (non-saturating)"
)
print(
    f"optimal D:           V(trained D, G) = {value_learned:.4f}, "
    f"-log 4 + 2 JSD = {value_theory:.4f}"
)
print(
    f"global optimum:      G's mean {final.mean():.2f}, std {final.std():.2f} "
    f"(data {MEAN:.0f}, {STD:.0f}); d_real {gan_history['d_real'][-1]:.3f}, "
    f"d_fake {gan_history['d_fake'][-1]:.3f} vs 1/2"
)
print(f"done in {time.perf_counter() - START:.0f} s")
