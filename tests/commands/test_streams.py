"""Every line a command writes goes through commands/streams.py, which keeps it printable."""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

import pytest

from comfydock_rules.commands import streams
from comfydock_rules.errors import ToolInputError

PACKAGE = Path(__file__).resolve().parents[2] / "comfydock_rules"


def test_only_the_streams_module_writes_to_stdout_and_stderr() -> None:
    offenders: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "commands" / "streams.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "write"
                    and isinstance(node.value, ast.Attribute)
                    and node.value.attr in ("stdout", "stderr")
                    and isinstance(node.value.value, ast.Name) and node.value.value.id == "sys"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_err_and_out_lines_escape_every_control_character(
        monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    streams.err("x.json: \x1b]0;t\x07\r\n::error::y\u202e")
    streams.out_lines(["a\x1b[2J", "b\nc"])
    assert err.getvalue() == "x.json: \\x1b]0;t\\x07\\r\\n::error::y\\u202e\n"
    assert out.getvalue() == "a\\x1b[2J\nb\\nc\n"


class _Full(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_a_full_disk_on_stdout_is_a_located_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _Full())
    with pytest.raises(ToolInputError, match="cannot write to stdout: disk full"):
        streams.stdout_text("report\n")
