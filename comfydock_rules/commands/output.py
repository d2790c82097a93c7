"""Where a command's output goes: a file written whole (comfydock_rules/atomic.py), or stdout
for `-` (or no file at all), the convention of the tools users know."""

from __future__ import annotations

from pathlib import Path

from comfydock_rules.commands.streams import stdout_text

STDOUT = "-"


def to_stdout(target: str | Path | None) -> bool:
    return target is None or str(target) == STDOUT


def emit(target: str | Path | None, text: str, what: str) -> None:
    """`text` on stdout when `target` is None or '-', else into the file `target` (parent
    folders created), never half written."""
    if to_stdout(target):
        stdout_text(text)
        return
    from comfydock_rules.atomic import write_atomic

    assert target is not None
    write_atomic(Path(target), text, what=what, make_parents=True)
