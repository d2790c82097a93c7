"""A 30,000-problem run through the command: the SARIF file stays within GitHub code scanning's
limits and validates against the official SARIF 2.1.0 schema; the github format prints no more
annotations than GitHub shows, then a summary."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import run_in_process

pytestmark = pytest.mark.slow

WORKFLOWS = 300
NODES = 100
# Per 10 nodes: 6 missing (gated: errors), 3 fuzzy (warnings), 1 missing on a bypassed node (note).
ERRORS, WARNINGS, NOTES = 18_000, 9_000, 3_000


def _library(root: Path) -> None:
    (root / "models" / "loras" / "sub").mkdir(parents=True)
    (root / "models" / "checkpoints").mkdir(parents=True)
    for i in range(NODES):
        (root / "models" / "loras" / "sub" / f"lora_{i:03d}.safetensors").write_bytes(
            f"lora {i}".encode())
    (root / "wf").mkdir()
    for w in range(WORKFLOWS):
        nodes: list[dict[str, Any]] = []
        for j in range(NODES):
            kind = j % 10
            if kind < 6:
                widgets: list[Any] = [f"missing_{w}_{j}.safetensors"]
                node_type, mode = "CheckpointLoaderSimple", 0
            elif kind < 9:
                widgets, node_type, mode = [f"lora_{j:03d}.safetensors", 1, 1], "LoraLoader", 0
            else:
                widgets = [f"bypassed_{w}_{j}.safetensors"]
                node_type, mode = "CheckpointLoaderSimple", 4
            nodes.append({"id": j + 1, "type": node_type, "mode": mode, "pos": [0, 0],
                          "widgets_values": widgets})
        (root / "wf" / f"w{w:04d}.json").write_text(
            json.dumps({"nodes": nodes, "links": []}, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def large_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[
        Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("large")
    _library(root)
    done = run_in_process(["check", "wf", "--models", "models", "--format", "sarif", "-o",
                           "report.sarif", "--format", "github"], cwd=root, cache=root / "cache")
    return root, done


def test_sarif_of_a_30000_problem_run_stays_within_code_scanning_limits(
        large_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, done = large_run
    assert done.returncode == 1, done.stderr
    data = (root / "report.sarif").read_bytes()
    assert len(gzip.compress(data)) <= 10_000_000
    sarif = json.loads(data)
    assert len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    levels = [result["level"] for result in run["results"]]
    assert len(levels) == 25_000
    # errors first: every error is kept, then warnings; the notes go
    assert levels.count("error") == ERRORS
    assert levels.count("warning") == 25_000 - ERRORS and levels.count("note") == 0
    assert run["properties"]["comfydockRules"]["omittedResults"] == 5_000
    assert ("comfydock-rules: warning: sarif: 5000 of 30000 results left out (2000 warnings, "
            "3000 notes) to stay within GitHub code scanning's limits") in done.stderr


def test_sarif_of_a_30000_problem_run_validates_against_the_official_schema(
        large_run: tuple[Path, subprocess.CompletedProcess[str]],
        sarif_schema: dict[str, Any]) -> None:
    root, _ = large_run
    sarif = json.loads((root / "report.sarif").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(sarif_schema)
    errors = [error.message for error in validator.iter_errors(sarif)][:5]
    assert errors == []


def test_github_format_of_a_30000_problem_run_prints_what_github_shows(
        large_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, done = large_run
    lines = done.stdout.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    # 10 errors, 10 warnings, 9 notices (the 10th notice counts the rest), the summary line
    assert kinds[:29] == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 9
    assert lines[29] == ("comfydock-rules: 30000 references in 300 workflows: 0 exact, "
                         "9000 fuzzy, 0 ambiguous, 21000 missing; of all 30000: 3000 bypassed; "
                         "gate failed: 18000 references (ambiguous,missing)")
    assert lines[30].startswith("::notice title=comfydock-rules%3A more problems::29971 of "
                                "30000 problems not annotated (17990 errors, 8990 warnings, "
                                "2991 notices)")
    assert len(lines) == 31
    assert all("title=comfydock-rules CDR00" in line for line in lines[:29])
