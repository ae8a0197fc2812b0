"""Writes the small Fashion-MNIST test fixture from Debian's full files.

The fixture keeps the original file names and gzip IDX format, so tests go
through the same reading code as real data: the first 512 training and the
first 128 test examples, with their labels. Output is byte-for-byte
reproducible (no gzip timestamp).

Usage:

    python tools/make_test_fixture.py [--source DIR] [--out DIR]
"""

import argparse
import pathlib

from keras_gans.data import fashion_mnist, idx

COUNTS = {"train": 512, "test": 128}
DEFAULT_OUT = (
    pathlib.Path(__file__).resolve().parents[1] / "tests/fixtures/fashion-mnist"
)


def make_fixture(source_dir, out_dir, counts=None):
    """Copies the first examples of each split into `out_dir` as gzip IDX files.

    Args:
        source_dir: Directory with the four full Fashion-MNIST files, or
            `None` to search the usual places.
        out_dir: Output directory (created if needed).
        counts: Split -> number of examples. Defaults to `None` (`COUNTS`).

    Returns:
        The list of written paths.
    """
    counts = counts or COUNTS
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for split, count in counts.items():
        images, labels = fashion_mnist.load_split(split, source_dir)
        for name, array in zip(
            fashion_mnist.FILES[split], (images, labels), strict=True
        ):
            path = out_dir / name
            idx.write_idx(path, array[:count])
            written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        default=None,
        help="directory with the full files (default: search as keras_gans.data does)",
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output directory")
    args = parser.parse_args(argv)
    for path in make_fixture(args.source, args.out):
        print(f"{path}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
