"""Zoo models as SavedModel and TFLite: sizes, batch-1 latency, quantization cost.

For each published zoo generator this measures, in one run on one machine
(an autoregressive model's file is its sampler, `sample_from_uniforms`, fed
the same uniforms; its family says which quantizations convert):

- **size** of the SavedModel (unpacked version folder) and of the `.tflite`
  file for each quantization (none, float16, dynamic, int8);
- **parity**: max |TFLite - SavedModel| on the same 64 latents;
- **batch-1 latency** of one image: the SavedModel's `generate` signature
  (TensorFlow, eager call of the loaded concrete function) and LiteRT's
  `invoke()` for each file, alternating every round so that machine load
  hits all of them alike; medians over the rounds;
- **quality change**: FID on the shipped Fashion-MNIST classifier's
  features (docs/classifier.md) of N images against the first N test images,
  for the SavedModel and for each file on the *same* latents (GAN-CLS: the
  same latents and the held-out-wording test captions), and the FID between
  the SavedModel's and the file's own images.

Usage:

    python tools/bench_export.py                      # every published generator
    python tools/bench_export.py dcgan_fashion_mnist --n 2000 --rounds 50
    python tools/bench_export.py vae_fashion_mnist pixelcnn_fashion_mnist \
        --section likelihood --n 500 --rounds 5 --calls 1
"""

import argparse
import json
import pathlib
import shlex
import statistics
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf

from keras_gans import zoo
from keras_gans.data import load_arrays
from keras_gans.evaluation import score
from keras_gans.export import tflite
from keras_gans.export.saved_model import sample_in_chunks
from keras_gans.export.spec import tflite_spec
from keras_gans.features import get_extractor
from keras_gans.files import write_atomic
from keras_gans.images import from_uint8, save_captioned_grid
from keras_gans.models.registry import family_for_kind

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from machine import machine_info, replace_marked_section  # noqa: E402

TOOL = "bench_export"
TITLE = "## Export: SavedModel vs TFLite (sizes, latency, quantization)"
# --section -> the heading of the BENCHMARKS.md section it writes.
SECTIONS = {
    "zoo": TITLE,
    "likelihood": "## Export of the VAE and PixelCNN: SavedModel vs TFLite",
}
GENERATORS = (
    "gan_fashion_mnist",
    "dcgan_fashion_mnist",
    "infogan_fashion_mnist",
    "gan_cls_fashion_captions",
)


def _bytes(path):
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _latents(pretrained, n, seed):
    """Latents (and GAN-CLS text embeddings of test captions) for n images.

    An autoregressive model's are the uniforms its sampler turns into pixels.
    """
    if pretrained.kind != "gan_cls":
        spec = tflite_spec(family_for_kind(pretrained.kind))
        feeds = tflite.example_inputs(pretrained.export_dir, n, seed)
        return feeds[spec.noise], None, None
    chunks = sample_in_chunks(pretrained.signatures["sample"], n, seed)
    latent = np.concatenate([out["latent"].numpy() for out in chunks])
    from keras_gans.data import captions as captions_lib

    test = captions_lib.load_captioned("test", captions_per_image=1, wording="held_out")
    texts = test.captions[:n, 0].tolist()
    embeddings = np.concatenate(
        [pretrained.embed_texts(texts[i : i + 1024]) for i in range(0, n, 1024)]
    )
    return latent, embeddings, texts


def _saved_model_program(pretrained):
    """The signature a `.tflite` file converts, and the name of its noise input."""
    spec = tflite_spec(family_for_kind(pretrained.kind))
    return pretrained.signatures[spec.signature], spec.noise


def _saved_model_images(pretrained, latent, embeddings, batch=256):
    fn, noise = _saved_model_program(pretrained)
    out = []
    for i in range(0, len(latent), batch):
        feeds = {noise: tf.constant(latent[i : i + batch])}
        if embeddings is not None:
            feeds["text_embedding"] = tf.constant(embeddings[i : i + batch])
        out.append(fn(**feeds)["images"].numpy())
    return np.concatenate(out)


def _lite_images(sampler, latent, embeddings, batch=256):
    out = []
    for i in range(0, len(latent), batch):
        e = None if embeddings is None else embeddings[i : i + batch]
        out.append(sampler.run(latent[i : i + batch], e))
    return np.concatenate(out)


