"""The file list of each ComfyUI folder key: what a loader's combo offers is matched against them.

Three sources, in order of preference:

- `--models-lists DIR`: what the server itself answers. `DIR/<key>.json` is the body of
  `GET /models/<key>` (ComfyUI server.py: `folder_paths.get_filename_list(key)`, a sorted JSON
  array of paths relative to the folder), and `DIR/models.json` the body of `GET /models` (every
  registered key, empty ones included). A `.txt` file with one name per line also works. Keys
  are the current names: `/models/clip` and `/models/unet` are 404, use text_encoders and
  diffusion_models.
- the index, when the dump came from this machine: each key's folders (from the rule sets'
  `directories`, and every top-level folder of the index as a key of its own name) listed the
  way get_filename_list lists them.
- anchors: with neither, the lists of core loaders that load exactly one key (nodes.py).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import ModelFile
from comfydock_rules.printable import printable
from comfydock_rules.rules.object_info import ComboInput

MAX_LIST_BYTES = 64 * 1024 * 1024
MAX_KEYS = 4096
KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\- ]{0,127}")
"""What a folder key may look like here (ComfyUI's are identifiers); others are left out."""

# (node type, input) -> the folder key ComfyUI fills that combo from, for core loaders that
# list exactly one key (ComfyUI nodes.py and comfy_extras; see docs/rules.md).
ANCHORS: dict[tuple[str, str], str] = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("CheckpointLoader", "config_name"): "configs",
    ("LoraLoader", "lora_name"): "loras",
    ("VAELoader", "vae_name"): "vae",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("StyleModelLoader", "style_model_name"): "style_models",
    ("GLIGENLoader", "gligen_name"): "gligen",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("HypernetworkLoader", "hypernetwork_name"): "hypernetworks",
    ("PhotoMakerLoader", "photomaker_model_name"): "photomaker",
    ("ModelPatchLoader", "name"): "model_patches",
    ("AudioEncoderLoader", "audio_encoder_name"): "audio_encoders",
}
# Names VAELoader appends to the vae folder's list (nodes.py: vae_list), never files.
VAE_BUILTINS = frozenset({"taesd", "taesdxl", "taesd3", "taef1", "pixel_space"})


@dataclass(frozen=True)
class FolderLists:
    lists: Mapping[str, tuple[str, ...]]
    """Folder key -> its file names, '/'-separated, sorted; empty folders included."""
    origin: str
    """Where the lists came from, for the generated file's header."""
    complete: bool
    """True when every folder the server knows is listed (models.json, or the index): a file
    name in no list is then not under the models root at all."""
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Key -> folders under the models root, where known (rule sets, index)."""
    warnings: tuple[str, ...] = ()


def normalise(name: str) -> str:
    """Windows servers send '\\' separators (os.path.relpath); compare with '/'."""
    return name.replace("\\", "/")


def read_models_lists(folder: Path, directories: Mapping[str, tuple[str, ...]]) -> FolderLists:
    """The `--models-lists DIR` format (module docstring)."""
    display = os.fspath(folder)
    if not folder.is_dir():
        raise ToolInputError("--models-lists: not a folder", display,
                             hint="give a folder holding <key>.json files (GET /models/<key>)")
    keys: list[str] | None = None
    index = folder / "models.json"
    if index.is_file():
        keys = [k for k in _read_names(index) if KEY.fullmatch(k)]
    lists: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = []
    files = sorted(p for p in folder.iterdir()
                   if p.suffix in (".json", ".txt") and p.name != "models.json")
    if len(files) > MAX_KEYS:
        raise ToolInputError(f"--models-lists: {len(files)} files, more than {MAX_KEYS}",
                             display)
    for path in files:
        key = path.stem
        if not KEY.fullmatch(key):
            warnings.append(f"{display}: {printable(path.name)} is not named as a folder key; "
                            "left out")
            continue
        if key in lists:
            raise ToolInputError(f"two lists for folder key '{key}' (.json and .txt)",
                                 os.fspath(path))
        lists[key] = tuple(sorted({normalise(n) for n in _read_names(path) if n}))
    for legacy, current in (("clip", "text_encoders"), ("unet", "diffusion_models")):
        if legacy in lists and keys is not None and legacy not in keys:
            warnings.append(f"{display}/{legacy}.*: ComfyUI answers /models/{legacy} with 404; "
                            f"its files are listed under {current}")
    if keys is not None:
        for key in keys:
            if key not in lists:
                warnings.append(f"{display}: GET /models names '{key}' but there is no "
                                f"{key}.json; inputs loading from it cannot be matched")
    return FolderLists(lists, f"the folder lists in {display}", keys is not None,
                       dict(directories), tuple(warnings))


def _read_names(path: Path) -> list[str]:
    display = os.fspath(path)
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise ToolInputError(f"more than {MAX_LIST_BYTES} bytes", display)
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ToolInputError(f"cannot read folder list: {exc.strerror}", display) from None
    except UnicodeDecodeError:
        raise ToolInputError("folder list is not UTF-8 text", display) from None
    if path.suffix == ".txt":
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolInputError(f"not JSON: {exc.msg}", display, exc.lineno, exc.colno,
                             hint="save the body of GET /models/<key> as it is") from None
    if not isinstance(doc, list) or not all(isinstance(n, str) for n in doc):
        raise ToolInputError("expected a JSON array of names (the body of GET /models/<key>)",
                             display)
    return doc


def lists_from_index(files: Sequence[ModelFile], directories: Mapping[str, tuple[str, ...]],
                     display: str) -> FolderLists:
    """Each key's folders listed as get_filename_list would list them on this machine."""
    tops = {f.directory for f in files}
    folders = dict(directories)
    for top in tops:
        if KEY.fullmatch(top) and top not in folders and not any(
                top in fs for fs in directories.values()):
            folders[top] = (top,)
    by_top: dict[str, list[str]] = {}
    for f in files:
        by_top.setdefault(f.directory, []).append(f.relative_path)
    by_folder: dict[str, set[str]] = {}
    for folder in {folder for fs in folders.values() for folder in fs}:
        prefix = folder + "/"
        by_folder[folder] = {p[len(prefix):] for p in by_top.get(folder.split("/")[0], ())
                             if p.startswith(prefix)}
    lists = {key: tuple(sorted(set().union(*(by_folder.get(f, set()) for f in fs))))
             for key, fs in folders.items()}
    return FolderLists(lists, f"the index {display}", True, folders)


def lists_from_anchors(combos: Iterable[ComboInput],
                       directories: Mapping[str, tuple[str, ...]]) -> FolderLists:
    """Folder lists read off the core loaders that list exactly one key."""
    lists: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = []
    for combo in combos:
        key = ANCHORS.get((combo.node_type, combo.input))
        if key is None:
            continue
        names = {normalise(o) for o in combo.options}
        if key == "vae":
            names -= VAE_BUILTINS
        listed = tuple(sorted(names))
        if key in lists and lists[key] != listed:
            warnings.append(f"{combo.node_type}.{combo.input} lists other {key} files than "
                            "another core loader; that folder is left out")
            lists[key] = ()
        else:
            lists[key] = listed
    return FolderLists(lists, "the core loaders of the dump (no folder lists given)", False,
                       dict(directories), tuple(warnings))
