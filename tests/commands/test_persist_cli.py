"""Pins through `comfydock-rules check`: real workflows, real model files, git."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("comfydock_rules.index.load") is None,
    reason="check cannot load model files until comfydock_rules.index.load lands",
)

TEMPLATES = "workflows/workflow_templates_2025-09"
# controlnet_example: ControlNetLoader 12, VAELoader 13, CheckpointLoaderSimple 14;
# area_composition: VAELoader 20, CheckpointLoaderSimple 44 (the same two files).
WORKFLOWS = ("controlnet_example.json", "area_composition.json")
CKPT = "DreamShaper_8_pruned.safetensors"
VAE = "vae-ft-mse-840000-ema-pruned.safetensors"
HEAD = "# The demo project; this comment must survive.\n[project]\nname = \"demo\"  # kept\n\n" \
       "[tool.ruff]\nline-length = 100\n"


@pytest.fixture
def project(tmp_path: Path, corpus: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "workflows").mkdir(parents=True)
    for name in WORKFLOWS:
        shutil.copy(corpus / TEMPLATES / name, proj / "workflows" / name)
    (proj / "pyproject.toml").write_text(HEAD)
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    models = tmp_path / "models"
    for rel, size in ((f"checkpoints/{CKPT}", 3000), (f"vae/{VAE}", 2000)):
        (models / rel).parent.mkdir(parents=True, exist_ok=True)
        (models / rel).write_bytes(os.urandom(size))
    return proj


def _check(run_cli: RunCli, proj: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "workflows", "--models", "../models", "--fail-on", "none",
                   *extra, cwd=proj)


def _pins(proj: Path) -> dict[str, Any]:
    data = tomllib.loads((proj / "pyproject.toml").read_text())
    comfydock: dict[str, Any] = data["tool"]["comfydock"]
    return comfydock


def _refs(done: subprocess.CompletedProcess[str]) -> dict[tuple[str, str], dict[str, Any]]:
    report = json.loads(done.stdout)
    return {(Path(r["workflow"]).stem, r["value"]): r for r in report["references"]}


def test_record_rerun_rename_and_delete(run_process: RunCli, project: Path, tmp_path: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    done = _check(run_process, project, "--fix")
    assert done.returncode == 1, done.stderr  # --fix changed the file
    assert "pyproject.toml: recorded 4 resolutions" in done.stderr
    text = (project / "pyproject.toml").read_text()
    assert text.startswith(HEAD)  # comments and other tools' tables untouched
    comfydock = _pins(project)
    # Partial resolution: the missing ControlNet model is not recorded.
    assert sorted(comfydock["workflows"]["controlnet_example"]["models"]) == [CKPT, VAE]
    # Two workflows, one model: one registry entry each.
    registry = comfydock["models"]["required"]
    assert sorted(entry["relative_path"] for entry in registry.values()) == [
        f"checkpoints/{CKPT}", f"vae/{VAE}",
    ]
    ckpt_pin = comfydock["workflows"]["area_composition"]["models"][CKPT]
    assert ckpt_pin["nodes"] == [{"node_id": "44", "widget_idx": 0}]
    assert ckpt_pin["hash"] == comfydock["workflows"]["controlnet_example"]["models"][CKPT]["hash"]

    # A re-run changes nothing, byte for byte, and --fix passes.
    again = _check(run_process, project, "--fix")
    assert again.returncode == 0, again.stderr
    assert (project / "pyproject.toml").read_text() == text

    # A renamed file still resolves through its pin.
    models = tmp_path / "models"
    (models / "checkpoints" / "sd15").mkdir()
    (models / "checkpoints" / CKPT).rename(models / "checkpoints" / "sd15" / "dreamy.safetensors")
    refs = _refs(_check(run_process, project, "--format", "json"))
    moved = refs[("area_composition", CKPT)]
    assert (moved["status"], moved["method"]) == ("exact", "pinned")
    assert moved["resolved"]["relative_path"] == "checkpoints/sd15/dreamy.safetensors"

    # A deleted model: the pin is stale, the reference missing, the pin kept.
    (models / "vae" / VAE).unlink()
    done = _check(run_process, project, "--format", "json", "--fix")
    gone = _refs(done)[("controlnet_example", VAE)]
    assert gone["status"] == "missing" and "stale_pin" in gone["flags"]
    assert done.returncode == 0, done.stderr
    assert (project / "pyproject.toml").read_text() == text


def test_patch_applies_with_git_apply_and_patch(run_process: RunCli, project: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    done = _check(run_process, project, "--patch", "pins.diff")
    assert done.returncode == 0, done.stderr
    assert (project / "pyproject.toml").read_text() == HEAD
    diff = (project / "pins.diff").read_text()
    assert diff.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    checked = subprocess.run(["git", "apply", "--check", "pins.diff"], cwd=project,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    applied = subprocess.run(["patch", "-p1", "-i", "pins.diff"], cwd=project,
                             capture_output=True, text=True, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # The patched file is what --write-pyproject would have written: the next patch is empty.
    _check(run_process, project, "--patch", "next.diff")
    assert (project / "next.diff").read_text() == ""


def test_unparsable_pyproject_is_refused(run_cli: RunCli, project: Path) -> None:
    (project / "pyproject.toml").write_text(HEAD + "[tool.comfydock\n")
    done = _check(run_cli, project, "--write-pyproject")
    assert done.returncode == 2
    # Whichever stage reads it first (settings or pins) names the position.
    assert "pyproject.toml:7:16: " in done.stderr and "TOML" in done.stderr
    assert "Traceback" not in done.stderr
    assert (project / "pyproject.toml").read_text() == HEAD + "[tool.comfydock\n"


def test_read_only_pyproject_is_refused(run_cli: RunCli, project: Path) -> None:
    os.chmod(project / "pyproject.toml", 0o444)
    done = _check(run_cli, project, "--write-pyproject")
    assert done.returncode == 2
    assert "pyproject.toml: the pyproject is read-only; it was not changed" in done.stderr
    assert (project / "pyproject.toml").read_text() == HEAD
