"""Where a command's output goes: a file written whole (comfydock_rules/atomic.py), or stdout
for `-` (or no file at all), the convention of the tools users know."""

from __future__ import annotations

import sys
from pathlib import Path

from comfydock_rules.errors import ToolInputError

STDOUT = "-"


def to_stdout(target: str | Path | None) -> bool:
    return target is None or str(target) == STDOUT


def emit(target: str | Path | None, text: str, what: str) -> None:
    """`text` on stdout when `target` is None or '-', else into the file `target` (parent
    folders created), never half written."""
    if to_stdout(target):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from comfydock_rules.atomic import write_text

    assert target is not None
    try:
        write_text(Path(target), text, make_parents=True)
    except OSError as exc:
        raise ToolInputError(f"cannot write {what}: {exc.strerror or exc}",
                             path=str(target)) from None
