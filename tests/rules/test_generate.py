"""Rules from object_info dumps: widget positions, the folder a combo lists, and each case that
makes that ambiguous, on real dumps (tests/fixtures/object_info/SOURCE.md) and real folder-list
files."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from comfydock_rules.rules import folders
from comfydock_rules.rules.build import build, builtin_path
from comfydock_rules.rules.generate import compare, generate
from comfydock_rules.rules.match import Matcher, Verdict
from comfydock_rules.rules.object_info import parse_object_info, read_object_info

DUMPS = FIXTURES / "object_info"
NAMES = ("comfyui-0.3.65-windows", "comfyui-0.3.14", "redlip-comfyui-0.3.4x")
BUILTIN = build().ruleset
CORE = build([builtin_path("core")], builtin=False).ruleset


def _dump(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DUMPS / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def _lists(tmp_path: Path, lists: dict[str, list[str]], keys: list[str] | None = None,
           directories: dict[str, tuple[str, ...]] | None = None) -> folders.FolderLists:
    """A --models-lists folder written as the server's bodies, then read back."""
    folder = tmp_path / "lists"
    folder.mkdir(parents=True)
    for key, names in lists.items():
        (folder / f"{key}.json").write_text(json.dumps(names), encoding="utf-8")
    if keys is not None:
        (folder / "models.json").write_text(json.dumps(keys), encoding="utf-8")
    return folders.read_models_lists(
        folder, dict(BUILTIN.directories) if directories is None else directories)


def _verdicts(doc: dict[str, Any], lists: folders.FolderLists,
              min_evidence: int = 2) -> dict[tuple[str, str], Verdict]:
    info = parse_object_info(doc, "dump")
    gen = generate(info, lists, min_evidence=min_evidence)
    return {(v.combo.node_type, v.combo.input): v for v in gen.verdicts}


def _with_options(name: str, node: str, inp: str, options: list[str]) -> dict[str, Any]:
    """One real node entry of a dump, its combo offering `options` instead."""
    doc = _dump(name)
    entry = copy.deepcopy(doc[node])
    section = "required" if inp in entry["input"]["required"] else "optional"
    spec = entry["input"][section][inp]
    if isinstance(spec[0], list):
        spec[0] = options
    else:
        spec[1]["options"] = options
    return {node: entry}


@pytest.mark.parametrize("name", NAMES)
def test_widget_positions_agree_with_the_builtin_rules(name: str) -> None:
    info = read_object_info(DUMPS / f"{name}.json")
    compared = 0
    for combo in info.combos:
        for slot in BUILTIN.nodes.get(combo.node_type, ()):
            if slot.input == combo.input:
                assert combo.widget == slot.widget, (combo.node_type, combo.input, combo.why)
                compared += 1
    assert compared >= 25


def test_widget_positions_count_seeds_and_skip_sockets() -> None:
    info = read_object_info(DUMPS / "redlip-comfyui-0.3.4x.json")
    combos = {(c.node_type, c.input): c for c in info.combos}
    # KSampler: seed (+ control_after_generate), steps, cfg, then sampler_name
    assert combos[("KSampler", "sampler_name")].widget == 4
    # TrainLoraNode: 13 widgets before existing_lora (model, latents, positive are sockets)
    assert combos[("TrainLoraNode", "existing_lora")].widget == 13
    # a remote combo (no options) is not a file list
    old = read_object_info(DUMPS / "comfyui-0.3.65-windows.json")
    assert not [c for c in old.combos if c.node_type == "LoadImageOutput"]


@pytest.mark.parametrize("name", NAMES)
def test_core_slots_are_reproduced_and_none_contradicted(name: str, tmp_path: Path) -> None:
    """Every core slot whose folder the dump shows non-empty comes out as the built-in rule
    says; core slots of empty folders stay unconfirmed (no slot from an empty folder)."""
    info = read_object_info(DUMPS / f"{name}.json")
    lists = folders.read_models_lists(DUMPS / f"{name}-models", dict(BUILTIN.directories))
    changes = compare(generate(info, lists), CORE)
    kinds = Counter(c.kind for c in changes if c.node_type in CORE.nodes)
    assert kinds["contradicts"] == 0
    assert kinds["agrees"] >= 5
    for c in changes:
        if c.kind == "unconfirmed" and c.rule is not None:
            key = next(k for k, fs in BUILTIN.directories.items() if fs == c.rule.directories)
            assert not lists.lists.get(key) or c.rule.widget is not None


