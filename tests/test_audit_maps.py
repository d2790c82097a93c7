"""tools/audit_maps.py: the built-in rules against the frontend's and ComfyGit's model-folder maps
(vendored in tools/maps/), run as the script is run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "tools" / "audit_maps.py"
MAPS = REPO / "tools" / "maps"


def _audit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def _frontend_with(tmp_path: Path, *rows: list[str]) -> Path:
    doc = json.loads((MAPS / "frontend_model_node_mappings.json").read_text(encoding="utf-8"))
    doc["rows"].extend(rows)
    path = tmp_path / "frontend.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_audit_maps_has_no_unexplained_difference() -> None:
    result = _audit()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "0 unexplained differences"
    assert "0 UNEXPLAINED; 0 stale explanations" in lines[-2]
    # both maps were read: 104 frontend rows and ComfyGit's 27 node types (34 widgets)
    assert lines[-2].startswith("138 map rows: ")
    assert "UNEXPLAINED" not in "\n".join(lines[:-2])


def test_audit_flags_a_node_type_no_rule_covers(tmp_path: Path) -> None:
    frontend = _frontend_with(tmp_path, ["loras", "StudioLoraLoader", "lora_name"])
    result = _audit("--frontend", frontend)
    assert result.returncode == 1
    assert ("UNEXPLAINED frontend StudioLoraLoader [lora_name] loras: no rule for this node "
            "type") in result.stdout
    assert result.stdout.endswith("1 unexplained differences\n")


def test_audit_flags_a_folder_the_rules_do_not_load_from(tmp_path: Path) -> None:
    frontend = _frontend_with(tmp_path, ["vae", "LoraLoader", "lora_name"])
    result = _audit("--frontend", frontend)
    assert result.returncode == 1
    assert "UNEXPLAINED frontend LoraLoader [lora_name] vae: they: vae; ours: loras" in (
        result.stdout)


def test_audit_fails_on_an_explanation_that_no_longer_applies(tmp_path: Path) -> None:
    explained = tmp_path / "explained.yaml"
    explained.write_text(
        (MAPS / "explained.yaml").read_text(encoding="utf-8")
        + "- {source: frontend, node: LoraLoader, input: lora_name, folder: loras, "
          "reason: once differed}\n", encoding="utf-8")
    result = _audit("--explained", explained)
    assert result.returncode == 1
    assert "LoraLoader [lora_name] loras: " in result.stdout
    assert "stale entry" in result.stdout


def test_audit_reads_the_upstream_file_formats(tmp_path: Path) -> None:
    """The same rows written the way modelNodeMappings.ts and comfyui_models.py write them."""
    ts = tmp_path / "modelNodeMappings.ts"
    ts.write_text(
        "export const MODEL_NODE_MAPPINGS: ReadonlyArray<\n  readonly [string, string, string]\n"
        "> = [\n  // ---- core ----\n  ['loras', 'LoraLoader', 'lora_name'],\n  [\n"
        "    'LLM/Qwen-VL/Qwen3-4B-Instruct-2507',\n    'AILab_QwenVL_PromptEnhancer',\n"
        "    'model_name'\n  ],\n  ['onnx', 'UpscaleModelLoader', 'model_name'],\n"
        "  ['superprompt-v1', 'Superprompt', '']\n] as const\n", encoding="utf-8")
    py = tmp_path / "comfyui_models.py"
    py.write_text(
        'MULTI_MODEL_WIDGET_CONFIGS: dict[str, list[int]] = {\n    "CheckpointLoader": [0, 1],'
        '\n}\nCOMFYUI_MODELS_CONFIG = {\n    "node_directory_mappings": {\n'
        '        "CheckpointLoader": ["checkpoints", "configs"],\n'
        '        "CLIPLoader": ["clip"],\n    },\n'
        '    "node_widget_indices": {"CheckpointLoader": 1},\n}\n', encoding="utf-8")
    explained = tmp_path / "explained.yaml"
    explained.write_text("[]\n", encoding="utf-8")
    result = _audit("--frontend", ts, "--comfygit", py, "--explained", explained)
    assert result.returncode == 1
    out = result.stdout
    assert "7 map rows: 2 agree, 1 skipped, 0 no-file, 0 disagreed, 4 UNEXPLAINED" in out
    assert "UNEXPLAINED comfygit CheckpointLoader [widget 0] checkpoints+configs" in out
    assert "UNEXPLAINED comfygit CheckpointLoader [widget 1] checkpoints+configs" in out
    assert "UNEXPLAINED frontend UpscaleModelLoader [model_name] onnx" in out
    assert "UNEXPLAINED frontend Superprompt [-] superprompt-v1" in out
    assert "skipped     frontend AILab_QwenVL_PromptEnhancer [model_name]" in out


def test_docs_show_the_audit_coverage_table() -> None:
    table = _audit("--markdown").stdout
    docs = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert table.count("\n") > 40
    assert table in docs
