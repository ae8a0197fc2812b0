"""Converts a generator to `.tflite` files for phones and checks each one.

Writes `<name>.<quantize>.tflite` and `<name>.<quantize>.json` (GAN-CLS also
`<name>.text_encoder.<quantize>.tflite`) per quantization, and prints each
file's size and its max absolute difference from the SavedModel's
`generate` signature on 8 latents drawn by the `sample` signature (seed 0).
The library call is `keras_gans.export.tflite.convert`, the same as
`keras-gans export-tflite`.

Usage:

    python tools/export_tflite.py exports/dcgan/1 --quantize float16 --out tflite
    python tools/export_tflite.py runs/gan_cls --all --out tflite
    python tools/export_tflite.py dcgan_fashion_mnist --quantize none --quantize int8

NAME_OR_DIR is an export version folder, a folder of numeric versions (the
highest is used), a run folder or `.keras` file, or a zoo model name.
"""

import argparse
import json
import pathlib
import sys

from keras_gans.export import tflite


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", metavar="NAME_OR_DIR")
    parser.add_argument(
        "--quantize",
        action="append",
        choices=(*tflite.QUANTIZATIONS, "all"),
        default=None,
        help="repeat for several files, or 'all' (default: none)",
    )
    parser.add_argument("--all", action="store_true", help="every quantization")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("tflite"))
    parser.add_argument(
        "--name",
        default=None,
        help="files' base name (default: the zoo name, else the model kind)",
    )
    parser.add_argument("--representative-count", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0, help="int8 calibration seed")
    parser.add_argument(
        "--report", type=pathlib.Path, default=None, help="also write a JSON report"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))

    results = tflite.convert(
        args.source,
        args.out,
        quantize=["all"] if args.all else (args.quantize or ["none"]),
        name=args.name,
        representative_count=args.representative_count,
        seed=args.seed,
    )
    print(f"Converted {args.source}")
    for line in tflite.report_lines(results):
        print(line)
    if args.report:
        args.report.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
