"""Writes a snapshot of keras_gans's public API: names and call signatures.

The public API is what the package and its public subpackages export (their
`__all__`, else the public names their module defines), the public modules
the README teaches (`latent`, `losses`, `images`, `callbacks`,
`evaluation`, `training`), and every public method and property of the
classes among them. `tests/test_api.py` compares the package with the
snapshot in `tests/fixtures/api_snapshot.json`: a name that disappears or
whose signature changes must be listed in the README's "API changes"
section.

Usage:

    python tools/api_snapshot.py                 # print the snapshot
    python tools/api_snapshot.py --write FILE    # write it as JSON
"""

import argparse
import importlib
import inspect
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

MODULES = (
    "keras_gans",
    "keras_gans.models",
    "keras_gans.callbacks",
    "keras_gans.data",
    "keras_gans.evaluation",
    "keras_gans.export",
    "keras_gans.features",
    "keras_gans.images",
    "keras_gans.latent",
    "keras_gans.losses",
    "keras_gans.metrics",
    "keras_gans.text",
    "keras_gans.training",
    "keras_gans.runs",
    "keras_gans.validation",
    "keras_gans.zoo",
)


def _signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", module.__name__) == module.__name__
    ]


def _own_members(cls):
    """Public members defined by `cls` or its keras_gans base classes (mixins)."""
    members = {}
    for klass in reversed(cls.__mro__):
        if klass is cls or klass.__module__.startswith("keras_gans"):
            members.update(vars(klass))
    return members


def _describe_class(cls, prefix, out):
    out[prefix] = f"class{_signature(cls)}"
    for name, value in sorted(_own_members(cls).items()):
        if name.startswith("_"):
            continue
        key = f"{prefix}.{name}"
        if isinstance(value, property):
            out[key] = "property"
        elif isinstance(value, (staticmethod, classmethod)):
            out[key] = f"{type(value).__name__}{_signature(value.__func__)}"
        elif inspect.isfunction(value):
            out[key] = f"method{_signature(value)}"


def snapshot(modules=MODULES):
    """`{qualified name: kind and signature}` for the public API, sorted."""
    out = {}
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue  # a module that is gone: its names are gone too
        for name in _public_names(module):
            value = getattr(module, name)
            key = f"{module_name}.{name}"
            if inspect.ismodule(value):
                out[key] = "module"
            elif inspect.isclass(value):
                _describe_class(value, key, out)
            elif callable(value):
                out[key] = f"function{_signature(value)}"
            else:
                out[key] = f"value:{type(value).__name__}"
    return dict(sorted(out.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    text = json.dumps(snapshot(), indent=1) + "\n"
    if args.write:
        with open(args.write, "w") as f:
            f.write(text)
        print(f"Wrote {args.write}", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
