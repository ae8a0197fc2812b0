"""Training runs that survive interruption: the logic behind `keras-gans train`.

A run lives in one folder:

    run.json          the settings and how many epochs are done
    backup/           keras.callbacks.BackupAndRestore state (mid-run resume)
    checkpoint.keras  the whole model (weights + optimizer state), every epoch
    model.keras       the final model, written when the run completes
    samples/          a PNG grid from fixed latent vectors, every epoch
    samples.png       the final grid
    code_sweep.png    InfoGAN only: rows = categories of code 0, columns =
                      continuous code 0 swept over 10 values in [-2, 2]
    code_sweep_c{j}.png  InfoGAN only: the same with continuous code j swept
    categories.png    InfoGAN only: rows = noise vectors, columns = the
                      categories of code 0
    text_to_image.png GAN-CLS only: rows = PREVIEW_CAPTIONS, columns = noise
    interpolation.png GAN-CLS only: rows = noise vectors, columns = captions
                      interpolated from PREVIEW_CAPTIONS[0] to [1]
    style_transfer.png GAN-CLS only: columns = test images, rows = the
                      PREVIEW_CAPTIONS drawn in each image's style
    text_encoder.keras GAN-CLS with text_encoder="train" only: the char-CNN
                      pretrained on the run's captions (text_encoder.json:
                      how); a resumed run loads it instead of training again
    curves.png        losses and D's outputs during training
    history.csv       the per-epoch metrics
    logs/             TensorBoard scalars and images

Rerunning the same command resumes from the last finished epoch; rerunning
it with more `--epochs` on a finished run continues training from
`model.keras` with its optimizer state.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil

import keras
import numpy as np

from keras_gans import callbacks as gan_callbacks
from keras_gans import data as gan_data
from keras_gans.data.captions import from_embeddings, parse_caption
from keras_gans.files import atomic_path, write_atomic
from keras_gans.images import from_uint8, save_captioned_grid, save_image_grid
from keras_gans.latent import LatentSpec
from keras_gans.models import DCGAN, GAN, InfoGAN
from keras_gans.models.gan_cls import GANCLS
from keras_gans.models.infogan import save_code_sweep

MODEL_CLASSES = {"gan": GAN, "dcgan": DCGAN, "infogan": InfoGAN, "gan_cls": GANCLS}

# latent_dim when none is given: z of GAN/DCGAN/GAN-CLS, the noise part of
# InfoGAN's input (62 in Chen et al. 2016, plus the codes).
DEFAULT_LATENT_DIM = {"gan": 100, "dcgan": 100, "infogan": 62, "gan_cls": 100}
# InfoGAN's generator (and Q) learning rate in Chen et al. 2016.
INFOGAN_G_LEARNING_RATE = 1e-3
# Settings that only InfoGAN has; absent from the identity of other runs.
INFOGAN_ONLY = (
    "categorical",
    "continuous",
    "categorical_weight",
    "continuous_weight",
    "hidden",
)
# Settings that only GAN-CLS has; absent from the identity of other runs.
GAN_CLS_ONLY = (
    "condition",
    "text_encoder",
    "projection_dim",
    "interpolation_weight",
    "beta",
    "style_steps",
    "captions_dir",
)
# Settings that only the MLP GAN has.
GAN_ONLY = ("g_units",)
MODEL_ONLY = {"infogan": INFOGAN_ONLY, "gan_cls": GAN_CLS_ONLY, "gan": GAN_ONLY}
# What a GAN-CLS run is conditioned on: caption embeddings, or (the
# class-conditional baseline) one-hot class labels.
CONDITIONS = ("captions", "labels")
# Held-out-wording captions the GAN-CLS figures draw, one per row: varied
# classes, shades and widths (the first two are interpolated between).
PREVIEW_CAPTIONS = (
    "a photo of a pair of trousers that is dark and wide",
    "a photo of a pair of trousers that is light and narrow",
    "this slim dress looks pale",
    "a pullover in a dim tone with a broad shape",
    "this thin sneaker looks grey",
    "a photo of a handbag that is bright and roomy",
    "an ankle boot in a dark tone with a narrow shape",
    "this wide t-shirt looks mid-grey",
)
# text_encoder="train": a character-level TextEncoder (CNN) pretrained on the
# run's own captions with an image encoder (`pretrain_run_text_encoder`).
TRAIN_TEXT_ENCODER = "train"
TEXT_ENCODER_FILE = "text_encoder.keras"
# 50 epochs of CUB's 5,994 training images in batches of 128 are about the
# 2,345 steps of the shipped fashion_captions encoder (5 epochs of 60,000).
TEXT_ENCODER_EPOCHS = 50
# Characters kept per caption: Reed et al.'s char-CNN-RNN reads 201.
TEXT_ENCODER_SEQUENCE_LENGTH = 201
# Values of the code-sweep figures written at the end of an InfoGAN run.
SWEEP_VALUES = np.linspace(-2.0, 2.0, 10)
SWEEP_NOISE_ROWS = 8

RUN_FILE = "run.json"
FINAL_MODEL = "model.keras"
CHECKPOINT = "checkpoint.keras"


@dataclasses.dataclass
class TrainConfig:
    """Settings of one training run (the CLI's flags).

    Args:
        model: a name from `MODEL_CLASSES` (`"gan"`, `"dcgan"`, `"infogan"`).
        dataset: a `keras_gans.data.load` name; for GAN-CLS,
            `"fashion_captions"` or `"caltech_birds2011"` (with
            `captions_dir`). Defaults to `None`: `"fashion_captions"` for
            GAN-CLS, `"fashion_mnist"` otherwise.
        epochs: total epochs of the run. Defaults to `5`.
        batch_size: global batch size. Defaults to `128`.
        latent_dim: size of z; for InfoGAN the noise part only (the codes
            come on top). Defaults to `None`: 100 for GAN and DCGAN, 62 for
            InfoGAN (Chen et al. 2016).
        image_shape: `(H, W, C)`; `None` for the dataset's own: (28, 28, 1)
            for Fashion-MNIST, (16, 16, 1) for digits, (64, 64, 3) otherwise.
            Defaults to `None`.
        loss: a `keras_gans.losses` name. Defaults to `"non_saturating"`.
        d_steps: discriminator steps per generator step. Defaults to `1`.
        learning_rate: Adam learning rate of D, and of G too unless
            `g_learning_rate` is given. Defaults to `2e-4`.
        beta_1: Adam beta_1. Defaults to `0.5`.
        seed: seeds weights, noise and data order. Defaults to `0`.
        limit: use only the first N training examples. Defaults to `None`.
        data_dir: where the dataset's files are. Defaults to `None`.
        sample_every: epochs between sample grids. Defaults to `1`.
        steps_per_execution: batches per compiled call. Defaults to `1`.
        g_learning_rate: Adam learning rate of G (and of InfoGAN's Q head).
            Defaults to `None`: `learning_rate` for GAN and DCGAN, 1e-3 for
            InfoGAN (the paper's rate).
        categorical: InfoGAN only: the number of categories K of each
            categorical code, e.g. `(10,)` or `(10, 4)`; `()` for none.
            Defaults to `(10,)`.
        continuous: InfoGAN only: the number of continuous codes, each
            Unif(-1, 1). Defaults to `2`.
        categorical_weight: InfoGAN only: lambda of the categorical codes'
            information loss. Defaults to `1.0`.
        continuous_weight: InfoGAN only: lambda of the continuous codes'
            information loss. Defaults to `0.1`.
        hidden: InfoGAN only: width of the fully connected layers of G and
            of D's trunk; most of the weights sit there (1024, the paper's,
            gives a 27 MB generator; 256 about 7 MB). Defaults to `1024`.
        g_units: GAN only: widths of the generator's hidden ReLU layers.
            Defaults to `(1200, 1200)` (Goodfellow et al. 2014's MNIST
            generator, 10 MB of float32 weights; `(512, 512)` makes 2.9 MB).
        condition: GAN-CLS only: `"captions"` (text embeddings) or
            `"labels"` (one-hot classes: the class-conditional baseline, no
            text encoder). Defaults to `"captions"`.
        text_encoder: GAN-CLS only: what `keras_gans.text.get_encoder`
            takes as a string: `"fashion_captions"` (the shipped encoder), a
            `.keras` file or a SavedModel folder; or `"train"`: pretrain a
            character-level `TextEncoder` on the run's own captions first
            and keep it in the run folder (`text_encoder.keras`). Defaults
            to `"fashion_captions"`.
        projection_dim: GAN-CLS only: size the text embedding is projected
            to in G and D. Defaults to `128`.
        interpolation_weight: GAN-CLS only: weight of GAN-INT's term (0 for
            plain GAN-CLS). Defaults to `1.0`.
        beta: GAN-CLS only: GAN-INT's mixing weight. Defaults to `0.5`.
        style_steps: GAN-CLS only: steps of the style encoder's training on
            the finished generator (0: none). Defaults to `2000`.
        captions_dir: GAN-CLS on `"caltech_birds2011"` only: the folder of
            Reed et al.'s CUB captions (`text_c10`, see
            `keras_gans.data.load_cub_captions`). A location, like
            `data_dir`: it may change when a run resumes. Defaults to `None`.

    The settings of one model (InfoGAN, GAN-CLS) must keep their defaults
    for the others.
    Defaults that depend on the model (`latent_dim`, `g_learning_rate`) are
    resolved when the config is made, and the resolved values are what a run
    folder records.
    """

    model: str
    dataset: str | None = None
    epochs: int = 5
    batch_size: int = 128
    latent_dim: int | None = None
    image_shape: tuple | None = None
    loss: str = "non_saturating"
    d_steps: int = 1
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    seed: int = 0
    limit: int | None = None
    data_dir: str | None = None
    sample_every: int = 1
    steps_per_execution: int = 1
    g_learning_rate: float | None = None
    categorical: tuple = (10,)
    continuous: int = 2
    categorical_weight: float = 1.0
    continuous_weight: float = 0.1
    hidden: int = 1024
    g_units: tuple = (1200, 1200)
    condition: str = "captions"
    text_encoder: str = "fashion_captions"
    projection_dim: int = 128
    interpolation_weight: float = 1.0
    beta: float = 0.5
    style_steps: int = 2000
    captions_dir: str | None = None

    # Settings that may change between invocations of one run folder.
    _RESUMABLE = (
        "epochs",
        "data_dir",
        "sample_every",
        "steps_per_execution",
        "captions_dir",
    )

    def __post_init__(self):
        if self.model not in MODEL_CLASSES:
            raise ValueError(
                f"Unknown model: expected one of {sorted(MODEL_CLASSES)}; "
                f"received {self.model!r}."
            )
        self._check_infogan_settings()
        self._check_gan_units()
        self._check_gan_cls_settings()
        if self.dataset is None:
            self.dataset = (
                "fashion_captions" if self.model == "gan_cls" else "fashion_mnist"
            )
        if self.latent_dim is None:
            self.latent_dim = DEFAULT_LATENT_DIM[self.model]
        if self.g_learning_rate is None:
            self.g_learning_rate = (
                INFOGAN_G_LEARNING_RATE
                if self.model == "infogan"
                else self.learning_rate
            )
        for key in ("learning_rate", "g_learning_rate"):
            _check_number(key, getattr(self, key), positive=True)
        for key in (
            "epochs",
            "batch_size",
            "latent_dim",
            "d_steps",
            "sample_every",
            "steps_per_execution",
        ):
            if int(getattr(self, key)) < 1:
                raise ValueError(
                    f"Expected {key} >= 1; received {key}={getattr(self, key)}."
                )
        if self.limit is not None and int(self.limit) < 1:
            raise ValueError(
                f"Expected limit >= 1 or None; received limit={self.limit}."
            )
        if self.image_shape is None:
            self.image_shape = default_image_shape(self.dataset)
        self.image_shape = tuple(int(d) for d in self.image_shape)

    def _check_infogan_settings(self):
        categorical = self.categorical
        if isinstance(categorical, (int, np.integer)) and not isinstance(
            categorical, bool
        ):
            categorical = (categorical,)
        try:
            categorical = tuple(categorical)
            if not all(_is_int(k) for k in categorical):
                raise TypeError
        except TypeError:
            raise ValueError(
                "Expected categorical to be a tuple of category counts (ints) "
                f"such as (10,) or (10, 4); received categorical={self.categorical!r}."
            ) from None
        self.categorical = tuple(int(k) for k in categorical)
        if not _is_int(self.continuous):
            raise ValueError(
                "Expected continuous to be an int (how many continuous codes); "
                f"received continuous={self.continuous!r}."
            )
        self.continuous = int(self.continuous)
        if self.model != "infogan":
            return
        if any(k < 2 for k in self.categorical):
            raise ValueError(
                "Expected every categorical code to have at least 2 categories; "
                f"received categorical={self.categorical}."
            )
        if self.continuous < 0:
            raise ValueError(
                f"Expected continuous >= 0; received continuous={self.continuous}."
            )
        if not self.categorical and not self.continuous:
            raise ValueError(
                "Expected at least one InfoGAN code (categorical or continuous); "
                "received categorical=() and continuous=0."
            )
        for key in ("categorical_weight", "continuous_weight"):
            setattr(self, key, _check_number(key, getattr(self, key)))
        if not _is_int(self.hidden) or self.hidden < 1:
            raise ValueError(
                f"Expected hidden to be an int >= 1; received hidden={self.hidden!r}."
            )

    def _check_gan_units(self):
        units = self.g_units
        try:
            units = tuple(units)
            if not units or not all(_is_int(u) and u >= 1 for u in units):
                raise TypeError
        except TypeError:
            raise ValueError(
                "Expected g_units to be a non-empty tuple of layer widths "
                f"(ints >= 1) such as (1200, 1200); received g_units={self.g_units!r}."
            ) from None
        self.g_units = tuple(int(u) for u in units)

    def _check_gan_cls_settings(self):
        for owner, fields in MODEL_ONLY.items():
            changed = [
                f"{k}={getattr(self, k)!r}"
                for k in fields
                if getattr(self, k) != _FIELD_DEFAULTS[k]
            ]
            if changed and self.model != owner:
                raise ValueError(
                    f"{', '.join(changed)} only apply to model={owner!r}; "
                    f"received them with model={self.model!r}."
                )
        if self.model != "gan_cls":
            return
        if self.condition not in CONDITIONS:
            raise ValueError(
                f"Expected condition in {CONDITIONS}; received {self.condition!r}."
            )
        if not isinstance(self.text_encoder, str) or not self.text_encoder:
            raise ValueError(
                "Expected text_encoder to be a name or a path (a string); "
                f"received {self.text_encoder!r}."
            )
        if self.captions_dir is not None:
            self.captions_dir = os.fspath(self.captions_dir)
        if not _is_int(self.projection_dim) or self.projection_dim < 1:
            raise ValueError(
                f"Expected projection_dim >= 1; received {self.projection_dim!r}."
            )
        if not _is_int(self.style_steps) or self.style_steps < 0:
            raise ValueError(
                f"Expected style_steps to be an int >= 0; received {self.style_steps!r}."
            )
        self.interpolation_weight = _check_number(
            "interpolation_weight", self.interpolation_weight
        )
        self.beta = _check_number("beta", self.beta)
        if self.beta > 1:
            raise ValueError(f"Expected beta in [0, 1]; received beta={self.beta}.")

    def latent_spec(self):
        """InfoGAN's `LatentSpec` for these settings (noise z = `latent_dim`)."""
        return LatentSpec(
            noise_dim=self.latent_dim,
            categorical=self.categorical,
            continuous=self.continuous,
        )

    def identity(self):
        """The settings that define the run (everything but the resumable ones).

        For GAN and DCGAN runs this leaves out the InfoGAN-only settings,
        `g_learning_rate` when it equals `learning_rate`, and GAN's default
        `g_units`, so that run folders made before those settings existed
        still resume.
        """
        d = dataclasses.asdict(self)
        d["image_shape"] = list(d["image_shape"])
        d["categorical"] = list(d["categorical"])
        d["g_units"] = list(d["g_units"])
        for owner, fields in MODEL_ONLY.items():
            if self.model != owner:
                for key in fields:
                    del d[key]
        if self.model not in ("infogan", "gan_cls"):
            if self.g_learning_rate == self.learning_rate:
                del d["g_learning_rate"]
        if "g_units" in d and self.g_units == _FIELD_DEFAULTS["g_units"]:
            del d["g_units"]
        return {k: v for k, v in d.items() if k not in self._RESUMABLE}


