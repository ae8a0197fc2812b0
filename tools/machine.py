"""The machine a benchmark ran on, for the reports in BENCHMARKS.md.

Shared by the `tools/bench_*.py` scripts (they import it from their own
folder).
"""

from __future__ import annotations

import datetime
import os
import platform

import keras
import tensorflow as tf

import keras_gans


def machine_info():
    """CPU model and details, core counts, GPUs, versions, date and load.

    Returns:
        A dict: `cpu`, `cpu_detail`, `logical_cores`, `usable_cores`,
        `gpus`, `python`, `tensorflow`, `keras`, `keras_gans`, `date` (UTC)
        and `loadavg_before` (the 1, 5 and 15-minute load averages).
    """
    cpu, detail = platform.processor() or "unknown CPU", {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name":
                    cpu = value
                elif key in ("cpu family", "model", "stepping", "cpu MHz"):
                    detail.setdefault(key, value)
                elif key == "flags":
                    flags = set(value.split())
                    detail["flags"] = "/".join(
                        f for f in ("avx2", "avx512f", "fma") if f in flags
                    )
                elif not line.strip() and detail:
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cpu_detail": ", ".join(f"{k} {v}" for k, v in detail.items()) or "n/a",
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_gans": keras_gans.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "loadavg_before": os.getloadavg(),
    }


def section_markers(tool, key):
    """The (begin, end) marker lines of `tool`'s BENCHMARKS.md section `key`."""
    return (
        f"<!-- {tool} {key}: begin (written by tools/{tool}.py; "
        "edits between the markers are overwritten) -->",
        f"<!-- {tool} {key}: end -->",
    )


def replace_marked_section(text, tool, key, heading, body):
    """`text` with `tool`'s section `key` replaced, or appended under `heading`.

    Only what lies between the two marker lines is replaced; the heading
    above the begin marker and everything else is kept.
    """
    begin, end = section_markers(tool, key)
    b, e = text.find(begin), text.find(end)
    if b == -1 and e == -1:
        return (
            text.rstrip("\n")
            + f"\n\n{heading}\n\n{begin}\n{body.strip(chr(10))}\n\n{end}\n"
        )
    if b == -1 or e == -1 or e < b:
        raise ValueError(
            f"Expected both markers of the {tool} section, begin before "
            f"end; found begin at {b} and end at {e} (-1: missing). Restore "
            f"them by hand:\n{begin}\n{end}"
        )
    return text[: b + len(begin)] + f"\n{body.strip(chr(10))}\n\n" + text[e:]
