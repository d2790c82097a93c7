"""stdout and stderr for every command: what reaches a terminal or a CI log stays inert.

Messages name files, node types and values that came from strangers; a name holding ESC, CR, an
OSC sequence or a newline followed by `::error::` must not redraw a terminal or start a CI
command. So every line on stderr, and every line of plain text on stdout, goes through
`printable` here; reports come already made inert by their format (report/). Nothing else in
the package writes to the standard streams (tests/commands/test_streams.py holds that).

A failed write to stdout (a full disk behind `> file`) becomes a located error, never a
traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable

from comfydock_rules.errors import ToolInputError
from comfydock_rules.printable import printable


def err(line: str) -> None:
    """One line on stderr; every control character in it shown as an escape."""
    sys.stderr.write(printable(line) + "\n")


def out_lines(lines: Iterable[str]) -> None:
    """Plain-text lines on stdout, each made printable."""
    stdout_text("".join(printable(line) + "\n" for line in lines))


def stdout_text(text: str) -> None:
    """Text a report format has already made inert (JSON, Markdown, SARIF, a diff), then flushed,
    so that a full disk is reported here rather than at exit."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        from comfydock_rules.atomic import os_error_text

        discard_stdout()
        raise ToolInputError(f"cannot write to stdout: {os_error_text(exc)}") from None


def discard_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's flush at exit does not fail
    again on what is still buffered (and print a traceback of its own)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
