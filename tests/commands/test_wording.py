"""What the command says reads as meant: counts of flags are not parts of a status, a lone
ambiguous candidate says why it was not picked, the help names the commands as they are."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLES, RunCli
from test_check import make_models, node, write_workflow


def test_flag_counts_do_not_read_as_part_of_the_status_before_them(
        run_cli: RunCli, tmp_path: Path) -> None:
    """'5 missing (4 bypassed)' read as 4 of the 5; the flags count across all references."""
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "w.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"], mode=4),
                   node(2, "CheckpointLoaderSimple", ["gone.safetensors"]),
                   node(3, "CheckpointLoaderSimple", ["gone2.safetensors"], mode=4))
    result = run_cli("check", "w.json", "--models", "models")
    summary = result.stdout.splitlines()[-1]
    assert summary == ("3 references in 1 workflow: 1 exact, 0 fuzzy, 0 ambiguous, 2 missing; "
                       "of all 3: 2 bypassed; gate failed: 1 reference (ambiguous,missing)")
    assert "missing (" not in summary


def test_a_single_ambiguous_candidate_says_why_it_was_not_picked(
        run_cli: RunCli, tmp_path: Path) -> None:
    make_models(tmp_path / "models", "diffusion_models/flux1-dev-fp8.safetensors")
    write_workflow(tmp_path / "w.json", node(1, "UNETLoader", ["flux1-dev.safetensors",
                                                               "default"]))
    for fmt in ("text", "github"):
        result = run_cli("check", "w.json", "--models", "models", "--format", fmt)
        assert result.returncode == 1
        assert ("candidate: flux1-dev-fp8.safetensors (0.92), not picked: its name differs in "
                "a protected token class (differs in precision: fp8 vs none)") in result.stdout
        assert "candidates:" not in result.stdout


def test_several_ambiguous_candidates_are_still_listed_as_candidates(
        run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("check", EXAMPLES / "workflows" / "04_ambiguous.json",
                     "--models", EXAMPLES / "models")
    assert ("-> candidates: flux1-dev-fp8.safetensors (0.92), flux1-schnell.safetensors (0.81)"
            in result.stdout)