def test_redlip_core_and_pack_slots(tmp_path: Path) -> None:
    info = read_object_info(DUMPS / "redlip-comfyui-0.3.4x.json")
    lists = folders.read_models_lists(DUMPS / "redlip-comfyui-0.3.4x-models",
                                      dict(BUILTIN.directories))
    gen = generate(info, lists)
    changes = compare(gen, BUILTIN)
    kinds = Counter(c.kind for c in changes)
    assert kinds["contradicts"] == 0
    assert kinds["agrees"] == 48
    new = {(c.node_type, c.verdict.combo.input): c.verdict.directories
           for c in changes if c.kind == "new node type" and c.verdict}
    assert new == {("LoadTextEncoderShared //Inspire", f"model_name{i}"): ("text_encoders",)
                   for i in (1, 2, 3)} | {
        ("LoraLoaderBlockWeight //Inspire", "lora_name"): ("loras",)}


def test_custom_pack_loader_of_an_old_server(tmp_path: Path) -> None:
    info = read_object_info(DUMPS / "comfyui-0.3.14.json")
    lists = folders.read_models_lists(DUMPS / "comfyui-0.3.14-models",
                                      dict(BUILTIN.directories))
    changes = compare(generate(info, lists), BUILTIN)
    new = [c for c in changes if c.kind == "new node type"]
    assert [(c.node_type, c.verdict.directories if c.verdict else ()) for c in new] == [
        ("CustomLoraModelLoader", ("loras",))]


