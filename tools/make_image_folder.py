"""Writes many small synthetic JPEGs, for memory and speed benchmarks.

Each picture is a four-corner colour gradient with a few filled shapes (ellipses,
rectangles, triangles), drawn from a seed of its own, so any picture can be
rewritten alone and the output does not depend on the number of processes.
Files go into numbered subfolders of `--per-folder` files each, so no folder
holds 100,000 entries:

    OUT/000/000000.jpg ... OUT/000/000999.jpg
    OUT/001/001000.jpg ...

The subfolders are shards, not classes. `--max-size` draws each picture's
width and height from [size, max-size] instead of using `--size` for both.

Usage:

    python tools/make_image_folder.py --count 100000 --size 96 --out DIR
        [--max-size 160] [--seed 0] [--per-folder 1000] [--quality 90]
        [--processes 2]
"""

import argparse
import io
import multiprocessing
import pathlib
import shlex
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

SIGNATURE = "Synthetic pictures written by tools/make_image_folder.py"
README = "README.txt"


def draw_image(index, seed=0, size=96, max_size=None):
    """The picture number `index`: a PIL RGB image, the same for the same args."""
    # One draw of uniforms per picture: separate small draws cost more than
    # the drawing itself.
    u = np.random.default_rng([seed, index]).random(48)
    corners = (u[:12] * 255).astype(np.uint8).reshape(2, 2, 3)
    u = iter(u[12:].tolist())
    width = height = size
    if max_size:
        width = size + int(next(u) * (max_size - size + 1))
        height = size + int(next(u) * (max_size - size + 1))
    # Four corner colours, bilinearly stretched: a smooth gradient for free.
    image = Image.fromarray(corners, "RGB").resize((width, height), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    for _ in range(1 + int(next(u) * 3)):
        colour = tuple(int(next(u) * 256) for _ in range(3))
        x0, x1 = sorted(int(next(u) * width) for _ in range(2))
        y0, y1 = sorted(int(next(u) * height) for _ in range(2))
        box = (x0, y0, x1 + 1, y1 + 1)
        shape = next(u)
        if shape < 1 / 3:
            draw.ellipse(box, fill=colour)
        elif shape < 2 / 3:
            draw.rectangle(box, fill=colour)
        else:
            draw.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=colour)
    return image


def relative_path(index, count, per_folder=1000):
    """`<shard>/<index>.jpg`, zero-padded so names sort in index order."""
    digits = len(str(max(count - 1, 0)))
    shard_digits = len(str(max((count - 1) // per_folder, 0)))
    shard = index // per_folder
    return f"{shard:0{max(shard_digits, 3)}d}/{index:0{max(digits, 6)}d}.jpg"


def _write_range(job):
    out, start, stop, count, seed, size, max_size, per_folder, quality = job
    out = pathlib.Path(out)
    total = 0
    for index in range(start, stop):
        buffer = io.BytesIO()
        draw_image(index, seed, size, max_size).save(buffer, "JPEG", quality=quality)
        path = out / relative_path(index, count, per_folder)
        path.write_bytes(buffer.getvalue())
        total += buffer.tell()
    return total


def prepare_out(out):
    """Makes `out` ready; refuses a non-empty folder this tool did not write.

    A folder is this tool's when its README.txt starts with `SIGNATURE`; then
    its numbered shard folders (only their `.jpg` files) and README go first.
    """
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"Expected a folder for --out, received a file: {out}")
    if out.is_dir() and any(out.iterdir()):
        readme = out / README
        if not (readme.is_file() and readme.read_text("utf-8").startswith(SIGNATURE)):
            raise SystemExit(
                f"Expected an empty or new folder for --out, received {out}, "
                f"which holds files this tool did not write (no {README} of "
                "its own). Choose another folder or empty it."
            )
        for shard in out.iterdir():
            if shard.is_dir() and not shard.is_symlink() and shard.name.isdigit():
                for file in shard.glob("*.jpg"):
                    file.unlink()
                if not any(shard.iterdir()):
                    shard.rmdir()
        readme.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def make_image_folder(
    out,
    count,
    size=96,
    max_size=None,
    seed=0,
    per_folder=1000,
    quality=90,
    processes=2,
    command="",
):
    """Writes `count` synthetic JPEGs into numbered subfolders of `out`.

    Args:
        out: Output folder: new, empty, or written earlier by this tool.
        count: Number of pictures.
        size: Width and height in pixels (the smallest, with `max_size`).
            Defaults to `96`.
        max_size: Largest width and height; each picture draws its own.
            Defaults to `None` (all `size` x `size`).
        seed: Seed of the whole set. Defaults to `0`.
        per_folder: Files per subfolder. Defaults to `1000`.
        quality: JPEG quality. Defaults to `90`.
        processes: Worker processes; 1 writes in this process. Defaults to `2`.
        command: The command line, recorded in README.txt.

    Returns:
        The total size of the written JPEGs in bytes.
    """
    if count < 1 or per_folder < 1 or size < 1:
        raise ValueError(
            "Expected count, per_folder and size >= 1, received "
            f"count={count}, per_folder={per_folder}, size={size}"
        )
    if max_size is not None and max_size < size:
        raise ValueError(
            f"Expected max_size >= size ({size}), received max_size={max_size}"
        )
    out = prepare_out(out)
    shards = range(0, count, per_folder)
    for start in shards:
        (out / relative_path(start, count, per_folder)).parent.mkdir(exist_ok=True)
    jobs = [
        (
            str(out),
            start,
            min(start + per_folder, count),
            count,
            seed,
            size,
            max_size,
            per_folder,
            quality,
        )
        for start in shards
    ]
    if processes > 1 and len(jobs) > 1:
        with multiprocessing.Pool(processes) as pool:
            total = sum(pool.imap_unordered(_write_range, jobs))
    else:
        total = sum(map(_write_range, jobs))
    sizes = f"{size}x{size}" if not max_size else f"{size} to {max_size} px a side"
    (out / README).write_text(
        f"{SIGNATURE}\n\n{count} JPEGs ({sizes}, quality {quality}, seed {seed}),"
        f" {per_folder} a folder; {total} bytes.\n\nMade with:\n\n  {command}\n",
        "utf-8",
    )
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--max-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-folder", type=int, default=1000)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--processes", type=int, default=2)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    total = make_image_folder(
        args.out,
        args.count,
        size=args.size,
        max_size=args.max_size,
        seed=args.seed,
        per_folder=args.per_folder,
        quality=args.quality,
        processes=args.processes,
        command=shlex.join(["python", "tools/make_image_folder.py", *argv]),
    )
    seconds = time.perf_counter() - start
    print(
        f"{args.count} JPEGs, {total / 2**20:.1f} MiB -> {args.out} in "
        f"{seconds:.1f} s ({args.count / seconds:.0f} images/s)"
    )


if __name__ == "__main__":
    main()
