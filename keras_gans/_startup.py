"""A quiet start for the `keras-gans` command.

TensorFlow's C++ code prints start-up notices when it is imported (oneDNN,
CUDA drivers, CPU instructions), before its logging can be configured, so
`TF_CPP_MIN_LOG_LEVEL` alone does not hide them. When the process is the
`keras-gans` command, the package imports its backend with file descriptor 2
sent to /dev/null and sets `TF_CPP_MIN_LOG_LEVEL=3`, unless the user asks
for them: `keras-gans --verbose ...`, or their own `TF_CPP_MIN_LOG_LEVEL`.
A program that imports keras_gans is left alone.

This module imports nothing heavy: it runs before Keras is imported.
"""

from __future__ import annotations

import contextlib
import os
import sys

VERBOSE_FLAGS = ("--verbose", "-v")


def command_arguments(argv=None, orig_argv=None):
    """The arguments of the `keras-gans` command if this process is it, else `None`.

    The process is the command when it was started as `keras-gans ...` or
    `python -m keras_gans ...` (while Python looks for the module,
    `sys.argv[0]` is only `"-m"`, so the original command line is read).
    """
    argv = sys.argv if argv is None else argv
    orig_argv = getattr(sys, "orig_argv", argv) if orig_argv is None else orig_argv
    if "-m" in orig_argv[:-1]:
        at = orig_argv.index("-m")
        if orig_argv[at + 1] in ("keras_gans", "keras_gans.cli"):
            return list(orig_argv[at + 2 :])
    if argv and os.path.basename(os.path.normpath(argv[0])) == "keras-gans":
        return list(argv[1:])
    return None


def quiet_wanted(argv=None, environ=None, orig_argv=None):
    """Whether to hide TensorFlow's start-up lines for this process."""
    environ = os.environ if environ is None else environ
    arguments = command_arguments(argv, orig_argv)
    return (
        arguments is not None
        and "TF_CPP_MIN_LOG_LEVEL" not in environ
        and not any(flag in arguments[:1] for flag in VERBOSE_FLAGS)
    )


@contextlib.contextmanager
def quiet_stderr():
    """Sends what C++ code writes to file descriptor 2 to /dev/null meanwhile."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


@contextlib.contextmanager
def backend_import():
    """The context `keras_gans/__init__` imports Keras (and TensorFlow) in."""
    if not quiet_wanted():
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with quiet_stderr():
        yield
