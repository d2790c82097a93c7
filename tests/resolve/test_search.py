"""`models search`: the engine's own name matching, on the example index."""

from __future__ import annotations

from pathlib import Path

from conftest import example_db

from comfydock_rules.index.load import load_index
from comfydock_rules.model import ModelFile, ModelRef, Slot
from comfydock_rules.resolve.engine import resolve_all
from comfydock_rules.resolve.search import search


def _files(tmp_path: Path) -> tuple[ModelFile, ...]:
    return load_index(example_db(tmp_path))


def test_scores_and_reasons_are_the_engines(tmp_path: Path) -> None:
    files = _files(tmp_path)
    slot = Slot("UNETLoader", 0, "unet_name", ("diffusion_models",))
    ref = ModelRef("wf.json", "1", "UNETLoader", 0, "unet_name", "flux1-dev.safetensors",
                   slot=slot)
    (res,) = resolve_all([ref], files, generic_names=())
    hits = search(files, "flux1-dev.safetensors")
    engine = {c.file.relative_path: (c.score, c.reason) for c in res.candidates}
    assert [h.file.relative_path for h in hits] == list(engine)
    for hit in hits:
        score, why = engine[hit.file.relative_path]
        assert hit.score == score
        assert why in hit.reason


def test_the_same_name_comes_first_then_containment_then_look_alikes(tmp_path: Path) -> None:
    files = _files(tmp_path)
    hits = search(files, "detail_tweaker_xl.safetensors")
    assert hits[0].file.relative_path == "loras/SDXL/detail_tweaker_xl.safetensors"
    assert (hits[0].tier, hits[0].score, hits[0].reason) == (0, 1.0, "same file name")
    part = search(files, "ultrasharp")
    assert [(h.file.relative_path, h.tier) for h in part] == [
        ("upscale_models/4x_ultrasharp.pth", 1)]
    assert part[0].reason.startswith("path contains 'ultrasharp'; similar ")
    # a folder name is part of the path too
    assert {h.file.relative_path for h in search(files, "SDXL")} >= {
        "loras/SDXL/detail_tweaker_xl.safetensors"}


def test_a_query_without_extension_is_scored_without_one(tmp_path: Path) -> None:
    files = _files(tmp_path)
    with_ext = {h.file.relative_path: h.score for h in search(files, "flux1-dev.safetensors")}
    without = {h.file.relative_path: h.score for h in search(files, "flux1-dev")}
    assert with_ext == without


def test_directory_and_limit(tmp_path: Path) -> None:
    files = _files(tmp_path)
    assert search(files, "flux1", limit=1)[0].file.relative_path.startswith("diffusion_models/")
    assert len(search(files, "flux1", limit=1)) == 1
    assert search(files, "flux1", directory="loras") == ()
    assert search(files, "  ") == ()
    assert search(files, "zzzz-nothing-like-it") == ()
