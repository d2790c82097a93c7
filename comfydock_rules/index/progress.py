"""How the index reports progress: a callback object the command passes in.

The index code never writes to a stream; a command that wants a bar on a terminal passes an
object with these three methods (commands/progress.py), others get `NO_PROGRESS`. `advance` may
be called from worker threads.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total_files: int, total_bytes: int) -> None:
        """The work ahead: files to read and the bytes reading them will take."""

    def advance(self, files: int, nbytes: int) -> None:
        """`files` more files done, `nbytes` more bytes read."""

    def finish(self) -> None:
        """The work is over (or was interrupted)."""


class _NoProgress:
    def start(self, total_files: int, total_bytes: int) -> None:
        pass

    def advance(self, files: int, nbytes: int) -> None:
        pass

    def finish(self) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()


def human_bytes(count: int) -> str:
    """`503 B`, `1.2 KiB`, ... `6.5 GiB`: sizes in the summaries people read."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"  # pragma: no cover
