"""Builds the documentation site strictly, offline, and checks the API pages.

    pip install -e ".[docs]"
    python tools/check_docs.py              # build into a temporary folder
    python tools/check_docs.py --site-dir site

`mkdocs build --strict` fails on any warning: a broken link or anchor, a
reference mkdocstrings cannot resolve, a docstring griffe cannot parse, a
page left out of the navigation. Then every public name (the package's
`PUBLIC_MODULES` and each module's `__all__`, as `tools/mkdocs_hooks.py`
reads them) must have an entry in the site's inventory (`objects.inv`), and
a docstring (read by griffe, as the pages are: a constant's is the string
after it). Exit status 0 when all hold.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import mkdocs_hooks  # noqa: E402


def inventory(site_dir):
    """The names in a built site's `objects.inv` (Sphinx inventory v2)."""
    raw = (pathlib.Path(site_dir) / "objects.inv").read_bytes()
    header_lines = 4
    body = zlib.decompress(raw.split(b"\n", header_lines)[header_lines]).decode()
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def missing_entries(site_dir):
    """Public names (qualified) that the built site has no entry for."""
    names = inventory(site_dir)
    return [
        f"{module}.{name}"
        for module, public in mkdocs_hooks.public_surface().items()
        for name in [None, *public]
        if (module if name is None else f"{module}.{name}") not in names
    ]


def undocumented():
    """Public names (qualified) without a docstring, public modules included."""
    import griffe

    package = griffe.load("keras_gans", search_paths=[str(ROOT)], resolve_aliases=True)
    missing = []
    for module, public in mkdocs_hooks.public_surface().items():
        node = package if module == "keras_gans" else package[module.split(".", 1)[1]]
        for name, obj in [(module, node), *((f"{module}.{n}", node[n]) for n in public)]:
            docstring = obj.docstring
            if docstring is None or not docstring.value.strip():
                missing.append(name)
    return missing


def build(site_dir):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # Material's notice, not ours
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir"]
    return subprocess.run([*command, str(site_dir)], cwd=ROOT, env=env).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", default=None, help="where to build the site")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = pathlib.Path(args.site_dir or tmp)
        if build(site_dir) != 0:
            print("The strict build failed (see the warnings above).", file=sys.stderr)
            return 1
        for missing, what in (
            (missing_entries(site_dir), "no entry in the API pages"),
            (undocumented(), "no docstring"),
        ):
            if missing:
                print(
                    f"{len(missing)} public name(s) have {what}: " + ", ".join(missing),
                    file=sys.stderr,
                )
                return 1
        total = sum(len(v) + 1 for v in mkdocs_hooks.public_surface().values())
        print(
            f"Docs built strictly; all {total} public names have an entry and "
            "a docstring."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
