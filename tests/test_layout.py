"""The package's layout rules: families own their behaviour, modules stay small.

Outside the family folders (`keras_gans/models/<family>/`) and the registry,
no module imports a family module or a family's class, or compares with a
family's registered name: shared code reaches a family through
`keras_gans.models.registry`. The package `__init__` files re-export the
classes, the one allowed exception.
"""

import ast
import pathlib

import pytest

from keras_gans.models import registry

PACKAGE = pathlib.Path(__file__).parents[1] / "keras_gans"
FAMILY_FOLDERS = ("gan", "dcgan", "infogan", "gan_cls", "vae", "autoregressive")
ALLOWED = {
    PACKAGE / "__init__.py",
    PACKAGE / "models" / "__init__.py",
    PACKAGE / "models" / "registry.py",
}
# Module size limit (lines), as the issue that split training.py asked.
MAX_LINES = 600


def _shared_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] == "models" and len(parts) > 2 and parts[1] in FAMILY_FOLDERS:
            continue
        if path not in ALLOWED:
            yield path


def _family_names():
    return {name for name in registry.families() if name != "adversarial"}


def _family_classes():
    return {
        family.model_class.__name__
        for name, family in registry.families().items()
        if name != "adversarial"
    }


def _docstrings(tree):
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                nodes.add(id(body[0].value))
    return nodes


def _violations(path):
    tree = ast.parse(path.read_text())
    names, classes = _family_names(), _family_classes()
    family_modules = tuple(f"keras_gans.models.{f}" for f in FAMILY_FOLDERS)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(family_modules):
                    found.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(family_modules):
                found.append(f"line {node.lineno}: imports from {node.module}")
            elif node.module in ("keras_gans", "keras_gans.models"):
                for alias in node.names:
                    if alias.name in classes or alias.name in FAMILY_FOLDERS:
                        found.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr in classes:
            found.append(f"line {node.lineno}: uses .{node.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in names
            and id(node) not in docstrings
        ):
            found.append(f"line {node.lineno}: the family name {node.value!r}")
    return found


def test_shared_modules_never_name_a_family():
    problems = {
        str(path.relative_to(PACKAGE)): found
        for path in _shared_modules()
        if (found := _violations(path))
    }
    assert not problems, problems


def test_the_check_catches_dispatch_on_names(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from keras_gans.models.infogan import InfoGAN\n"
        "def kind(meta):\n"
        "    return meta['model'] == 'gan_cls'\n"
    )
    found = _violations(bad)
    assert len(found) == 2, found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=str)
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"
