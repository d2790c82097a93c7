"""A synthetic models library with labelled scenarios, built deterministically from a seed.

Every distinct truth model (declared directory, name) of the corpus gets one scenario, which
decides what of it is put into the library; distractors from ComfyUI-Manager's model list and
generated look-alike names fill each directory to a realistic size. Same seed, same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .names import benign_renames, confusable_variants, look_alike, norm_key

SCENARIOS: tuple[str, ...] = (
    "present", "subfolder", "renamed", "wrong_directory", "confusable", "absent",
)

# ComfyUI folder_paths: a loader of the first directory also lists files of the others.
ALIASES: dict[str, tuple[str, ...]] = {
    "text_encoders": ("text_encoders", "clip"),
    "diffusion_models": ("diffusion_models", "unet"),
    "controlnet": ("controlnet", "t2i_adapter"),
}

# Places a file commonly lands by mistake.
WRONG_DIRECTORIES: tuple[str, ...] = (
    "checkpoints", "diffusion_models", "loras", "vae", "text_encoders", "controlnet",
)

SUBFOLDERS: tuple[str, ...] = (
    "SDXL", "flux", "Wan", "qwen", "downloads", "Kijai", "comfy-org", "my models", "old", "video",
)

# Total files per directory the library aims for (scaled by `scale`).
DIRECTORY_SIZES: dict[str, int] = {
    "loras": 300, "diffusion_models": 160, "checkpoints": 120, "controlnet": 90,
    "text_encoders": 70, "vae": 45, "upscale_models": 25, "embeddings": 20, "clip_vision": 15,
    "model_patches": 15, "latent_upscale_models": 12, "audio_encoders": 10,
}
DEFAULT_DIRECTORY_SIZE = 8

DEFAULT_TYPE_DIRECTORIES = {
    "upscale": "upscale_models", "clip": "text_encoders", "VAE": "vae",
    "diffusion_model": "diffusion_models",
}


def allowed_directories(directory: str) -> tuple[str, ...]:
    return ALIASES.get(directory, (directory,))


def label_lookup_directory(ref: Mapping[str, Any],
                           directories: Mapping[tuple[str, str, str], str]) -> str | None:
    """The declared directory of a report reference, from truth rows of its workflow."""
    return directories.get((ref["workflow"], ref["node_type"], ref["value"]))


@dataclass(frozen=True)
class Label:
    """What the library holds for one truth model, and so what a correct report says."""

    directory: str
    name: str
    scenario: str
    detail: str = ""
    """Rename kind, variant token class, subfolder or wrong directory."""
    target: str | None = None
    """relative_path of the model's own file, wherever it was put; None when absent."""
    variant: str | None = None
    """relative_path of the confusable model standing in for it (scenario `confusable`)."""


@dataclass(frozen=True)
class LibraryFile:
    relative_path: str
    role: str
    """target, variant, distractor or `lookalike (<kind>)` (names.look_alike)."""
    origin: str = ""
    """The truth name a target / variant stands for, or the name a look-alike was made from."""


