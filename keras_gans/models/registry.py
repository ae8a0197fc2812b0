"""The family registry: a family's name -> what keras_gans knows about it.

This is the one module that knows every built-in family. Runs, the CLI,
export, TFLite and the zoo ask it for a family (by name, or by the class of
a model) and call the family's hooks; none of them names a family.

A family is a `Family` object (`keras_gans.models.family`): the model class,
its run options (config fields and CLI flags), and its hooks for runs,
TFLite and the zoo. A third-party package adds one through the entry-point
group `keras_gans.families`:

```toml
# pyproject.toml of the plugin
[project.entry-points."keras_gans.families"]
tiny = "tiny_gan.family:FAMILY"
```

or, in a running program, with `register_family(FAMILY)`.
"""

from __future__ import annotations

import importlib
import threading

from keras_gans import plugins

ENTRY_POINT_GROUP = "keras_gans.families"

# Built-in families: name -> "module:attribute" of its Family object. A new
# family is its folder plus one line here.
BUILTIN_FAMILIES = {
    "adversarial": "keras_gans.models.adversarial.family:FAMILY",
    "gan": "keras_gans.models.gan.family:FAMILY",
    "dcgan": "keras_gans.models.dcgan.family:FAMILY",
    "infogan": "keras_gans.models.infogan.family:FAMILY",
    "gan_cls": "keras_gans.models.gan_cls.family:FAMILY",
    "vae": "keras_gans.models.vae.family:FAMILY",
    "independent_pixels": "keras_gans.models.autoregressive.family:INDEPENDENT_PIXELS",
    "markov_chain": "keras_gans.models.autoregressive.family:MARKOV_CHAIN",
    "made": "keras_gans.models.autoregressive.family:MADE_FAMILY",
    "pixelcnn": "keras_gans.models.autoregressive.family:PIXELCNN",
}

_FAMILIES = {}
_LOADED = False
_LOCK = threading.RLock()


class UnknownFamilyError(ValueError):
    """A family name that no built-in module or plugin registered."""


def _load(target):
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute)
    return value() if isinstance(value, type) else value


def _ensure_loaded():
    global _LOADED
    if _LOADED:
        return
    with _LOCK:
        if _LOADED:
            return
        for name, target in BUILTIN_FAMILIES.items():
            _FAMILIES.setdefault(name, _load(target))
        plugins.load_group(ENTRY_POINT_GROUP, _add_plugin, "model family")
        _LOADED = True


def _add_plugin(name, family):
    del name
    _register(family() if isinstance(family, type) else family, replace=False)


def _register(family, replace):
    from keras_gans.models.family import Family

    if not isinstance(family, Family):
        raise TypeError(
            "Expected a keras_gans.models.family.Family to register; received "
            f"{type(family).__name__}."
        )
    existing = _FAMILIES.get(family.name)
    if existing is not None and existing is not family and not replace:
        raise ValueError(
            f"A model family named {family.name!r} is registered already "
            f"({existing.model_class.__name__}); pass replace=True to replace it."
        )
    _FAMILIES[family.name] = family
    return family


def reload_plugins():
    """Reads the entry-point group again, for a plugin installed while running.

    Families registered with `register_family` (not built in) are dropped
    and the plugins' entry points are loaded anew.
    """
    global _LOADED
    with _LOCK:
        for name in [n for n in _FAMILIES if n not in BUILTIN_FAMILIES]:
            del _FAMILIES[name]
        _LOADED = False
    _ensure_loaded()


def register_family(family, replace=False):
    """Adds `family` to the registry; returns it.

    Args:
        family: a `keras_gans.models.family.Family`.
        replace: replace a family registered under the same name. Defaults
            to `False` (then that raises a `ValueError`).
    """
    _ensure_loaded()
    with _LOCK:
        return _register(family, replace)


def unregister_family(name):
    """Removes the family `name` (a test's, a plugin's); returns it or `None`."""
    _ensure_loaded()
    with _LOCK:
        return _FAMILIES.pop(name, None)


def families(trainable=None):
    """The registered families by name, sorted.

    Args:
        trainable: `True` for the families `keras-gans train` can build from
            a config alone, `False` for the others (the adversarial model
            with user networks), `None` for all. Defaults to `None`.
    """
    _ensure_loaded()
    return {
        name: family
        for name, family in sorted(_FAMILIES.items())
        if trainable is None or family.trainable == trainable
    }


def get_family(name, trainable=None):
    """The family registered as `name`, or `UnknownFamilyError` listing the known."""
    known = families(trainable)
    if name not in known:
        raise UnknownFamilyError(
            f"Unknown model: expected one of {sorted(known)}; received {name!r}."
        )
    return known[name]


def family_of(model):
    """The family of a model (or model class): the nearest registered class in its MRO."""
    cls = model if isinstance(model, type) else type(model)
    by_class = {family.model_class: family for family in families().values()}
    for klass in cls.__mro__:
        if klass in by_class:
            return by_class[klass]
    raise UnknownFamilyError(
        "Expected a keras_gans model (a subclass of AdversarialModel or "
        f"LikelihoodModel); received "
        f"a {cls.__name__}."
    )


def family_for_kind(kind):
    """The family named `kind` in an export's metadata or a zoo entry.

    A kind that no installed family has (an export made with a plugin that
    is not installed here, the zoo's classifier) gets the adversarial
    model's family: latent-in, images-out hooks, enough for a generator
    whose only input is its latent.
    """
    known = families()
    return known.get(kind) or known["adversarial"]
