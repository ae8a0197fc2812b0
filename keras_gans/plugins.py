"""Entry-point groups: what another package adds to keras_gans.

`keras_gans.families` adds model families (`keras_gans.models.registry`),
`keras_gans.losses` adds GAN losses (`keras_gans.losses`). A plugin that
fails to load is reported with a warning and left out: it never breaks
keras_gans itself.
"""

from __future__ import annotations

import importlib.metadata
import warnings


def load_group(group, add, what):
    """Calls `add(entry.name, entry.load())` for each entry point of `group`.

    Args:
        group: the entry-point group (`"keras_gans.losses"`).
        add: registers one loaded object; what it raises is reported.
        what: what an entry is, for the warning (`"GAN loss"`).
    """
    for entry in importlib.metadata.entry_points(group=group):
        try:
            add(entry.name, entry.load())
        except Exception as e:  # noqa: BLE001 - a broken plugin must not break us
            warnings.warn(
                f"keras_gans: could not load the {what} {entry.name!r} from "
                f"{entry.value!r} (entry point group {group!r}): "
                f"{type(e).__name__}: {e}",
                stacklevel=3,
            )
