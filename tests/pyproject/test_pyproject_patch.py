"""Computing, diffing and writing the new pyproject.toml text."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfydock_rules.errors import ToolInputError
from comfydock_rules.pyproject.patch import (
    PatchPlan,
    PinRemoval,
    PinWrite,
    atomic_write,
    diff_label,
    patched_text,
    unified_diff,
)
from comfydock_rules.pyproject.pins import PinnedNode, RecordedModel, pins_from_data

HASH = "0123456789abcdef"
MODEL = RecordedModel(HASH, "sd_xl_base_1.0.safetensors", 6938078334,
                      "checkpoints/sd_xl_base_1.0.safetensors")
PLAN = PatchPlan(
    pins=(PinWrite("flow", "sd_xl_base_1.0.safetensors", HASH,
                   (PinnedNode("4", 0), PinnedNode("12:7", 0))),),
    models=(MODEL,),
)
COMMENTED = """\
# Top comment, kept.
[project]
name    = "demo"     # odd spacing, kept
version = '1.0'

[tool.ruff]            # another tool's table
line-length = 100

[tool.comfydock]
comfyui_version = "v0.3.60"  # ComfyDock's own keys stay

[tool.comfydock.workflows.old.models]
# a comment inside the pins
"x.safetensors" = { hash = "fedcba9876543210", nodes = [ { node_id = "1", widget_idx = 0 } ] }
"""


def _only_additions(old: str, new: str) -> None:
    """Every line of `old` is in `new`, in order: nothing else was touched."""
    diff = unified_diff(old, new, "pyproject.toml")
    changed = [
        line for line in diff.splitlines()[2:]
        if line[:1] in "+-" and not line.startswith("@@")
    ]
    assert changed and all(line.startswith("+") for line in changed), diff


def test_real_pyproject_keeps_every_byte_and_is_idempotent() -> None:
    old = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    new = patched_text(old, PLAN)
    _only_additions(old, new)
    data = tomllib.loads(new)
    workflows, registry = pins_from_data(data, "pyproject.toml")
    assert workflows["flow"]["sd_xl_base_1.0.safetensors"].hash == HASH
    assert registry[HASH] == MODEL
    assert data["tool"]["mypy"] == tomllib.loads(old)["tool"]["mypy"]
    assert patched_text(new, PLAN) == new


def test_comments_and_existing_pins_survive() -> None:
    new = patched_text(COMMENTED, PLAN)
    _only_additions(COMMENTED, new)
    assert new.startswith(COMMENTED)
    assert "# a comment inside the pins" in new


def test_update_touches_only_what_differs() -> None:
    plan = PatchPlan(pins=(PinWrite("old", "x.safetensors", HASH, (PinnedNode("1", 0),)),))
    new = patched_text(COMMENTED, plan)
    assert new == COMMENTED.replace('"fedcba9876543210"', f'"{HASH}"')


def test_seed_style_subtable_entry_is_updated_in_place() -> None:
    old = (
        '[tool.comfydock.workflows.flow.models."a.safetensors"]\n'
        'hash = "fedcba9876543210"  # old\n'
        'nodes = [{node_id = "4", widget_idx = 0}]\n'
    )
    plan = PatchPlan(pins=(PinWrite("flow", "a.safetensors", HASH, (PinnedNode("4", 0),)),))
    assert patched_text(old, plan) == old.replace("fedcba9876543210", HASH)


def test_removals_drop_emptied_tables() -> None:
    plan = PatchPlan(removals=(PinRemoval("old", "x.safetensors"),))
    new = patched_text(COMMENTED, plan)
    assert "[tool.comfydock.workflows.old.models]" not in new
    assert 'comfyui_version = "v0.3.60"  # ComfyDock\'s own keys stay' in new
    assert "x.safetensors" not in new


def test_crlf_file_stays_crlf() -> None:
    old = COMMENTED.replace("\n", "\r\n")
    new = patched_text(old, PLAN)
    assert new.count("\r\n") == new.count("\n")
    assert new.startswith(old)


def test_file_without_final_newline_gets_a_valid_diff(tmp_path: Path) -> None:
    old = '[project]\nname = "demo"'
    new = patched_text(old, PLAN)
    tomllib.loads(new)
    diff = unified_diff(old, new, "pyproject.toml")
    assert "\\ No newline at end of file\n" in diff
    _apply_with_patch(tmp_path, old, diff, new)


def test_empty_plan_changes_nothing() -> None:
    assert patched_text(COMMENTED, PatchPlan()) == COMMENTED
    assert unified_diff(COMMENTED, COMMENTED, "pyproject.toml") == ""


def test_non_table_in_the_way_is_a_clear_error() -> None:
    with pytest.raises(ToolInputError, match=r"tool\.comfydock\.workflows is not a table"):
        patched_text("[tool.comfydock]\nworkflows = 3\n", PLAN)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
) | st.sampled_from(['a"b', "back\\slash", "new\nline", "tab\tand\r", "é漢字🙂", "x" * 5000,
                     "'single'", '"""', "\x00\x7f\x1b", "loras\\sub\\x.safetensors"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reference=_TEXT, name=_TEXT)
