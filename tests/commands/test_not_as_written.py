"""After pinning, a reference whose file ComfyUI would not load under the value as written (it
lies in a subfolder, has another name, or sits outside the node's folders) stays visible with
the flag `not_as_written` and what to do; a pin of the file the value names adds nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
from conftest import RunCli
from test_check import make_models, node, write_workflow

from comfydock_rules.resources import schema_path


def _project(tmp_path: Path) -> Path:
    make_models(tmp_path / "models",
                "loras/SDXL/detail.safetensors",          # in a subfolder
                "upscale_models/4x_ultrasharp.pth",       # another name
                "checkpoints/base.safetensors")           # where the value points
    proj = tmp_path / "proj"
    write_workflow(proj / "wf" / "w.json",
                   node(1, "LoraLoader", ["detail.safetensors", 1, 1]),
                   node(2, "UpscaleModelLoader", ["4x-UltraSharp.pth"]),
                   node(3, "CheckpointLoaderSimple", ["base.safetensors"]))
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    return proj


def _refs(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(
        json.loads(schema_path("report").read_text(encoding="utf-8"))).validate(data)
    return {ref["value"]: ref for ref in data["references"]}


def test_pinned_reference_not_loadable_as_written_keeps_a_flag(run_cli: RunCli,
                                                              tmp_path: Path) -> None:
    proj = _project(tmp_path)
    fixed = run_cli("check", "wf", "--models", "../models", "--fix", cwd=proj)
    assert fixed.returncode == 1 and "recorded 3 resolutions" in fixed.stderr

    pinned = run_cli("check", "wf", "--models", "../models", "--format", "json", cwd=proj)
    assert pinned.returncode == 0, pinned.stderr
    refs = _refs(pinned)
    for value in ("detail.safetensors", "4x-UltraSharp.pth"):
        assert (refs[value]["status"], refs[value]["method"]) == ("exact", "pinned")
        assert refs[value]["flags"] == ["not_as_written"]
        assert refs[value]["severity"] == "warning" and not refs[value]["gated"]
    assert refs["base.safetensors"]["flags"] == []  # the pin finds what the value names
    assert json.loads(pinned.stdout)["summary"]["not_as_written"] == 2

    text = run_cli("check", "wf", "--models", "../models", cwd=proj).stdout
    assert ("wf/w.json:3: exact: detail.safetensors (LoraLoader #1; not_as_written, not gated) "
            "-> the pin finds loras/SDXL/detail.safetensors, which ComfyUI loads as "
            "SDXL/detail.safetensors: change the workflow's value to it, or link or move the "
            "file to loras/detail.safetensors") in text
    assert ("-> the pin finds upscale_models/4x_ultrasharp.pth, which ComfyUI loads as "
            "4x_ultrasharp.pth: change the workflow's value to it, or link or move the file to "
            "upscale_models/4x-UltraSharp.pth") in text
    assert "base.safetensors" not in text

    sarif = json.loads(run_cli("check", "wf", "--models", "../models", "--format", "sarif",
                               cwd=proj).stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"CDR007"}
    markdown = run_cli("check", "wf", "--models", "../models", "--format", "markdown",
                       cwd=proj).stdout
    assert "link or move the file to loras/detail.safetensors" in markdown.replace("\\", "")

    gated = run_cli("check", "wf", "--models", "../models", "--fail-on", "not_as_written",
                    cwd=proj)
    assert gated.returncode == 1
    assert "gate failed: 2 references (not_as_written)" in gated.stdout


def test_pin_of_a_file_outside_the_node_folders_says_where_it_belongs(
        run_cli: RunCli, tmp_path: Path) -> None:
    proj = _project(tmp_path)
    assert run_cli("check", "wf", "--models", "../models", "--fix", cwd=proj).returncode == 1
    moved = tmp_path / "models" / "vae" / "base.safetensors"
    moved.parent.mkdir()
    (tmp_path / "models" / "checkpoints" / "base.safetensors").rename(moved)
    result = run_cli("check", "wf", "--models", "../models", cwd=proj)
    assert ("exact: base.safetensors (CheckpointLoaderSimple #3; not_as_written, not gated) -> "
            "the pin finds vae/base.safetensors, outside the folders CheckpointLoaderSimple "
            "loads from: move or link it to checkpoints/base.safetensors, or change the rule's "
            "directories") in result.stdout
