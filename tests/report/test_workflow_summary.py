"""Per workflow, can it run with these files: in the JSON report and first in the Markdown one,
on the examples checked by the real command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from conftest import EXAMPLES, REPO, RunCli, example_db

SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def _check(run_cli: RunCli, tmp_path: Path, *paths: Path | str, fmt: str = "json",
           extra: tuple[str, ...] = ()) -> str:
    done = run_cli("check", *paths, "--index", example_db(tmp_path), "--format", fmt, *extra,
                   cwd=REPO)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_json_says_which_workflows_run_and_what_blocks_the_others(
        run_cli: RunCli, tmp_path: Path) -> None:
    data: dict[str, Any] = json.loads(_check(run_cli, tmp_path, EXAMPLES / "workflows"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    summary = {Path(s["workflow"]).name: s for s in data["workflow_summary"]}
    assert [s["workflow"] for s in data["workflow_summary"]] == data["workflows"]
    runs = {name: s["runnable"] for name, s in summary.items()}
    assert runs == {"01_exact.json": True, "02_subfolder.json": True, "03_renamed.json": True,
                    "04_ambiguous.json": False, "05_missing_url.json": False,
                    "06_subgraph.json": True, "07_bypassed.json": True,
                    "08_no_rule.json": False}
    # a missing file on a bypassed node does not stop the workflow from running
    assert summary["07_bypassed.json"]["missing"] == 1
    assert summary["07_bypassed.json"]["blocking"] == []
    assert summary["04_ambiguous.json"]["blocking"] == [
        {"node_id": "1", "node_type": "UNETLoader", "value": "flux1-dev.safetensors",
         "status": "ambiguous", "line": 7}]
    assert summary["02_subfolder.json"]["fuzzy"] == 1
    assert sum(s["references"] for s in summary.values()) == data["summary"]["references"]


def test_an_unreadable_workflow_cannot_run(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    data = json.loads(_check(run_cli, tmp_path, bad, EXAMPLES / "workflows" / "01_exact.json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    by_name = {Path(s["workflow"]).name: s for s in data["workflow_summary"]}
    assert by_name["bad.json"]["readable"] is False and by_name["bad.json"]["runnable"] is False
    assert by_name["01_exact.json"]["runnable"] is True
    text = _check(run_cli, tmp_path, bad, EXAMPLES / "workflows" / "01_exact.json",
                  fmt="markdown")
    assert "bad.json | no | fails | could not be read |" in text


def _workflow_rows(text: str) -> list[str]:
    section = text[text.index("## Workflows"):text.index("| status | references |")]
    return [line for line in section.splitlines() if line.startswith("| examples/workflows/")]


def test_markdown_puts_the_workflows_that_cannot_run_first_at_the_top(
        run_cli: RunCli, tmp_path: Path) -> None:
    text = _check(run_cli, tmp_path, "examples/workflows", fmt="markdown")
    lines = text.splitlines()
    assert lines[4] == "## Workflows"
    assert text.index("## Workflows") < text.index("| status | references |")
    rows = _workflow_rows(text)
    runs = [row.split(" | ")[1] for row in rows]
    assert runs == ["no"] * 3 + ["yes"] * 5
    # a fuzzy pick runs, but fails a gate that names fuzzy: it comes before the passing ones
    gated = _check(run_cli, tmp_path, "examples/workflows", fmt="markdown",
                   extra=("--fail-on", "fuzzy,ambiguous,missing"))
    rows = _workflow_rows(gated)
    assert [row.split(" | ")[1:3] for row in rows][3:5] == [["yes", "fails"], ["yes", "fails"]]
    assert "02\\_subfolder.json" in rows[3] and "03\\_renamed.json" in rows[4]


def test_a_cut_report_keeps_the_workflows_that_cannot_run(tmp_path: Path) -> None:
    from comfydock_rules.index.load import load_index
    from comfydock_rules.model import ModelRef, Slot
    from comfydock_rules.report.core import build_report
    from comfydock_rules.report.formats import RenderOptions
    from comfydock_rules.report.markdown import render
    from comfydock_rules.resolve.engine import resolve_all

    slot = Slot("VAELoader", 0, "vae_name", ("vae",))
    refs = [ModelRef(f"wf/{n:04d}.json", "1", "VAELoader", 0, "vae_name",
                     "ae.safetensors" if n % 10 else f"gone-{n}.safetensors", slot=slot)
            for n in range(400)]
    report = build_report(resolve_all(refs, load_index(example_db(tmp_path)), generic_names=()),
                          [r.workflow for r in refs], fail_on=("missing",))
    text = render(report, RenderOptions(markdown_limit=12 * 1024))
    assert len(text.encode("utf-8")) <= 12 * 1024
    assert all(f"wf/{n:04d}.json | no |" in text for n in range(0, 400, 10))
    passing = [line for line in text.splitlines() if "| yes | passes |" in line]
    assert 0 < len(passing) < 360 and "wf/0399.json" not in text
    assert "workflow row(s) left out" in text