def _latency(pretrained, samplers, latent, embeddings, rounds, calls):
    """Median seconds per batch-1 image: SavedModel, then each sampler."""
    fn, noise = _saved_model_program(pretrained)
    feeds = {noise: tf.constant(latent[:1])}
    if embeddings is not None:
        feeds["text_embedding"] = tf.constant(embeddings[:1])
    e1 = None if embeddings is None else embeddings[:1]
    runners = {"saved_model": lambda: fn(**feeds)["images"].numpy()}
    for q, sampler in samplers.items():
        runners[q] = lambda s=sampler: s.run(latent[:1], e1)
    for run in runners.values():  # warm-up: tracing, allocation
        for _ in range(5):
            run()
    times = {k: [] for k in runners}
    order = list(runners)
    for r in range(rounds):
        for key in order[r % len(order) :] + order[: r % len(order)]:
            start = time.perf_counter()
            for _ in range(calls):
                runners[key]()
            times[key].append((time.perf_counter() - start) / calls)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_model(name, n, rounds, calls, seed, work):
    pretrained = zoo.load_pretrained(name, progress=False)
    latent, embeddings, _ = _latents(pretrained, n, seed)
    real, _ = load_arrays("fashion_mnist", "test")
    real = from_uint8(real[:n])
    extractor = get_extractor("fashion_mnist_classifier")
    real_features = extractor.features(real)
    reference = _saved_model_images(pretrained, latent, embeddings)
    ref_fid = score(
        reference,
        real,
        metrics=("fid",),
        extractor=extractor,
        real_features=real_features,
    )["fid"]
    rows = [
        {
            "format": "SavedModel",
            "bytes": _bytes(pretrained.export_dir),
            "parity": 0.0,
            "fid": ref_fid,
            "fid_to_saved_model": 0.0,
        }
    ]
    samplers = {}
    strip = {"SavedModel": reference[:8]}
    modes = tflite_spec(family_for_kind(pretrained.kind)).quantizations
    for q in modes:
        paths = tflite.export_tflite(
            pretrained.export_dir, work / name, quantize=q, name=name
        )
        sampler = tflite.LiteRTSampler(paths["model"])
        samplers[q] = sampler
        images = _lite_images(sampler, latent, embeddings)
        strip[f"TFLite {q}"] = images[:8]
        row = {
            "format": f"TFLite {q}",
            "bytes": _bytes(paths["model"]),
            "parity": float(np.abs(images[:64] - reference[:64]).max()),
            "fid": score(
                images,
                real,
                metrics=("fid",),
                extractor=extractor,
                real_features=real_features,
            )["fid"],
            "fid_to_saved_model": score(
                images, reference, metrics=("fid",), extractor=extractor
            )["fid"],
        }
        if tflite_spec(family_for_kind(pretrained.kind)).noise == "uniforms":
            # Discrete pixels: a quantization error flips whole levels.
            row["pixels_changed"] = float(np.mean(np.abs(images - reference) > 1e-3))
        if "text_encoder" in paths:
            row["text_encoder_bytes"] = _bytes(paths["text_encoder"])
        rows.append(row)
    latency = _latency(pretrained, samplers, latent, embeddings, rounds, calls)
    rows[0]["latency_ms"] = 1e3 * latency["saved_model"]
    for row, q in zip(rows[1:], modes, strict=True):
        row["latency_ms"] = 1e3 * latency[q]
    refused = tflite_spec(family_for_kind(pretrained.kind)).refused
    return {
        "name": name,
        "n": n,
        "rows": rows,
        "strip": strip,
        "refused": refused if len(modes) < len(tflite.QUANTIZATIONS) else "",
    }


def _save_strips(models, path):
    """One row per format, 8 images from the same latents, per model."""
    rows, labels = [], []
    for model in models:
        for fmt, images in model["strip"].items():
            rows.append(images)
            labels.append(f"{model['name']}: {fmt}")
    save_captioned_grid(np.concatenate(rows), labels, path, ncols=8)


