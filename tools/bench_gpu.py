"""DCGAN `fit()` images/s on a GPU with Keras's JAX backend, against PyTorch.

The machine where this project's GPU figures are measured has JAX and
PyTorch but no TensorFlow, so keras_gans runs there on JAX. One command:

    python tools/bench_gpu.py --json gpu.json        # on the GPU machine
    python tools/bench_gpu.py --render gpu.json      # here: BENCHMARKS.md
    python tools/bench_gpu.py --smoke --output ''    # CPU smoke test (CI)

On the GPU machine (Python 3.12, JAX with CUDA, PyTorch; no Keras), bring
this checkout and wheels for Python 3.12 of what it lacks, then:

    pip download --python-version 3.12 --only-binary=:all: --no-deps \
        -d wheels keras namex optree                 # here, before the run
    pip install --no-deps wheels/*.whl && pip install --no-deps -e . \
        && KERAS_BACKEND=jax python tools/bench_gpu.py --json $OUT/gpu.json --output ''

For each image size (64x64x3 and 128x128x3) and precision (float32, and
bfloat16: `dtype_policy="mixed_bfloat16"` for keras_gans, `torch.autocast`
for PyTorch), it times:

- `jax_fit`: `keras_gans.DCGAN.fit()` on NumPy images (batch 64, Adam), the
  plain Keras path, after a warm-up epoch that compiles the step;
- `torch_eager`: a PyTorch reference of the same networks written here
  (same layers, channels, kernels, batch norm, LeakyReLU, loss and Adam),
  eager, one D step then one G step per batch, the batch copied from host
  memory each step as `fit()` does.

The two run in alternation, the order swapped every round, and the
reported figure is the median over rounds; ratios are JAX / PyTorch within
the run. Everything needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTION = "## DCGAN on a GPU: JAX backend vs PyTorch"
BATCH = 64
LATENT = 100
FILTERS = 64
PRECISIONS = ("float32", "bfloat16")


# --- keras_gans on JAX -------------------------------------------------------------


class KerasRunner:
    """`DCGAN.fit()` for one image size and precision."""

    def __init__(self, size, precision, steps, filters):
        import keras
        import numpy as np

        import keras_gans

        if keras.backend.backend() != "jax":
            raise SystemExit(
                f"bench_gpu.py measures Keras's JAX backend; KERAS_BACKEND is "
                f"{keras.backend.backend()!r}."
            )
        keras.utils.set_random_seed(0)
        self.model = keras_gans.DCGAN(
            image_shape=(size, size, 3),
            latent_dim=LATENT,
            g_filters=filters,
            d_filters=filters,
            seed=0,
            dtype_policy=None if precision == "float32" else "mixed_bfloat16",
        )
        self.model.compile()
        rng = np.random.default_rng(0)
        shape = (BATCH * steps, size, size, 3)
        self.images = np.tanh(rng.standard_normal(shape)).astype("float32")
        self.run()  # compiles the step

    def run(self):
        start = time.perf_counter()
        history = self.model.fit(
            self.images, batch_size=BATCH, epochs=1, verbose=0, shuffle=False
        )
        seconds = time.perf_counter() - start
        loss = history.history["d_loss"][-1]
        return len(self.images) / seconds, loss


# --- The PyTorch reference -----------------------------------------------------------


def torch_networks(size, filters):
    """keras_gans's DCGAN networks (`build_dcgan_generator` / `_discriminator`) in torch."""
    import torch
    from torch import nn

    steps = 0
    h = size
    while h % 2 == 0 and h // 2 >= 4:
        h, steps = h // 2, steps + 1
    channels = filters * 2 ** (steps - 1)

    def bn(c):
        return nn.BatchNorm2d(c, momentum=0.1, eps=1e-5)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.project = nn.Linear(LATENT, h * h * channels, bias=False)
            layers = [bn(channels), nn.ReLU()]
            c = channels
            for _ in range(steps - 1):
                layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False)]
                layers += [bn(c // 2), nn.ReLU()]
                c //= 2
            layers += [nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh()]
            self.body = nn.Sequential(*layers)

        def forward(self, z):
            return self.body(self.project(z).view(-1, channels, h, h))

    layers = []
    c_in = 3
    for i in range(steps):
        c_out = filters * 2**i
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0)]
        if i > 0:
            layers += [bn(c_out)]
        layers += [nn.LeakyReLU(0.2)]
        c_in = c_out
    layers += [nn.Flatten(), nn.Linear(c_in * h * h, 1)]
    discriminator = nn.Sequential(*layers)
    generator = Generator()
    for module in (*generator.modules(), *discriminator.modules()):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
    return generator, discriminator, torch


