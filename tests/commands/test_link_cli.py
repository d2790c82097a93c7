"""`comfydock-rules link`: links at the paths workflows name, on real folders, a real index and
real workflows; nothing overwritten, nothing written outside the models folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, RunCli

from comfydock_rules.link.plan import unsafe_value

LORA = "detail_tweaker_xl.safetensors"


@pytest.fixture
def setup(tmp_path: Path, run_cli: RunCli) -> Path:
    shutil.copytree(EXAMPLES / "models", tmp_path / "models")
    (tmp_path / "wf").mkdir()
    shutil.copy(EXAMPLES / "workflows" / "02_subfolder.json", tmp_path / "wf")
    assert run_cli("index", tmp_path / "models", "--db", tmp_path / "m.sqlite",
                   "-q").returncode == 0
    return tmp_path


def _workflow(tmp_path: Path, value: str) -> Path:
    text = (EXAMPLES / "workflows" / "02_subfolder.json").read_text(encoding="utf-8")
    path = tmp_path / "wf" / "other.json"
    path.write_text(text.replace(f'"{LORA}"', json_str(value)), encoding="utf-8")
    return path


def json_str(value: str) -> str:
    import json

    return json.dumps(value)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_dry_run_plans_and_apply_links_once(run_cli: RunCli, setup: Path) -> None:
    before = _tree(setup / "models")
    plan = run_cli("link", "wf/02_subfolder.json", "--index", "m.sqlite", cwd=setup)
    assert plan.returncode == 0, plan.stderr
    link = setup / "models" / "loras" / LORA
    assert f"would link {link} -> {setup / 'models/loras/SDXL' / LORA}" in plan.stdout
    assert "1 link(s) to create; run again with --apply" in plan.stdout
    assert _tree(setup / "models") == before
    done = run_cli("link", "wf/02_subfolder.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert done.returncode == 0, done.stdout
    assert "linked (symlink)" in done.stdout
    assert os.readlink(link) == f"SDXL/{LORA}"  # relative: the models folder can move
    assert link.read_bytes() == (setup / "models/loras/SDXL" / LORA).read_bytes()
    after = _tree(setup / "models")
    again = run_cli("link", "wf/02_subfolder.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert again.returncode == 0 and "already linked" in again.stdout
    assert _tree(setup / "models") == after
    # indexed again, the workflow loads as written
    assert run_cli("index", setup / "models", "--db", "m.sqlite", "-q", cwd=setup).returncode == 0
    check = run_cli("check", "wf/02_subfolder.json", "--index", "m.sqlite",
                    "--fail-on", "fuzzy,ambiguous,missing", cwd=setup)
    assert check.returncode == 0, check.stdout


def test_link_never_overwrites_an_existing_file(run_cli: RunCli, setup: Path) -> None:
    squatter = setup / "models" / "loras" / LORA
    squatter.write_bytes(b"not the lora")
    done = run_cli("link", "wf/02_subfolder.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert done.returncode == 1
    assert "conflict" in done.stdout and "never overwritten" in done.stdout
    assert squatter.read_bytes() == b"not the lora" and not squatter.is_symlink()


@pytest.mark.parametrize("value", [f"../../{LORA}", f"/tmp/{LORA}", f"SDXL/../../{LORA}"])
def test_link_refuses_values_escaping_the_models_folder(
        run_cli: RunCli, setup: Path, value: str) -> None:
    _workflow(setup, value)
    before = _tree(setup / "models")
    done = run_cli("link", "wf/other.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert done.returncode == 1
    assert "refused" in done.stdout
    assert _tree(setup / "models") == before
    assert not (setup / LORA).exists() and not (setup.parent / LORA).exists()


def test_link_refuses_a_folder_link_leading_outside(run_cli: RunCli, setup: Path) -> None:
    outside = setup / "outside"
    outside.mkdir()
    (setup / "models" / "loras" / "away").symlink_to(outside, target_is_directory=True)
    _workflow(setup, f"away/{LORA}")
    done = run_cli("link", "wf/other.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert done.returncode == 1
    assert "leads outside the models folder" in done.stdout
    assert list(outside.iterdir()) == []


def test_a_file_changed_since_indexing_is_not_linked(run_cli: RunCli, setup: Path) -> None:
    (setup / "models/loras/SDXL" / LORA).write_bytes(b"new bytes")
    done = run_cli("link", "wf/02_subfolder.json", "--index", "m.sqlite", "--apply", cwd=setup)
    assert done.returncode == 1 and "changed since it was indexed" in done.stdout
    assert not (setup / "models/loras" / LORA).exists()


def test_unsafe_values() -> None:
    for bad in ("", "/abs/x.safetensors", "C:/x.safetensors", "a/../b.safetensors", "a//b",
                "./x", "x\x00y"):
        assert unsafe_value(bad), bad
    assert unsafe_value("SDXL/x.safetensors") is None
