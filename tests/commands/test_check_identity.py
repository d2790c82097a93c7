"""`check` on a real workflow (cubiq/ComfyUI_InstantID's InstantID_basic.json) against real
folders of small model files: generic names need their folder, folders named in a value rank
their files first, `.sft` is `.safetensors`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import FIXTURES, RunCli, make_models

WORKFLOW = FIXTURES / "workflows" / "real" / "InstantID_basic.json"
CONTROLNET = "instantid/diffusion_pytorch_model.safetensors"
CHECKPOINT = "sdxl/AlbedoBaseXL.safetensors"


def check(run_cli: RunCli, tmp_path: Path, models: Path,
          workflow: Path = WORKFLOW) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli("check", workflow, "--models", models, "--db", tmp_path / "i.sqlite",
                     "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    refs = json.loads(result.stdout)["references"]
    return result.returncode, {ref["value"]: ref for ref in refs}


def paths(ref: dict[str, Any]) -> list[str]:
    return [c["relative_path"] for c in ref["candidates"]]


def test_a_generic_controlnet_is_found_in_its_folder_only(run_cli: RunCli,
                                                          tmp_path: Path) -> None:
    models = make_models(
        tmp_path / "models",
        "checkpoints/sdxl/AlbedoBaseXL.safetensors",
        "instantid/ip-adapter.bin",
        "controlnet/SDXL/instantid/diffusion_pytorch_model.safetensors",
        "controlnet/FLUX.1/InstantX-FLUX1-Dev-Union/diffusion_pytorch_model.safetensors",
    )
    code, refs = check(run_cli, tmp_path, models)
    ref = refs[CONTROLNET]
    assert (ref["status"], ref["method"]) == ("fuzzy", "filename")
    assert ref["resolved"]["relative_path"] == (
        "controlnet/SDXL/instantid/diffusion_pytorch_model.safetensors")
    assert "generic file name: the folder is part of its identity" in ref["candidates"][1]["reason"]
    assert code == 0


def test_another_models_generic_file_fails_the_gate(run_cli: RunCli, tmp_path: Path) -> None:
    union = "controlnet/FLUX.1/InstantX-FLUX1-Dev-Union/diffusion_pytorch_model.safetensors"
    models = make_models(tmp_path / "models", "checkpoints/sdxl/AlbedoBaseXL.safetensors",
                         "instantid/ip-adapter.bin", union)
    code, refs = check(run_cli, tmp_path, models)
    ref = refs[CONTROLNET]
    assert (ref["status"], ref["resolved"]) == ("ambiguous", None)
    assert paths(ref) == [union]
    assert ref["candidates"][0]["reason"].endswith(
        "generic file name: the folder is part of its identity")
    assert code == 1


def test_the_folder_a_value_names_ranks_first(run_cli: RunCli, tmp_path: Path) -> None:
    models = make_models(
        tmp_path / "models",
        "checkpoints/sd15/AlbedoBaseXL.safetensors",
        "checkpoints/archive/SDXL/AlbedoBaseXL.safetensors",
        "instantid/ip-adapter.bin",
        "controlnet/instantid/diffusion_pytorch_model.safetensors",
    )
    code, refs = check(run_cli, tmp_path, models)
    ref = refs[CHECKPOINT]
    assert (ref["status"], ref["resolved"]) == ("ambiguous", None)
    assert paths(ref) == ["checkpoints/archive/SDXL/AlbedoBaseXL.safetensors",
                          "checkpoints/sd15/AlbedoBaseXL.safetensors"]
    assert code == 1
    # look-alikes of equal score: the named folder first, and never a pick on that alone
    for rel in ("checkpoints/sd15/AlbedoBaseXL.safetensors",
                "checkpoints/archive/SDXL/AlbedoBaseXL.safetensors"):
        (models / rel).unlink()
    make_models(models, "checkpoints/sd15/Albedo-Base-XL-v2.safetensors",
                "checkpoints/sdxl/albedo_base_xl_v2.safetensors")
    code, refs = check(run_cli, tmp_path, models)
    ref = refs[CHECKPOINT]
    assert ref["resolved"] is None
    assert paths(ref)[:2] == ["checkpoints/sdxl/albedo_base_xl_v2.safetensors",
                              "checkpoints/sd15/Albedo-Base-XL-v2.safetensors"]
    assert ref["candidates"][0]["score"] == ref["candidates"][1]["score"]


def test_sft_file_resolves_a_safetensors_value(run_cli: RunCli, tmp_path: Path) -> None:
    models = make_models(tmp_path / "models", "checkpoints/sdxl/AlbedoBaseXL.sft",
                         "instantid/ip-adapter.bin",
                         "controlnet/instantid/diffusion_pytorch_model.safetensors")
    code, refs = check(run_cli, tmp_path, models)
    ref = refs[CHECKPOINT]
    assert (ref["status"], ref["method"]) == ("fuzzy", "filename")
    assert ref["resolved"]["relative_path"] == "checkpoints/sdxl/AlbedoBaseXL.sft"
    assert code == 0