def test_no_slot_from_an_empty_folder(tmp_path: Path) -> None:
    """An empty list is a subset of every list: it never takes part, and an input whose list is
    empty gets no slot."""
    doc = _dump("comfyui-0.3.65-windows")
    lists = _lists(tmp_path, {"loras": [], "vae": [], "ipadapter": [],
                              "checkpoints": _dump("comfyui-0.3.65-windows")[
                                  "CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]},
                   keys=["checkpoints", "loras", "vae", "ipadapter"])
    verdicts = _verdicts(doc, lists)
    assert verdicts[("LoraLoader", "lora_name")].kind == "empty"
    assert verdicts[("UpscaleModelLoader", "model_name")].kind == "empty"  # COMBO, options: []
    for v in verdicts.values():
        if v.kind == "slot":
            assert all(lists.lists[d] for d in v.directories), v
    assert verdicts[("CheckpointLoaderSimple", "ckpt_name")].directories == ("checkpoints",)


def test_alias_folders_with_identical_lists_are_one_folder(tmp_path: Path) -> None:
    """clip and text_encoders (unet and diffusion_models) are one folder under two names."""
    files = ["clip_l.safetensors", "t5xxl_fp16.safetensors"]
    lists = _lists(tmp_path, {"text_encoders": files, "clip": files,
                              "diffusion_models": ["flux1-dev.safetensors", "wan.safetensors"],
                              "unet": ["flux1-dev.safetensors", "wan.safetensors"]})
    doc = _with_options("redlip-comfyui-0.3.4x", "CLIPLoader", "clip_name", files)
    doc |= _with_options("redlip-comfyui-0.3.4x", "UNETLoader", "unet_name",
                         ["flux1-dev.safetensors", "wan.safetensors"])
    verdicts = _verdicts(doc, lists)
    clip = verdicts[("CLIPLoader", "clip_name")]
    assert (clip.kind, clip.directories) == ("slot", ("text_encoders",))
    assert "text_encoders (= clip)" in clip.evidence
    unet = verdicts[("UNETLoader", "unet_name")]
    assert (unet.kind, unet.directories) == ("slot", ("diffusion_models",))


def test_identical_lists_of_different_folders_are_a_tie(tmp_path: Path) -> None:
    files = ["model.safetensors", "model_fp16.safetensors"]
    lists = _lists(tmp_path, {"checkpoints": files, "diffusion_models": files})
    doc = _with_options("redlip-comfyui-0.3.4x", "Checkpoint Loader", "ckpt_name", files)
    v = _verdicts(doc, lists)[("Checkpoint Loader", "ckpt_name")]
    assert v.kind == "unclear"
    assert "checkpoints and of diffusion_models" in v.evidence


def test_extra_entries_become_ignore_values(tmp_path: Path) -> None:
    """VAELoader appends the TAESD names; Easy-Use puts 'Baked VAE' first; TrainLoraNode appends
    '[None]': values that are not files become the slot's ignore values."""
    vae = ["FLUX1/ae.safetensors", "ae.safetensors"]
    lists = _lists(tmp_path, {"vae": vae})
    doc = _with_options("redlip-comfyui-0.3.4x", "VAELoader", "vae_name",
                        [*vae, "taesd", "taesdxl", "taesd3", "taef1", "pixel_space"])
    doc |= {n: _dump("redlip-comfyui-0.3.4x")[n] for n in ("easy fullLoader",)}
    verdicts = _verdicts(doc, lists)
    v = verdicts[("VAELoader", "vae_name")]
    assert (v.kind, v.directories) == ("slot", ("vae",))
    assert v.ignore == ("pixel_space", "taef1", "taesd", "taesd3", "taesdxl")
    baked = verdicts[("easy fullLoader", "vae_name")]
    assert (baked.kind, baked.ignore) == ("slot", ("Baked VAE",))
    loras = _dump("redlip-comfyui-0.3.4x")["LoraLoader"]["input"]["required"]["lora_name"][0]
    train = _verdicts({"TrainLoraNode": _dump("redlip-comfyui-0.3.4x")["TrainLoraNode"]},
                      _lists(tmp_path / "t", {"loras": loras}))[("TrainLoraNode", "existing_lora")]
    assert (train.kind, train.ignore) == ("slot", ("[None]",))


def test_lists_filtered_by_extension(tmp_path: Path) -> None:
    """One folder, two loaders: the .gguf files for the GGUF loader (the slot keeps the
    extension), the rest for UNETLoader (ComfyUI's own filter: no extension needed)."""
    files = ["flux1-dev.safetensors", "wan2.1.safetensors", "flux1-dev-Q8_0.gguf",
             "wan-Q4_K_M.gguf"]
    lists = _lists(tmp_path, {"diffusion_models": files})
    doc = _with_options("redlip-comfyui-0.3.4x", "UNETLoader", "unet_name",
                        [f for f in files if f.endswith(".safetensors")])
    doc |= _with_options("redlip-comfyui-0.3.4x", "UnetLoaderGGUF", "unet_name",
                         [f for f in files if f.endswith(".gguf")])
    verdicts = _verdicts(doc, lists)
    unet = verdicts[("UNETLoader", "unet_name")]
    assert (unet.kind, unet.directories, unet.extensions) == ("slot", ("diffusion_models",), ())
    gguf = verdicts[("UnetLoaderGGUF", "unet_name")]
    assert (gguf.kind, gguf.directories, gguf.extensions) == (
        "slot", ("diffusion_models",), (".gguf",))


def test_list_filtered_by_name_is_not_a_slot(tmp_path: Path) -> None:
    """Easy-Use's svdLoader keeps the checkpoints whose name holds 'svd': a subset no filter by
    extension explains could as well be another folder's files: no slot, a candidate."""
    ckpts = ["sd_xl_base_1.0.safetensors", "svd.safetensors", "svd_xt.safetensors",
             "v1-5-pruned-emaonly.safetensors"]
    lists = _lists(tmp_path, {"checkpoints": ckpts})
    doc = _with_options("redlip-comfyui-0.3.4x", "Checkpoint Loader", "ckpt_name",
                        ["svd.safetensors", "svd_xt.safetensors"])
    v = _verdicts(doc, lists)[("Checkpoint Loader", "ckpt_name")]
    assert v.kind == "unclear"
    assert v.candidates == ("checkpoints: 2 of 2 options, 2 of 4 files",)


def test_merged_lists_give_two_directories(tmp_path: Path) -> None:
    """CLIPLoaderGGUF lists clip + clip_gguf; Easy-Use's cascadeLoader lists unet then
    checkpoints, unsorted: both folders, in the order the options show them."""
    lists = folders.read_models_lists(DUMPS / "redlip-comfyui-0.3.4x-models",
                                      dict(BUILTIN.directories))
    info = read_object_info(DUMPS / "redlip-comfyui-0.3.4x.json")
    gen = {(v.combo.node_type, v.combo.input): v for v in generate(info, lists).verdicts}
    assert gen[("CLIPLoaderGGUF", "clip_name")].directories == ("text_encoders", "clip_gguf")
    unet = ["stage_b.safetensors", "stage_c.safetensors"]
    ckpt = ["a-checkpoint.safetensors", "z-checkpoint.safetensors"]
    cascade = _with_options("redlip-comfyui-0.3.4x", "easy cascadeLoader", "stage_c",
                            unet + ckpt)
    both = _lists(tmp_path, {"diffusion_models": unet, "checkpoints": ckpt})
    v = _verdicts(cascade, both)[("easy cascadeLoader", "stage_c")]
    assert (v.kind, v.directories) == ("slot", ("diffusion_models", "checkpoints"))


def test_prefixed_lists_resolve_under_the_parent_folder(tmp_path: Path) -> None:
    """Impact Subpack lists `bbox/x` and `segm/y` of the keys ultralytics_bbox and
    ultralytics_segm: without a list for `ultralytics` itself, the slot names the parent."""
    src = DUMPS / "redlip-comfyui-0.3.4x-models"
    lists = {k: json.loads((src / f"{k}.json").read_text(encoding="utf-8"))
             for k in ("ultralytics_bbox", "ultralytics_segm")}
    doc = {"UltralyticsDetectorProvider": _dump("redlip-comfyui-0.3.4x")[
        "UltralyticsDetectorProvider"]}
    v = _verdicts(doc, _lists(tmp_path, lists))[("UltralyticsDetectorProvider", "model_name")]
    assert (v.kind, v.directories) == ("slot", ("ultralytics",))
    assert "each under its subfolder of ultralytics" in v.evidence
    # the folders of those keys unknown (no rule set defines them): no guess
    unknown = _lists(tmp_path / "u", lists, directories={})
    v = _verdicts(doc, unknown)[("UltralyticsDetectorProvider", "model_name")]
    assert v.kind == "unclear"
    assert "its folder is not known" in v.evidence


def test_partial_overlap_is_not_a_slot(tmp_path: Path) -> None:
    """IPAdapter models that also sit in loras: a share of one list is no slot."""
    loras = ["detail.safetensors", "ip-adapter-faceid_sd15_lora.safetensors",
             "style.safetensors"]
    lists = _lists(tmp_path, {"loras": loras})
    doc = _with_options("comfyui-0.3.14", "IPAdapterModelLoader", "ipadapter_file",
                        ["ip-adapter-faceid_sd15_lora.safetensors", "ip-adapter_sd15.bin",
                         "ip-adapter-plus_sdxl_vit-h.safetensors"])
    v = _verdicts(doc, lists)[("IPAdapterModelLoader", "ipadapter_file")]
    assert v.kind == "unclear"
    assert v.candidates == ("loras: 1 of 3 options, 1 of 3 files",)


def test_a_single_file_is_too_little_evidence(tmp_path: Path) -> None:
    lists = folders.read_models_lists(DUMPS / "redlip-comfyui-0.3.4x-models",
                                      dict(BUILTIN.directories))
    info = read_object_info(DUMPS / "redlip-comfyui-0.3.4x.json")
    strict = {(v.combo.node_type, v.combo.input): v for v in generate(info, lists).verdicts}
    v = strict[("ControlNetLoader", "control_net_name")]
    assert v.kind == "unclear" and "--min-evidence 1" in v.evidence
    loose = {(v.combo.node_type, v.combo.input): v
             for v in generate(info, lists, min_evidence=1).verdicts}
    assert loose[("ControlNetLoader", "control_net_name")].directories == ("controlnet",)


def test_windows_separators(tmp_path: Path) -> None:
    info = read_object_info(DUMPS / "comfyui-0.3.65-windows.json")
    lists = folders.read_models_lists(DUMPS / "comfyui-0.3.65-windows-models",
                                      dict(BUILTIN.directories))
    v = {(v.combo.node_type, v.combo.input): v for v in generate(info, lists).verdicts}[
        ("UNETLoader", "unet_name")]
    assert (v.kind, v.directories) == ("slot", ("diffusion_models",))
    assert v.evidence.startswith("7 of 7 options")


def test_lists_saved_at_different_times_still_match(tmp_path: Path) -> None:
    loras = _dump("redlip-comfyui-0.3.4x")["LoraLoader"]["input"]["required"]["lora_name"][0]
    lists = _lists(tmp_path, {"loras": [*loras, "added-later.safetensors"]})
    v = _verdicts({"LoraLoader": _dump("redlip-comfyui-0.3.4x")["LoraLoader"]}, lists)[
        ("LoraLoader", "lora_name")]
    assert (v.kind, v.directories) == ("slot", ("loras",))
    assert "different times" in v.evidence


def test_anchors_give_the_lists_without_any_folder_lists() -> None:
    info = read_object_info(DUMPS / "redlip-comfyui-0.3.4x.json")
    lists = folders.lists_from_anchors(info.combos, dict(BUILTIN.directories))
    assert lists.lists["loras"] == tuple(sorted(lists.lists["loras"]))
    assert len(lists.lists["loras"]) == 22 and lists.lists["checkpoints"] == ()
    changes = compare(generate(info, lists), CORE)
    assert not [c for c in changes if c.kind == "contradicts"]


def test_matcher_ignores_empty_lists_entirely(tmp_path: Path) -> None:
    lists = _lists(tmp_path, {"loras": ["a.safetensors", "b.safetensors"], "vae": []})
    matcher = Matcher(lists)
    assert [g.name for g in matcher.groups] == ["loras"]
