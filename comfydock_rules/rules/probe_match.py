"""`rules generate --probe`: each input's folders read off the probes it lists.

A probe names one folder of one root, so an input that lists the probes of `text_encoders` and
`clip` loads the key whose folders those are, whatever files the folders hold. An input that
lists a folder's probe from the default root only, while other inputs list the same folder's
probe from another root, ignores extra_model_paths: it is reported (its files in the other roots
are invisible to it). An input that lists no probe is matched by its files as without probes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from comfydock_rules.extensions import extension_of
from comfydock_rules.rules.match import (
    FILE_EXTENSIONS,
    GLOBAL_IGNORE,
    PT_EXTENSIONS,
    Matcher,
    Verdict,
    rank,
)
from comfydock_rules.rules.object_info import ComboInput
from comfydock_rules.rules.probe import NAME, Manifest, probe_folders


def match_with_probes(combos: Sequence[ComboInput], manifest: Manifest,
                      directories: Mapping[str, tuple[str, ...]],
                      fallback: Matcher) -> tuple[list[Verdict], list[str]]:
    """Verdicts in `combos` order, and the reports about roots."""
    probed: dict[str, set[int]] = {}
    for p in manifest.probes:
        probed.setdefault(p.folder, set()).add(p.root)
    seen_by = [probe_folders(manifest, c.options) for c in combos]
    read_roots: dict[str, set[int]] = {}
    for seen in seen_by:
        for folder, roots in seen.items():
            read_roots.setdefault(folder, set()).update(roots)
    verdicts: list[Verdict] = []
    for combo, seen in zip(combos, seen_by, strict=True):
        if not seen:
            verdicts.append(fallback.match(combo))
            continue
        verdicts.append(_verdict(combo, seen, probed, read_roots, manifest, directories))
    reports = [f"{json.dumps(v.combo.node_type)}.{json.dumps(v.combo.input)} ignores "
               f"extra_model_paths: lists {folder} of the default root only, not of "
               f"{_roots(manifest, roots, paths=True)}"
               for v, seen in zip(verdicts, seen_by, strict=True)
               for folder, roots in sorted(_ignored(seen, probed, read_roots).items())]
    for folder in sorted(probed):
        unread = probed[folder] - read_roots.get(folder, set())
        if folder in read_roots and unread:
            reports.append(f"no input lists the probe of {folder} in "
                           f"{_roots(manifest, unread, paths=True)}: ComfyUI does not read "
                           "that folder (check extra_model_paths.yaml)")
    return verdicts, reports


def _verdict(combo: ComboInput, seen: dict[str, set[int]], probed: dict[str, set[int]],
             read_roots: dict[str, set[int]], manifest: Manifest,
             directories: Mapping[str, tuple[str, ...]]) -> Verdict:
    keys = _keys_for(set(seen), set(probed), directories)
    if isinstance(keys, str):
        return Verdict(combo, "unclear", evidence=keys)
    exts = {extension_of(o) for o in combo.options if NAME.fullmatch(o.replace("\\", "/")
                                                                       .rpartition("/")[2])}
    extensions = () if exts & PT_EXTENSIONS else tuple(sorted(exts))
    ignore = tuple(sorted(o for o in combo.options
                          if not NAME.fullmatch(o.replace("\\", "/").rpartition("/")[2])
                          and extension_of(o) not in FILE_EXTENSIONS and o not in GLOBAL_IGNORE))
    notes = [f"lists the probes of {', '.join(sorted(seen))} "
             f"({_roots(manifest, set().union(*seen.values()))})"]
    for folder, roots in sorted(_ignored(seen, probed, read_roots).items()):
        notes.append(f"ignores extra_model_paths: lists {folder} of the default root only, "
                     f"not of {_roots(manifest, roots)}")
    return Verdict(combo, "slot", keys, extensions, ignore, "; ".join(notes))


def _ignored(seen: dict[str, set[int]], probed: dict[str, set[int]],
             read_roots: dict[str, set[int]]) -> dict[str, set[int]]:
    """Folder -> the roots other inputs list for it but this one, which lists the default's."""
    out = {}
    for folder, roots in seen.items():
        elsewhere = (read_roots.get(folder, set()) & probed.get(folder, set())) - roots
        if 0 in roots and elsewhere:
            out[folder] = elsewhere
    return out


def _keys_for(seen: set[str], probed: set[str],
              directories: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | str:
    """The directory names whose probed folders are exactly `seen` (one key, else a union of
    keys); a folder no key names stands for itself."""
    def visible(key: str) -> frozenset[str]:
        return frozenset(directories[key]) & probed

    exact = [k for k in directories if visible(k) == seen]
    if exact:
        full = {frozenset(directories[k]) for k in exact}
        if len(full) > 1:
            smallest = min(full, key=len)
            exact = [k for k in exact if frozenset(directories[k]) == smallest]
        return (sorted(exact, key=rank)[0],)
    parts: list[str] = []
    covered: set[str] = set()
    for key in sorted(directories, key=lambda k: (-len(visible(k)), rank(k))):
        part = visible(key)
        if part and part <= seen and not part <= covered:
            parts.append(key)
            covered |= part
    rest = seen - covered
    parts += sorted(rest)  # folders no key names: directories of their own
    if len(parts) > 3:
        return (f"lists the probes of {len(seen)} folders ({', '.join(sorted(seen))}): "
                "more than one loader list merged; no slot")
    return tuple(parts)


def _roots(manifest: Manifest, roots: set[int], *, paths: bool = False) -> str:
    names = []
    for r in sorted(roots):
        name = "the default root" if r == 0 else f"root {r}"
        names.append(f"{name} {manifest.roots[r]}" if paths else name)
    return ", ".join(names)
