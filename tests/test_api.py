"""The public API holds, or its changes are listed in the CHANGELOG.

`tests/fixtures/api_snapshot.json` is the snapshot of the declared public
surface (`keras_gans.PUBLIC_MODULES` and each module's `__all__`), names and
signatures, taken by `tools/api_snapshot.py`. A name that is gone or whose
signature changed must be named in CHANGELOG.md's "Unreleased" section (its
qualified name, or a `prefix.*` line covering it). New names, and new
optional parameters of a function, need nothing; private modules need
nothing either.
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]


def _listed_changes():
    text = (ROOT / "CHANGELOG.md").read_text()
    match = re.search(r"^## Unreleased\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    section = match.group(1) if match else ""
    return set(re.findall(r"`(keras_gans[\w.]*\*?)`", section))


def _parameters(description):
    """The top-level parameters of `function(a, b=1, *, c=2)`, as strings."""
    inside = description[description.index("(") + 1 : description.rindex(")")]
    parts, depth, current = [], 0, ""
    for char in inside:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [p for p in [*parts, current.strip()] if p]


def _compatible(before, now):
    """`now` keeps `before`'s parameters in order, adding only optional ones."""
    if now is None or before.split("(")[0] != now.split("(")[0]:
        return False
    old, new = _parameters(before), _parameters(now)
    added = [p for p in new if p not in old]
    kept = [p for p in new if p in old]
    return kept == old and all("=" in p for p in added)


def _covered(name, listed):
    return any(
        name == entry or (entry.endswith(".*") and name.startswith(entry[:-1]))
        for entry in listed
    )


def test_api_snapshot_holds_or_changes_are_listed(load_tool):
    before = json.loads((ROOT / "tests/fixtures/api_snapshot.json").read_text())
    now = load_tool("api_snapshot").snapshot()
    changed = sorted(
        k
        for k, v in before.items()
        if now.get(k) != v and not ("(" in v and _compatible(v, now.get(k)))
    )
    listed = _listed_changes()
    missing = [name for name in changed if not _covered(name, listed)]
    assert not missing, (
        "Public names removed or changed without a line in CHANGELOG.md's "
        f"'## Unreleased' section: {missing}"
    )


def test_the_snapshot_is_the_declared_public_surface(load_tool):
    import keras_gans

    names = set(load_tool("api_snapshot").snapshot())
    declared = {f"keras_gans.{n}" for n in keras_gans.__all__} - {
        f"keras_gans.{m}" for m in keras_gans.PUBLIC_MODULES
    }
    for module in keras_gans.PUBLIC_MODULES:
        declared |= {
            f"keras_gans.{module}.{n}" for n in getattr(keras_gans, module).__all__
        }
    # Class members (`keras_gans.DCGAN.fit`) hang under their class's entry.
    top_level = {n for n in names if n.rsplit(".", 1)[0] not in names}
    assert top_level == declared
    # A private module is no part of it.
    assert not any(n.startswith("keras_gans.validation") for n in names)


def test_the_docs_read_the_same_declaration_without_importing_it():
    """tools/mkdocs_hooks.py reads the source (no TensorFlow): the same names."""
    import sys

    import keras_gans

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import mkdocs_hooks
    finally:
        sys.path.remove(str(ROOT / "tools"))
    surface = mkdocs_hooks.public_surface()
    assert list(surface) == [
        "keras_gans",
        *(f"keras_gans.{m}" for m in keras_gans.PUBLIC_MODULES),
    ]
    assert surface["keras_gans"] == [
        n
        for n in keras_gans.__all__
        if n not in keras_gans.PUBLIC_MODULES and n != "__version__"
    ]
    for module in keras_gans.PUBLIC_MODULES:
        assert surface[f"keras_gans.{module}"] == list(
            getattr(keras_gans, module).__all__
        ), module
