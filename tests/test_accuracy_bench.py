"""Smoke tests of the accuracy benchmark's parts: the library is a pure function of the seed, and
the scorer counts a hand-made report the way docs/accuracy.md says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from accuracy.baseline import baseline_report
from accuracy.library import (
    SCENARIOS,
    Label,
    Library,
    LibraryFile,
    allowed_directories,
    build_library,
    write_library,
)
from accuracy.names import confusable_variants, norm_key
from accuracy.scorer import score_references, targets


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_library_is_deterministic_for_a_seed(corpus: Path, tmp_path: Path) -> None:
    first, again, other = (build_library(corpus, s, scale=0.3) for s in (5, 5, 6))
    assert first.to_json() == again.to_json()
    assert first.to_json() != other.to_json()
    write_library(first, tmp_path / "a", size=64)
    write_library(again, tmp_path / "b", size=64)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert len(a) == len(first.files)
    assert len(set(a.values())) == len(a), "every file has its own content"


def test_library_labels_agree_with_its_files(corpus: Path) -> None:
    library = build_library(corpus, 1, scale=0.3)
    paths = {f.relative_path for f in library.files}
    assert {lab.scenario for lab in library.labels} == set(SCENARIOS)
    for lab in library.labels:
        if lab.scenario == "present":
            assert lab.target == f"{lab.directory}/{lab.name}"
        if lab.scenario in ("subfolder", "renamed"):
            assert lab.target in paths and lab.target != f"{lab.directory}/{lab.name}"
            assert lab.target.split("/", 1)[0] == lab.directory
        if lab.scenario == "wrong_directory":
            assert lab.target in paths
            assert lab.target.split("/", 1)[0] not in allowed_directories(lab.directory)
        if lab.scenario == "confusable":
            assert lab.target is None and lab.variant in paths
        if lab.scenario in ("confusable", "absent", "wrong_directory"):
            # Nothing in a loadable directory carries the model's name, however spelled.
            for path in paths:
                top, _, rest = path.partition("/")
                if top in allowed_directories(lab.directory):
                    assert norm_key(rest.rsplit("/", 1)[-1]) != norm_key(lab.name), path


def test_confusable_edits_change_one_protected_token() -> None:
    variants = dict(confusable_variants("flux1-dev-fp8.safetensors"))
    assert variants == {"variant": "flux1-schnell-fp8.safetensors",
                        "precision": "flux1-dev-fp16.safetensors"}
    assert ("version", "wan2.1_t2v_14B.safetensors") in confusable_variants(
        "wan2.2_t2v_14B.safetensors")
    assert confusable_variants("ae.safetensors") == []


def _hand_made() -> tuple[Library, dict[tuple[str, str, str], str]]:
    labels = [
        Label("checkpoints", "a.safetensors", "present", target="checkpoints/a.safetensors"),
        Label("loras", "b_v1.safetensors", "renamed", "case", target="loras/B_V1.safetensors"),
        Label("vae", "c-dev.safetensors", "confusable", "variant",
              variant="vae/c-schnell.safetensors"),
        Label("vae", "d.safetensors", "absent"),
    ]
    files = [
        LibraryFile("checkpoints/a.safetensors", "target", "a.safetensors"),
        LibraryFile("loras/B_V1.safetensors", "target", "b_v1.safetensors"),
        LibraryFile("loras/b_v2.safetensors", "lookalike", "b_v1.safetensors"),
        LibraryFile("vae/c-schnell.safetensors", "variant", "c-dev.safetensors"),
    ]
    directories = {("w.json", "CheckpointLoaderSimple", "a.safetensors"): "checkpoints",
                   ("w.json", "LoraLoader", "b_v1.safetensors"): "loras",
                   ("w.json", "VAELoader", "c-dev.safetensors"): "vae",
                   ("w.json", "VAELoader", "d.safetensors"): "vae"}
    return Library(0, labels, files), directories


def _ref(node: str, node_type: str, value: str, status: str, resolved: str | None,
         candidates: tuple[str, ...] = (), flags: tuple[str, ...] = ()) -> dict[str, object]:
    return {"workflow": "w.json", "node_id": node, "node_type": node_type, "value": value,
            "status": status, "method": None, "score": None, "flags": list(flags),
            "resolved": {"relative_path": resolved} if resolved else None,
            "candidates": [{"relative_path": c} for c in candidates]}


def test_scorer_counts_a_hand_made_report() -> None:
    library, directories = _hand_made()
    refs = [
        _ref("1", "CheckpointLoaderSimple", "a.safetensors", "exact", "checkpoints/a.safetensors"),
        _ref("2", "LoraLoader", "b_v1.safetensors", "fuzzy", "loras/b_v2.safetensors"),
        _ref("3", "LoraLoader", "b_v1.safetensors", "ambiguous", None,
             ("loras/B_V1.safetensors", "loras/b_v2.safetensors")),
        _ref("4", "VAELoader", "c-dev.safetensors", "ambiguous", None,
             ("vae/c-schnell.safetensors",)),
        _ref("5", "VAELoader", "d.safetensors", "missing", None, flags=("bypassed",)),
        _ref("6", "VAELoader", "not-in-truth.safetensors", "missing", None),
    ]
    score = score_references(refs, library, directories)
    assert score.unlabelled == 1
    assert score.counts["present"]["exact"] == 1
    renamed = score.counts["renamed"]
    assert (renamed["refs"], renamed["wrong_pick"], renamed["right_first"],
            renamed["ambiguous_right_listed"]) == (2, 1, 1, 1)
    assert score.causes == {"lookalike, differs in version": 1}
    assert score.counts["confusable"]["variant_listed"] == 1
    assert score.counts["absent (bypassed)"]["missing"] == 1
    assert "absent" not in score.counts
    met = {name.split(":")[0]: t["met"] for name, t in targets(score).items()}
    assert met == {"zero wrong auto-picks (all refs, bypassed too)": False,
                   "subfolder+renamed": False, "present": True, "confusable": True}


def test_difflib_baseline_picks_the_confusable_variant() -> None:
    library, directories = _hand_made()
    refs = [_ref("4", "VAELoader", "c-dev.safetensors", "ambiguous", None)]
    (out,) = baseline_report(refs, library, directories)
    assert out["status"] == "fuzzy"
    assert out["resolved"] == {"relative_path": "vae/c-schnell.safetensors"}
    score = score_references([out], library, directories)
    assert score.counts["confusable"]["wrong_pick"] == 1


@pytest.mark.parametrize("name", ["x.safetensors", "model_v1.ckpt"])
def test_norm_key_ignores_case_separators_and_extension(name: str) -> None:
    stem = name.rsplit(".", 1)[0]
    assert norm_key(name) == norm_key(stem.upper().replace("_", " ") + ".pt")


def test_scorer_names_misses_that_are_not_wrong_picks() -> None:
    library, directories = _hand_made()
    refs = [
        _ref("4", "VAELoader", "c-dev.safetensors", "missing", None),
        _ref("3", "LoraLoader", "b_v1.safetensors", "ambiguous", None,
             ("loras/b_v2.safetensors", "loras/B_V1.safetensors")),
    ]
    score = score_references(refs, library, directories)
    assert score.misses == {"confusable: missing, variant not listed": 1,
                            "renamed: ambiguous, right file not first": 1}
    assert not score.causes