class TorchRunner:
    """The same training step in eager PyTorch, bf16 by `torch.autocast`."""

    def __init__(self, size, precision, steps, filters, device):
        import numpy as np

        generator, discriminator, torch = torch_networks(size, filters)
        self.torch = torch
        self.device = torch.device(device)
        self.g = generator.to(self.device)
        self.d = discriminator.to(self.device)
        adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
        self.g_opt = torch.optim.Adam(self.g.parameters(), **adam)
        self.d_opt = torch.optim.Adam(self.d.parameters(), **adam)
        self.bce = torch.nn.BCEWithLogitsLoss()
        self.precision = precision
        rng = np.random.default_rng(0)
        images = np.tanh(rng.standard_normal((BATCH * steps, 3, size, size)))
        self.images = torch.from_numpy(images.astype("float32"))
        if self.device.type == "cuda":
            self.images = self.images.pin_memory()
        self.generator = torch.Generator(device=self.device).manual_seed(0)
        self.run()  # warms up cuDNN's algorithm choice

    def _autocast(self):
        import contextlib

        if self.precision == "float32":
            return contextlib.nullcontext()
        return self.torch.autocast(self.device.type, dtype=self.torch.bfloat16)

    def _step(self, real):
        torch = self.torch
        n = real.shape[0]
        ones = torch.ones(n, 1, device=self.device)
        zeros = torch.zeros(n, 1, device=self.device)
        z = torch.randn(n, LATENT, device=self.device, generator=self.generator)
        with self._autocast():
            fake = self.g(z).detach()
            d_loss = self.bce(self.d(real).float(), ones) + self.bce(
                self.d(fake).float(), zeros
            )
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        z = torch.randn(n, LATENT, device=self.device, generator=self.generator)
        with self._autocast():
            g_loss = self.bce(self.d(self.g(z)).float(), ones)
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        return d_loss

    def run(self):
        torch = self.torch
        self.g.train()
        self.d.train()
        start = time.perf_counter()
        for i in range(0, len(self.images), BATCH):
            real = self.images[i : i + BATCH].to(self.device, non_blocking=True)
            d_loss = self._step(real)
        loss = float(d_loss)  # waits for the device
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return len(self.images) / (time.perf_counter() - start), loss


# --- Measuring -----------------------------------------------------------------------


def machine():
    import jax
    import keras
    import torch

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "keras": keras.__version__,
        "torch": torch.__version__,
        "jax_device": str(jax.devices()[0].device_kind),
        "torch_device": (
            torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        ),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    info["gpu"] = jax.devices()[0].platform == "gpu" and torch.cuda.is_available()
    return info


