"""Generic file names and the folders that identify them: the names libraries save every model
under, as users meet them (cases from public issue threads, tests/realworld/cases.jsonl)."""

from __future__ import annotations

import hashlib

import pytest

from comfydock_rules.model import MatchPolicy, ModelFile, ModelRef, Slot
from comfydock_rules.resolve.engine import resolve_all
from comfydock_rules.resolve.generic import (
    GENERIC_REASON,
    folder_keys,
    folders_match,
    generic_key,
    generic_keys,
    is_generic,
)
from comfydock_rules.rules.load import load_ruleset

GENERIC = load_ruleset().generic_names
KEYS = generic_keys(GENERIC)


def mf(path: str, content: str | None = None) -> ModelFile:
    digest = hashlib.blake2b((content or path).encode(), digest_size=8).hexdigest()
    return ModelFile(path, digest, 1000)


def resolve(value: str, directory: str, files: list[ModelFile], node_type: str = "Loader"):  # type: ignore[no-untyped-def]
    slot = Slot(node_type, 0, None, (directory,), match=MatchPolicy())
    (res,) = resolve_all([ModelRef("w.json", "1", node_type, 0, None, value, slot=slot)], files,
                         generic_names=GENERIC)
    return res


@pytest.mark.parametrize("name", [
    "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors",
    "diffusion_pytorch_model.fp16-00001-of-00002.safetensors", "Diffusion-Pytorch-Model.bin",
    "model.safetensors", "model_fp16.safetensors", "model.fp16.safetensors",
    "model-00001-of-00002.safetensors", "model (1).safetensors", "model.onnx",
    "pytorch_model.bin", "pytorch_model.pt", "open_clip_pytorch_model.bin",
    "open_clip_model.safetensors", "adapter_model.safetensors", "pytorch_lora_weights.safetensors",
    "last.safetensors", "last-000004.safetensors", "epoch-000010.safetensors", "best.pt",
    "Lora-model.safetensors", "mp_rank_00_model_states.pt", "mp_rank_00_model_states_fp8.pt",
    "diffusion_pytorch_model-001.safetensors",
])
def test_generic_names_of_libraries_and_trainers(name: str) -> None:
    assert is_generic(name, KEYS), generic_key(name)


@pytest.mark.parametrize("name", [
    # family names that are one model in practice (ComfyUI-Manager: "ae.sft for dev and schnell
    # is same"), and names with a model-specific word
    "ae.safetensors", "clip_l.safetensors", "clip_g.safetensors", "t5xxl_fp16.safetensors",
    "diffusion_pytorch_model_promax.safetensors", "model_v2.safetensors",
    "ip-adapter_sd15.bin", "face_yolov8m.pt", "CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors",
    "mp_rank_00_model_states_fp8_map.pt", "fp16.safetensors",
])
def test_model_specific_names_are_not_generic(name: str) -> None:
    assert not is_generic(name, KEYS), generic_key(name)


def test_folders_compare_without_case_and_separators() -> None:
    assert folder_keys("SDXL/Instant-ID/x.bin") == ("sdxl", "instantid")
    assert folders_match(("instantid",), folder_keys("SDXL/instant_id/x.bin"))
    assert not folders_match(("instantid",), folder_keys("x.bin"))
    assert not folders_match(("sdxl", "instantid"), folder_keys("instantid/x.bin"))
    assert not folders_match((), folder_keys("instantid/x.bin"))


# -- the rule in the engine ---------------------------------------------------------------------

def test_generic_name_in_another_folder_is_never_picked() -> None:
    # Kolors' image encoder vs h94's SD1.5 one: both ship as pytorch_model.bin
    # (MinusZoneAI/ComfyUI-Kolors-MZ#59)
    files = [mf("clip_vision/pytorch_model.bin"),
             mf("clip_vision/CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors")]
    res = resolve("kolors\\pytorch_model.bin", "clip_vision", files, "CLIPVisionLoader")
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].file == files[0]
    assert res.candidates[0].reason.endswith(GENERIC_REASON)
    assert GENERIC_REASON in res.messages[0]


def test_bare_generic_name_is_never_picked() -> None:
    # replicate/cog-comfyui#262: the only diffusion_pytorch_model.safetensors is InstantID's
    files = [mf("controlnet/flux.1-dev-controlnet-union.safetensors"),
             mf("controlnet/instantid/diffusion_pytorch_model.safetensors")]
    res = resolve("diffusion_pytorch_model.safetensors", "controlnet", files, "ControlNetLoader")
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert [c.file for c in res.candidates] == [files[1]]
    assert "names no folder" in res.messages[0]