def render(results, machine, command):
    lines = [
        f"Generated by `{command}` on {machine['date']}, in "
        f"{results['minutes']:.1f} minutes.",
        "",
        f"- Machine: {machine['cpu']}, {machine['usable_cores']} usable cores, no GPU; "
        f"Python {machine['python']}, TensorFlow {machine['tensorflow']}, Keras "
        f"{machine['keras']}, ai-edge-litert {results['litert']}; 1-min load average "
        f"{machine['loadavg_before'][0]:.2f} before the run.",
        f"- Latency: one image (batch 1), median over {results['rounds']} rounds of "
        f"{results['calls']} calls each, the formats alternating within each round. "
        "SavedModel: the signature the file converts (`generate`; an "
        "autoregressive model's `sample_from_uniforms`) of `tf.saved_model.load` "
        "called "
        "eagerly (what a Python server does per request); LiteRT: "
        "`Interpreter.invoke()` on the same latent, default threads.",
        f"- Quality: FID on the shipped Fashion-MNIST classifier's features "
        f"(docs/classifier.md) of {results['n']} images vs the first "
        f"{results['n']} test images, every format on the same latents "
        "(`sample` signature draws; GAN-CLS: with the held-out-wording test "
        "captions). 'FID to SavedModel' compares a file's images with the "
        "SavedModel's own. Parity: max |TFLite - SavedModel| over 64 images.",
        "- float16 stores weights as float16 and computes in float32; dynamic "
        "stores int8 weights and quantizes activations on the fly; int8 is full "
        "integer inside with float32 input and output (calibrated on 256 "
        "`sample` latents).",
        "",
    ]
    for model in results["models"]:
        lines += [
            f"### {model['name']}",
            "",
            "| format | size | max abs diff | batch-1 latency (ms, median) | "
            "latency vs SavedModel | FID | FID change | FID to SavedModel |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        base = model["rows"][0]
        for row in model["rows"]:
            size = f"{row['bytes'] / 1e6:.2f} MB"
            if "text_encoder_bytes" in row:
                size += f" (+ encoder {row['text_encoder_bytes'] / 1e6:.2f} MB)"
            lines.append(
                f"| {row['format']} | {size} | {row['parity']:.2g} | "
                f"{row['latency_ms']:.2f} | {row['latency_ms'] / base['latency_ms']:.2f} | "
                f"{row['fid']:.2f} | {row['fid'] - base['fid']:+.2f} | "
                f"{row['fid_to_saved_model']:.2f} |"
            )
        changed = [r for r in model["rows"] if "pixels_changed" in r]
        if changed:
            lines += [
                "",
                "Its pixels are discrete, so a quantization error moves a pixel "
                "a whole level (max abs diff 2 for binary pixels), and every "
                "later pixel is drawn given it, so one flip spreads down the "
                "image. Latency is that of a whole image: one network pass per "
                "pixel. Pixels that differ from the SavedModel's, over all "
                f"{model['n']} images: "
                + ", ".join(
                    f"{r['format']} {100 * r['pixels_changed']:.2f}%" for r in changed
                )
                + ".",
            ]
        if model.get("refused"):
            lines += ["", f"No other quantization: {model['refused']}."]
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=list(GENERATORS))
    parser.add_argument("--n", type=int, default=5000, help="images per FID")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=10, help="calls per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="BENCHMARKS.md", help="'' to skip")
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--section", choices=tuple(SECTIONS), default="zoo", help="BENCHMARKS.md part"
    )
    parser.add_argument(
        "--png", default=None, help="also draw the same 8 latents in every format"
    )
    args = parser.parse_args(argv)
    machine = machine_info()
    command = "python tools/bench_export.py " + shlex.join(argv)
    started = time.perf_counter()
    from importlib.metadata import version

    results = {
        "n": args.n,
        "rounds": args.rounds,
        "calls": args.calls,
        "litert": version("ai-edge-litert"),
        "models": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names or GENERATORS:
            print(f"{name} ...", flush=True)
            results["models"].append(
                bench_model(
                    name, args.n, args.rounds, args.calls, args.seed, pathlib.Path(tmp)
                )
            )
    results["minutes"] = (time.perf_counter() - started) / 60
    if args.png:
        _save_strips(results["models"], args.png)
        print(f"Wrote {args.png}")
    for model in results["models"]:
        del model["strip"]
    body = render(results, machine, command)
    print(body)
    if args.json:
        write_atomic(args.json, json.dumps(results, indent=2).encode())
    if args.output:
        path = pathlib.Path(args.output)
        text = path.read_text() if path.exists() else "# Benchmarks\n"
        write_atomic(
            path,
            replace_marked_section(
                text, TOOL, args.section, SECTIONS[args.section], body
            ).encode(),
        )
        print(f"Wrote {args.output}")
    return results


if __name__ == "__main__":
    main()
