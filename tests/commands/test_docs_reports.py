"""docs/reports.md and docs/refs.md show real output: each complete `$ comfydock-rules ...`
block prints what the command prints today, and the excerpts are parts of the real reports."""

from __future__ import annotations

import json
import re
import shlex

from conftest import FIXTURES, REPO, RunCli

EXPECTED = REPO / "examples" / "expected"
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)


def _blocks(doc: str) -> list[str]:
    return _BLOCK.findall((REPO / "docs" / doc).read_text(encoding="utf-8"))


def _complete_command_blocks(doc: str) -> list[tuple[str, str]]:
    """(command, output) of blocks that hold one command and its whole output."""
    found = []
    for block in _blocks(doc):
        lines = block.splitlines(keepends=True)
        if len(lines) < 2 or not lines[0].startswith("$ comfydock-rules "):
            continue
        if any(line.startswith("$ ") for line in lines[1:]) or "..." in block:
            continue  # several commands, or an excerpt
        found.append((lines[0][2:].strip(), "".join(lines[1:])))
    return found


def test_reports_doc_commands_print_what_is_shown(run_cli: RunCli) -> None:
    blocks = _complete_command_blocks("reports.md")
    assert len(blocks) >= 3  # text, --quiet, github
    for command, shown in blocks:
        result = run_cli(*shlex.split(command)[1:], cwd=REPO)
        assert result.stdout == shown, f"docs/reports.md is out of date for: {command}"


def test_refs_doc_command_prints_what_is_shown(run_cli: RunCli) -> None:
    blocks = _complete_command_blocks("refs.md")
    assert blocks
    for command, shown in blocks:
        result = run_cli(*shlex.split(command)[1:], cwd=FIXTURES / "workflows")
        assert result.stdout == shown, f"docs/refs.md is out of date for: {command}"


def test_reports_doc_excerpts_are_from_the_example_reports() -> None:
    blocks = _blocks("reports.md")
    report = json.loads((EXPECTED / "report.json").read_text(encoding="utf-8"))
    decoder = json.JSONDecoder()
    json_block = next(b for b in blocks if b.startswith("{\n  \"candidates\""))
    reference, end = decoder.raw_decode(json_block)
    assert reference in report["references"]
    rest, _ = decoder.raw_decode(json_block[end:].lstrip())
    assert rest == {"gate": report["gate"], "summary": report["summary"]}
    markdown = next(b for b in blocks if b.startswith("# comfydock-rules report"))
    assert (EXPECTED / "report.md").read_text(encoding="utf-8").startswith(markdown)