def test_hostile_references_round_trip(reference: str, name: str) -> None:
    plan = PatchPlan(
        pins=(PinWrite(name, reference, HASH, (PinnedNode("3", 1),)),),
        models=(RecordedModel(HASH, reference, 1, f"loras/{reference}"),),
    )
    new = patched_text(COMMENTED, plan)
    workflows, registry = pins_from_data(tomllib.loads(new), "pyproject.toml")
    assert workflows[name][reference].hash == HASH
    assert registry[HASH].filename == reference
    assert patched_text(new, plan) == new


def _apply_with_patch(folder: Path, old: str, diff: str, new: str) -> None:
    if shutil.which("patch") is None:
        pytest.skip("the patch program is not installed")
    (folder / "pyproject.toml").write_text(old, newline="")
    (folder / "change.diff").write_text(diff, newline="")
    done = subprocess.run(["patch", "-p1", "-i", "change.diff"], cwd=folder,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "pyproject.toml").read_bytes().decode() == new


def test_diff_applies_with_patch_p1(tmp_path: Path) -> None:
    new = patched_text(COMMENTED, PLAN)
    diff = unified_diff(COMMENTED, new, "pyproject.toml")
    assert diff.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    _apply_with_patch(tmp_path, COMMENTED, diff, new)


def test_diff_applies_with_git_apply_from_a_subfolder_project(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    project = tmp_path / "envs" / "main"
    project.mkdir(parents=True)
    target = project / "pyproject.toml"
    target.write_text(COMMENTED)
    label = diff_label(target)
    assert label == "envs/main/pyproject.toml"
    new = patched_text(COMMENTED, PLAN)
    (tmp_path / "change.diff").write_text(unified_diff(COMMENTED, new, label))
    done = subprocess.run(["git", "apply", "change.diff"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert target.read_text() == new


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_text(COMMENTED)
    os.chmod(target, 0o640)
    atomic_write(target, "x = 1\n", "pyproject.toml")
    assert target.read_text() == "x = 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text(COMMENTED)
    link = tmp_path / "pyproject.toml"
    link.symlink_to(real)
    atomic_write(link, "x = 1\n", "pyproject.toml")
    assert link.is_symlink() and real.read_text() == "x = 1\n"


def test_read_only_pyproject_is_refused(tmp_path: Path) -> None:
    # A rename ignores the file's own mode (and root ignores modes), so the mode is checked.
    target = tmp_path / "pyproject.toml"
    target.write_text(COMMENTED)
    os.chmod(target, 0o444)
    with pytest.raises(ToolInputError, match="read-only") as caught:
        atomic_write(target, "x = 1\n", "pyproject.toml")
    assert caught.value.exit_code == 2
    assert target.read_text() == COMMENTED


def test_write_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "pyproject.toml"
    with pytest.raises(ToolInputError, match="cannot write the pyproject") as caught:
        atomic_write(target, "x = 1\n", "gone/pyproject.toml")
    assert caught.value.path == "gone/pyproject.toml"
