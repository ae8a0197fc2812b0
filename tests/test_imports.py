"""Dependencies point one way: no import cycle, and models import no consumer.

The graph is read from the source: every `import` and `from ... import`,
at the top of a module or inside a function, and every `"keras_gans.x:name"`
target string (the registry's built-in families, the services a package
root wires), which is an import made later. Package `__init__` files, which
re-export their modules' names and wire the library together, are left out
(an import of a name they re-export counts as an import of the module that
defines it).
"""

import ast
import pathlib
import re

import pytest

from keras_gans.models import registry

PACKAGE = pathlib.Path(__file__).parents[1] / "keras_gans"
TARGET = re.compile(r"keras_gans(\.\w+)+:\w+")
# What the model layer must not know: the parts of keras_gans built on it.
CONSUMERS = (
    "keras_gans.runs",
    "keras_gans.zoo",
    "keras_gans.export",
    "keras_gans.demo",
    "keras_gans.cli",
    "keras_gans.cli_data",
    "keras_gans.cli_placement",
    "keras_gans.__main__",
)


def _modules(package):
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


class Graph:
    """The import graph of a package's modules (see the module docstring)."""

    def __init__(self, package=PACKAGE):
        self.root = package.name
        self.modules = _modules(package)
        self._raw = {}
        self.edges = {
            name: self._targets(name)
            for name in self.modules
            if not self._is_package(name)
        }

    def _is_package(self, name):
        return self.modules[name].name == "__init__.py"

    def _imports(self, name):
        """`(module, name or None)` for each import in the module's source."""
        if name in self._raw:
            return self._raw[name]
        tree = ast.parse(self.modules[name].read_text())
        base = name if self._is_package(name) else name.rpartition(".")[0]
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module
                if node.level:
                    parts = base.split(".")[: len(base.split(".")) - node.level + 1]
                    module = ".".join(parts + ([module] if module else []))
                found += [(module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if TARGET.fullmatch(node.value):
                    found.append((node.value.partition(":")[0], None))
        self._raw[name] = found
        return found

    def resolve(self, module, name=None, depth=0):
        """The module that `from module import name` (or `import module`) reaches."""
        if not module or module.split(".")[0] != self.root:
            return None
        if name and f"{module}.{name}" in self.modules:
            return f"{module}.{name}"
        if module not in self.modules:
            return None
        if self._is_package(module) and name and depth < 20:
            for source, imported in self._imports(module):
                if imported == name:
                    return self.resolve(source, imported, depth + 1) or module
        return module

    def _targets(self, name):
        targets = set()
        for module, imported in self._imports(name):
            target = self.resolve(module, imported)
            if target and target != name and not self._is_package(target):
                targets.add(target)
        return targets

    def cycles(self):
        """The strongly connected components of more than one module (Tarjan)."""
        index, low, stack, on_stack, found = {}, {}, [], set(), []

        def visit(v):
            index[v] = low[v] = len(index)
            stack.append(v)
            on_stack.add(v)
            for w in sorted(self.edges[v]):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

        for v in sorted(self.edges):
            if v not in index:
                visit(v)
        return found

    def reach(self, name):
        """Every module that `name` imports, directly or through others."""
        seen, todo = set(), [name]
        while todo:
            for w in self.edges.get(todo.pop(), ()):
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        return seen


@pytest.fixture(scope="module")
def graph():
    return Graph()


def test_no_import_cycle(graph):
    assert graph.cycles() == []


def test_the_walk_sees_imports_inside_functions_and_target_strings(tmp_path):
    package = tmp_path / "keras_gans"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from keras_gans.sub.c import C\n")
    (package / "a.py").write_text("def f():\n    from keras_gans import b\n")
    (package / "b.py").write_text("from keras_gans.sub import C\n")
    (package / "sub" / "c.py").write_text('C = 1\nTABLE = {"x": "keras_gans.a:f"}\n')
    graph = Graph(package)
    assert graph.edges["keras_gans.b"] == {"keras_gans.sub.c"}
    assert graph.cycles() == [["keras_gans.a", "keras_gans.b", "keras_gans.sub.c"]]


def test_the_model_layer_imports_no_consumer(graph):
    """Each registered model class's module reaches none of runs, zoo, export, demo, CLI."""
    for family in registry.families().values():
        module = family.model_class.__module__
        if module not in graph.modules:  # a plugin's
            continue
        reached = graph.reach(module) | {module}
        consumers = sorted(
            m for m in reached if m.startswith(CONSUMERS) or m in CONSUMERS
        )
        assert consumers == [], f"{family.name}: {module} reaches {consumers}"