def measure(sizes, rounds, steps, filters):
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    results = []
    for size in sizes:
        for precision in PRECISIONS:
            runners = {
                "jax_fit": KerasRunner(size, precision, steps, filters),
                "torch_eager": TorchRunner(size, precision, steps, filters, device),
            }
            rates = {name: [] for name in runners}
            losses = {name: [] for name in runners}
            for r in range(rounds):
                order = list(runners) if r % 2 == 0 else list(runners)[::-1]
                for name in order:
                    rate, loss = runners[name].run()
                    rates[name].append(rate)
                    losses[name].append(loss)
            row = {
                "size": size,
                "precision": precision,
                **{f"{n}_images_per_s": statistics.median(v) for n, v in rates.items()},
                "rounds": rates,
                "last_d_loss": {n: v[-1] for n, v in losses.items()},
            }
            row["jax_over_torch"] = row["jax_fit_images_per_s"] / max(
                row["torch_eager_images_per_s"], 1e-9
            )
            print(json.dumps(row), flush=True)
            results.append(row)
            del runners
    return results


def render(report):
    """The BENCHMARKS.md section for a `--json` report."""
    info = report["machine"]
    lines = [SECTION, ""]
    if not info.get("gpu"):
        lines += [
            f"No GPU was available when this section was written ({info['date']}): "
            "the rows below are the tool's CPU smoke test "
            f"({info['cpu']}, {info['cpu_count']} cores), which checks that it "
            "runs, not a speed to compare.",
            "",
        ]
    lines += [
        f"Generated by `{report['command']}` on {info['date']}: JAX {info['jax']} "
        f"({info['jax_device']}), Keras {info['keras']}, PyTorch {info['torch']} "
        f"({info['torch_device']}), Python {info['python']}. DCGAN "
        f"(ngf = ndf = {report['filters']}, z of {LATENT}), batch {BATCH}, "
        f"{report['steps']} steps per timing, median of {report['rounds']} "
        "alternated rounds.",
        "",
        "| image | precision | keras_gans `fit()` on JAX (images/s) | PyTorch eager "
        "(images/s) | JAX / PyTorch |",
        "|---|---|---:|---:|---:|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['size']}x{row['size']}x3 | {row['precision']} | "
            f"{row['jax_fit_images_per_s']:.0f} | {row['torch_eager_images_per_s']:.0f}"
            f" | {row['jax_over_torch']:.2f}x |"
        )
    by = {(r["size"], r["precision"]): r for r in report["results"]}
    speedups = [
        f"{size}x{size}: JAX {by[(size, 'bfloat16')]['jax_fit_images_per_s'] / by[(size, 'float32')]['jax_fit_images_per_s']:.2f}x, "  # noqa: E501
        f"PyTorch {by[(size, 'bfloat16')]['torch_eager_images_per_s'] / by[(size, 'float32')]['torch_eager_images_per_s']:.2f}x"  # noqa: E501
        for size in report["sizes"]
        if (size, "bfloat16") in by and (size, "float32") in by
    ]
    if speedups:
        lines += ["", "bfloat16 over float32: " + "; ".join(speedups) + "."]
    return "\n".join(lines) + "\n"


def write_section(path, text):
    sys.path.insert(0, str(ROOT / "tools"))
    from report import write_report

    write_report(path, text, header=SECTION)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100, help="batches per timing")
    parser.add_argument("--filters", type=int, default=FILTERS)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a CPU check that everything runs: 16x16 and 32x32, ngf=ndf=8, "
        "2 steps, 1 round",
    )
    parser.add_argument("--json", default=None, help="write the report here")
    parser.add_argument(
        "--render", default=None, help="write BENCHMARKS.md from this --json report"
    )
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.render:
        report = json.loads(pathlib.Path(args.render).read_text())
    else:
        if args.smoke:
            args.sizes, args.rounds, args.steps, args.filters = [16, 32], 1, 2, 8
        started = time.perf_counter()
        report = {
            "command": "python tools/bench_gpu.py"
            + (" " + " ".join(argv) if argv else ""),
            "machine": machine(),
            "sizes": args.sizes,
            "rounds": args.rounds,
            "steps": args.steps,
            "filters": args.filters,
            "results": measure(args.sizes, args.rounds, args.steps, args.filters),
        }
        report["seconds"] = time.perf_counter() - started
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(report, indent=2))
    text = render(report)
    print(text)
    if args.output:
        write_section(args.output, text)
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
