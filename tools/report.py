"""BENCHMARKS.md sections: each tool rewrites its own and keeps the rest.

Imports neither TensorFlow nor Keras, so tools that run where TensorFlow is
absent (`bench_gpu.py` on the GPU machine) can use it.
"""

from __future__ import annotations

import pathlib

ANALYSIS = "### Analysis"  # hand-written; kept when the section is regenerated


def _section_bounds(lines, header):
    """(start, end) line indices of the section `header` (end exclusive)."""
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == header), None)
    if start is None:
        return None
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    return start, end


def _subsection(lines, prefix):
    """The lines of the first `### ` subsection starting with `prefix`."""
    start = next((i for i, ln in enumerate(lines) if ln.startswith(prefix)), None)
    if start is None:
        return []
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].startswith(("## ", "### "))
        ),
        len(lines),
    )
    return lines[start:end]


def replace_section(text, section_text, header):
    """`text` with the section starting at `header` replaced (or appended).

    The section runs to the next line starting with `## ` or the end of the
    text. A hand-written `### Analysis` subsection of the old section is kept
    (its heading says which run it describes) unless `section_text` has one.
    """
    lines = text.splitlines(keepends=True)
    bounds = _section_bounds(lines, header)
    if bounds is None:
        if text and not text.endswith("\n\n"):
            text += "\n" if text.endswith("\n") else "\n\n"
        return text + section_text
    start, end = bounds
    new_lines = section_text.splitlines(keepends=True)
    if not _subsection(new_lines, ANALYSIS):
        kept = _subsection(lines[start:end], ANALYSIS)
        if kept:
            body = "".join(kept).rstrip("\n") + "\n"
            section_text = section_text.rstrip("\n") + "\n\n" + body
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + section_text + ("\n" + tail if tail else "")


def write_report(path, section_text, header):
    """Writes `section_text` into the Markdown file `path`, keeping the rest."""
    path = pathlib.Path(path)
    if path.exists():
        text = path.read_text()
    else:
        text = (
            "# Benchmarks\n\n"
            'Timings from `tools/bench_*.py` (see DESIGN.md, "Measuring"). The '
            "machines are shared and noisy: compare ratios measured in one run, "
            "not absolute numbers across runs.\n\n"
        )
    path.write_text(replace_section(text, section_text, header))
