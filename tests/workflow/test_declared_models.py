"""Model metadata a workflow declares (top-level `models`, node `properties.models`) and blank
values, on a real saved workflow (tests/fixtures/workflows/real/SOURCE.md)."""

from __future__ import annotations

import dataclasses

from conftest import FIXTURES

from comfydock_rules.model import DeclaredModel, ModelRef, Slot
from comfydock_rules.rules.load import load_ruleset
from comfydock_rules.workflow.declared import pick
from comfydock_rules.workflow.read import read_workflow

REAL = FIXTURES / "workflows" / "real"
HUNYUAN = "hunyuan_video_image_to_video.json"
EDITED = "hunyuan_video_image_to_video_edited.json"
REPO_URL = "https://huggingface.co/Comfy-Org/HunyuanVideo_repackaged/resolve/main/split_files/"


def read(name: str) -> dict[tuple[str, int | None], ModelRef]:
    refs = read_workflow(REAL / name, name, load_ruleset())
    return {(r.node_id, r.widget_index): r for r in refs}


def test_workflow_level_models_declare_every_loader_value() -> None:
    refs = read(HUNYUAN)
    assert set(refs) == {("82", 0), ("10", 0), ("11", 0), ("11", 1), ("12", 0)}
    for ref in refs.values():
        assert ref.declared is not None, ref
        assert ref.declared.name == ref.value
        assert ref.declared.url is not None and ref.declared.url.startswith(REPO_URL)
    assert refs[("11", 1)].declared == DeclaredModel(
        name="llava_llama3_fp8_scaled.safetensors",
        url=REPO_URL + "text_encoders/llava_llama3_fp8_scaled.safetensors?download=true",
        directory="text_encoders")


def test_node_level_entry_wins_over_workflow_level_one() -> None:
    refs = read(EDITED)
    vae = refs[("10", 0)]
    assert vae.declared is not None
    assert vae.declared.url == (
        "https://example.org/node-level/hunyuan_video_vae_bf16.safetensors")
    # The other values keep the top-level entries.
    assert refs[("11", 0)].declared is not None
    assert refs[("11", 0)].declared.url == (
        REPO_URL + "text_encoders/clip_l.safetensors?download=true")


def test_workflow_level_entry_for_another_directory_is_not_used() -> None:
    slot = Slot("VAELoader", 0, "vae_name", ("vae",))
    for_vae = DeclaredModel("x.safetensors", "https://a/vae", "vae")
    for_loras = DeclaredModel("x.safetensors", "https://a/loras", "loras")
    anywhere = DeclaredModel("x.safetensors", "https://a/any")
    assert pick("x.safetensors", {}, {"x.safetensors": (for_loras, for_vae)}, slot) == for_vae
    assert pick("x.safetensors", {}, {"x.safetensors": (for_loras,)}, slot) is None
    assert pick("x.safetensors", {}, {"x.safetensors": (for_loras, anywhere)}, slot) == anywhere
    assert pick("y.safetensors", {}, {"x.safetensors": (for_vae,)}, slot) is None
    own = DeclaredModel("x.safetensors", "https://own")
    assert pick("x.safetensors", {"x.safetensors": own}, {"x.safetensors": (for_vae,)},
                slot) == own


def test_blank_value_is_not_a_reference() -> None:
    refs = read(EDITED)
    # CLIPVisionLoader holds "  " and UNETLoader "\t": like "", not model references.
    assert ("82", 0) not in refs and ("12", 0) not in refs
    assert set(refs) == {("10", 0), ("11", 0), ("11", 1)}


def test_blank_values_are_ignored_by_rule_data_not_code() -> None:
    rules = load_ruleset()
    assert any(p.pattern == r"\s+" for p in rules.ignore_patterns)
    without = dataclasses.replace(rules, ignore_patterns=())
    refs = read_workflow(REAL / EDITED, EDITED, without)
    blank = {(r.node_id, r.value) for r in refs if not r.value.strip()}
    assert blank == {("82", "  "), ("12", "\t")}


def test_ignore_patterns_match_the_whole_value() -> None:
    rules = load_ruleset()
    (pattern,) = [p for p in rules.ignore_patterns if p.pattern == r"\s+"]
    assert pattern.fullmatch(" \t\n")
    assert not pattern.fullmatch(" model.safetensors ")
