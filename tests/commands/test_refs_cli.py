"""`comfydock-rules refs` run as a command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, RunCli

WORKFLOWS = FIXTURES / "workflows"


def copy_fixtures(tmp_path: Path) -> Path:
    target = tmp_path / "wf"
    shutil.copytree(WORKFLOWS, target)
    return target


def test_text_output_lists_every_reference(run_cli: RunCli, tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    result = run_cli("refs", "wf")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "wf/ui_basic.json:5: 4 CheckpointLoaderSimple[0] sd_xl_base_1.0.safetensors" in lines
    assert "wf/ui_basic.json:24: 10 LoraLoader[0] SDXL\\detail.safetensors  (bypassed)" in lines
    assert "wf/ui_basic.json:43: 3 VAELoader[0] sdxl_vae.safetensors  (muted)" in lines
    assert "wf/ui_basic.json:58: 6 SomeCustomLoader[0] custom/model.pth  (no_rule)" in lines
    api_line = "wf/api.json: 4 CheckpointLoaderSimple.ckpt_name v1-5-pruned-emaonly.safetensors"
    assert api_line in lines
    assert "wf/ui_subgraph.json:47: 12:7:3 UNETLoader[0] flux1-dev.safetensors" in lines
    assert "wf/ui_group.json:27: 20:0 CheckpointLoaderSimple[0] group_ckpt.safetensors" in lines
    # Files in name order, references in node-path order within a file.
    files = [line.split(":")[0] for line in lines]
    assert files == sorted(files)
    subgraph = [line.split()[1] for line in lines if "ui_subgraph" in line]
    assert subgraph == ["12:7:3", "12:8", "13:7:3", "13:8"]


def test_json_output_fields_and_determinism(run_process: RunCli, tmp_path: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    copy_fixtures(tmp_path)
    first = run_process("refs", "wf/ui_basic.json", "wf/api.json", "--format", "json")
    second = run_process("refs", "wf/api.json", "wf", "--format", "json")
    assert first.returncode == 0, first.stderr
    records = json.loads(first.stdout)
    assert [r["workflow"] for r in records][:1] == ["wf/api.json"]
    ckpt = next(r for r in records if r["node_id"] == "4" and r["workflow"] == "wf/ui_basic.json")
    assert ckpt == {
        "bypassed": False,
        "declared": {
            "directory": "checkpoints", "hash": "abc123", "hash_type": "sha256",
            "name": "sd_xl_base_1.0.safetensors",
            "url": "https://huggingface.co/stabilityai/sdxl/resolve/main/sd_xl_base_1.0.safetensors",
        },
        "directories": ["checkpoints"],
        "enabled": True,
        "fallback": False,
        "host": None,
        "input": "ckpt_name",
        "key": None,
        "line": 5,
        "mode": 0,
        "no_rule": False,
        "node_id": "4",
        "node_type": "CheckpointLoaderSimple",
        "value": "sd_xl_base_1.0.safetensors",
        "widget_index": 0,
        "workflow": "wf/ui_basic.json",
    }
    api = [r for r in records if r["workflow"] == "wf/api.json"]
    assert all(r["widget_index"] is None and r["line"] is None for r in api)
    # The same files reached another way give the same bytes for those files.
    again = [r for r in json.loads(second.stdout) if r["workflow"] in ("wf/api.json",)]
    assert again == api


def test_bad_files_are_reported_and_the_rest_still_read(run_cli: RunCli, tmp_path: Path) -> None:
    folder = copy_fixtures(tmp_path)
    (folder / "broken.json").write_text('{\n  "nodes": [\n    {"id": 1,, }\n  ]\n}')
    (folder / "list.json").write_text("[]")
    (folder / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0")
    (folder / "deep.json").write_text("[" * 50000 + "]" * 50000)
    result = run_cli("refs", "wf")
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert errors == [
        "comfydock-rules: error: wf/broken.json:3:14: invalid JSON: "
        "Expecting property name enclosed in double quotes",
        "comfydock-rules: error: wf/cut.png: truncated PNG: 'IHDR' chunk at byte 8 needs 13 "
        "bytes, 0 present",
        "comfydock-rules: error: wf/deep.json: JSON nested too deeply to be a workflow",
        "comfydock-rules: error: wf/list.json: not a ComfyUI workflow: the top level is a list "
        '(expected a UI workflow {"nodes": [...]} or API format {"<id>": {"class_type": ...}})',
    ]
    assert "Traceback" not in result.stderr
    assert "wf/ui_basic.json:5: 4 CheckpointLoaderSimple[0]" in result.stdout


def test_missing_path_and_bad_arguments_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    missing = run_cli("refs", "nope.json")
    assert missing.returncode == 2
    assert missing.stderr == (
        "comfydock-rules: error: nope.json: no such file or folder "
        "(give workflow files or folders)\n"
    )
    bad = run_cli("refs", ".", "--format", "xml")
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr and "Traceback" not in bad.stderr


def test_rule_file_covers_a_custom_node(run_cli: RunCli, tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    rules = tmp_path / "my-rules.yaml"
    rules.write_text(
        "version: 1\nextends: [core]\nnodes:\n  SomeCustomLoader:\n"
        "    - {widget: 0, input: model_path, directories: [checkpoints]}\n"
    )
    result = run_cli("refs", "wf/api.json", "--format", "json", "--rules", str(rules))
    assert result.returncode == 0, result.stderr
    custom = [r for r in json.loads(result.stdout) if r["node_type"] == "SomeCustomLoader"]
    assert [(r["value"], r["no_rule"], r["directories"]) for r in custom] == [
        ("custom.gguf", False, ["checkpoints"])]


def test_rule_files_from_pyproject_as_check_reads_them(run_cli: RunCli, tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    (tmp_path / "my-rules.yaml").write_text(
        "version: 1\nextends: [core]\nnodes:\n  SomeCustomLoader:\n"
        "    - {widget: 0, input: model_path, directories: [checkpoints]}\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.comfydock-rules]\nrules = ["my-rules.yaml"]\n')
    result = run_cli("refs", "wf/api.json", "--format", "json")
    assert result.returncode == 0, result.stderr
    custom = [r for r in json.loads(result.stdout) if r["node_type"] == "SomeCustomLoader"]
    assert [(r["no_rule"], r["directories"]) for r in custom] == [(False, ["checkpoints"])]


def test_corpus_folder_reads_without_errors(run_cli: RunCli, corpus: Path) -> None:
    result = run_cli("refs", corpus / "workflows", "--format", "json")
    assert result.returncode == 0, result.stderr[:2000]
    records = json.loads(result.stdout)
    assert len({r["workflow"] for r in records}) > 300
    assert len(records) > 1500
