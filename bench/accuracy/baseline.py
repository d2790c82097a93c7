"""The plain difflib baseline the seed plan suggested, as a report the scorer can read.

Exact when the value exists in one of the slot's directories; otherwise the best file of those
directories by difflib.SequenceMatcher ratio of the file names is picked when above 0.6.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .library import Library, allowed_directories, label_lookup_directory

PICK_ABOVE = 0.6


def baseline_report(refs: Iterable[Mapping[str, Any]], library: Library,
                    directories: Mapping[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    paths = sorted(f.relative_path for f in library.files)
    present = set(paths)
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        by_dir.setdefault(path.split("/", 1)[0], []).append(path)
    cache: dict[tuple[str, str], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for ref in refs:
        directory = label_lookup_directory(ref, directories)
        if directory is None:
            continue
        key = (directory, ref["value"])
        if key not in cache:
            cache[key] = _resolve(ref["value"], allowed_directories(directory), present, by_dir)
        out.append({**{k: ref[k] for k in ("workflow", "node_id", "node_type", "value")},
                    "flags": [f for f in ref.get("flags") or [] if f == "bypassed"],
                    **cache[key]})
    return out


def _resolve(value: str, dirs: tuple[str, ...], present: set[str],
             by_dir: Mapping[str, list[str]]) -> dict[str, Any]:
    for d in dirs:
        if f"{d}/{value}" in present:
            return {"status": "exact", "method": "path", "score": 1.0,
                    "resolved": {"relative_path": f"{d}/{value}"}, "candidates": []}
    matcher = difflib.SequenceMatcher(b=value)
    scored: list[tuple[float, str]] = []
    for d in dirs:
        for path in by_dir.get(d, []):
            matcher.set_seq1(path.rsplit("/", 1)[-1])
            scored.append((matcher.ratio(), path))
    scored.sort(key=lambda sp: (-sp[0], sp[1]))
    candidates = [{"relative_path": p, "score": round(s, 4), "reason": "difflib"}
                  for s, p in scored[:5] if s > PICK_ABOVE]
    if candidates:
        best = candidates[0]
        return {"status": "fuzzy", "method": "similar", "score": best["score"],
                "resolved": {"relative_path": best["relative_path"]}, "candidates": candidates}
    return {"status": "missing", "method": None, "score": None, "resolved": None,
            "candidates": []}
