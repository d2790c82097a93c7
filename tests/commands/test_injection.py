"""Untrusted strings (model names, node types, node ids, workflow file names) come out inert in
every format: text, JSON, Markdown, GitHub annotations, SARIF, and in pyproject.toml.

Each payload is used as a model file name on disk (so that it resolves and is recorded in
pyproject.toml), as a missing reference, as a node type without a rule, and as a node id.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from conftest import RunCli

PAYLOADS: tuple[str, ...] = (
    "**bold** _em_ ~~s~~ `code` ```fence",
    "<img src=x onerror=alert(1)><script>alert(1)</script>&amp;",
    "a|b|c",
    "line1\nline2\r\n::error file=x.json,line=1::injected",
    "::warning::injected",
    "%0A::error::injected%0D%25",
    "[link](javascript:alert(1)) ![img](http://e/x.png)",
    "# heading\n- item\n> quote",
    "\u001b[31mred\u001b[0m\u202eevil\u0007",
    '"quoted" \'single\' \\back\\ ${{ secrets.X }}',
    '"] = 1\n[tool.evil]\nx = "',
)
WORKFLOW_NAME = "wf `x`|<b>y&amp;[z](u)"


def _file_name(payload: str) -> str:
    return payload.replace("/", "_").replace("\0", "_") + ".safetensors"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("injection")
    root = base / "models"
    (root / "checkpoints").mkdir(parents=True)
    nodes = []
    for number, payload in enumerate(PAYLOADS):
        name = _file_name(payload)
        (root / "checkpoints" / name).write_text(f"model {number}")
        nodes.append({"id": number + 1, "type": "CheckpointLoaderSimple",
                      "widgets_values": [name]})
        nodes.append({"id": 100 + number, "type": "CheckpointLoaderSimple",
                      "widgets_values": [payload + " missing.safetensors"]})
        nodes.append({"id": 200 + number, "type": payload, "widgets_values": ["m.safetensors"]})
        nodes.append({"id": f"{payload} id", "type": "CheckpointLoaderSimple",
                      "widgets_values": ["absent.safetensors"]})
    (base / f"{WORKFLOW_NAME}.json").write_text(json.dumps({"nodes": nodes}))
    return base, root


def _check(run_cli: RunCli, setup: tuple[Path, Path], *extra: str) -> str:
    base, root = setup
    proc = run_cli("check", f"{WORKFLOW_NAME}.json", "--models", root, "--db",
                   base / "db.sqlite", *extra, cwd=base)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


PROBLEMS = 3 * len(PAYLOADS)


def test_json_keeps_every_string_exactly(run_cli: RunCli, setup: tuple[Path, Path]) -> None:
    report = json.loads(_check(run_cli, setup, "--format", "json"))
    refs = report["references"]
    values = {r["value"] for r in refs}
    types = {r["node_type"] for r in refs}
    ids = {r["node_id"] for r in refs}
    for payload in PAYLOADS:
        assert _file_name(payload) in values
        assert payload + " missing.safetensors" in values
        assert payload in types
        assert f"{payload} id" in ids
    on_disk = {_file_name(p) for p in PAYLOADS}
    found = [r for r in refs if r["value"] in on_disk]
    # All resolve; the one with backslashes is a Windows-style path to ComfyUI, hence fuzzy.
    assert {r["status"] for r in found} <= {"exact", "fuzzy"}
    assert len([r for r in found if r["status"] == "exact"]) >= len(PAYLOADS) - 1


def test_text_one_line_per_problem_nothing_raw(run_cli: RunCli,
                                               setup: tuple[Path, Path]) -> None:
    out = _check(run_cli, setup)
    lines = out.splitlines()
    assert len(lines) >= PROBLEMS + 1  # one line per problem, then the summary
    assert lines[-1].startswith(f"{len(PAYLOADS) * 4} references in 1 workflow")
    assert all(line.startswith(f"{WORKFLOW_NAME}.json") for line in lines[:-1])
    assert all(ch.isprintable() for line in lines for ch in line), "a control char got out"
    assert not any(line.startswith("::") for line in lines)
    assert "\\x1b[31mred" in out and "\\u202e" in out


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def test_github_annotations_cannot_inject_commands(run_cli: RunCli,
                                                   setup: tuple[Path, Path]) -> None:
    out = _check(run_cli, setup, "--format", "github", "--max-annotations", "1000")
    *lines, summary = out.splitlines()
    # the one plain line holds counts only, nothing from a workflow
    assert re.fullmatch(r"comfydock-rules: \d+ references in 1 workflow: [0-9a-z ,;:_()]+",
                        summary), summary
    assert len(lines) >= PROBLEMS
    command = re.compile(r"^::(error|warning|notice) file=([^:,]*),line=\d+,title=([^:,]*)::(.*)$")
    messages = []
    for line in lines:
        match = command.match(line)
        assert match, line
        assert _unescape_data(match.group(2)).replace("%3A", ":").replace("%2C", ",") == (
            f"{WORKFLOW_NAME}.json")
        assert all(ch.isprintable() for ch in line), repr(line)
        messages.append(_unescape_data(match.group(4)))
    joined = "\n".join(messages)
    # The payloads arrive whole in the messages (as data), newlines and all.
    assert "line1\nline2\r\n::error file=x.json,line=1::injected" in joined
    assert "%0A::error::injected%0D%25" in joined
    assert "::warning::injected" in joined


def test_sarif_parses_and_holds_the_strings_as_data(run_cli: RunCli,
                                                    setup: tuple[Path, Path]) -> None:
    sarif = json.loads(_check(run_cli, setup, "--format", "sarif"))
    results = sarif["runs"][0]["results"]
    assert len(results) >= PROBLEMS
    text = "\n".join(r["message"]["text"] for r in results)
    for payload in PAYLOADS:
        assert payload + " missing.safetensors" in text
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert " " not in uri and "<" not in uri and "|" not in uri and "`" not in uri


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_markdown_shows_text_never_markup(run_cli: RunCli, setup: tuple[Path, Path]) -> None:
    out = _check(run_cli, setup, "--format", "markdown")
    for line in out.splitlines():
        if line.startswith("|"):
            # Every table row keeps its column count: no payload pipe splits a cell.
            header_cells = {6, 4, 3, 2}  # the problems, workflows and counts tables
            assert len(_UNESCAPED_PIPE.findall(line)) - 1 in header_cells, line
        own_tags = ("<details>", "</details>", "<summary>", "</summary>", "<br>")
        for tag in own_tags:
            line = line.replace(tag, "")
        assert "<" not in line, line
        assert not re.search(r"(?<!\\)`", line), line
        assert not re.search(r"(?<!\\)\]\(", line), line
        assert not line.startswith(("#", "- ", "> ", "::")) or line.startswith(
            ("# comfydock-rules", "## ")), line
        assert all(ch.isprintable() for ch in line), repr(line)
    assert "&lt;script&gt;" in out


def test_pyproject_records_hostile_names_as_plain_keys(run_process: RunCli,
                                                       setup: tuple[Path, Path]) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    base, _ = setup
    pyproject = base / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\n')
    _check(run_process, setup, "--pyproject", str(pyproject), "--write-pyproject", "--format",
           "json")
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    assert set(data) == {"project", "tool"}
    assert set(data["tool"]) == {"comfydock"}
    assert data["project"] == {"name": "demo"}
    workflows = data["tool"]["comfydock"]["workflows"]
    assert list(workflows) == [WORKFLOW_NAME]
    recorded = workflows[WORKFLOW_NAME]["models"]
    assert set(recorded) == {_file_name(p) for p in PAYLOADS}
    required = data["tool"]["comfydock"]["models"]["required"]
    assert {entry["filename"] for entry in required.values()} == set(recorded)
    # A second run finds everything pinned and changes nothing.
    before = pyproject.read_bytes()
    _check(run_process, setup, "--pyproject", str(pyproject), "--write-pyproject", "--format",
           "json")
    assert pyproject.read_bytes() == before
