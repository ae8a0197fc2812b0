"""The public API holds, or its changes are listed in the README.

`tests/fixtures/api_snapshot.json` is the snapshot of names and signatures
taken by `tools/api_snapshot.py` on main before the families moved into
their own folders. A name that is gone or whose signature changed must be
named in the README's "API changes" section (its qualified name, or a
`prefix.*` line covering it). New names, and new optional parameters of a
function, need nothing.
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).parents[1]


def _listed_changes():
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^### API changes\n(.*?)(?=^#)", text, re.M | re.S)
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
        "Public names removed or changed without a line in the README's "
        f"'### API changes' section: {missing}"
    )
