"""What `comfydock-rules link` would do: for each fuzzy or pinned resolution that ComfyUI would
not find under the value as written, a link at the path the workflow names, to the file found.

Planning touches nothing: it reads the index's disk paths and looks at the file system (what
exists, where each existing folder really leads). Every path the plan may write is inside the
folder ComfyUI reads the directory from (the boundary), checked component by component after
resolving links; a value that is absolute or holds `..` is refused, never joined.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from comfydock_rules.model import Resolution

Action = Literal["link", "linked", "loads", "conflict", "refused"]
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class LinkStep:
    workflow: str
    value: str
    action: Action
    """link: to create; linked: already there (a second run changes nothing); loads: ComfyUI
    finds the file as written; conflict: another file holds the path; refused: unsafe or
    unknown."""
    path: str | None = None
    """The link to create (or already there), on disk."""
    target: str | None = None
    """The resolved file on disk."""
    boundary: str | None = None
    """The real folder no write may leave."""
    reason: str = ""
    hash: str | None = None
    """The target's quick hash in the index: checked again before linking."""


def unsafe_value(value: str) -> str | None:
    """Why `value` cannot name a path below a folder, or None."""
    if not value or "\x00" in value:
        return "the value is empty or holds a NUL"
    if value.startswith("/") or _DRIVE.match(value):
        return "the value is an absolute path"
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "the value holds '..', '.' or an empty path component"
    return None


def _inside(path: str, boundary: str) -> bool:
    return path == boundary or path.startswith(boundary.rstrip(os.sep) + os.sep)


def _base(rel: str, disk: str) -> str | None:
    """The folder ComfyUI reads `rel`'s directory from, given where `rel` is on disk."""
    below = rel.split("/", 1)[1] if "/" in rel else ""
    if not below or not disk.endswith("/" + below):
        return None
    return disk[: -len(below)]


def plan_links(resolutions: Sequence[Resolution], disk: Mapping[str, str],
               hashes: Mapping[str, str]) -> tuple[LinkStep, ...]:
    """`disk`: relative path -> file on disk; `hashes`: relative path -> quick hash (the
    index's view of what ComfyUI would find at each logical path)."""
    steps: dict[tuple[str, str, str], LinkStep] = {}
    for res in resolutions:
        ref, f = res.ref, res.resolved
        if ref.slot is None or f is None or ref.bypassed:
            continue
        if not (res.status == "fuzzy" or (res.status == "exact" and res.method == "pinned")):
            continue
        value = ref.lookup_value
        key = (ref.workflow, value, f.relative_path)
        if key in steps:
            continue
        steps[key] = _plan_one(res, value, disk, hashes)
    return tuple(steps[k] for k in sorted(steps))


def _plan_one(res: Resolution, value: str, disk: Mapping[str, str],
              hashes: Mapping[str, str]) -> LinkStep:
    ref, f = res.ref, res.resolved
    assert ref.slot is not None and f is not None
    why = unsafe_value(value)
    if why:
        return LinkStep(ref.workflow, ref.value, "refused", reason=why)
    for directory in ref.slot.directories:
        held = hashes.get(f"{directory}/{value}")
        if held == f.hash:
            return LinkStep(ref.workflow, ref.value, "loads",
                            reason=f"ComfyUI finds {directory}/{value}")
        if held is not None:
            return LinkStep(ref.workflow, ref.value, "conflict",
                            reason=f"{directory}/{value} is another file, which ComfyUI loads")
    target = disk.get(f.relative_path)
    if target is None:
        return LinkStep(ref.workflow, ref.value, "refused",
                        reason="the index has no file on disk for it (a snapshot?)")
    directory = f.directory if f.directory in ref.slot.directories else ref.slot.directories[0]
    base = _base(f.relative_path, target) if directory == f.directory else None
    if base is None:
        others = sorted(rel for rel in disk if rel.startswith(directory + "/"))
        base = next((b for b in (_base(rel, disk[rel]) for rel in others) if b), None)
    if base is None:
        return LinkStep(ref.workflow, ref.value, "refused",
                        reason=f"no folder of {directory}/ is known from the index")
    return replace(_check_path(ref.workflow, ref.value, value, base, target), hash=f.hash)


def _check_path(workflow: str, shown: str, value: str, base: str, target: str) -> LinkStep:
    boundary = os.path.realpath(base)
    path = os.path.join(boundary, *value.split("/"))
    folder = os.path.dirname(path)
    # the deepest existing folder on the way must lead inside the boundary
    probe = folder
    while not os.path.lexists(probe) and _inside(probe, boundary) and probe != boundary:
        probe = os.path.dirname(probe)
    if not _inside(os.path.realpath(probe), boundary) or not _inside(path, boundary):
        return LinkStep(workflow, shown, "refused", path=path, target=target, boundary=boundary,
                        reason="a folder on the way leads outside the models folder")
    if os.path.lexists(path):
        try:
            same = os.path.samefile(path, target)
        except OSError:
            same = False
        if same:
            return LinkStep(workflow, shown, "linked", path, target, boundary)
        return LinkStep(workflow, shown, "conflict", path, target, boundary,
                        reason="something else is at that path; never overwritten")
    return LinkStep(workflow, shown, "link", path, target, boundary)
