"""How far keras_gans's picture decoding is from a full decode and from TensorFlow's.

Every backend decodes a user's pictures with the same Pillow code
(`keras_gans.data.folders.decode`), so TensorFlow, JAX and PyTorch see the
same pixels. That code lets large JPEGs decode at 1/2, 1/4 or 1/8 scale
(`Image.draft`) when the target is that much smaller. This tool measures, on
a folder of JPEGs, the difference in 0-255 levels between its 64x64 output
and (a) the same crop and resize after a full-size decode, (b) TensorFlow's
`decode_jpeg`, centre crop and antialiased bilinear resize (what
`keras.utils.image_dataset_from_directory(crop_to_aspect_ratio=True)` does):

    python tools/make_image_folder.py --out /tmp/dec --count 200 --size 178 --max-size 218
    python tools/compare_decoders.py /tmp/dec
"""

from __future__ import annotations

import argparse
import io
import pathlib

import numpy as np
from PIL import Image

from keras_gans.data.folders import decode as folder_decode


def compare(folder, size=64):
    import tensorflow as tf

    files = sorted(pathlib.Path(folder).rglob("*.jpg"))
    ours, full, tensorflow = [], [], []
    for path in files:
        data = path.read_bytes()
        ours.append(folder_decode.decode(data, (size, size, 3)))
        image = Image.open(io.BytesIO(data)).convert("RGB")
        box = folder_decode._crop_window(image.size, (size, size), None)
        full.append(
            np.asarray(image.resize((size, size), Image.Resampling.BILINEAR, box=box))
        )
        x = tf.io.decode_jpeg(data, channels=3)
        h, w = x.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        x = tf.cast(x[top : top + side, left : left + side], tf.float32)
        x = tf.image.resize(x, (size, size), antialias=True).numpy()
        tensorflow.append(np.clip(np.round(x), 0, 255))
    ours = np.stack(ours).astype(np.int64)
    rows = {}
    for name, other in (("full-size decode", full), ("TensorFlow", tensorflow)):
        diff = np.abs(ours - np.stack(other).astype(np.int64))
        rows[name] = {
            "mean": float(diff.mean()),
            "p99": float(np.percentile(diff, 99)),
            "max": int(diff.max()),
        }
    return len(files), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args(argv)
    count, rows = compare(args.folder, args.size)
    print(f"{count} JPEGs at {args.size}x{args.size}; |keras_gans - other| in levels:")
    for name, row in rows.items():
        print(
            f"  {name:<17} mean {row['mean']:.2f}  99th percentile "
            f"{row['p99']:.0f}  max {row['max']}"
        )


if __name__ == "__main__":
    main()
