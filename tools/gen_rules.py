"""Write rules/core.yaml and rules/custom-nodes.yaml from the corpus tables.

A development script, not part of the package: the YAML files are the shipped artefact and are
reviewed as such. Run from the repository root:

    python tools/gen_rules.py [CORPUS_DIR]

CORPUS_DIR defaults to ../shared/corpus. tools/data/audited_loader_nodes.csv (same columns as
the corpus's custom_loader_nodes.csv) adds the pack loaders found by the audit against the
frontend's and ComfyGit's maps (tools/audit_maps.py); a row without an input is a node type that
names no model file (`NodeType: []`). The output is deterministic.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDITED = REPO / "tools" / "data" / "audited_loader_nodes.csv"
COMFY = "comfyanonymous/ComfyUI@a125cd8"
HEADER = "# yaml-language-server: $schema=../schemas/rules.schema.json\n"

# Core node types whose string widgets hold or pass on text: never `no_rule` references.
CORE_TEXT_NODES: tuple[str, ...] = (
    "CLIPTextEncode", "CLIPTextEncodeFlux", "CLIPTextEncodeSDXL", "MarkdownNote", "Note",
    "PrimitiveNode", "PrimitiveString", "PrimitiveStringMultiline", "Reroute",
    "StringConcatenate",
)
CUSTOM_TEXT_NODES: tuple[str, ...] = ("ShowText|pysssss",)

# File stems libraries and trainers give every model they write, with where each is fixed.
CORE_GENERIC_NAMES: tuple[tuple[str, str], ...] = (
    ("adapter_model", "huggingface/peft@00073fe src/peft/utils/constants.py"),
    ("diffusion_pytorch_model", "huggingface/diffusers@031aab3 src/diffusers/utils/constants.py"),
    ("epoch", "kohya-ss/sd-scripts@6edbe00 library/train_util.py DEFAULT_EPOCH_NAME"),
    ("last", "kohya-ss/sd-scripts@6edbe00 library/train_util.py; ultralytics@3c5ac61 trainer.py"),
    ("best", "ultralytics/ultralytics@3c5ac61 ultralytics/engine/trainer.py"),
    ("lora_model", "willmiao/ComfyUI-Lora-Manager#54: many LoRAs named Lora-model"),
    ("model", "huggingface/transformers@0052613 src/transformers/utils/__init__.py"),
    ("mp_rank_00_model_states", "Tencent/HunyuanVideo@18c3689 ckpts/README.md (DeepSpeed)"),
    ("open_clip_model", "mlfoundations/open_clip src/open_clip/constants.py"),
    ("open_clip_pytorch_model", "mlfoundations/open_clip src/open_clip/constants.py"),
    ("pytorch_lora_weights", "huggingface/diffusers@7d56827 src/diffusers/loaders/lora_base.py"),
    ("pytorch_model", "huggingface/transformers@0052613 src/transformers/utils/__init__.py"),
)

# ComfyUI folder_paths keys -> folders under the models root, in ComfyUI's search order.
CORE_DIRECTORIES: dict[str, list[str]] = {
    "audio_encoders": ["audio_encoders"],
    "checkpoints": ["checkpoints"],
    "classifiers": ["classifiers"],
    "clip": ["text_encoders", "clip"],
    "clip_vision": ["clip_vision"],
    "configs": ["configs"],
    "controlnet": ["controlnet", "t2i_adapter"],
    "diffusers": ["diffusers"],
    "diffusion_models": ["diffusion_models", "unet"],
    "embeddings": ["embeddings"],
    "gligen": ["gligen"],
    "hypernetworks": ["hypernetworks"],
    "loras": ["loras"],
    "model_patches": ["model_patches"],
    "photomaker": ["photomaker"],
    "style_models": ["style_models"],
    "t2i_adapter": ["controlnet", "t2i_adapter"],
    "text_encoders": ["text_encoders", "clip"],
    "unet": ["diffusion_models", "unet"],
    "upscale_models": ["upscale_models"],
    "vae": ["vae"],
    "vae_approx": ["vae_approx"],
    # Newer than ComfyUI a125cd8; seen in the Oct 2026 templates.
    "background_removal": ["background_removal"],
    "detection": ["detection"],
    "frame_interpolation": ["frame_interpolation"],
    "geometry_estimation": ["geometry_estimation"],
    "latent_upscale_models": ["latent_upscale_models"],
    "optical_flow": ["optical_flow"],
}

# (node_type, input, widget, directory, note) newer than the CSV's ComfyUI commit; widget index
# and directory as observed in the 2026-10 templates (truth.jsonl).
NEWER_CORE = [
    ("ConditioningLoader", "conditioning_name", 0, "embeddings", None),
    ("FrameInterpolationModelLoader", "model_name", 0, "frame_interpolation", None),
    ("LTXAVTextEncoderLoader", "text_encoder", 0, "text_encoders", None),
    ("LTXAVTextEncoderLoader", "ckpt_name", 1, "checkpoints", None),
    ("LTXVAudioVAELoader", "ckpt_name", 0, "checkpoints", None),
    ("LatentUpscaleModelLoader", "model_name", 0, "latent_upscale_models", None),
    ("LoadBackgroundRemovalModel", "bg_removal_name", 0, "background_removal", None),
    ("LoadDA3Model", "model_name", 0, "geometry_estimation", None),
    ("LoadMoGeModel", "model_name", 0, "geometry_estimation", None),
    ("OpticalFlowLoader", "model_name", 0, "optical_flow", None),
    ("SAM3DBody_Loader", "model_name", 0, "detection",
     "input name not confirmed against ComfyUI source; the widget index is"),
]

# (node_type, input, widget, directory, skip reason, source file) of core nodes whose value is
# not a model file under the models root: known node types, never resolved.
CORE_SKIPS = [
    ("DiffusersLoader", "model_path", 0, "diffusers",
     "dir-name: value is a diffusers model directory (any depth below a diffusers folder, "
     "holding model_index.json), not a file", "nodes.py"),
]

VAE_BUILTINS = ["pixel_space", "taef1", "taesd", "taesd3", "taesdxl"]

# Pack-registered folder_paths keys -> folders under the models root.
CUSTOM_DIRECTORIES: dict[str, list[str]] = {
    "BEN": ["BEN"],
    "LLM": ["LLM"],
    "animatediff_models": ["animatediff_models"],
    "animatediff_motion_lora": ["animatediff_motion_lora"],
    "birefnet_pth": ["BiRefNet/pth"],
    "chatglm3": ["LLM/checkpoints"],
    "clip_gguf": ["text_encoders", "clip"],
    "clip_seg": ["clip_seg"],
    "facerestore_models": ["facerestore_models"],
    "inpaint": ["inpaint"],
    "insightface": ["insightface"],
    "instantid": ["instantid"],
    "ipadapter": ["ipadapter"],
    "llm": ["LLM"],
    "nlf": ["nlf"],
    "onnx": ["onnx"],
    "pulid": ["pulid"],
    "reactor_faces": ["reactor/faces"],
    "reswapper": ["reswapper"],
    "sam2": ["sam2"],
    "sams": ["sams"],
    "t5": ["t5"],
    "transparent_background": ["transparent-background"],
    "ultralytics": ["ultralytics"],
    "ultralytics_bbox": ["ultralytics/bbox"],
    "ultralytics_segm": ["ultralytics/segm"],
    "ultrashape": ["UltraShape"],
    "unet_gguf": ["diffusion_models", "unet"],
    "xlabs_controlnets": ["xlabs/controlnets"],
    "xlabs_ipadapters": ["xlabs/ipadapters"],
    "xlabs_loras": ["xlabs/loras"],
    "yolo": ["yolo"],
}
# Folders whose loaders list only these extensions (the pack globs for them).
ONLY_EXTENSIONS = {
    "unet_gguf": [".gguf"], "clip_gguf": [".gguf"], "onnx": [".onnx"], "BEN": [".pth"],
    "birefnet_pth": [".pth"], "transparent_background": [".pth"], "yolo": [".pt"],
    "ultrashape": [".ckpt", ".pt", ".safetensors"],
}


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def flow_list(items: list[str]) -> str:
    return "[" + ", ".join(q(i) if not re.fullmatch(r"[A-Za-z_][\w.-]*", i) else i
                           for i in items) + "]"


def slot_line(fields: list[tuple[str, str]]) -> str:
    return "    - {" + ", ".join(f"{k}: {v}" for k, v in fields) + "}\n"


def directories_block(dirs: dict[str, list[str]]) -> str:
    out = "directories:\n"
    for name in sorted(dirs):
        out += f"  {name}: {flow_list(dirs[name])}\n"
    return out


def core(corpus: Path) -> str:
    rows = list(csv.DictReader((corpus / "comfyui_loader_nodes.csv").open(encoding="utf-8")))
    by_node: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_node[r["node_type"]].append(r)
    for node, inp, widget, directory, note in NEWER_CORE:
        by_node[node].append({"node_type": node, "input_name": inp, "widget_index": str(widget),
                              "category": directory, "source_file": "", "note": note or ""})
    for node, inp, widget, directory, skip, source_file in CORE_SKIPS:
        by_node[node].append({"node_type": node, "input_name": inp, "widget_index": str(widget),
                              "category": directory, "source_file": source_file, "skip": skip})
    out = HEADER
    out += (
        "# Built-in rule set `core`: the loader nodes of ComfyUI itself.\n"
        f"# Rows with a source file were read from {COMFY} (comfyui_loader_nodes.csv of the\n"
        "# shared corpus); rows marked 'observed' are newer node types, as the Oct 2026\n"
        "# workflow templates store them. Generated by tools/gen_rules.py.\n"
        "version: 1\n"
        "extends: []\n"
        "description: ComfyUI core loader nodes and folder aliases\n\n"
        "# folder_paths keys -> folders under the models root, in search order; `clip`, `unet`\n"
        "# and `t2i_adapter` are ComfyUI's legacy names of the same folders.\n"
    )
    out += directories_block(CORE_DIRECTORIES)
    out += (
        "\nmatch:\n"
        "  suggest_min: 0.75\n"
        "  auto_pick: {min_score: 0.92, min_margin: 0.05, "
        "methods: [hash, filename, casefold, similar]}\n"
        "  protected: [precision, version, size, variant]\n\n"
        "# Values that are never files: empty, ComfyUI's \"None\" choice, and blank (a value of\n"
        "# only whitespace, matched whole).\n"
        "ignore: {values: [\"\", \"None\"], patterns: ['\\s+']}\n\n"
        "# Node types whose string widgets hold or pass on text (copies of values, prompts,\n"
        "# notes): their values are never reported as `no_rule` model references.\n"
        "text_nodes:\n"
        + "".join(f"  - {name}\n" for name in sorted(CORE_TEXT_NODES))
        + "\n"
        "# File stems libraries and trainers give every model they write: for a file of such a\n"
        "# name the folder is part of its identity (docs/matching.md, \"Generic file names\").\n"
        "# Case, separators, precision tokens (model_fp16), shard (-00001-of-00002) and counter\n"
        "# suffixes (last-000004) do not matter. Files add to the list.\n"
        "generic_names:\n"
        + "".join(f"  - {name:<26}# {source}\n"
                  for name, source in sorted(CORE_GENERIC_NAMES))
        + "\n"
        "gate: {fail_on: [missing, ambiguous]}\n\n"
        "nodes:\n"
    )
    for node in sorted(by_node):
        out += f"  {node}:\n"
        for r in sorted(by_node[node], key=lambda r: int(r["widget_index"])):
            fields = [("widget", r["widget_index"]), ("input", r["input_name"]),
                      ("directories", f"[{r['category']}]")]
            if r["category"] == "configs":
                fields.append(("extensions", "[.yaml]"))
            if node == "VAELoader":
                fields.append(("ignore", "{values: " + flow_list(VAE_BUILTINS) + "}"))
            if r.get("skip"):
                fields.append(("skip", q(r["skip"])))
            src = (f"{COMFY} {r['source_file']}" if r["source_file"]
                   else "observed in workflow_templates 2026-10")
            fields.append(("source", q(src)))
            if r.get("note"):
                fields.append(("note", q(r["note"])))
            out += slot_line(fields)
    return out


def custom(corpus: Path) -> str:
    rows = list(csv.DictReader((corpus / "custom_loader_nodes.csv").open(encoding="utf-8")))
    rows += list(csv.DictReader(AUDITED.open(encoding="utf-8")))
    packs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        packs[r["pack"]].append(r)
    out = HEADER
    out += (
        "# Built-in rule set `custom-nodes`: loaders of popular custom node packs.\n"
        "# Every slot's `source` names the pack repository and the commit its input names,\n"
        "# widget positions and folders were read from (custom_loader_nodes.csv of the shared\n"
        "# corpus, and tools/data/audited_loader_nodes.csv). Generated by tools/gen_rules.py.\n"
        "# `NodeType: []` marks a node type that names no model file (it downloads or\n"
        "# auto-loads its weights without a file widget).\n"
        "#\n"
        "# Slots whose value is not a model file under the models root carry `skip: <why>`:\n"
        "# the node type stays known (no `no_rule` flag) but the value is never resolved, so it\n"
        "# is never reported missing. That covers Hugging Face repo ids (hf-repo-id), directory\n"
        "# names (dir-name) and hard-coded names a pack downloads itself (fixed-list).\n"
        "# Helper combos (\"Select to add LoRA\") are resolved; their placeholder is ignored.\n"
        "version: 1\n"
        "extends: [core]\n"
        "description: loaders of popular ComfyUI custom node packs\n\n"
        "# Folders packs register with folder_paths. A folder with a '/' is a subfolder of the\n"
        "# models root: `xlabs_loras` files are xlabs/loras/<value>. Impact Pack's\n"
        "# UltralyticsDetectorProvider stores values with a prefix (bbox/face.pt), so its slot\n"
        "# searches the parent folder `ultralytics`, giving ultralytics/bbox/face.pt.\n"
    )
    out += directories_block(CUSTOM_DIRECTORIES)
    out += "\n# Pack node types that only show or pass on text.\ntext_nodes:\n"
    out += "".join(f"  - {q(name)}\n" for name in sorted(CUSTOM_TEXT_NODES))
    out += "\nnodes:\n"
    for pack in sorted(packs, key=str.casefold):
        prs = packs[pack]
        out += f"\n  # ---- {pack}: https://github.com/{prs[0]['repo']} @ {prs[0]['commit']}\n"
        by_node: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in prs:
            by_node[r["node_type"]].append(r)
        for node in sorted(by_node):
            slots = [r for r in by_node[node] if r["input_name"] or r["widget_index"]]
            if not slots:
                r = by_node[node][0]
                out += (f"  {q(node)}: []  # {r['notes'].split(' (')[0]} "
                        f"({r['repo']}@{r['commit'][:12]})\n")
                continue
            out += f"  {q(node)}:\n"
            for r in sorted(slots, key=lambda r: int(r["widget_index"] or -1)):
                out += slot_line(custom_slot(r))
    return out


def custom_slot(r: dict[str, str]) -> list[tuple[str, str]]:
    notes = r["notes"]
    folders = [f for f in r["folders"].split(";") if f]
    fields: list[tuple[str, str]] = []
    if notes.startswith("dict-widget"):
        fields += [("widget", "null"), ("input", "null"), ("dict_key", "lora")]
    else:
        fields += [("widget", r["widget_index"]), ("input", q(r["input_name"]))]
    skip = None
    for tag in ("fixed-list", "hf-repo-id", "dir-name"):
        if notes.startswith(tag):
            skip = notes.split(";")[0]
    helper = None
    if skip is None and "helper combo" in notes:
        # The stored value is normally the placeholder (ignored below); a real LoRA name left
        # there is still a file the user chose, so it is resolved like any other slot.
        helper = "helper combo: " + notes.split("helper combo:")[1].split(";")[0].strip()
    if not folders and skip is None:
        skip = "no models folder: " + notes.split(";")[0]
    dirs = ["reactor_faces" if f == "reactor/faces" else f for f in folders]
    if notes.startswith("values carry a folder prefix"):
        dirs = ["ultralytics"]
    fields.append(("directories", flow_list(dirs)))
    exts = sorted({e for f in folders for e in ONLY_EXTENSIONS.get(f, [])})
    if exts and all(f in ONLY_EXTENSIONS for f in folders):
        fields.append(("extensions", flow_list(exts)))
    m = re.search(r"extra option values: ((?:'[^']*'(?:, )?)+)", notes)
    if m:
        values = sorted(set(re.findall(r"'([^']*)'", m.group(1))) - {"None", ""})
        if values:
            fields.append(("ignore", "{values: " + flow_list(values) + "}"))
    if skip:
        fields.append(("skip", q(skip)))
    if helper:
        fields.append(("note", q(helper)))
    fields.append(("source", q(f"{r['repo']}@{r['commit'][:12]}")))
    return fields


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpus"
    (REPO / "rules" / "core.yaml").write_text(core(corpus), encoding="utf-8")
    (REPO / "rules" / "custom-nodes.yaml").write_text(custom(corpus), encoding="utf-8")


if __name__ == "__main__":
    main()
