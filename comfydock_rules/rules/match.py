"""Which folder a combo lists: its options against each folder key's file list.

A slot is made only when the evidence leaves one answer: the options are exactly one folder's
files (or those files of some extensions, or two folders' files together, or the files of
subfolder keys each under a prefix), apart from a few drifted names in long lists, and at least
`min_evidence` files match. Everything else is `unclear`, with its candidates: an empty folder
matches everything, so empty lists never take part; two different folders with the same files
are a tie, never a pick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from comfydock_rules.extensions import CONFIG_EXTENSIONS, MODEL_EXTENSIONS, extension_of
from comfydock_rules.rules.folders import FolderLists, normalise
from comfydock_rules.rules.object_info import ComboInput

Kind = Literal["slot", "unclear", "empty", "not_files"]

# ComfyUI folder_paths.supported_pt_extensions: a folder filtered to these is a default one.
PT_EXTENSIONS = frozenset({".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl",
                           ".sft"})
FILE_EXTENSIONS = MODEL_EXTENSIONS | CONFIG_EXTENSIONS
# Keys ComfyUI registers itself (folder_paths.py), preferred over a pack's key for the same files.
CORE_KEYS = frozenset({
    "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
    "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen",
    "upscale_models", "latent_upscale_models", "hypernetworks", "photomaker", "classifiers",
    "model_patches", "audio_encoders", "background_removal", "detection", "frame_interpolation",
    "geometry_estimation", "optical_flow"})
LEGACY_KEYS = frozenset({"clip", "unet", "t2i_adapter"})
PLACEHOLDERS = frozenset({"", "None", "none", "[None]"})
"""Values that stand for 'no file': a list of only these is an empty folder's."""
GLOBAL_IGNORE = frozenset({"", "None"})
"""Values rules/core.yaml ignores for every slot already."""
DRIFT = 0.95

_Found = tuple[tuple[str, ...], tuple[str, ...], str, int] | str | None
"""What a test finds: None (does not apply), a reason (a tie: unclear), or the slot's
directories, extensions, evidence and the number of matching files."""


@dataclass(frozen=True)
class Verdict:
    combo: ComboInput
    kind: Kind
    directories: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    evidence: str = ""
    """Slot: how many options matched which folder. Unclear: why there is no slot."""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Group:
    """Keys with the same files in the same folders: one folder under several names."""

    keys: tuple[str, ...]
    files: frozenset[str]

    @property
    def name(self) -> str:
        return self.keys[0]


def rank(key: str) -> tuple[int, int, int, str]:
    return (key in LEGACY_KEYS, key not in CORE_KEYS, len(key), key)


