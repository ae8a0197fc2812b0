# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Tutorial 5: when GAN training fails, and what cures it
#
# The source notes name the GAN's two weak points: training is unstable, and
# the generator can collapse onto a few modes of the data. This tutorial
# makes both happen on purpose, measures them, and cures each with one of
# the library's stabilisers:
#
# 1. **Non-convergence** on the smallest GAN there is, the Dirac-GAN of
#    Mescheder et al. 2018: one parameter in G, one in D. Plain training
#    circles the equilibrium or spirals away from it; the R1 penalty makes
#    it converge. The eigenvalues of the training dynamics say why.
# 2. **Mode collapse** of the 2014 MLP GAN on Fashion-MNIST: the class
#    histogram of its samples over training, read by the shipped classifier,
#    with and without R1.
#
# Which stabiliser helps a DCGAN at a fixed budget, on all the data and on
# 10% of it, is measured over seeds in `BENCHMARKS.md` (`tools/bench_stabilisers.py`).
#
# Run it top to bottom: `python tutorials/05_failure_modes_and_stabilisers.py`
# (about 2 minutes on an idle 2-core CPU), or open it
# in Jupyter with jupytext.
# Figures go to `docs/tutorials/05_*.png`. With `KERAS_GANS_TUTORIAL_QUICK=1`
# it trains for a few steps on the 512 images of the test fixture (CI uses
# this; the numbers then mean nothing) and writes its figures to
# `$KERAS_GANS_TUTORIAL_OUT` if that is set.

# %%
import io
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
from keras import ops  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import evaluation, features  # noqa: E402
from keras_gans.files import write_atomic  # noqa: E402
from keras_gans.images import image_grid  # noqa: E402

warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
warnings.filterwarnings("ignore", message="Matrix is singular")

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
# ## 1. The Dirac-GAN: a game that does not settle
#
# The data is a single point, x = 0. The generator has one parameter and
# puts all its mass on it: G(z) = theta. The discriminator is linear,
# D(x) = psi * x (a logit, so D's probability is sigmoid(psi * x)). The
# game's value, E[log D(x)] + E[log(1 - D(G(z)))], is
#
#   V(theta, psi) = f(0) + f(-psi * theta),   f(t) = log sigmoid(t) = -log(1 + exp(-t)),
#
# and its only equilibrium is theta = psi = 0: G on the data, D indifferent.
# Near it, the gradient field that training follows, v = (-dV/dtheta,
# dV/dpsi), is linear with Jacobian
#
#   J = [[0, f'(0)], [-f'(0), 0]],   f'(0) = 1/2,
#
# whose eigenvalues are +-i/2: purely imaginary. Gradient steps on such a
# field rotate around the equilibrium instead of approaching it; with a large
# step each rotation moves outwards. R1 adds gamma/2 * |dD/dx|^2 = gamma/2 *
# psi^2 at the real data to D's loss, which puts -gamma on the diagonal of
# D's row: the eigenvalues get real part -gamma/2 and the spiral turns
# inwards. First the eigenvalues, computed from the loss the library uses:

# %%
F_PRIME_0 = 0.5  # derivative of -log(1 + exp(-t)) at t = 0


def jacobian(gamma):
    """The linearised training field at (theta, psi) = (0, 0)."""
    return np.array([[0.0, F_PRIME_0], [-F_PRIME_0, -gamma]])


for gamma in (0.0, 1.0):
    eig = np.linalg.eigvals(jacobian(gamma))
    print(f"gamma = {gamma}: eigenvalues {np.round(eig, 4)}")

# %% [markdown]
# Now the same game trained by `keras_gans`: an `AdversarialModel` with a
# one-weight G and a one-weight D, the minimax loss, plain SGD with a
# learning rate of 1 (large, to make the drift visible in a few hundred
# steps), once as it is and once with `compile(r1_gamma=1.0)`. A callback
# records (theta, psi) after every step.


# %%
class Point(keras.layers.Layer):
    """G(z) = theta for every z: all of G's mass on one point."""

    def build(self, input_shape):
        self.theta = self.add_weight(
            shape=(1,), initializer=keras.initializers.Constant(1.0), name="theta"
        )

    def call(self, z):
        return ops.zeros_like(z[:, :1]) + self.theta


class Trajectory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.points = []

    def on_train_batch_end(self, batch, logs=None):
        theta = ops.convert_to_numpy(self.model.generator.weights[0])[0]
        psi = ops.convert_to_numpy(self.model.discriminator.weights[0])[0, 0]
        self.points.append((float(theta), float(psi)))


DIRAC_STEPS = 60 if QUICK else 1000


