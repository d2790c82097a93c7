"""`comfydock-rules rules ...` through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES

from comfydock_rules.rules.build import builtin_path
from comfydock_rules.rules.load import load_ruleset

RULES = FIXTURES / "rules"


def test_validate_builtin_sets(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rules/core.yaml: ok (")
    assert "rules/custom-nodes.yaml: ok (" in result.stdout
    assert result.stderr == ""
    # each set counted with what it extends: core alone, custom-nodes on top of core
    core = len(load_ruleset([builtin_path("core")], builtin=False).nodes)
    both = len(load_ruleset().nodes)
    assert core < both
    assert f"rules/core.yaml: ok ({core} node types," in result.stdout
    assert f"rules/custom-nodes.yaml: ok ({both} node types," in result.stdout


def test_validate_broken_file_exits_2_with_position(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "unknown_slot_key.yaml"
    shutil.copy(RULES / "broken" / "unknown_slot_key.yaml", broken)
    result = run_cli("rules", "validate", broken.name)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "unknown_slot_key.yaml:5:7: error: unknown key 'directory' in nodes.MyLoader[0] (did "
        "you mean 'directories'?)")
    assert "Traceback" not in result.stderr


def test_validate_reports_each_file(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name in ("duplicate_key.yaml", "threshold_range.yaml"):
        shutil.copy(RULES / "broken" / name, tmp_path / name)
    shutil.copy(RULES / "good" / "undefined_directory.yaml", tmp_path / "warn.yaml")
    result = run_cli("rules", "validate", "duplicate_key.yaml", "warn.yaml",
                     "threshold_range.yaml")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("duplicate_key.yaml:5:3: error: duplicate key 'MyLoader'")
    assert lines[1].startswith("threshold_range.yaml:3:16: error: match.suggest_min is 1.5")
    assert lines[2].startswith("warn.yaml:5:52: warning: directory 'lora' is not defined")
    assert result.stdout.startswith("warn.yaml: ok (")


def test_explain_names_where_each_setting_came_from(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(RULES / "good" / "user.yaml", tmp_path / "user.yaml")
    result = run_cli("rules", "explain", "LoraLoaderModelOnly", "--rules", "user.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("LoraLoaderModelOnly: exact node type (user.yaml:19:3)\n")
    assert "slot 1: widget 0, input lora_name  (user.yaml:20:7)" in out
    assert "suggest_min: 0.9  (user.yaml:20:80)" in out
    assert "auto_pick.min_score: 0.92  (rules/core.yaml:" in out

    pattern = run_cli("rules", "explain", "StudioUpscaleLoader", "--rules", "user.yaml")
    assert pattern.stdout.startswith(
        "StudioUpscaleLoader: matches pattern re:^Studio.*Loader$\n")
    assert "directory studio_models -> studio/models" in pattern.stdout


def test_explain_unknown_node_suggests(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "explain", "VAELoadr")
    assert result.returncode == 1
    assert "no rule covers node type 'VAELoadr' (did you mean 'VAELoader'?)" in result.stderr


def test_list_by_rule_set(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("rules/core.yaml: ")
    assert "  VAELoader" in lines
    assert "  DownloadAndLoadSAM2Model  (no model file: skipped)" in lines
    assert any(line.startswith("rules/custom-nodes.yaml: ") for line in lines)


def test_add_node_keeps_comments(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "user.yaml"
    shutil.copy(RULES / "good" / "user.yaml", target)
    before = target.read_text(encoding="utf-8")
    result = run_cli("rules", "add-node", "user.yaml", "MyUpscaler", "--widget", "0",
                     "--input", "model_name", "--directory", "upscale_models")
    assert result.returncode == 0, result.stderr
    after = target.read_text(encoding="utf-8")
    for comment in ("# My studio's loaders. Keep this comment.",
                    "extends: [core]          # ComfyUI's own loaders first",
                    "# the house checkpoint loader", "# our shared folder"):
        assert comment in after
    assert len(after.splitlines()) == len(before.splitlines()) + 2
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["  MyUpscaler:",
                     "    - {widget: 0, input: model_name, directories: [upscale_models]}"]
    rules = load_ruleset([target])
    (slot,) = rules.nodes["MyUpscaler"]
    assert (slot.widget, slot.input, slot.directories) == (0, "model_name", ("upscale_models",))

    again = run_cli("rules", "add-node", "user.yaml", "MyUpscaler", "--widget", "0",
                    "--directory", "upscale_models")
    assert again.returncode == 2
    assert "already has a slot" in again.stderr
    assert target.read_text(encoding="utf-8") == after


def test_add_node_refuses_a_broken_file(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(RULES / "broken" / "duplicate_key.yaml", tmp_path / "d.yaml")
    before = (tmp_path / "d.yaml").read_text(encoding="utf-8")
    result = run_cli("rules", "add-node", "d.yaml", "X", "--widget", "0", "--directory", "loras")
    assert result.returncode == 2
    assert "d.yaml:5:3: duplicate key 'MyLoader'" in result.stderr
    assert (tmp_path / "d.yaml").read_text(encoding="utf-8") == before