def test_generic_name_picked_only_where_the_named_folders_match() -> None:
    # cubiq/ComfyUI_InstantID#70: the InstantID controlnet moved under SDXL/, beside the InstantX
    # Flux union controlnet of the same file name
    files = [mf("controlnet/SDXL/instantid/diffusion_pytorch_model.safetensors"),
             mf("controlnet/FLUX.1/InstantX-FLUX1-Dev-Union/diffusion_pytorch_model.safetensors"),
             mf("controlnet/xinsir-union-sdxl/diffusion_pytorch_model_promax.safetensors")]
    res = resolve("instantid/diffusion_pytorch_model.safetensors", "controlnet", files)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "filename", files[0])
    assert [c.file for c in res.candidates[:2]] == files[:2]
    assert res.candidates[1].reason.endswith(GENERIC_REASON)


def test_every_named_folder_must_match() -> None:
    files = [mf("controlnet/InstantX-FLUX1-Dev-Union/diffusion_pytorch_model.safetensors")]
    res = resolve("FLUX.1/InstantX-FLUX1-Dev-Union/diffusion_pytorch_model.safetensors",
                  "controlnet", files)
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].file == files[0]
    moved = [mf("controlnet/archive/flux.1/instantx_flux1_dev_union/"
                "diffusion_pytorch_model.safetensors")]
    res = resolve("FLUX.1\\InstantX-FLUX1-Dev-Union\\diffusion_pytorch_model.safetensors",
                  "controlnet", moved)
    assert (res.status, res.resolved) == ("fuzzy", moved[0])


def test_generic_name_case_only_difference_follows_the_same_rule() -> None:
    files = [mf("clip_vision/other/Model.safetensors"), mf("clip_vision/h94/MODEL.safetensors")]
    res = resolve("h94/model.safetensors", "clip_vision", files)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "casefold", files[1])
    res = resolve("model.safetensors", "clip_vision", files)
    assert res.resolved is None


def test_generic_name_in_another_directory_is_not_wrong_directory() -> None:
    # a VAE's diffusion_pytorch_model.safetensors says nothing about a missing controlnet
    files = [mf("vae/sdxl-vae/diffusion_pytorch_model.safetensors")]
    res = resolve("instantid/diffusion_pytorch_model.safetensors", "controlnet", files)
    assert res.status == "missing"
    assert res.flags == ()
    named = [mf("vae/instantid/diffusion_pytorch_model.safetensors")]
    res = resolve("instantid/diffusion_pytorch_model.safetensors", "controlnet", named)
    assert res.flags == ("wrong_directory",)


def test_generic_lookalike_by_similarity_is_not_picked() -> None:
    # only separators differ, which picks a model-specific name; not a generic one elsewhere
    files = [mf("loras/characters/Lora_Model.safetensors")]
    res = resolve("Lora-model.safetensors", "loras", files, "LoraLoader")
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].reason.endswith(GENERIC_REASON)
    res = resolve("characters/Lora-model.safetensors", "loras", files, "LoraLoader")
    assert (res.status, res.method, res.resolved) == ("fuzzy", "similar", files[0])


def test_many_generic_copies_are_all_listed() -> None:
    # willmiao/ComfyUI-Lora-Manager#54: many LoRAs named Lora-model.safetensors
    files = [mf(f"loras/{d}/Lora-model.safetensors") for d in ("characters", "styles", "concepts")]
    res = resolve("Lora-model.safetensors", "loras", files, "LoraLoader")
    assert res.resolved is None
    assert {c.file for c in res.candidates} == set(files)
    assert all(c.reason.endswith(GENERIC_REASON) for c in res.candidates)


def test_one_content_under_a_generic_name_still_needs_the_folder() -> None:
    # two copies of one file (one quick hash): still not this reference's without its folder
    files = [mf("clip_vision/a/pytorch_model.bin", "same"),
             mf("clip_vision/b/pytorch_model.bin", "same")]
    res = resolve("SD1.5/pytorch_model.bin", "clip_vision", files)
    assert res.resolved is None
    assert len(res.candidates) == 1


def test_the_rule_is_rule_data() -> None:
    # without generic names the file name alone decides, as for model-specific names
    files = [mf("clip_vision/pytorch_model.bin")]
    slot = Slot("CLIPVisionLoader", 0, None, ("clip_vision",), match=MatchPolicy())
    ref = ModelRef("w.json", "1", "CLIPVisionLoader", 0, None, "kolors/pytorch_model.bin",
                   slot=slot)
    (res,) = resolve_all([ref], files, generic_names=())
    assert res.resolved == files[0]
    (res,) = resolve_all([ref], files, generic_names=("Pytorch-Model",))
    assert res.resolved is None
