"""The command line's parts for your own pictures (`keras_gans.cli` calls them).

keras-gans preview-data ./photos --image-shape 64,64,3 --out preview.png
keras-gans cache list                 # zoo downloads and decoded pictures
keras-gans cache clear data           # every decoded-picture entry
"""

from __future__ import annotations

import argparse


def crop_box(text):
    """argparse type of `--crop-box LEFT,TOP,RIGHT,BOTTOM`."""
    try:
        box = tuple(int(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or min(box) < 0 or box[2] <= box[0] or box[3] <= box[1]:
        raise argparse.ArgumentTypeError(
            "expected LEFT,TOP,RIGHT,BOTTOM pixels with left < right and top < "
            f"bottom, such as 25,45,153,173; received {text!r}"
        )
    return box


def add_train_flags(train):
    train.add_argument(
        "--allow-changed-data",
        action="store_true",
        help="with --data: resume although pictures were added, removed or "
        "changed since the run started (default: stop and say what changed)",
    )


def add_commands(sub, shape_type, add_overwrite):
    preview = sub.add_parser(
        "preview-data",
        help="write a grid of what a model trained with --data PATH will see",
    )
    preview.add_argument("data", help="a folder, glob, .zip or .tar of pictures")
    preview.add_argument(
        "--image-shape", type=shape_type, default=None, help="H,W,C (default: 64,64,3)"
    )
    preview.add_argument("--crop-box", type=crop_box, default=None)
    preview.add_argument("--flip", action="store_true", help="random left-right flips")
    preview.add_argument("--n", type=int, default=64, help="pictures (default: 64)")
    preview.add_argument("--seed", type=int, default=0)
    preview.add_argument("--out", default="preview.png")
    add_overwrite(preview)
    return {"preview-data": preview_data}


def preview_data(args):
    from keras_gans import data
    from keras_gans.images import save_image_grid
    from keras_gans.validation import check_int

    n = check_int("n", args.n, minimum=1)
    dataset = data.load(
        args.data,
        batch_size=n,
        image_shape=args.image_shape,
        seed=args.seed,
        crop_box=args.crop_box,
        flip=args.flip,
        drop_remainder=False,
    )
    batch = next(iter(dataset))
    images = batch[0] if isinstance(batch, tuple) else batch
    path = save_image_grid(images, args.out)
    print(f"Wrote {len(images)} of {dataset.folder.summary()}")
    print(f"  grid: {path}")
    return 0


def describe_data_cache():
    """Lines for `keras-gans cache list`: the decoded-picture entries."""
    from keras_gans.data.folders import cache

    found = cache.entries()
    if not found:
        return [f"No decoded pictures cached in {cache.default_cache_dir()}."]
    lines = [f"Decoded pictures in {cache.default_cache_dir()}:"]
    total = 0
    for key, _, description, used, done in found:
        total += used
        shape = "x".join(str(d) for d in description.get("shape", ()))
        lines.append(
            f"  {key}  {used / 2**20:8.1f} MiB  {description.get('files', '?')} "
            f"pictures at {shape}, {done:.0%} decoded, from "
            f"{description.get('source', '?')}"
        )
    lines.append(f"  total {total / 2**20:.1f} MiB (keras-gans cache clear data)")
    return lines


def clear_data_cache(name):
    """`keras-gans cache clear data` (all) or `clear <key>`: the entries removed."""
    from keras_gans.data.folders import cache

    return cache.clear(None if name == "data" else name)


def add_cache_command(sub):
    cache = sub.add_parser(
        "cache",
        help="list or clear the cache: zoo downloads, unpacked presets and "
        "decoded pictures of --data folders",
    )
    cache.add_argument("action", choices=("list", "clear"))
    cache.add_argument(
        "name",
        nargs="?",
        default=None,
        help="clear: one entry (a zoo name, a sha256 or a decoded-picture key as "
        "listed), or 'data' for every decoded-picture entry; default: all",
    )
    cache.add_argument(
        "--cache-dir",
        default=None,
        help="the zoo's (default: $KERAS_GANS_HOME/zoo, else "
        "~/.keras/keras_gans/zoo); decoded pictures are in "
        "$KERAS_GANS_HOME/data, else ~/.keras/keras_gans/data",
    )


def cache_command(args):
    from keras_gans import zoo
    from keras_gans.data.folders import cache as data_cache

    folder = args.cache_dir or zoo.default_cache_dir()
    if args.action == "list":
        if args.name is not None:
            raise ValueError("keras-gans cache list takes no NAME.")
        print("\n".join(zoo.cache.describe(zoo.cache_info(folder), folder)))
        print("\n".join(describe_data_cache()))
        return 0
    keys = {key for key, *_ in data_cache.entries()}
    if args.name is None or args.name == "data" or args.name in keys:
        removed = clear_data_cache(args.name or "data")
        size = sum(used for *_, used, _ in removed) / 2**20
        print(f"Removed {len(removed)} decoded-picture entries ({size:.1f} MiB)")
        if args.name is not None:
            return 0
    removed = zoo.clear_cache(args.name, folder)
    if args.name is not None and not removed:
        raise LookupError(
            f"Expected a cache entry named {args.name!r} in {folder}; found none "
            "(keras-gans cache list shows them)."
        )
    print(f"Removed {zoo.cache.describe(removed, folder)[-1]}")
    return 0
