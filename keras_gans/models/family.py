"""`Family`: a model class and what each part of keras_gans needs from it.

A family is a record: its name, its model class, a description, and one
spec per consumer that needs more than the model itself. Its zoo presets
are data: the entries of `zoo/manifest.json` whose `kind` is its name.
The consumers define those specs and their defaults, and a family's folder
(`keras_gans/models/<family>/family.py`) fills them in, so the model layer
imports none of them:

- `runs`: `keras_gans.runs.spec.RunSpec` (run options, how a run builds,
  compiles and feeds the model, its figures, the family's commands);
- `tflite`: `keras_gans.export.spec.TFLiteSpec` (what a `.tflite` converts);
- `zoo`: `keras_gans.zoo.spec.ZooSpec` (metrics, sample grid, model card);
- `demo`: `keras_gans.demo.spec.DemoSpec` (the demo's tabs).

```python
FAMILY = Family(
    name="dcgan",
    model_class=DCGAN,
    description="Radford et al. 2015: all-convolutional GAN",
    runs=RunSpec(options=(spectral_norm_option(),)),
    demo=DCGANDemo(),
)
```

A spec a family leaves out is the consumer's default. The registry
(`keras_gans.models.registry`) maps names to these records.
"""

from __future__ import annotations

import copy
import inspect


def model_default(model_class, argument, method="__init__"):
    """The default of `argument` in `model_class.<method>`: defaults are stated
    once, in the model, and runs and flags read them from there."""
    for klass in model_class.__mro__:
        function = klass.__dict__.get(method)
        if function is None:
            continue
        parameter = inspect.signature(function).parameters.get(argument)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            return parameter.default
    raise ValueError(
        f"{model_class.__name__}.{method} has no default for {argument!r}."
    )


class Spec:
    """Base of a consumer's spec: what one consumer needs from a family.

    A family gets its own copy (`bind`), whose `family` is the family.
    """

    family = None

    def bind(self, family):
        """A copy of this spec for `family`."""
        bound = copy.copy(self)
        bound.family = family
        return bound


def require_family(model, family, what):
    """`model` if it belongs to `family`, else an error saying `what` needs one."""
    cls = family.model_class.__name__
    if not isinstance(model, family.model_class):
        article = "an" if cls[0] in "AEIOU" else "a"
        raise ValueError(
            f"{what} needs {article} {cls} model; received a {type(model).__name__}."
        )
    return model


class Family:
    """One model family: its class and the specs its consumers read.

    Args:
        name: the registered name (`"dcgan"`): the `keras-gans train`
            argument, the `model` of a run's config, the `model` of an
            export's metadata and the `kind` of a zoo entry.
        model_class: the model class (an `AdversarialModel` or
            `LikelihoodModel` subclass).
        description: one line for listings and help.
        trainable: whether a run can build it from a config alone (not the
            adversarial model, which needs user networks). Defaults to
            `True`.
        **specs: one `Spec` per consumer, by the consumer's key (`runs`,
            `tflite`, `zoo`, `demo`); a consumer's default where left out.
    """

    def __init__(
        self, name, model_class, description="", trainable=True, **specs
    ):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                "Expected a family name that is a Python identifier such as "
                f"'dcgan', received name={name!r}."
            )
        if not isinstance(model_class, type):
            raise TypeError(
                f"Family {name!r}: expected a model class; received {model_class!r}."
            )
        self.name = name
        self.model_class = model_class
        self.description = description
        self.trainable = trainable
        self._specs = {}
        for key, spec in specs.items():
            if not isinstance(spec, Spec):
                raise TypeError(
                    f"Family {name!r}: expected {key}= to be a keras_gans spec "
                    f"(a subclass of keras_gans.models.family.Spec); received "
                    f"{type(spec).__name__}."
                )
            self._specs[key] = spec.bind(self)

    def __repr__(self):
        return f"<Family {self.name!r}: {self.model_class.__name__}>"

    def spec(self, key, default):
        """The family's spec for the consumer `key`, or a bound `default()`.

        Args:
            key: the consumer's key (`"runs"`, `"tflite"`, `"zoo"`, `"demo"`).
            default: the consumer's spec class; the family's spec must be
                an instance of it.
        """
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = default().bind(self)
        if not isinstance(spec, default):
            raise TypeError(
                f"Family {self.name!r}: expected its {key} spec to be a "
                f"{default.__module__}.{default.__qualname__}; received "
                f"{type(spec).__name__}."
            )
        return spec
