"""`comfydock-rules pin`: a reviewer's choice recorded without prompts, on real workflows, a real
index built by `index`, and real pyproject.toml files in a git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, RunCli

HEAD = "# demo; this comment must survive\n[project]\nname = \"demo\"  # kept\n"
GATE = ("--fail-on", "fuzzy,ambiguous,missing")


@pytest.fixture
def project(tmp_path: Path, run_cli: RunCli) -> Path:
    proj = tmp_path / "proj"
    (proj / "wf").mkdir(parents=True)
    for name in ("02_subfolder.json", "03_renamed.json", "04_ambiguous.json"):
        shutil.copy(EXAMPLES / "workflows" / name, proj / "wf" / name)
    (proj / "pyproject.toml").write_text(HEAD, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    shutil.copytree(EXAMPLES / "models", tmp_path / "models")
    done = run_cli("index", tmp_path / "models", "--db", proj / "m.sqlite", "-q")
    assert done.returncode == 0, done.stderr
    return proj


def _pins(proj: Path) -> dict[str, Any]:
    data = tomllib.loads((proj / "pyproject.toml").read_text(encoding="utf-8"))
    pins: dict[str, Any] = data["tool"]["comfydock"]
    return pins


def _statuses(run_cli: RunCli, proj: Path) -> dict[str, tuple[str, str | None]]:
    done = run_cli("check", "wf", "--index", "m.sqlite", "--format", "json", *GATE, cwd=proj)
    return {r["value"]: (r["status"], r["method"])
            for r in json.loads(done.stdout)["references"]}


def test_a_reviewer_goes_from_a_failed_check_to_a_green_one_with_pin_alone(
        run_cli: RunCli, project: Path) -> None:
    failed = run_cli("check", "wf", "--index", "m.sqlite", *GATE,
                     "--format", "json", "--output", "report.json", cwd=project)
    assert failed.returncode == 1
    # the fuzzy picks the reviewer read in the report, accepted in one step
    accepted = run_cli("pin", "--from-report", "report.json", "--accept", "fuzzy",
                       "--index", "m.sqlite", cwd=project)
    assert accepted.returncode == 0, accepted.stderr
    assert "wf/03_renamed.json: 4x-UltraSharp.pth -> upscale_models/4x_ultrasharp.pth" in (
        accepted.stdout)
    # the ambiguous one, chosen by name from what models search shows
    search = run_cli("models", "search", "flux1-dev", "--index", "m.sqlite", cwd=project)
    assert "diffusion_models/flux1-dev-fp8.safetensors" in search.stdout
    chosen = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors",
                     "diffusion_models/flux1-dev-fp8.safetensors", "--index", "m.sqlite",
                     cwd=project)
    assert chosen.returncode == 0, chosen.stderr
    green = run_cli("check", "wf", "--index", "m.sqlite", *GATE, cwd=project)
    assert green.returncode == 0, green.stdout
    assert "gate passed" in green.stdout
    statuses = _statuses(run_cli, project)
    assert {status for status, _ in statuses.values()} == {"exact"}
    for value in ("detail_tweaker_xl.safetensors", "4x-UltraSharp.pth", "flux1-dev.safetensors"):
        assert statuses[value] == ("exact", "pinned"), value
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(HEAD)
    pins = _pins(project)
    assert pins["workflows"]["04_ambiguous"]["models"]["flux1-dev.safetensors"] == {
        "hash": "b54c7e781e0ea974", "nodes": [{"node_id": "1", "widget_idx": 0}]}
    assert set(pins["models"]["required"]) == {
        "b54c7e781e0ea974", "cd12e2fa6755fc11", "e1c016e82607ef37"}
    # a second time changes nothing
    again = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors", "b54c7e781e0ea974",
                    "--index", "m.sqlite", cwd=project)
    assert again.returncode == 0 and "already pinned" in again.stderr
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == text


def test_a_target_is_a_path_in_the_index_a_file_on_disk_or_a_quick_hash(
        run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    disk = tmp_path / "models" / "diffusion_models" / "flux1-schnell.safetensors"
    for target in ("diffusion_models/flux1-schnell.safetensors", str(disk), "23cf2eb12bb8e38a"):
        done = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors", target,
                       "--index", "m.sqlite", "--patch", "-", cwd=project)
        assert done.returncode == 0, (target, done.stderr)
        assert '"flux1-dev.safetensors" = {hash = "23cf2eb12bb8e38a"' in done.stdout
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == HEAD  # --patch only


def test_a_target_not_in_the_index_names_the_nearest_files(
        run_cli: RunCli, project: Path) -> None:
    done = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors",
                   "diffusion_models/flux1-dev.safetensors", "--index", "m.sqlite", cwd=project)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "is not in the index" in done.stderr
    assert "nearest: diffusion_models/flux1-dev-fp8.safetensors (0.92)" in done.stderr
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == HEAD


def test_a_value_not_in_the_workflow_is_refused_with_the_closest(
        run_cli: RunCli, project: Path) -> None:
    done = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev", "b54c7e781e0ea974",
                   "--index", "m.sqlite", cwd=project)
    assert done.returncode == 2
    assert "names no reference 'flux1-dev'" in done.stderr
    assert "did you mean 'flux1-dev.safetensors'" in done.stderr


def test_pin_refuses_a_file_the_node_cannot_load(run_cli: RunCli, project: Path) -> None:
    done = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors", "vae/ae.safetensors",
                   "--index", "m.sqlite", cwd=project)
    assert done.returncode == 2
    assert "UNETLoader #1 loads from diffusion_models/, unet/, not from vae/" in done.stderr
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == HEAD


def test_a_quick_hash_naming_two_contents_is_refused(
        run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    head = os.urandom(5 * 1024 * 1024)
    folder = tmp_path / "models" / "diffusion_models"
    (folder / "flux1-dev-a.safetensors").write_bytes(head + b"a" * 4096)
    (folder / "flux1-dev-b.safetensors").write_bytes(head + b"b" * 4096)
    assert run_cli("index", tmp_path / "models", "--db", "m.sqlite", "-q",
                   cwd=project).returncode == 0
    listed = run_cli("models", "list", "--index", "m.sqlite", "--format", "json", cwd=project)
    quick = {f["relative_path"]: f["hash"] for f in json.loads(listed.stdout)["files"]}
    shared = quick["diffusion_models/flux1-dev-a.safetensors"]
    assert shared == quick["diffusion_models/flux1-dev-b.safetensors"]
    done = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors", shared,
                   "--index", "m.sqlite", cwd=project)
    assert done.returncode == 2 and "names 2 different contents" in done.stderr
    # by path, the same pin is still refused: the pin would record the shared quick hash
    by_path = run_cli("pin", "wf/04_ambiguous.json", "flux1-dev.safetensors",
                      "diffusion_models/flux1-dev-a.safetensors", "--index", "m.sqlite",
                      cwd=project)
    assert by_path.returncode == 2 and "names 2 different contents" in by_path.stderr


def test_a_stale_report_is_refused_and_what_is_stale_is_said(
        run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    run_cli("check", "wf", "--index", "m.sqlite", "--format", "json", "--output", "r.json",
            cwd=project)
    renamed = project / "wf" / "03_renamed.json"
    renamed.write_text(renamed.read_text(encoding="utf-8").replace(
        "4x-UltraSharp.pth", "4x-UltraSharp-v2.pth"), encoding="utf-8")
    lora = tmp_path / "models" / "loras" / "SDXL" / "detail_tweaker_xl.safetensors"
    lora.write_bytes(b"other content now")
    assert run_cli("index", tmp_path / "models", "--db", "m.sqlite", "-q",
                   cwd=project).returncode == 0
    done = run_cli("pin", "--from-report", "r.json", "--accept", "fuzzy", "--index", "m.sqlite",
                   cwd=project)
    assert done.returncode == 2
    assert "the report is stale, nothing was pinned" in done.stderr
    assert "wf/03_renamed.json: 4x-UltraSharp.pth (UpscaleModelLoader #1): the node or its " \
           "value changed" in done.stderr
    assert "wf/02_subfolder.json: detail_tweaker_xl.safetensors (LoraLoader #2): the report " \
           "picked loras/SDXL/detail_tweaker_xl.safetensors (e1c016e82607ef37)" in done.stderr
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == HEAD


def test_a_report_is_validated_against_the_schema_first(
        run_cli: RunCli, project: Path) -> None:
    (project / "r.json").write_text(json.dumps({"version": 1, "references": []}))
    done = run_cli("pin", "--from-report", "r.json", "--accept", "fuzzy", "--index", "m.sqlite",
                   cwd=project)
    assert done.returncode == 2
    assert "r.json: not a comfydock-rules JSON report" in done.stderr
    assert run_cli("pin", "--from-report", "r.json", "--index", "m.sqlite",
                   cwd=project).returncode == 2
    assert run_cli("pin", "wf/04_ambiguous.json", "--index", "m.sqlite",
                   cwd=project).returncode == 2