@dataclass
class Library:
    seed: int
    labels: list[Label] = field(default_factory=list)
    files: list[LibraryFile] = field(default_factory=list)

    def label_for(self) -> dict[tuple[str, str], Label]:
        return {(lab.directory, lab.name): lab for lab in self.labels}

    def to_json(self) -> str:
        data = {
            "seed": self.seed,
            "labels": [asdict(lab) for lab in self.labels],
            "files": [asdict(f) for f in self.files],
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"


def read_truth_models(corpus: Path) -> list[tuple[str, str]]:
    models: set[tuple[str, str]] = set()
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            models.add((row["directory"], row["model_name"]))
    return sorted(models)


def read_distractors(corpus: Path) -> list[str]:
    """model_list.csv entries as relative paths (`save_path/filename`)."""
    out: set[str] = set()
    with open(corpus / "model_list.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name, save_path = row["filename"], row["save_path"]
            if "<" in name or "/" in name or save_path == "diffusers":
                continue
            if save_path == "default":
                save_path = DEFAULT_TYPE_DIRECTORIES.get(row["type"], "")
                if not save_path:
                    continue
            out.add(f"{save_path}/{name}")
    return sorted(out)


class _Placer:
    """Keeps relative paths unique (also by case, as on Windows and macOS)."""

    def __init__(self) -> None:
        self.files: list[LibraryFile] = []
        self._taken: set[str] = set()

    def free(self, relative_path: str) -> bool:
        return relative_path.casefold() not in self._taken

    def put(self, relative_path: str, role: str, origin: str = "") -> None:
        self._taken.add(relative_path.casefold())
        self.files.append(LibraryFile(relative_path, role, origin))


def build_library(corpus: Path, seed: int, scale: float = 1.0) -> Library:
    """Plan the library for a seed: labels and the files to write (no I/O besides reading)."""
    rng = random.Random(f"comfydock-accuracy:{seed}")
    models = read_truth_models(corpus)
    truth_keys = {norm_key(name) for _, name in models}
    # One scenario per name key, so that copies of one name in two directories agree.
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for directory, name in models:
        groups[norm_key(name)].append((directory, name))
    keys = sorted(groups)
    rng.shuffle(keys)

    variants: dict[str, tuple[str, str]] = {}
    for key in keys:
        name = groups[key][0][1]
        options = [(cls, v) for cls, v in confusable_variants(name)
                   if norm_key(v) not in truth_keys]
        if options:
            variants[key] = rng.choice(options)

    # Confusable first (only some names qualify), then the rest in turn.
    share = len(keys) // len(SCENARIOS)
    scenario_of: dict[str, str] = {}
    for key in [k for k in keys if k in variants][:share]:
        scenario_of[key] = "confusable"
    others = [s for s in SCENARIOS if s != "confusable"]
    rest = [k for k in keys if k not in scenario_of]
    for i, key in enumerate(rest):
        scenario_of[key] = others[i % len(others)]

    placer = _Placer()
    labels: list[Label] = []
    for key in sorted(groups):
        members = groups[key]
        scenario = scenario_of[key]
        used_dirs = {d for directory, _ in members for d in allowed_directories(directory)}
        if scenario == "wrong_directory":
            choices = [d for d in WRONG_DIRECTORIES if d not in used_dirs]
            wrong = rng.choice(choices)
            name = members[0][1]
            target = f"{wrong}/{name}"
            placer.put(target, "target", name)
            labels.extend(Label(d, n, scenario, wrong, target) for d, n in members)
            continue
        for directory, name in members:
            if scenario == "present":
                target = f"{directory}/{name}"
                placer.put(target, "target", name)
                labels.append(Label(directory, name, scenario, "", target))
            elif scenario == "subfolder":
                sub = rng.choice(SUBFOLDERS)
                target = f"{directory}/{sub}/{name}"
                placer.put(target, "target", name)
                labels.append(Label(directory, name, scenario, sub, target))
            elif scenario == "renamed":
                kind, new = next((k, n) for k, n in benign_renames(name, rng)
                                 if placer.free(f"{directory}/{n}"))
                target = f"{directory}/{new}"
                placer.put(target, "target", name)
                labels.append(Label(directory, name, scenario, kind, target))
            elif scenario == "confusable":
                cls, new = variants[key]
                variant = f"{directory}/{new}"
                placer.put(variant, "variant", name)
                labels.append(Label(directory, name, scenario, cls, None, variant))
            else:
                labels.append(Label(directory, name, scenario))

    # Forbidden for fillers: anything that is a truth model under another spelling.
    forbidden = truth_keys | {k + "1" for k in truth_keys} | {k + "2" for k in truth_keys}
    for path in read_distractors(corpus):
        if norm_key(path.rsplit("/", 1)[1]) not in forbidden and placer.free(path):
            placer.put(path, "distractor")

    per_dir: dict[str, list[str]] = defaultdict(list)
    for directory, name in models:
        per_dir[directory].append(name)
    for f in placer.files:
        if f.relative_path.split("/", 1)[0] in per_dir:
            per_dir[f.relative_path.split("/", 1)[0]].append(f.relative_path.rsplit("/", 1)[1])
    # Look-alikes only where references look; distractor-only directories stay as they are.
    for directory in sorted(per_dir):
        sources = sorted(set(per_dir[directory]))
        have = sum(1 for f in placer.files if f.relative_path.split("/", 1)[0] == directory)
        want = int(DIRECTORY_SIZES.get(directory, DEFAULT_DIRECTORY_SIZE) * scale)
        attempts = 0
        while have < want and attempts < want * 20:
            attempts += 1
            a, b = rng.choice(sources), rng.choice(sources)
            kind, new = look_alike(a, b, rng)
            if not new or norm_key(new) in forbidden or norm_key(new) == "":
                continue
            sub = rng.choice(SUBFOLDERS) + "/" if rng.random() < 0.25 else ""
            path = f"{directory}/{sub}{new}"
            if placer.free(path):
                placer.put(path, f"lookalike ({kind})", a)
                have += 1

    files = sorted(placer.files, key=lambda f: f.relative_path)
    labels.sort(key=lambda lab: (lab.directory, lab.name))
    return Library(seed, labels, files)


def file_bytes(seed: int, relative_path: str, size: int) -> bytes:
    """Unique content per (seed, path): distinct quick hashes for every file."""
    block = hashlib.blake2b(f"{seed}\0{relative_path}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def write_library(library: Library, root: Path, size: int = 256) -> None:
    for f in library.files:
        path = root / f.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file_bytes(library.seed, f.relative_path, size))
