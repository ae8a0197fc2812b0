"""Three ways to learn p(x) on Fashion-MNIST: likelihoods, samples, uses.

The comparison the source notes teach, on the Fashion-MNIST test set:

- `binary`: binarised images (a pixel is 1 above mid-grey), -log p(x) in
  nats per image: the ladder (independent pixels, Markov AR(1), MADE),
  PixelCNN with `levels=2` and the VAE's ELBO and IWAE bound, with
  parameter counts, training time, sampling time and FID / precision /
  recall of the samples (classifier features);
- `eightbit`: 8-bit images, bits per dimension: PixelCNN with `levels=256`,
  the VAE with a discretised logistic (ELBO and IWAE), and the zoo GAN's and
  DCGAN's Parzen-window estimate (Goodfellow et al.'s protocol, sigma chosen
  on a validation split);
- `anomaly`: AUROC of log p(x) (ELBO for the VAE) for telling the test set
  from out-of-distribution images (scikit-learn's digits, resized to
  28x28), and from one class left out of training;
- `probes`: linear-probe accuracy (logistic regression) on VAE latents, on
  the DCGAN discriminator's features and on raw pixels.

Each part trains what it needs into `runs/bench_likelihood/` (or reuses the
zoo's runs, `runs/zoo/`), resumes after an interruption, and records its
rows in `runs/bench_likelihood/results.json`; the BENCHMARKS.md section is
rewritten from every part measured so far.

    python tools/bench_likelihood.py --part binary
    python tools/bench_likelihood.py --part all
    python tools/bench_likelihood.py --part binary --limit 2000 --epochs 1 \\
        --n 200 --folder /tmp/bench --output ''          # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import keras
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import report  # noqa: E402
from machine import machine_info  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import data, evaluation, runs  # noqa: E402
from keras_gans.images import from_uint8  # noqa: E402
from keras_gans.runs import folder as run_folder  # noqa: E402

SECTION = "## Three ways to learn p(x): likelihoods, samples, uses"
PARTS = ("binary", "eightbit", "anomaly", "probes")
# The class left out of training in the anomaly part.
LEFT_OUT = 5  # sandal
CLASS_NAMES = (
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)

# name -> TrainConfig settings. Zoo names reuse the zoo's runs.
RUNS = {
    # Convex in their parameters: a larger step reaches the optimum in 5 epochs.
    "independent_pixels": {
        "model": "independent_pixels",
        "epochs": 5,
        "learning_rate": 0.05,
    },
    "markov_chain": {"model": "markov_chain", "epochs": 5, "learning_rate": 0.05},
    "made": {"model": "made", "epochs": 20},
    "pixelcnn_fashion_mnist": {"model": "pixelcnn", "epochs": 8},
    "vae_fashion_mnist": {"model": "vae", "epochs": 30},
    # Half the zoo recipe's 8 epochs: a levels=256 epoch takes 6 min here.
    "pixelcnn_8bit": {"model": "pixelcnn", "levels": 256, "epochs": 4},
    "vae_8bit": {"model": "vae", "likelihood": "logistic", "epochs": 30},
}
ZOO_RUNS = ("pixelcnn_fashion_mnist", "vae_fashion_mnist")
# Epochs of the models trained without the left-out class, where they differ
# from the recipe in RUNS (the zoo PixelCNN's 8 epochs take 35 min here).
LEFT_OUT_EPOCHS = {"pixelcnn_fashion_mnist": 4}

# Published figures on MNIST, for scale only (other data: MNIST digits,
# dynamically or stochastically binarised; not Fashion-MNIST).
PUBLISHED = {
    "made": "MADE: 86.64 nats on binarised MNIST (Germain et al. 2015)",
    "pixelcnn_fashion_mnist": "PixelCNN: 81.30 nats on binarised MNIST "
    "(van den Oord et al. 2016, Table 4)",
    "vae_fashion_mnist": "VAE: IWAE bound 86.76 nats (k = 5000), one stochastic "
    "layer, binarised MNIST (Burda et al. 2016, Table 1)",
}


PUBLISHED_PARZEN = (
    "Goodfellow et al. 2014 (Table 1), Parzen-window log-likelihood of test "
    "images under their GAN's samples: 225 ± 2 nats"
)


def _log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = pathlib.Path(args.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.results_path = self.folder / "results.json"
        self.results = (
            json.loads(self.results_path.read_text())
            if self.results_path.is_file()
            else {}
        )
        images, labels = data.load_arrays("fashion_mnist", "test", args.data_dir)
        self.test = from_uint8(images[: args.n_test])
        self.test_labels = labels[: args.n_test]

    def save(self, part, rows):
        self.results[part] = {"rows": rows, "machine": machine_info()}
        self.results_path.write_text(json.dumps(self.results, indent=2) + "\n")

    # --- Training ------------------------------------------------------------------

    def model(self, name, **extra):
        """The trained model of run `name` (trained or resumed here if needed)."""
        settings = dict(RUNS[name])
        settings.update(extra)
        if self.args.epochs:
            settings["epochs"] = self.args.epochs
        settings.setdefault("seed", 0)
        settings["limit"] = self.args.limit
        settings["data_dir"] = self.args.data_dir
        zoo_run = name in ZOO_RUNS and not self.args.epochs and not self.args.limit
        folder = ROOT / "runs" / "zoo" / name if zoo_run else self.folder / name
        config = runs.TrainConfig(**settings)
        started = time.perf_counter()
        result = runs.train(config, folder, verbose=2)
        seconds_file = folder / "bench_seconds.json"
        zoo_seconds = folder / "zoo_train_seconds.json"
        if result.history:
            seconds_file.write_text(
                json.dumps({"seconds": time.perf_counter() - started}) + "\n"
            )
        source = zoo_seconds if zoo_seconds.is_file() else seconds_file
        seconds = (
            json.loads(source.read_text())["seconds"] if source.is_file() else None
        )
        return result.model, seconds

    def samples(self, model, n):
        started = time.perf_counter()
        images = model.generate(n, seed=0)
        return images, time.perf_counter() - started

    def sample_scores(self, images):
        if self.args.n_samples == 0:
            return {}
        n = len(images)
        scores = evaluation.score(
            images,
            self.test[:n],
            self.test_labels[:n],
            metrics=("fid", "pr"),
        )
        return {k: scores[k] for k in ("fid", "precision", "recall")}

    # --- Parts ---------------------------------------------------------------------

    def _nll(self, log_p):
        """`nats`, `se` and `bits_per_dim` of per-image log p on the test images."""
        summary = evaluation.nll_summary(log_p, int(np.prod(self.test.shape[1:])))
        return {
            "nats": summary["nll_nats"],
            "se": summary["nll_nats_se"],
            "bits_per_dim": summary["bits_per_dim"],
        }

    def _sample_columns(self, model, n_samples, seconds):
        """Training time, sampling time and sample scores of one model."""
        images, sample_seconds = self.samples(model, n_samples)
        return {
            "train_minutes": None if seconds is None else seconds / 60,
            "sample_seconds_per_1000": 1000 * sample_seconds / len(images),
            "samples": len(images),
            **self.sample_scores(images),
        }

    def likelihood_row(self, name, model, seconds, label, n_samples):
        return {
            "name": name,
            "model": label,
            "parameters": model.parameter_count(),
            **self._nll(model.log_prob(self.test)),
            **self._sample_columns(model, n_samples, seconds),
        }

    def vae_rows(self, name, label):
        vae, seconds = self.model(name)
        common = {
            "name": name,
            "parameters": int(vae.count_params()),
            **self._sample_columns(vae, self.args.n_samples or 16, seconds),
        }
        bounds = {
            "ELBO": vae.elbo(self.test, seed=0),
            f"IWAE, k = {self.args.k}": vae.iwae_bound(
                self.test, k=self.args.k, seed=0
            ),
        }
        return [
            {**common, "model": f"{label} ({kind})", **self._nll(log_p)}
            for kind, log_p in bounds.items()
        ]

    def part_binary(self):
        n = self.args.n_samples
        rows = [
            {
                "name": "full_joint",
                "model": "full joint table",
                "parameters": "2^784 - 1",
            }
        ]
        for name, label, count in (
            ("independent_pixels", "independent pixels", n),
            ("markov_chain", "Markov chain, order 1", n),
            ("made", "MADE, 500 hidden", n),
            ("pixelcnn_fashion_mnist", "PixelCNN, levels=2", self.args.n_slow),
        ):
            _log(f"binary: {name}")
            model, seconds = self.model(name)
            rows.append(self.likelihood_row(name, model, seconds, label, count or 16))
        _log("binary: vae")
        rows += self.vae_rows("vae_fashion_mnist", "VAE, Bernoulli")
        self.save("binary", rows)

    def part_eightbit(self):
        rows = []
        _log("eightbit: pixelcnn")
        model, seconds = self.model("pixelcnn_8bit")
        rows.append(
            self.likelihood_row(
                "pixelcnn_8bit",
                model,
                seconds,
                f"PixelCNN, levels=256, {RUNS['pixelcnn_8bit']['epochs']} epochs",
                self.args.n_slow or 16,
            )
        )
        _log("eightbit: vae")
        rows += self.vae_rows("vae_8bit", "VAE, discretised logistic")
        for name in ("gan_fashion_mnist", "dcgan_fashion_mnist"):
            _log(f"eightbit: parzen {name}")
            rows.append(self.parzen_row(name))
        self.save("eightbit", rows)

    def parzen_row(self, name):
        from keras_gans.metrics import parzen

        model = keras_gans.models.from_preset(name)
        n = self.args.n_parzen
        train, _ = data.load_arrays("fashion_mnist", "train", self.args.data_dir)
        validation = train[-n:].reshape(n, -1).astype("float32") / 255.0
        samples = (model.generate(n, seed=0).reshape(n, -1) + 1.0) / 2.0
        test = (self.test[:n].reshape(n, -1) + 1.0) / 2.0
        result = parzen.parzen_evaluate(samples, validation, test)
        dims = test.shape[1]
        # A density on [0, 1]^D against probabilities of 256 levels: a bin
        # of width 1/256 holds about p(x) / 256^D.
        bits = (dims * math.log(256.0) - result["mean"]) / (dims * math.log(2.0))
        return {
            "name": name,
            "model": f"{type(model).__name__} (zoo), Parzen window",
            "parameters": int(model.generator.count_params()),
            "parzen_nats": result["mean"],
            "se": result["std_error"],
            "sigma": result["sigma"],
            "bits_per_dim": bits,
            "samples": n,
        }

    def part_anomaly(self):
        from sklearn.metrics import roc_auc_score

        digits, _ = data.load_arrays("digits", "test", self.args.data_dir)
        digits = from_uint8(digits)
        if digits.ndim == 3:
            digits = digits[..., None]
        ood = np.clip(
            keras.ops.convert_to_numpy(keras.ops.image.resize(digits, (28, 28))), -1, 1
        )
        inside = self.test_labels != LEFT_OUT
        rows = []
        for name, label in (
            ("vae_fashion_mnist", "VAE (ELBO)"),
            ("pixelcnn_fashion_mnist", "PixelCNN (log p)"),
        ):
            _log(f"anomaly: {name}")
            model, _ = self.model(name)
            score = self._score(model)
            normal = score(self.test[: len(ood)])
            auroc_ood = roc_auc_score(
                np.r_[np.zeros(len(normal)), np.ones(len(ood))],
                np.r_[-normal, -score(ood)],
            )
            without, _ = self._left_out(name)
            s = self._score(without)(self.test)
            auroc_class = roc_auc_score((~inside).astype(int), -s)
            rows.append(
                {
                    "model": label,
                    "auroc_digits": float(auroc_ood),
                    "auroc_left_out": float(auroc_class),
                    "left_out_epochs": self._left_out_epochs(name),
                    "mean_log_p_test": float(normal.mean()),
                    "mean_log_p_digits": float(score(ood).mean()),
                }
            )
        self.save("anomaly", rows)

    def _score(self, model):
        if hasattr(model, "elbo"):
            return lambda x: model.elbo(x, seed=0)
        return model.log_prob

    def _left_out_epochs(self, name):
        return self.args.epochs or LEFT_OUT_EPOCHS.get(name, RUNS[name]["epochs"])

    def _left_out(self, name):
        """`name`'s recipe trained on every class but `LEFT_OUT`."""
        folder = self.folder / f"{name}_without_{LEFT_OUT}"
        final = folder / "model.keras"
        if final.is_file():
            return keras.saving.load_model(final), None
        settings = dict(RUNS[name])
        epochs = self._left_out_epochs(name)
        settings.pop("epochs", None)
        config = runs.TrainConfig(settings.pop("model"), seed=0, **settings)
        model = runs.build_model(config)
        images, labels = data.load_arrays("fashion_mnist", "train", self.args.data_dir)
        keep = labels != LEFT_OUT
        images = from_uint8(images[keep][: self.args.limit])
        import tensorflow as tf

        dataset = (
            tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=0)
            .batch(config.batch_size)
        )
        folder.mkdir(parents=True, exist_ok=True)
        model.fit(
            dataset,
            epochs=epochs,
            verbose=2,
            callbacks=[keras_gans.callbacks.BackupAndRestore(folder / "backup")],
        )
        run_folder.save_model_atomic(model, final)
        return model, None

    def part_probes(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        train, train_labels = data.load_arrays(
            "fashion_mnist", "train", self.args.data_dir
        )
        n = self.args.n_probe
        x_train, y_train = from_uint8(train[:n]), train_labels[:n]
        vae, _ = self.model("vae_fashion_mnist")
        dcgan = keras_gans.models.from_preset("dcgan_fashion_mnist")
        features = {
            "raw pixels (784)": lambda x: x.reshape(len(x), -1),
            f"VAE posterior mean ({vae.latent_dim})": lambda x: vae.encode(x)[0],
            "DCGAN discriminator features (zoo)": dcgan.discriminator_features,
        }
        rows = []
        for label, fn in features.items():
            _log(f"probes: {label}")
            a, b = np.asarray(fn(x_train)), np.asarray(fn(self.test))
            scaler = StandardScaler().fit(a)
            probe = LogisticRegression(max_iter=2000).fit(scaler.transform(a), y_train)
            accuracy = probe.score(scaler.transform(b), self.test_labels)
            rows.append(
                {"features": label, "dims": int(a.shape[1]), "accuracy": accuracy}
            )
        self.save("probes", rows)


def _fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def render(results, args):
    lines = [
        SECTION,
        "",
        "Written by `python tools/bench_likelihood.py` "
        f"(test images: the first {args.n_test:,} of Fashion-MNIST's test split).",
        "",
    ]
    binary = results.get("binary")
    if binary:
        machine = binary["machine"]
        lines += [
            "### Binarised images: nats per image",
            "",
            f"Machine: {machine.get('cpu')}, {machine.get('usable_cores')} cores; "
            f"{machine.get('date')}. Samples are scored with the shipped "
            "classifier's features against as many test images (grey-level: "
            "binary samples pay for that in FID). Sampling time per 1,000 "
            "images on this CPU.",
            "",
            "| model | parameters | -log p (nats) | bits/dim | train (min) "
            "| sample s/1000 | samples | FID | precision | recall |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in binary["rows"]:
            nats = f"{row['nats']:.2f} ± {row['se']:.2f}" if "nats" in row else "-"
            lines.append(
                f"| {row['model']} | {_fmt(row.get('parameters'))} | {nats} | "
                f"{_fmt(row.get('bits_per_dim'), 4)} | "
                f"{_fmt(row.get('train_minutes'), 1)} | "
                f"{_fmt(row.get('sample_seconds_per_1000'), 1)} | "
                f"{_fmt(row.get('samples'))} | {_fmt(row.get('fid'))} | "
                f"{_fmt(row.get('precision'), 3)} | {_fmt(row.get('recall'), 3)} |"
            )
        lines += ["", "Published, for scale (MNIST digits, not Fashion-MNIST):", ""]
        lines += [f"- {text}" for text in PUBLISHED.values()]
        lines.append("")
    eightbit = results.get("eightbit")
    if eightbit:
        lines += [
            "### 8-bit images: bits per dimension",
            "",
            "| model | parameters | bits/dim | -log p (nats) | Parzen log-likelihood "
            "(nats, [0, 1] scale) | sigma | train (min) | sample s/1000 | samples "
            "| FID | precision | recall |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in eightbit["rows"]:
            parzen = (
                f"{row['parzen_nats']:.1f} ± {row['se']:.1f}"
                if "parzen_nats" in row
                else "-"
            )
            nats = f"{row['nats']:.1f} ± {row['se']:.1f}" if "nats" in row else "-"
            lines.append(
                f"| {row['model']} | {_fmt(row.get('parameters'))} | "
                f"{_fmt(row.get('bits_per_dim'), 3)} | {nats} | {parzen} | "
                f"{_fmt(row.get('sigma'), 3)} | {_fmt(row.get('train_minutes'), 1)} | "
                f"{_fmt(row.get('sample_seconds_per_1000'), 1)} | "
                f"{_fmt(row.get('samples'))} | {_fmt(row.get('fid'))} | "
                f"{_fmt(row.get('precision'), 3)} | {_fmt(row.get('recall'), 3)} |"
            )
        lines += [
            "",
            "The Parzen rows are not likelihoods of the GAN: a Gaussian kernel "
            "density over the GAN's samples, with its width fitted on held-out "
            "data, estimates a density that the GAN never defines; in high "
            "dimension such estimates are far from the true log-likelihood "
            "(Theis et al. 2016). Their bits/dim converts the density on "
            "[0, 1]^784 to 256 levels (bin width 1/256) for scale only.",
            "",
            f"Published, for scale (MNIST digits): {PUBLISHED_PARZEN}.",
            "",
        ]
    anomaly = results.get("anomaly")
    if anomaly:
        lines += [
            "### Anomaly detection: AUROC",
            "",
            "Score: log p(x) (the ELBO for the VAE); an image is called "
            "anomalous when its score is low. Out of distribution: "
            "scikit-learn's digits (the 300 test images, resized to 28x28) "
            "against as many Fashion-MNIST test images. Left out: a model "
            f"trained without class {LEFT_OUT} ({CLASS_NAMES[LEFT_OUT]}), "
            "scoring the whole test set.",
            "",
            "| model | digits vs Fashion-MNIST | left-out class vs the rest "
            "| epochs of the left-out model | mean log p, test "
            "| mean log p, digits |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in anomaly["rows"]:
            lines.append(
                f"| {row['model']} | {row['auroc_digits']:.3f} | "
                f"{row['auroc_left_out']:.3f} | {row.get('left_out_epochs', '-')} | "
                f"{row['mean_log_p_test']:.1f} | "
                f"{row['mean_log_p_digits']:.1f} |"
            )
        lines.append("")
    probes = results.get("probes")
    if probes:
        lines += [
            "### Feature learning: linear probes",
            "",
            f"Logistic regression on standardised features of the first "
            f"{args.n_probe:,} training images, accuracy on the test images.",
            "",
            "| features | dims | test accuracy |",
            "|---|---:|---:|",
        ]
        for row in probes["rows"]:
            lines.append(
                f"| {row['features']} | {row['dims']} | {row['accuracy']:.4f} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=(*PARTS, "all", "report"), default="all")
    parser.add_argument("--folder", default=str(ROOT / "runs" / "bench_likelihood"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=None, help="override (smoke)")
    parser.add_argument("--limit", type=int, default=None, help="training images")
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument(
        "--n-slow", type=int, default=2000, help="samples of the PixelCNNs"
    )
    parser.add_argument("--n-parzen", type=int, default=10000)
    parser.add_argument("--n-probe", type=int, default=10000)
    parser.add_argument("--k", type=int, default=256, help="IWAE samples")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    bench = Bench(args)
    for part in PARTS if args.part == "all" else (args.part,):
        if part != "report":
            getattr(bench, f"part_{part}")()
    text = render(bench.results, args)
    print(text)
    if args.output:
        report.write_report(args.output, text, SECTION)


if __name__ == "__main__":
    main()
