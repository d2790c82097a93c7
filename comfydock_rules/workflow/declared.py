"""Model metadata a UI workflow declares: `properties.models` on a node, `models` at the top.

Both are lists of `{name, url, directory, hash, hash_type}` the ComfyUI frontend writes. A
widget value is the reference; an entry of the same name only adds where to download it and
what its hash is. The node's own entry wins over a top-level one of the same name, as in the
frontend, which collects node entries first and keeps the first entry per name and directory
(Comfy-Org/ComfyUI_frontend src/platform/missingModel/missingModelScan.ts,
`collectEmbeddedModels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comfydock_rules.model import DeclaredModel, Slot

MAX_DECLARED = 10_000
"""Entries read per list; a longer list is hostile or broken, and the rest adds nothing."""


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _entries(models: Any) -> list[DeclaredModel]:
    out: list[DeclaredModel] = []
    for entry in models[:MAX_DECLARED] if isinstance(models, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            out.append(DeclaredModel(
                name=entry["name"], url=_opt_str(entry.get("url")),
                directory=_opt_str(entry.get("directory")), hash=_opt_str(entry.get("hash")),
                hash_type=_opt_str(entry.get("hash_type")),
            ))
    return out


def node_declared(node: dict[str, Any]) -> dict[str, DeclaredModel]:
    """`properties.models` by name, the first entry per name; a missing or malformed list
    (`properties: null`) is none."""
    properties = node.get("properties")
    models = properties.get("models") if isinstance(properties, dict) else None
    out: dict[str, DeclaredModel] = {}
    for entry in _entries(models):
        out.setdefault(entry.name, entry)
    return out


def workflow_declared(doc: dict[str, Any]) -> dict[str, tuple[DeclaredModel, ...]]:
    """The top-level `models` list by name, every entry kept in file order (one name may be
    declared for two directories)."""
    out: dict[str, tuple[DeclaredModel, ...]] = {}
    for entry in _entries(doc.get("models")):
        out[entry.name] = (*out.get(entry.name, ()), entry)
    return out


def pick(value: str, own: Mapping[str, DeclaredModel],
         workflow: Mapping[str, tuple[DeclaredModel, ...]],
         slot: Slot | None) -> DeclaredModel | None:
    """The node's entry for `value`, else the top-level one: the first whose directory the slot
    loads from, else the first that names no other directory, else none (an entry for another
    folder describes another file of the same name)."""
    found = own.get(value)
    if found is not None:
        return found
    entries = workflow.get(value, ())
    if not entries:
        return None
    directories = slot.directories if slot is not None else ()
    for entry in entries:
        if entry.directory is not None and entry.directory in directories:
            return entry
    for entry in entries:
        if entry.directory is None or not directories:
            return entry
    return None