_FIELD_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name != "model"
}


def _check_number(key, value, positive=False):
    """`float(value)` if it is a finite number >= 0 (> 0 if `positive`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    low_ok = number > 0 if positive else number >= 0
    if isinstance(value, bool) or not low_ok or number == float("inf"):
        raise ValueError(
            f"Expected {key} to be a finite number {'>' if positive else '>='} 0; "
            f"received {key}={value!r}."
        )
    return number


def _is_int(value):
    # bool is an int, but continuous=True is a mistake, not 1.
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def default_image_shape(dataset):
    """The image shape a run trains at when none is given.

    Args:
        dataset: a `keras_gans.data.load` name.

    Returns:
        The offline dataset's own shape ((28, 28, 1) for Fashion-MNIST,
        (16, 16, 1) for digits), else (64, 64, 3).
    """
    from keras_gans.data import loader

    return loader.local_image_shape(dataset) or (64, 64, 3)


@dataclasses.dataclass
class TrainResult:
    model: keras.Model
    out_dir: pathlib.Path
    epochs_completed: int
    history: dict


def build_model(config, text_encoder=None):
    """A compiled model for `config`, with weights seeded by `config.seed`.

    Args:
        config: a `TrainConfig`.
        text_encoder: GAN-CLS only: a text encoder layer to use instead of
            `config.text_encoder`; required for `text_encoder="train"`
            (`train()` passes the run's pretrained one). Defaults to `None`.
    """
    keras.utils.set_random_seed(config.seed)
    if config.model == "gan_cls":
        model = _build_gan_cls(config, text_encoder)
    elif config.model == "infogan":
        model = InfoGAN(
            image_shape=config.image_shape,
            latent_spec=config.latent_spec(),
            categorical_weight=config.categorical_weight,
            continuous_weight=config.continuous_weight,
            hidden=config.hidden,
            d_steps=config.d_steps,
            seed=config.seed,
        )
    else:
        cls = MODEL_CLASSES[config.model]
        shape_arg = "image_shape" if config.model == "dcgan" else "data_shape"
        extra = {"g_units": config.g_units} if config.model == "gan" else {}
        model = cls(
            **{shape_arg: config.image_shape},
            **extra,
            latent_dim=config.latent_dim,
            d_steps=config.d_steps,
            seed=config.seed,
        )
    model.compile(
        g_optimizer=keras.optimizers.Adam(config.g_learning_rate, beta_1=config.beta_1),
        d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
        loss=config.loss,
        steps_per_execution=config.steps_per_execution,
    )
    return model


def _build_gan_cls(config, text_encoder=None):
    if config.condition == "labels":
        # The class-conditional baseline: one-hot classes, no text encoder.
        encoder, text_dim = None, len(gan_data.CLASS_NAMES)
        preview = [_one_hot(parse_caption(t)["label"]) for t in PREVIEW_CAPTIONS]
    else:
        from keras_gans.text import get_encoder

        encoder = text_encoder
        if encoder is None:
            if config.text_encoder == TRAIN_TEXT_ENCODER:
                raise ValueError(
                    f"text_encoder={TRAIN_TEXT_ENCODER!r} is pretrained on a "
                    "run's captions by train(); to build the model alone, pass "
                    "build_model(config, text_encoder=<a trained encoder>)."
                )
            encoder = get_encoder(config.text_encoder)
        text_dim, preview = None, list(preview_captions(config.dataset))
        keras.utils.set_random_seed(config.seed)
    return GANCLS(
        text_encoder=encoder,
        text_dim=text_dim,
        image_shape=config.image_shape,
        latent_dim=config.latent_dim,
        projection_dim=config.projection_dim,
        interpolation_weight=config.interpolation_weight,
        beta=config.beta,
        d_steps=config.d_steps,
        seed=config.seed,
        preview_texts=preview,
    )


def preview_captions(dataset):
    """The captions a GAN-CLS run on `dataset` draws in its figures and grids.

    `keras_gans.data.cub.PREVIEW_CAPTIONS` (birds) for `"caltech_birds2011"`,
    else `PREVIEW_CAPTIONS` (held-out wordings of fashion_captions).
    """
    from keras_gans.data import cub

    return cub.PREVIEW_CAPTIONS if dataset == cub.NAME else PREVIEW_CAPTIONS


def _one_hot(label):
    row = [0.0] * len(gan_data.CLASS_NAMES)
    row[int(label)] = 1.0
    return row


def gan_cls_conditions(model, captions, labels):
    """What a GAN-CLS run trains on: `(n, k, d)` embeddings of `(n, k)` captions.

    With a text encoder, each distinct caption is embedded once (the
    fashion captions repeat a few thousand sentences) and the frozen
    encoder stays out of the training step; without one (the
    class-conditional baseline), one-hot `labels` `(n, 10)`.
    """
    if model.text_encoder is None:
        return keras.ops.convert_to_numpy(
            keras.ops.one_hot(np.asarray(labels), model.text_dim)
        ).astype("float32")
    captions = np.asarray(captions)
    unique, inverse = np.unique(captions.ravel().astype(str), return_inverse=True)
    table = np.concatenate(
        [
            keras.ops.convert_to_numpy(model.embed_texts(unique[i : i + 4096]))
            for i in range(0, len(unique), 4096)
        ]
    )
    return table[inverse].reshape(captions.shape + (table.shape[-1],))


def save_model_atomic(model, path):
    """`model.save(path)` through a temporary file, so a kill never leaves half a file."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return pathlib.Path(path)


class _RunProgress(keras.callbacks.Callback):
    """Saves the whole model and records progress in run.json after each epoch."""

    def __init__(self, out_dir, config, final_epochs):
        super().__init__()
        self.out_dir = pathlib.Path(out_dir)
        self.config = config
        self.final_epochs = final_epochs

    def on_epoch_end(self, epoch, logs=None):
        save_model_atomic(self.model, self.out_dir / CHECKPOINT)
        _write_run_file(self.out_dir, self.config, epoch + 1, False, self.final_epochs)


def _write_run_file(out_dir, config, epochs_completed, finished, final_epochs):
    record = {
        "config": config.identity(),
        "epochs_requested": config.epochs,
        "epochs_completed": epochs_completed,
        # True only once model.keras holds all completed epochs.
        "finished": finished,
        # How many epochs the current model.keras holds (0: none yet).
        "final_model_epochs": final_epochs,
    }
    write_atomic(
        pathlib.Path(out_dir) / RUN_FILE, json.dumps(record, indent=2).encode()
    )


def read_run_file(out_dir):
    """The run record of a run folder, or `None` if it has none."""
    path = pathlib.Path(out_dir) / RUN_FILE
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
        int(record["epochs_completed"]), record["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise ValueError(
            f"{path} is not a valid run record (expected the JSON that "
            f"keras-gans train writes, with 'config' and 'epochs_completed'): {e!r}"
        ) from e
    return record


def _check_same_run(out_dir, config, record):
    previous = record["config"]
    wanted = config.identity()
    diffs = {
        k: (previous.get(k), wanted.get(k))
        for k in sorted(set(previous) | set(wanted))
        if previous.get(k) != wanted.get(k)
    }
    if diffs:
        lines = "\n".join(
            f"  {k}: run has {a!r}, asked {b!r}" for k, (a, b) in diffs.items()
        )
        raise ValueError(
            f"{out_dir} holds a run with different settings; use the same "
            f"settings to resume or continue it, or another --out:\n{lines}"
        )


def _curve_window(dataset):
    # Ten-batch windows, but at least a few points per epoch on small data.
    steps = int(dataset.cardinality())
    return 10 if steps < 1 else max(1, min(10, steps // 4))


def train(config, out_dir, verbose="auto", callbacks=()):
    """Trains (or resumes, or continues) the run `config` in `out_dir`.

    A run is finished once `model.keras` holds every completed epoch; until
    then `backup/` (BackupAndRestore) is kept, so a kill at any point,
    including while the final model is written, resumes without losing an
    epoch.

    Args:
        config: a `TrainConfig`.
        out_dir: the run folder (created if needed).
        verbose: passed to `fit()`. Defaults to `"auto"`.
        callbacks: extra Keras callbacks. Defaults to `()`.

    Returns:
        A `TrainResult`.
    """
    out_dir = pathlib.Path(out_dir)
    record = read_run_file(out_dir)
    done, finished, final_epochs = 0, False, 0
    if record is not None:
        _check_same_run(out_dir, config, record)
        done = int(record["epochs_completed"])
        finished = bool(record.get("finished", False))
        final_epochs = int(record.get("final_model_epochs", 0))
    if done > config.epochs:
        raise ValueError(
            f"{out_dir} has already trained {done} epochs; expected --epochs >= "
            f"{done} to resume or continue it, received --epochs {config.epochs}."
        )
    final = out_dir / FINAL_MODEL
    if finished and done == config.epochs and final.exists():
        print(
            f"{out_dir} already holds a model trained for {done} epochs "
            f"({final}); pass a larger --epochs to train it further."
        )
        return TrainResult(keras.saving.load_model(final), out_dir, done, {})

    # Load the data first: a bad dataset name or path leaves no run folder.
    if config.model == "gan_cls":
        captioned = _load_captioned(config)
    else:
        dataset = gan_data.load(
            config.dataset,
            split="train",
            batch_size=config.batch_size,
            image_shape=config.image_shape,
            seed=config.seed,
            limit=config.limit,
            data_dir=config.data_dir,
        )
    out_dir.mkdir(parents=True, exist_ok=True)

    if final_epochs and final.exists():
        # Continue from the final model with its optimizer state; a backup
        # made since then (below) restores later epochs over it.
        model = keras.saving.load_model(final)
        initial_epoch = final_epochs
    else:
        encoder = None
        if config.model == "gan_cls" and config.text_encoder == TRAIN_TEXT_ENCODER:
            encoder = pretrain_run_text_encoder(config, out_dir, captioned, verbose)
        model = build_model(config, text_encoder=encoder)
        initial_epoch = 0
    if config.model == "gan_cls":
        conditions = gan_cls_conditions(model, captioned.captions, captioned.labels)
        dataset = from_embeddings(
            captioned.images,
            conditions,
            batch_size=config.batch_size,
            seed=config.seed,
            labels=captioned.labels.astype("int32"),
        )
    if done:
        print(f"Resuming {out_dir} from epoch {done} of {config.epochs}.")
    _write_run_file(out_dir, config, done, False, final_epochs)

    run_callbacks = [
        gan_callbacks.RaiseOnNaN(),
        # double_checkpoint keeps the previous backup, so a kill during a
        # write falls back to it; the backup is deleted only once model.keras
        # and run.json say the run is finished.
        keras.callbacks.BackupAndRestore(
            out_dir / "backup", double_checkpoint=True, delete_checkpoint=False
        ),
        gan_callbacks.SampleGrid(
            out_dir / "samples", every=config.sample_every, seed=config.seed
        ),
        gan_callbacks.LossCurves(out_dir / "curves.png", every=_curve_window(dataset)),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out_dir / "logs")),
        gan_callbacks.TensorBoardImages(out_dir / "logs", every=config.sample_every),
        _RunProgress(out_dir, config, final_epochs),
        *callbacks,
    ]
    history = model.fit(
        dataset,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        callbacks=run_callbacks,
        verbose=verbose,
        shuffle=False,  # the dataset is already shuffled
    )
    save_model_atomic(model, final)
    save_image_grid(
        model.preview_samples(model.sample_latent(64, seed=config.seed)),
        out_dir / "samples.png",
    )
    if isinstance(model, InfoGAN):
        save_code_figures(model, out_dir, seed=config.seed)
    if isinstance(model, GANCLS):
        if config.style_steps:
            fit = model.fit_style_encoder(
                conditions.reshape(-1, conditions.shape[-1]),
                steps=config.style_steps,
                batch_size=config.batch_size,
                seed=config.seed,
                verbose=verbose not in (0, "0"),
            )
            print(f"Style encoder: explains {fit['explained']:.3f} of z's variance.")
            save_model_atomic(model, final)
        save_gan_cls_figures(model, out_dir, config)
    _write_run_file(out_dir, config, config.epochs, True, config.epochs)
    shutil.rmtree(out_dir / "backup", ignore_errors=True)
    return TrainResult(model, out_dir, config.epochs, history.history)


def _load_captioned(config):
    """The run's images and captions: fashion_captions, or CUB with captions_dir."""
    from keras_gans.data import captions, cub

    if config.dataset == cub.NAME:
        if config.condition != "captions":
            raise ValueError(
                f"condition={config.condition!r} (one-hot Fashion-MNIST classes) "
                f"applies to {captions.NAME!r} only; {cub.NAME!r} trains on "
                "captions: expected condition='captions'."
            )
        return cub.load_cub_captions(
            config.captions_dir,
            "train",
            image_shape=config.image_shape,
            data_dir=config.data_dir,
            limit=config.limit,
        )
    if config.dataset != captions.NAME:
        raise ValueError(
            f"keras-gans train gan_cls trains on {captions.NAME!r} (the offline "
            f"captioned dataset) or {cub.NAME!r} (tfds images with Reed et al.'s "
            f"captions in captions_dir); received dataset={config.dataset!r}. "
            "Train on your own (image, text) pairs from Python: "
            "GANCLS(...).fit(keras_gans.data.from_pairs(images, texts))."
        )
    if config.captions_dir is not None:
        raise ValueError(
            f"captions_dir applies to dataset={cub.NAME!r} only; {captions.NAME!r} "
            f"makes its own captions. Received captions_dir={config.captions_dir!r}."
        )
    if config.image_shape != captions.IMAGE_SHAPE:
        raise ValueError(
            f"{captions.NAME!r} has images of shape {captions.IMAGE_SHAPE}; "
            f"received image_shape={config.image_shape}."
        )
    return captions.load_captioned("train", config.data_dir, limit=config.limit)


def pretrain_run_text_encoder(config, out_dir, captioned, verbose=0):
    """`text_encoder="train"`: the run's own text encoder, pretrained once.

    A character-level `keras_gans.text.TextEncoder` (CNN, 128-d, the first
    `TEXT_ENCODER_SEQUENCE_LENGTH` characters) is adapted to the run's
    captions and trained with a CNN image encoder on the run's (image,
    caption) pairs (`keras_gans.text.pretrain_text_encoder`: symmetric
    contrastive loss, each image against the other images of its batch of up
    to 128, one of its captions drawn each epoch) for `TEXT_ENCODER_EPOCHS`,
    seeded by `config.seed`. It is saved as `out_dir/text_encoder.keras`
    with its training record in `text_encoder.json`; when the file exists
    (a resumed run), it is loaded instead.

    Args:
        config: the run's `TrainConfig`.
        out_dir: the run folder.
        captioned: the run's data (`images`, `captions`).
        verbose: passed to `fit()`. Defaults to `0`.

    Returns:
        The encoder, as loaded from `text_encoder.keras`.
    """
    from keras_gans.data.captions import from_pairs
    from keras_gans.text import (
        TextEncoder,
        build_image_encoder,
        load_text_encoder,
        pretrain_text_encoder,
        pretraining,
        save_text_encoder,
    )

    path = pathlib.Path(out_dir) / TEXT_ENCODER_FILE
    if not path.is_file():
        keras.utils.set_random_seed(config.seed)
        encoder = TextEncoder(
            level="character", sequence_length=TEXT_ENCODER_SEQUENCE_LENGTH
        ).adapt(captioned.captions)
        batch_size = min(pretraining.BATCH_SIZE, len(captioned.images))
        pairs = from_pairs(
            captioned.images,
            captioned.captions,
            batch_size=batch_size,
            seed=config.seed,
        )
        image_encoder = build_image_encoder(
            encoder.embedding_dim, "cnn", image_shape=config.image_shape
        )
        print(
            f"Pretraining the run's text encoder on {captioned.captions.size} "
            f"captions of {len(captioned.images)} images ({TEXT_ENCODER_EPOCHS} "
            "epochs)."
        )
        encoder, metrics = pretrain_text_encoder(
            pairs,
            epochs=TEXT_ENCODER_EPOCHS,
            text_encoder=encoder,
            image_encoder=image_encoder,
            seed=config.seed,
            verbose=verbose,
        )
        record = {
            "what": "keras_gans.text.TextEncoder(level='character', "
            f"sequence_length={TEXT_ENCODER_SEQUENCE_LENGTH}) pretrained by "
            "keras_gans.text.pretrain_text_encoder on the run's captions",
            "dataset": config.dataset,
            "images": len(captioned.images),
            "captions": int(captioned.captions.size),
            "epochs": TEXT_ENCODER_EPOCHS,
            "batch_size": batch_size,
            "seed": config.seed,
            "vocabulary_size": encoder.vocabulary_size,
            **metrics,
        }
        # The record first: the encoder's file is what marks it as done.
        write_atomic(
            path.with_suffix(".json"), (json.dumps(record, indent=2) + "\n").encode()
        )
        save_text_encoder(encoder, path)
    return load_text_encoder(path)


def _row_names(texts):
    """Captions as they are; one-hot class conditions as their class names."""
    if isinstance(texts[0], str):
        return list(texts)
    return [gan_data.CLASS_NAMES[int(np.argmax(t))] for t in texts]


def save_gan_cls_figures(model, out_dir, config=None, style_images=None):
    """Writes a GAN-CLS's figures into `out_dir`, captions written beside rows.

    - `text_to_image.png`: one row per preview text (`model.preview_texts`,
      `PREVIEW_CAPTIONS` in a run), 8 noise vectors along the columns.
    - `interpolation.png`: rows are 8 noise vectors, columns 10 steps from
      the embedding of the first preview text to that of the second.
    - `style_transfer.png`: the first row is 8 real test images; each
      further row draws one preview text in the style of each image.

    Args:
        model: a `GANCLS` with `preview_texts` (captions, or conditions such
            as one-hot classes).
        out_dir: the folder to write into.
        config: the run's `TrainConfig` (seed and data folder). Defaults to
            `None` (seed 0, the default data folder).
        style_images: `(8, H, W, C)` images in [-1, 1] for the style
            columns. Defaults to the first 8 test images of the run's
            dataset (Fashion-MNIST's for `"fashion_captions"` or without a
            `config`), at the model's image shape.

    Returns:
        The list of paths written.
    """
    out_dir = pathlib.Path(out_dir)
    seed = 0 if config is None else config.seed
    texts = model.preview_texts
    if not texts or len(texts) < 2:
        raise ValueError(
            "Expected a GANCLS with at least two preview_texts to draw its "
            f"figures; received {texts!r}."
        )
    names = _row_names(texts)
    conditions = texts if isinstance(texts[0], str) else np.asarray(texts, "float32")
    n = SWEEP_NOISE_ROWS
    written = [
        save_captioned_grid(
            model.generate(conditions, n_per_text=n, seed=seed),
            names,
            out_dir / "text_to_image.png",
            title="GAN-CLS: one caption per row, a new noise vector per column",
        ),
        save_captioned_grid(
            model.interpolate_texts(
                conditions[0], conditions[1], steps=10, n=n, seed=seed
            ),
            [f"noise {i}" for i in range(n)],
            out_dir / "interpolation.png",
            title=f"{names[0]!r}  ->  {names[1]!r}",
            column_labels=[f"{t:.2f}" for t in np.linspace(0, 1, 10)],
        ),
    ]
    if style_images is None:
        style_images = _style_images(config, model.image_shape, n)
    # style_transfer_grid: rows = images, columns = texts; here rows = texts.
    k = len(texts)
    transferred = model.style_transfer_grid(style_images, conditions)
    transferred = transferred.reshape((len(style_images), k) + transferred.shape[1:])
    rows = np.concatenate([style_images[None], transferred.transpose(1, 0, 2, 3, 4)])
    written.append(
        save_captioned_grid(
            rows.reshape((-1,) + rows.shape[2:]),
            ["(style: real test image)"] + names,
            out_dir / "style_transfer.png",
            title="Style transfer: G(S(x), phi(t)), the column's style, the row's text",
        )
    )
    return [pathlib.Path(p) for p in written]


def _style_images(config, image_shape, n):
    """The first `n` test images of the run's dataset, float in [-1, 1]."""
    from keras_gans.data import captions

    if config is None or config.dataset == captions.NAME:
        images = gan_data.load_arrays(
            "fashion_mnist",
            "test",
            data_dir=None if config is None else config.data_dir,
        )[0][:n]
        return from_uint8(images)
    batches = gan_data.load(
        config.dataset,
        split="test",
        batch_size=n,
        image_shape=image_shape,
        shuffle=False,
        drop_remainder=False,
        data_dir=config.data_dir,
        limit=n,
    )
    return next(iter(batches)).numpy()


def save_code_figures(model, out_dir, seed=0):
    """Writes an InfoGAN's code figures into `out_dir` (atomically).

    - `code_sweep.png`: rows are the categories of categorical code 0,
      columns continuous code 0 at `SWEEP_VALUES` (10 values in [-2, 2]);
      without categorical codes, rows are `SWEEP_NOISE_ROWS` noise vectors.
    - `code_sweep_c{j}.png`: the same with continuous code j swept, one per
      continuous code (`code_sweep_c0.png` is `code_sweep.png`).
    - `categories.png`: rows are `SWEEP_NOISE_ROWS` noise vectors, columns
      the K categories of code 0 (continuous codes at 0).

    Figures that need a kind of code the model lacks are not written.

    Args:
        model: an `InfoGAN`.
        out_dir: the folder to write into.
        seed: seed of the noise. Defaults to `0`.

    Returns:
        The list of paths written.
    """
    out_dir = pathlib.Path(out_dir)
    spec = model.spec
    written = []
    for j in range(spec.continuous):
        if spec.categorical:
            path = save_code_sweep(
                model,
                out_dir / f"code_sweep_c{j}.png",
                categorical_code=0,
                continuous_code=j,
                values=SWEEP_VALUES,
                seed=seed,
            )
        else:
            latent = spec.sweep(j, SWEEP_VALUES, n=SWEEP_NOISE_ROWS, seed=seed)
            path = save_image_grid(
                model.generate(latent),
                out_dir / f"code_sweep_c{j}.png",
                ncols=len(SWEEP_VALUES),
            )
        written.append(path)
        if j == 0:
            headline = out_dir / "code_sweep.png"
            write_atomic(headline, pathlib.Path(path).read_bytes())
            written.append(headline)
    if spec.categorical:
        latent = spec.category_batch(0, n_per_category=SWEEP_NOISE_ROWS, seed=seed)
        written.append(
            save_image_grid(
                model.generate(latent),
                out_dir / "categories.png",
                ncols=spec.categorical[0],
            )
        )
    return [pathlib.Path(p) for p in written]


def check_infogan(model, what):
    """Raises a clear error unless `model` is an InfoGAN.

    Args:
        model: a loaded model.
        what: what needs an InfoGAN, for the message (e.g. `"--category"`).

    Returns:
        `model`.
    """
    if not isinstance(model, InfoGAN):
        raise ValueError(
            f"{what} needs an InfoGAN model (with latent codes); received a "
            f"{type(model).__name__}."
        )
    return model


def generate_in_category(model, n, category, code=0, seed=0):
    """`n` InfoGAN samples whose categorical code `code` is `category`.

    Noise, the other categorical codes and the continuous codes are drawn
    at random from `seed`.

    Args:
        model: an `InfoGAN`.
        n: how many samples.
        category: the category, in `[0, K)`.
        code: which categorical code. Defaults to `0`.
        seed: seed of the draw. Defaults to `0`.

    Returns:
        `(n, H, W, C)` float32 images in [-1, 1].
    """
    check_infogan(model, "Sampling a category")
    spec = model.spec
    if not 0 <= code < len(spec.categorical):
        raise ValueError(
            f"Expected a categorical code index in [0, {len(spec.categorical)}); "
            f"received {code} (the model's codes have "
            f"{list(spec.categorical)} categories)."
        )
    k = spec.categorical[code]
    if not _is_int(category) or not 0 <= category < k:
        raise ValueError(
            f"Expected a category in [0, {k}) (categorical code {code} has {k} "
            f"categories); received {category!r}."
        )
    if int(n) < 1:
        raise ValueError(f"Expected n >= 1 samples; received n={n}.")
    latent = np.asarray(spec.sample(int(n), seed=seed))
    categories = np.stack(
        [block.argmax(axis=-1) for block in spec.split(latent)["categorical"]],
        axis=1,
    )
    categories[:, code] = category
    return model.generate(spec.with_codes(latent, categorical=categories))


def load_trained(path):
    """Loads a model from a `.keras` file or a run folder (final, else latest checkpoint)."""
    path = pathlib.Path(path)
    if path.is_dir():
        for name in (FINAL_MODEL, CHECKPOINT):
            if (path / name).exists():
                return keras.saving.load_model(path / name)
        raise FileNotFoundError(
            f"Expected a run folder holding {FINAL_MODEL} or {CHECKPOINT}, or a "
            f".keras file; {path} holds {sorted(p.name for p in path.iterdir())}."
        )
    if not path.exists():
        raise FileNotFoundError(f"No such model file or run folder: {path}")
    try:
        return keras.saving.load_model(path)
    except Exception as e:  # Keras raises several types for a bad archive
        raise ValueError(
            f"Could not load {path} as a Keras model (expected a .keras file "
            f"saved by keras_gans): {type(e).__name__}: {e}"
        ) from e