class Matcher:
    def __init__(self, lists: FolderLists, *, min_evidence: int = 2) -> None:
        self.lists = lists
        self.min_evidence = min_evidence
        groups: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
        for key, names in lists.lists.items():
            if not names:
                continue  # an empty folder matches everything: never evidence
            folders = frozenset(lists.folders.get(key, (key,)))
            groups.setdefault((frozenset(names), folders), []).append(key)
        self.groups = sorted((_Group(tuple(sorted(keys, key=rank)), files)
                              for (files, _), keys in groups.items()), key=lambda g: g.name)
        self.entries = frozenset().union(*(g.files for g in self.groups))

    def match(self, combo: ComboInput) -> Verdict:
        options = list(dict.fromkeys(normalise(o) for o in combo.options))
        if not set(options) - PLACEHOLDERS:
            return Verdict(combo, "empty")
        files = [o for o in options
                 if o in self.entries or extension_of(o) in FILE_EXTENSIONS]
        ignore = tuple(sorted(o for o in options if o not in files and o not in GLOBAL_IGNORE))
        if not files:
            return Verdict(combo, "not_files")
        wanted = frozenset(files)
        scored = [(g, len(wanted & g.files)) for g in self.groups if wanted & g.files]
        found = (self._exact(wanted, scored) or self._filtered(wanted, scored)
                 or self._drift(wanted, scored) or self._union(wanted, files, scored)
                 or self._prefixed(wanted))
        if found is None and not scored:
            why = ("names files no folder of the server lists (a list the pack keeps or "
                   "downloads itself?)" if self.lists.complete else
                   "names files no known folder lists")
            return Verdict(combo, "unclear", evidence=why)
        if found is None:
            return Verdict(combo, "unclear", evidence="matches no folder as a whole",
                           candidates=self._candidates(wanted, scored))
        if isinstance(found, str):
            return Verdict(combo, "unclear", evidence=found,
                           candidates=self._candidates(wanted, scored))
        directories, extensions, evidence, matched = found
        if matched < self.min_evidence:
            return Verdict(combo, "unclear", evidence=(
                f"only {matched} matching file ({evidence}); confirm with --probe, or accept "
                f"such matches with --min-evidence {matched}"))
        return Verdict(combo, "slot", directories, extensions, ignore, evidence)

    def _exact(self, wanted: frozenset[str], scored: Sequence[tuple[_Group, int]]) -> _Found:
        hits = [g for g, _ in scored if g.files == wanted]
        if len(hits) > 1:
            return ("equals the files of " + " and of ".join(_names(g) for g in hits)
                    + ": different folders with the same files")
        if not hits:
            return None
        g = hits[0]
        return ((g.name,), (), f"{len(wanted)} of {len(wanted)} options are the files of "
                f"{_names(g)}", len(wanted))

    def _filtered(self, wanted: frozenset[str], scored: Sequence[tuple[_Group, int]]) -> _Found:
        exts = {extension_of(n) for n in wanted}
        hits = [g for g, _ in scored if wanted < g.files
                and not exts & {extension_of(n) for n in g.files - wanted}]
        if len(hits) > 1:
            return "equals the " + ", ".join(sorted(exts)) + " files of " + " and of ".join(
                _names(g) for g in hits)
        if not hits:
            return None
        g = hits[0]
        keep = () if exts & PT_EXTENSIONS else tuple(sorted(exts))
        return ((g.name,), keep, f"{len(wanted)} options are the {', '.join(sorted(exts))} "
                f"files of {_names(g)} ({len(g.files)} files)", len(wanted))

    def _drift(self, wanted: frozenset[str], scored: Sequence[tuple[_Group, int]]) -> _Found:
        hits = [(g, n) for g, n in scored
                if n >= DRIFT * len(wanted) and n >= DRIFT * len(g.files)]
        if len(hits) != 1:
            return None
        g, n = hits[0]
        return ((g.name,), (), f"{n} of {len(wanted)} options are files of {_names(g)} "
                f"({len(g.files)} files; the lists were saved at different times)", n)

    def _union(self, wanted: frozenset[str], order: list[str],
               scored: Sequence[tuple[_Group, int]]) -> _Found:
        inside = sorted((g for g, _ in scored if g.files <= wanted),
                        key=lambda g: (-len(g.files), g.name))
        chosen: list[_Group] = []
        covered: frozenset[str] = frozenset()
        for g in inside:
            if not g.files <= covered:
                chosen.append(g)
                covered |= g.files
        if covered != wanted or not 2 <= len(chosen) <= 3:
            return None
        if len({g.files for g in inside}) != len(inside):
            return None  # two folders with the same files: which one is meant is a guess
        first = {g.name: min(order.index(n) for n in g.files) for g in chosen}
        chosen.sort(key=lambda g: first[g.name])
        parts = " + ".join(f"{_names(g)} ({len(g.files)})" for g in chosen)
        return (tuple(g.name for g in chosen), (), f"{len(wanted)} options are the files of "
                f"{parts} together", len(wanted))

    def _prefixed(self, wanted: frozenset[str]) -> _Found:
        """`bbox/x.pt` where key ultralytics_bbox (folder ultralytics/bbox) lists `x.pt`: the
        value is a path under the parent folder `ultralytics`."""
        if not all("/" in n for n in wanted):
            return None
        parts: dict[str, set[str]] = {}
        for n in wanted:
            head, tail = n.split("/", 1)
            parts.setdefault(head, set()).add(tail)
        if len(parts) > 3:
            return None
        parents: set[str] = set()
        keys = []
        for head, rests in sorted(parts.items()):
            hits = [g for g in self.groups if g.files == frozenset(rests)]
            if len(hits) != 1:
                return None
            folders = self.lists.folders.get(hits[0].name, ())
            if len(folders) != 1 or not folders[0].endswith("/" + head):
                return (f"values carry subfolders ({', '.join(sorted(parts))}) whose files "
                        f"match {_names(hits[0])}, but its folder is not known")
            parents.add(folders[0][: -len(head) - 1])
            keys.append(hits[0].name)
        if len(parents) != 1:
            return None
        parent = parents.pop()
        named = sorted((k for k, fs in self.lists.folders.items() if fs == (parent,)),
                       key=rank)
        return ((named[0] if named else parent,), (), f"{len(wanted)} options are the files "
                f"of {', '.join(keys)}, each under its subfolder of {parent}", len(wanted))

    @staticmethod
    def _candidates(wanted: frozenset[str],
                    scored: Sequence[tuple[_Group, int]]) -> tuple[str, ...]:
        best = sorted(scored, key=lambda s: (-s[1], s[0].name))[:4]
        return tuple(f"{_names(g)}: {n} of {len(wanted)} options, {n} of {len(g.files)} files"
                     for g, n in best)


def _names(group: _Group) -> str:
    if len(group.keys) == 1:
        return group.name
    return f"{group.name} (= {', '.join(group.keys[1:])})"
