"""examples/: the reports the tool writes for the example workflows are the ones committed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import REPO, RunCli

from comfydock_rules.resources import schema_path

EXAMPLES = REPO / "examples"


def test_expected_reports_match(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(
        "check", "examples/workflows", "--models", "examples/models",
        "--format", "json", "--output", tmp_path / "report.json",
        "--format", "markdown", "--output", tmp_path / "report.md",
        cwd=REPO,
    )
    assert result.returncode == 1, result.stderr  # the examples include failing references
    assert result.stdout == ""
    for name in ("report.json", "report.md"):
        expected = (EXAMPLES / "expected" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == expected, (
            f"examples/expected/{name} is out of date; regenerate it with the command in "
            "examples/README.md"
        )


def test_examples_show_each_status_and_flag() -> None:
    data = json.loads((EXAMPLES / "expected" / "report.json").read_text(encoding="utf-8"))
    schema = json.loads(schema_path("report").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    seen = {(Path(r["workflow"]).name, r["status"], r["method"], tuple(r["flags"]))
            for r in data["references"]}
    assert ("01_exact.json", "exact", "path", ()) in seen
    assert ("02_subfolder.json", "fuzzy", "filename", ()) in seen
    assert ("03_renamed.json", "fuzzy", "similar", ()) in seen
    assert ("04_ambiguous.json", "ambiguous", None, ()) in seen
    assert ("05_missing_url.json", "missing", None, ()) in seen
    assert ("06_subgraph.json", "exact", "path", ()) in seen
    assert ("07_bypassed.json", "missing", None, ("bypassed",)) in seen
    assert ("08_no_rule.json", "missing", None, ("no_rule",)) in seen
    subgraph = [r["node_id"] for r in data["references"] if "subgraph" in r["workflow"]]
    assert subgraph == ["5:3", "5:4"]
    missing = next(r for r in data["references"] if "05_missing" in r["workflow"])
    assert missing["url"].startswith("https://huggingface.co/") and missing["gated"] is True


def test_readme_first_command(run_cli: RunCli) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = next(line for line in readme.splitlines() if "comfydock-rules check" in line)
    args = first.split("comfydock-rules ", 1)[1].split()
    assert args[:3] == ["check", "examples/workflows", "--models"], first
    result = run_cli(*args, cwd=REPO)
    assert result.returncode == 1, result.stderr
    assert "13 references in 8 workflows" in result.stdout