def dirac_gan(**compile_kwargs):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((1,)), Point()], name="generator")
    discriminator = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(
                1, use_bias=False, kernel_initializer=keras.initializers.Constant(1.0)
            ),
        ],
        name="discriminator",
    )
    model = keras_gans.AdversarialModel(generator, discriminator, latent_dim=1, seed=0)
    model.compile(
        g_optimizer=keras.optimizers.SGD(1.0),
        d_optimizer=keras.optimizers.SGD(1.0),
        loss="minimax",
        **compile_kwargs,
    )
    trajectory = Trajectory()
    data = np.zeros((DIRAC_STEPS * 8, 1), "float32")  # the data: x = 0
    model.fit(data, batch_size=8, epochs=1, callbacks=[trajectory], verbose=0)
    return np.array([(1.0, 1.0), *trajectory.points])


dirac = {"no regulariser": dirac_gan(), "R1, gamma = 1": dirac_gan(r1_gamma=1.0)}
for name, path in dirac.items():
    radius = np.hypot(path[:, 0], path[:, 1])
    print(
        f"{name:15s} distance from equilibrium: start {radius[0]:.3f}, "
        f"step {len(radius) // 2} {radius[len(radius) // 2]:.3f}, "
        f"end {radius[-1]:.4f}"
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
grid = np.linspace(-4, 4, 17)
T, P = np.meshgrid(grid, grid)
slope = 1.0 / (1.0 + np.exp(-P * T))  # f'(-psi * theta)
axes[0].quiver(T, P, P * slope, -T * slope, color="0.75", width=0.003)
for (name, path), colour in zip(dirac.items(), ("tab:red", "tab:blue"), strict=True):
    axes[0].plot(path[:, 0], path[:, 1], color=colour, lw=1.2, label=name)
    axes[1].semilogy(
        np.maximum(np.hypot(path[:, 0], path[:, 1]), 1e-8), color=colour, label=name
    )
axes[0].plot([0], [0], "k*", ms=12, label="equilibrium")
axes[0].plot([1], [1], "ko", ms=5, label="start")
axes[0].set(xlabel="theta (G)", ylabel="psi (D)", title="Dirac-GAN: training paths")
axes[0].set_xlim(-4, 4)
axes[0].set_ylim(-4, 4)
axes[0].legend(loc="lower left", fontsize=8)
axes[1].set(
    xlabel="step",
    ylabel="distance from (0, 0)",
    title="Plain training drifts out; R1 converges",
)
axes[1].legend()
fig.tight_layout()
save(fig, "05_dirac_gan.png")

# %% [markdown]
# ## 2. Mode collapse, measured with a classifier
#
# The MLP GAN of Goodfellow et al. 2014 (maxout D with dropout, ReLU G),
# trained on Fashion-MNIST with the library's defaults. The shipped
# Fashion-MNIST classifier (`keras_gans.features`) labels 2,000 samples
# every 100 steps, so coverage becomes numbers: how many classes appear
# (`classes_covered`), the share of the largest (`top_class_share`, 0.1 if
# balanced), and the whole class histogram at each point of training.
#
# One caution before reading them: for its first few hundred steps G draws
# noise, and a classifier has to put noise in *some* class (this one says
# "bag"). A histogram with one class at 100% then means "no garments yet",
# not collapse; the FID (near 185 for noise) and the samples tell the two
# apart. The collapse that matters comes after: garments appear, but of a
# few kinds only.
#
# The same run is repeated with R1 (gamma = 10): D is kept smooth around
# the real images, so it cannot push G from one class to the next with
# steep gradients.

# %%
STEPS, EVERY, N_SAMPLES = (40, 10, 128) if QUICK else (1500, 100, 2000)
extractor = features.get_extractor()
real, real_labels = evaluation.real_images(
    "fashion_mnist", "test", N_SAMPLES, data_dir=DATA_DIR
)
real_features = extractor.features(real)


class ClassHistogram(keras.callbacks.Callback):
    """Scores fixed-seed samples every EVERY steps: classes, FID, histogram."""

    def __init__(self):
        super().__init__()
        self.steps, self.histograms, self.rows, self.grids = [], [], [], {}

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.generate(N_SAMPLES, seed=1)
        classes = extractor.predict_classes(images)
        row = evaluation.score(
            images,
            real,
            real_labels,
            metrics=("fid", "modes"),
            extractor=extractor,
            real_features=real_features,
        )
        step = (epoch + 1) * EVERY
        self.steps.append(step)
        self.histograms.append(np.bincount(classes, minlength=10) / len(classes))
        self.rows.append(row)
        self.grids[step] = images[:32]
        print(
            f"  step {step:5d}: classes {row['classes_covered']:.0f}, top share "
            f"{row['top_class_share']:.2f}, FID {row['fid']:.1f}"
        )


def mlp_gan(**compile_kwargs):
    keras.utils.set_random_seed(0)
    model = keras_gans.GAN(data_shape=(28, 28, 1), g_units=(512, 512), seed=0)
    model.compile(**compile_kwargs)
    dataset = keras_gans.data.load(
        "fashion_mnist", batch_size=128, seed=0, repeat=True, data_dir=DATA_DIR
    )
    record = ClassHistogram()
    start = time.perf_counter()
    model.fit(
        dataset,
        epochs=STEPS // EVERY,
        steps_per_epoch=EVERY,
        callbacks=[record],
        verbose=0,
    )
    print(f"  ({time.perf_counter() - start:.0f} s)")
    return record


runs = {}
print("MLP GAN, defaults:")
runs["defaults"] = mlp_gan()
print("MLP GAN, R1 gamma = 10:")
runs["R1, gamma = 10"] = mlp_gan(r1_gamma=10.0)

# %%
fig, axes = plt.subplots(
    2, 2, figsize=(12, 7.5), gridspec_kw={"height_ratios": [1.4, 1]}
)
for ax, (name, record) in zip(axes[0], runs.items(), strict=True):
    shares = np.array(record.histograms).T  # (classes, points)
    image = ax.imshow(shares, aspect="auto", cmap="magma", vmin=0, vmax=1)
    ax.set_yticks(range(10), keras_gans.data.CLASS_NAMES, fontsize=8)
    ticks = np.linspace(0, len(record.steps) - 1, min(6, len(record.steps)))
    ticks = ticks.round().astype(int)
    ax.set_xticks(ticks, [record.steps[i] for i in ticks])
    ax.set(xlabel="training step", title=f"{name}: class shares of the samples")
fig.colorbar(image, ax=axes[0], fraction=0.03, label="share of samples")
for name, record in runs.items():
    covered = [r["classes_covered"] for r in record.rows]
    top = [r["top_class_share"] for r in record.rows]
    axes[1, 0].plot(record.steps, covered, marker="o", ms=3, label=name)
    axes[1, 1].plot(record.steps, top, marker="o", ms=3, label=name)
axes[1, 0].set(xlabel="training step", ylabel="classes covered (of 10)")
axes[1, 0].set_ylim(0, 10.5)
axes[1, 1].axhline(0.1, color="0.5", ls="--", lw=1, label="balanced (0.1)")
axes[1, 1].set(xlabel="training step", ylabel="share of the largest class")
axes[1, 1].set_ylim(0, 1.05)
for ax in axes[1]:
    ax.legend(fontsize=8)
save(fig, "05_collapse_classes.png")

# %% [markdown]
# The samples themselves: noise at first for both runs, then garments;
# the plain run's are mostly tops, R1's include shoes and bags.

# %%
steps = runs["defaults"].steps
shown = sorted({steps[min(2, len(steps) - 1)], steps[len(steps) // 2], steps[-1]})
fig, axes = plt.subplots(2, len(shown), figsize=(4.3 * len(shown), 5.4), squeeze=False)
for row, (name, record) in enumerate(runs.items()):
    for col, step in enumerate(shown):
        ax = axes[row, col]
        ax.imshow(image_grid(record.grids[step], ncols=8)[..., 0], cmap="gray")
        ax.set_title(f"{name}, step {step}", fontsize=10)
        ax.axis("off")
fig.tight_layout()
save(fig, "05_collapse_samples.png")

# %%
for name, record in runs.items():
    first_full = next(
        (
            s
            for s, r in zip(record.steps, record.rows, strict=True)
            if r["classes_covered"] == 10
        ),
        None,
    )
    end = record.rows[-1]
    print(
        f"{name:15s} all 10 classes first at step {first_full}; at the end: "
        f"top share {end['top_class_share']:.2f}, class KL {end['class_kl']:.3f}, "
        f"FID {end['fid']:.1f}"
    )
print(f"total time: {time.perf_counter() - START:.0f} s")

# %% [markdown]
# ## What to take away
#
# - A GAN is a game, and gradient steps on a game rotate around its
#   equilibrium: the Dirac-GAN's Jacobian has imaginary eigenvalues. Nothing
#   in the plain objective pulls training in; a penalty on D's gradient at
#   the data (R1) does, and the same penalty steadies the MLP GAN on images.
# - Collapse is visible in numbers, not only in sample grids: the class
#   histogram of the samples under a fixed classifier, the number of classes
#   covered and the share of the largest one.
# - The other stabilisers (spectral norm, an EMA of G, DiffAugment) and
#   which of them a DCGAN should use are measured across seeds in
#   `BENCHMARKS.md` ("Stabilisers: an ablation on DCGAN").
