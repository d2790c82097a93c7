"""Flags that take a path take one path each and are repeated for more (as ruff, pre-commit and
check-jsonschema do), so workflow paths after them stay workflow paths; folders given in the
wrong place, or one level off, are named with the flag or folder meant."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES, RunCli
from test_check import make_models, node, write_workflow

RULES = """\
version: 1
nodes:
  MyLoader:
    - {widget: 0, input: model_name, directories: [checkpoints]}
"""
MORE_RULES = """\
version: 1
nodes:
  OtherLoader:
    - {widget: 0, input: model_name, directories: [loras]}
"""


def _project(tmp_path: Path) -> Path:
    make_models(tmp_path / "ComfyUI" / "models", "checkpoints/a.safetensors")
    make_models(tmp_path / "more", "loras/b.safetensors")
    write_workflow(tmp_path / "wf" / "w.json",
                   node(1, "MyLoader", ["a.safetensors"]),
                   node(2, "OtherLoader", ["b.safetensors"]))
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "more.yaml").write_text(MORE_RULES, encoding="utf-8")
    return tmp_path


def test_models_and_rules_before_the_workflow_paths_do_not_swallow_them(
        run_cli: RunCli, tmp_path: Path) -> None:
    _project(tmp_path)
    result = run_cli("check", "--models", "ComfyUI/models", "--models", "more",
                     "--rules", "rules.yaml", "--rules", "more.yaml", "wf",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    refs = {ref["value"]: ref for ref in json.loads(result.stdout)["references"]}
    assert refs["a.safetensors"]["status"] == "exact"
    assert refs["b.safetensors"]["status"] == "exact"
    assert refs["b.safetensors"]["resolved"]["relative_path"] == "loras/b.safetensors"


def test_rules_flag_repeated_applies_files_in_order_for_refs_and_explain(
        run_cli: RunCli, tmp_path: Path) -> None:
    _project(tmp_path)
    refs = run_cli("refs", "--rules", "rules.yaml", "--rules", "more.yaml", "wf")
    assert refs.returncode == 0, refs.stderr
    assert "no_rule" not in refs.stdout and "OtherLoader" in refs.stdout
    explain = run_cli("rules", "explain", "OtherLoader", "--rules", "rules.yaml",
                      "--rules", "more.yaml")
    assert explain.returncode == 0, explain.stderr
    assert "more.yaml" in explain.stdout


def test_a_second_root_after_one_models_flag_is_named_as_a_models_root(
        run_cli: RunCli, tmp_path: Path) -> None:
    """The old several-values form `--models A B wf/` now reads B as workflows: say what to do."""
    _project(tmp_path)
    result = run_cli("check", "--models", "ComfyUI/models", "more", "wf")
    assert result.returncode == 2
    assert "more: holds model folders (loras/): a models root, not workflows" in result.stderr
    assert "--models more" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_rule_file_among_the_workflow_paths_is_named_with_its_flag(
        run_cli: RunCli, tmp_path: Path) -> None:
    _project(tmp_path)
    for command in ("check", "refs"):
        result = run_cli(command, "--rules", "rules.yaml", "more.yaml", "wf")
        assert result.returncode == 2, command
        assert "more.yaml: a YAML file among the workflow paths" in result.stderr
        assert "--rules more.yaml" in result.stderr


def test_a_workflow_folder_with_a_topic_named_like_a_model_folder_is_still_workflows(
        run_cli: RunCli, tmp_path: Path) -> None:
    """`workflows/loras/*.json` is a way to sort workflows; no model file there, no error."""
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "workflows" / "loras" / "w.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    result = run_cli("check", "workflows", "--models", "models")
    assert result.returncode == 0, result.stderr
    assert "1 reference in 1 workflow: 1 exact" in result.stdout


def test_models_root_without_model_folders_suggests_its_models_folder(
        run_cli: RunCli, tmp_path: Path) -> None:
    _project(tmp_path)
    result = run_cli("check", "--models", "ComfyUI", "--rules", "rules.yaml", "wf", "-q")
    assert result.returncode == 1
    assert ("warning: no model folders under ComfyUI; did you mean ComfyUI/models?"
            in result.stderr)
    indexed = run_cli("index", "ComfyUI", "--db", "i.sqlite", "-q")
    assert indexed.returncode == 0
    assert "no model folders under ComfyUI; did you mean ComfyUI/models?" in indexed.stderr


def test_models_root_that_is_itself_a_model_folder_suggests_its_parent(
        run_cli: RunCli, tmp_path: Path) -> None:
    _project(tmp_path)
    result = run_cli("check", "--models", "ComfyUI/models/checkpoints", "--rules", "rules.yaml",
                     "wf")
    assert ("no model folders under ComfyUI/models/checkpoints; it is itself the model folder "
            "checkpoints/: did you mean ComfyUI/models?") in result.stderr


def test_a_right_models_root_gets_no_warning(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("check", EXAMPLES / "workflows" / "01_exact.json",
                     "--models", EXAMPLES / "models")
    assert result.returncode == 0, result.stderr
    assert "no model folders" not in result.stderr
