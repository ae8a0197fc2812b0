"""The argument checks every module needs, written once.

Each check returns the value in its plain Python type (`int`, `float`,
`tuple`) or raises a `ValueError` that names the argument, says what was
expected and what came:

    Expected batch_size to be a positive integer, received batch_size=0 (batch_size >= 1 required).

`bool` is refused where an integer is expected: `epochs=True` is a mistake,
not 1.
"""

from __future__ import annotations

import math
import numbers

__all__ = [
    "describe_error",
    "check_choice",
    "check_int",
    "check_int_tuple",
    "check_number",
    "is_int",
]


def is_int(value):
    """Whether `value` is an integer (Python or NumPy), and not a `bool`."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_words(minimum, maximum):
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum}]"
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def _fail(name, words, value, bound=None):
    required = f" ({name} {bound} required)" if bound else ""
    raise ValueError(
        f"Expected {name} to be {words}, received {name}={value!r}{required}."
    )


def check_int(name, value, minimum=None, maximum=None, allow_none=False):
    """`value` as an `int` if it is an integer in `[minimum, maximum]`.

    Args:
        name: the argument's name, for the message.
        value: what was passed.
        minimum: the smallest value allowed. Defaults to `None` (no bound).
        maximum: the largest value allowed. Defaults to `None` (no bound).
        allow_none: let `None` through (returned as `None`). Defaults to
            `False`.

    Returns:
        `int(value)`, or `None`.
    """
    if allow_none and value is None:
        return None
    words = _int_words(minimum, maximum) + (" or None" if allow_none else "")
    if not is_int(value):
        _fail(name, words, value)
    if minimum is not None and value < minimum:
        _fail(name, words, value, f">= {minimum}")
    if maximum is not None and value > maximum:
        _fail(name, words, value, f"<= {maximum}")
    return int(value)


def check_number(name, value, minimum=None, maximum=None, exclusive_minimum=False):
    """`value` as a `float` if it is a finite number within the bounds.

    Args:
        name: the argument's name, for the message.
        value: what was passed.
        minimum: the lower bound. Defaults to `None` (none).
        maximum: the upper bound (inclusive). Defaults to `None` (none).
        exclusive_minimum: `value` must be strictly above `minimum` (a
            learning rate > 0). Defaults to `False`.

    Returns:
        `float(value)`.
    """
    low = None if minimum is None else f"{'>' if exclusive_minimum else '>='} {minimum}"
    words = "a finite number" + (f" {low}" if low else "")
    if maximum is not None:
        words += f" and <= {maximum}" if low else f" <= {maximum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(name, words, value)
    number = float(value)
    if not math.isfinite(number):
        _fail(name, words, value)
    if minimum is not None and (
        number <= minimum if exclusive_minimum else number < minimum
    ):
        _fail(name, words, value, low)
    if maximum is not None and number > maximum:
        _fail(name, words, value, f"<= {maximum}")
    return number


def check_choice(name, value, choices):
    """`value` if it is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"Expected {name} to be one of {list(choices)}, received {name}={value!r}."
        )
    return value


def check_int_tuple(name, value, minimum=1, example="(10,)", allow_empty=False):
    """`value` as a tuple of ints >= `minimum`; a single int becomes `(value,)`.

    Args:
        name: the argument's name, for the message.
        value: an int, or a sequence of ints.
        minimum: the smallest value allowed for each. Defaults to `1`.
        example: an example shown in the message. Defaults to `"(10,)"`.
        allow_empty: accept `()`. Defaults to `False`.

    Returns:
        A tuple of `int`s.
    """
    if is_int(value):
        value = (value,)
    words = f"a tuple of integers >= {minimum} such as {example}" + (
        " (or () for none)" if allow_empty else ""
    )
    try:
        values = tuple(value)
    except TypeError:
        _fail(name, words, value)
    if not all(is_int(v) for v in values) or (not values and not allow_empty):
        _fail(name, words, value)
    if any(v < minimum for v in values):
        _fail(name, words, value, f"values >= {minimum}")
    return tuple(int(v) for v in values)


def describe_error(error, limit=200):
    """`"Type: first line"` of another library's error, for a one-line message."""
    lines = str(error).strip().splitlines()
    line = lines[0][:limit] if lines else ""
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


# What Keras's compile() takes that a saved compile config may carry.
_KERAS_COMPILE_KEYS = ("steps_per_execution", "jit_compile", "run_eagerly")


def check_compile_config(model, config, required=()):
    """`config` as a dict, if it is a compile config `model.compile` accepts.

    A `.keras` file's or a preset's compile block comes from a file: a key
    `compile` does not take, a missing optimizer or a block that is not an
    object would otherwise fail deep inside Keras with a `TypeError`.

    Args:
        model: the model whose `compile` the config is for.
        config: the compile config (a dict).
        required: keys the config must have. Defaults to `()`.

    Raises:
        ValueError: naming the model's class, the keys it takes and what
            was found.
    """
    import inspect

    name = type(model).__name__
    if not isinstance(config, dict):
        raise ValueError(
            f"Expected the compile config of a {name} to be an object; received "
            f"a {type(config).__name__}: {str(config)[:80]!r}."
        )
    # A subclass's compile() passes **kwargs on to its parents': take the
    # named parameters of every compile() in the class's MRO above Keras's.
    taken = set(_KERAS_COMPILE_KEYS)
    for cls in type(model).__mro__:
        compile_fn = cls.__dict__.get("compile")
        if compile_fn is None or cls.__module__.split(".")[0] == "keras":
            continue
        taken |= {
            p.name
            for p in inspect.signature(compile_fn).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
        }
    unknown = sorted(set(config) - taken)
    missing = [k for k in required if k not in config]
    if unknown or missing:
        found = ", ".join(
            [f"unknown key(s) {unknown}"] * bool(unknown)
            + [f"no {missing}"] * bool(missing)
        )
        raise ValueError(
            f"Expected the compile config of a {name} to hold keys from "
            f"{sorted(taken)}, with {list(required)}; found {found}."
        )
    return dict(config)
