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


def running_cli(argv=None):
    """Whether this process is the `keras-gans` command (or `python -m keras_gans`)."""
    argv = sys.argv if argv is None else argv
    if not argv:
        return False
    program = os.path.normpath(argv[0])
    return os.path.basename(program) == "keras-gans" or program.endswith(
        os.path.join("keras_gans", "__main__.py")
    )


def quiet_wanted(argv=None, environ=None):
    """Whether to hide TensorFlow's start-up lines for this process."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    return (
        running_cli(argv)
        and "TF_CPP_MIN_LOG_LEVEL" not in environ
        and not any(flag in argv[1:2] for flag in VERBOSE_FLAGS)
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
