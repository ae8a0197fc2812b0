"""What the model layer offers as methods but leaves to the rest of keras_gans.

`model.export()`, `Model.from_preset()`, `model.save_to_preset()` and
`Model.presets` are thin calls into functions that `keras_gans.export` and
`keras_gans.zoo` implement. Those consumers are named here by the package's
root (`keras_gans/__init__.py`, which wires the library together), as
`"module:function"` targets imported on first use, so the model layer
imports none of them and a JAX user who never exports imports no
TensorFlow. `Model.family_name` and `Model.presets` ask the family
registry (`family_of`, `families`) the same way: the registry imports the
model classes, so the classes cannot import it.
"""

from __future__ import annotations

import importlib

_SERVICES = {}


def provide(name, target):
    """Registers `target` (a callable or `"module:function"`) as service `name`."""
    _SERVICES[name] = target


def get(name):
    """The function of service `name`, imported on first use."""
    try:
        target = _SERVICES[name]
    except KeyError:
        raise LookupError(
            f"No keras_gans service {name!r} is registered; expected one of "
            f"{sorted(_SERVICES)} (they are registered when keras_gans is imported)."
        ) from None
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        target = _SERVICES[name] = getattr(importlib.import_module(module), attribute)
    return target
