"""`check` on a real saved workflow with three instances of one subgraph whose promoted checkpoint
differs per instance (tests/fixtures/workflows/real/SOURCE.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, RunCli
from test_check import check_json, make_models

NAME = "3d_hunyuan3d_image_to_model_three_instances.json"


def test_each_instance_is_checked_with_its_own_checkpoint(run_cli: RunCli,
                                                         tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "workflows" / "real" / NAME, tmp_path / NAME)
    make_models(tmp_path / "models", "checkpoints/hunyuan3d-dit-v2_fp16.safetensors")
    code, data = check_json(run_cli, NAME, "--models", "models", cwd=tmp_path)
    assert code == 1
    got = {(r["node_id"], r["value"], r["status"], r["host"], r["fallback"], r["gated"])
           for r in data["references"]}
    assert got == {
        ("91:54", "hunyuan3d-dit-v2_fp16.safetensors", "exact", "91", False, False),
        # Only the other instance's checkpoint is here: a candidate, never a pick.
        ("92:54", "hunyuan3d-dit-v2-mv_fp16.safetensors", "ambiguous", "92", False, True),
        ("93:54", "hunyuan3d-dit-v2_fp16.safetensors", "exact", "93", True, False),
    }
    text = run_cli("check", NAME, "--models", "models", cwd=tmp_path).stdout.splitlines()
    assert text[0].startswith(
        f"{NAME}:274: ambiguous: hunyuan3d-dit-v2-mv_fp16.safetensors (ImageOnlyCheckpointLoader"
        " #92:54, set on subgraph node #92) -> candidate: hunyuan3d-dit-v2_fp16.safetensors "
        "(0.96), not picked: its name differs in a protected token class (differs in variant: "
        "none vs mv)")
