"""Writes a snapshot of keras_gans's public API: names and call signatures.

The public API is declared once, in the package: the names of
`keras_gans.__all__` that are not modules, and each module of
`keras_gans.PUBLIC_MODULES` with the names of its `__all__`; the snapshot
adds every public method and property of the classes among them.
`tests/test_api.py` compares the package with the snapshot in
`tests/fixtures/api_snapshot.json`: a name that disappears or whose
signature changes must be listed in CHANGELOG.md's "Unreleased" section.
Private modules are not in it: they may change in any release.

Usage:

    python tools/api_snapshot.py                 # print the snapshot
    python tools/api_snapshot.py --write FILE    # write it as JSON
"""

import argparse
import importlib
import inspect
import json
import os
import re
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")



def public_modules():
    """`keras_gans` and the modules it declares public."""
    import keras_gans

    return ("keras_gans", *(f"keras_gans.{m}" for m in keras_gans.PUBLIC_MODULES))


def _signature(obj):
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"
    # A default's repr may hold its address (`<function f at 0x7f...>`).
    return re.sub(r" at 0x[0-9a-f]+>", ">", text)


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        raise ValueError(
            f"Expected the public module {module.__name__} to declare __all__."
        )
    if module.__name__ == "keras_gans":  # its modules have their own entries
        return [n for n in names if n not in module.PUBLIC_MODULES]
    return list(names)


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


def snapshot(modules=None):
    """`{qualified name: kind and signature}` for the public API, sorted."""
    out = {}
    for module_name in modules or public_modules():
        module = importlib.import_module(module_name)
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
