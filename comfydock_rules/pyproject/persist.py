"""The seam between `check` and pyproject.toml: read the pins before resolving, record after.

The check command builds `PersistOptions` from its flags, calls `load_pins` (the engine takes
`PinState.pins`), then `apply` with the resolutions, and prints what `apply` returns. Nothing
heavy is imported here: reading uses the stdlib tomllib, and tomlkit is imported only when a
patch is computed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import ModelRef, Resolution, node_path_key
from comfydock_rules.pyproject.pins import (
    PinnedNode,
    PyprojectPins,
    RecordedModel,
    find_pyproject,
    new_pyproject_path,
    read_pins,
    workflow_name,
    workflow_names,
)

if TYPE_CHECKING:
    from comfydock_rules.pyproject.patch import PatchPlan

RECORDED_METHODS = frozenset({"path", "pinned"})


@dataclass(frozen=True)
class PinState:
    """What `load_pins` read, for the engine (`pins`) and for `apply`."""

    pins: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(workflow display, reference as written) -> quick hash."""
    pyproject: Path | None = None
    display: str = "pyproject.toml"
    recorded: PyprojectPins | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """Workflow display -> workflow name in pyproject.toml."""


@dataclass(frozen=True)
class PersistOutcome:
    messages: tuple[str, ...] = ()
    changed: bool = False
    """pyproject.toml was written (with --fix the check then exits 1, as formatters do)."""
    diff: str | None = None
    """The unified diff asked for with --patch."""


@dataclass(frozen=True)
class PersistOptions:
    """What the user asked to do with pyproject.toml (built by the check command)."""

    pyproject: Path | None = None
    """The file given with --pyproject (a folder means its pyproject.toml); None: the nearest."""
    patch: str | None = None
    """Where the unified diff goes: a file, '-' for stdout (the command writes it), or None."""
    write_pyproject: bool = False
    fix: bool = False
    prune: bool = False

    @property
    def write(self) -> bool:
        """--prune without --patch writes in place, as --write-pyproject and --fix do."""
        return self.write_pyproject or self.fix or (self.prune and self.patch is None)

    @property
    def acting(self) -> bool:
        return self.write or self.patch is not None


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path.absolute(), Path.cwd())
    except ValueError:
        return str(path)


def quote(text: str) -> str:
    if text.isprintable() and "'" not in text and len(text) <= 200:
        return f"'{text}'"
    import json

    shown = json.dumps(text, ensure_ascii=False)
    return shown if len(shown) <= 200 else shown[:190] + "...\" (cut)"


def load_pins(options: PersistOptions, workflows: Sequence[tuple[Path, str]]) -> PinState:
    """Read the pins recorded for `workflows`, (path, display) pairs of the files checked."""
    acting = options.acting
    given = options.pyproject
    if given is not None:
        path: Path | None = Path(given)
        if path is not None and path.is_dir():
            path = path / "pyproject.toml"
    else:
        path = find_pyproject(Path.cwd())
        if path is None and acting:
            # As the help says: the pins go into a new pyproject.toml at the repository's root.
            path = new_pyproject_path(Path.cwd())
    names, clashes = workflow_names(workflows)
    if path is None:
        return PinState(names=names)
    display = _display(path)
    recorded = read_pins(path, display)
    for name in sorted(clashes):
        if acting or name in recorded.workflows:
            files = " and ".join(quote(d) for d in clashes[name])
            raise ToolInputError(
                f"workflows {files} would share the workflow name {quote(name)}; "
                "pins are kept per name, so they would be merged",
                path=display,
                hint="rename one of the files, or check them in separate runs "
                "with different --pyproject files",
            )
    pins: dict[tuple[str, str], str] = {}
    for shown, name in names.items():
        for reference, pin in recorded.workflows.get(name, {}).items():
            pins[(shown, reference)] = pin.hash
    return PinState(pins=pins, pyproject=path, display=display, recorded=recorded, names=names)


def pinned_node(ref: ModelRef) -> PinnedNode:
    """Where `ref` is used, as a pin's `nodes` entry records it."""
    return PinnedNode(
        node_id=ref.node_id,
        widget_idx=ref.widget_index,
        input=ref.input if ref.widget_index is None else None,
        key=ref.key,
    )


def node_order(node: PinnedNode) -> tuple[object, ...]:
    return (
        node_path_key(node.node_id),
        -1 if node.widget_idx is None else node.widget_idx,
        node.input or "",
        node.key or "",
    )


def recordable(resolution: Resolution) -> bool:
    """Exact (by path or pin) and fuzzy resolutions are recorded; ambiguous and missing never."""
    if resolution.resolved is None:
        return False
    if resolution.status == "exact":
        return resolution.method in RECORDED_METHODS
    return resolution.status == "fuzzy"


def plan_changes(
    state: PinState, resolutions: Sequence[Resolution], prune: bool
) -> tuple[PatchPlan, list[str], dict[str, int]]:
    """The PatchPlan for `resolutions`, the notes on pins not in use, and counts."""
    from comfydock_rules.pyproject.patch import PatchPlan, PinRemoval, PinWrite

    recorded = state.recorded
    workflows = recorded.workflows if recorded is not None else {}
    registry = recorded.registry if recorded is not None else {}
    label = state.display

    by_workflow: dict[str, list[Resolution]] = {}
    for resolution in resolutions:
        shown = resolution.ref.workflow
        name = state.names.get(shown) or workflow_name(shown)
        by_workflow.setdefault(name, []).append(resolution)

    writes: list[PinWrite] = []
    removals: list[PinRemoval] = []
    models: dict[str, RecordedModel] = {}
    notes: list[str] = []
    counts = {"added": 0, "updated": 0, "removed": 0}
    final: dict[str, dict[str, str]] = {
        name: {ref: pin.hash for ref, pin in pins.items()} for name, pins in workflows.items()
    }

    for name in sorted(by_workflow):
        items = by_workflow[name]
        pins = workflows.get(name, {})
        present = {r.ref.value for r in items}
        for reference in sorted(set(pins) - present):
            if prune:
                removals.append(PinRemoval(name, reference))
                final[name].pop(reference, None)
                counts["removed"] += 1
                notes.append(
                    f"{label}: removed the pin for {quote(reference)} in workflow "
                    f"{quote(name)}: no reference in the workflow any more"
                )
            else:
                notes.append(
                    f"{label}: pin for {quote(reference)} in workflow {quote(name)} names "
                    "no reference in the workflow any more (remove it with --prune)"
                )
        by_value: dict[str, list[Resolution]] = {}
        for resolution in items:
            if recordable(resolution):
                by_value.setdefault(resolution.ref.value, []).append(resolution)
        for reference in sorted(by_value):
            chosen = by_value[reference]
            hashes = sorted({r.resolved.hash for r in chosen if r.resolved is not None})
            if len(hashes) != 1:
                notes.append(
                    f"{label}: {quote(reference)} in workflow {quote(name)} resolves to "
                    f"{len(hashes)} different files in different nodes; not recorded"
                )
                continue
            digest = hashes[0]
            nodes = tuple(sorted({pinned_node(r.ref) for r in chosen}, key=node_order))
            old = pins.get(reference)
            if old is None:
                counts["added"] += 1
            elif old.hash != digest:
                counts["updated"] += 1
                notes.append(
                    f"{label}: pin for {quote(reference)} in workflow {quote(name)} "
                    f"moved from {old.hash} (not in the index) to {digest}"
                )
            elif old.nodes != nodes:
                counts["updated"] += 1
            if old is None or old.hash != digest or old.nodes != nodes:
                writes.append(PinWrite(name, reference, digest, nodes))
            final.setdefault(name, {})[reference] = digest
            resolved = chosen[0].resolved
            if digest not in registry and resolved is not None:
                models[digest] = RecordedModel(
                    hash=digest,
                    filename=resolved.filename,
                    size=resolved.size,
                    relative_path=resolved.relative_path,
                )

    drop: list[str] = []
    if prune:
        # A registry entry no pin of any workflow names any more goes too.
        in_use = {digest for pins in final.values() for digest in pins.values()}
        drop = sorted(d for d in registry if d not in in_use and d not in models)

    plan = PatchPlan(
        pins=tuple(writes),
        removals=tuple(removals),
        models=tuple(models[d] for d in sorted(models)),
        drop_models=tuple(drop),
    )
    return plan, notes, counts


def _summary(label: str, counts: Mapping[str, int], target: str) -> list[str]:
    parts: list[str] = []
    if counts["added"]:
        plural = "resolution" if counts["added"] == 1 else "resolutions"
        parts.append(f"recorded {counts['added']} {plural}")
    if counts["updated"]:
        parts.append(f"updated {counts['updated']} pin{'' if counts['updated'] == 1 else 's'}")
    if counts["removed"]:
        parts.append(f"removed {counts['removed']} pin{'' if counts['removed'] == 1 else 's'}")
    if not parts:
        return []
    return [f"{label}: {', '.join(parts)}{target}"]


def apply(
    options: PersistOptions, state: PinState, resolutions: Sequence[Resolution]
) -> PersistOutcome:
    """Record the resolutions as asked by --patch / --write-pyproject / --fix / --prune.

    The diff for --patch comes back in `PersistOutcome.diff`: the command writes it.
    """
    patch, write, prune = options.patch, options.write, options.prune
    if state.recorded is None and not (write or patch is not None):
        return PersistOutcome()
    plan, notes, counts = plan_changes(state, resolutions, prune)
    if not write and patch is None:
        # Reading only: say which pins are not used, nothing else.
        return PersistOutcome(messages=tuple(n for n in notes if "--prune" in n))

    return write_plan(options, state, plan, notes, counts)


def write_plan(options: PersistOptions, state: PinState, plan: PatchPlan, notes: Sequence[str],
               counts: Mapping[str, int]) -> PersistOutcome:
    """Apply `plan` to the pyproject `state` read: the diff for --patch, the atomic write
    otherwise (refused when the file changed since it was read). Used by `check` and `pin`."""
    patch, write = options.patch, options.write
    from comfydock_rules.pyproject.patch import (
        atomic_write,
        diff_label,
        patched_text,
        unified_diff,
    )
    from comfydock_rules.pyproject.pins import read_text

    assert state.pyproject is not None and state.recorded is not None
    path, label = state.pyproject, state.display
    old = state.recorded.text
    new = patched_text(old, plan)
    if new != old:
        _verify(new, plan, label)
    changed = new != old
    messages = list(notes)

    diff: str | None = None
    if patch is not None:
        diff = unified_diff(old, new, diff_label(path), created=not path.exists())
        if not write:
            where = "on stdout" if patch == "-" else patch
            messages += _summary(label, counts, f" (in the patch {where})")

    if write and changed:
        existed = path.exists()
        current = read_text(path, label) if existed else ""
        if current != old:
            raise ToolInputError(
                "the pyproject changed while the check ran; it was not written over",
                path=label, hint="run the check again",
            )
        atomic_write(path, new, label)
        messages += _summary(label, counts, "" if existed else " (a new file)")

    return PersistOutcome(messages=tuple(messages), changed=changed and write, diff=diff)


def _verify(new: str, plan: PatchPlan, label: str) -> None:
    """Read the new text back: every pin written must be there, exactly, with its hash."""
    from comfydock_rules.pyproject.pins import parse, pins_from_data

    workflows, registry = pins_from_data(parse(new, label), label)
    for pin in plan.pins:
        got = workflows.get(pin.workflow, {}).get(pin.reference)
        if got is None or got.hash != pin.hash or got.nodes != pin.nodes:
            raise ToolInputError(
                f"internal error: the pin for {quote(pin.reference)} does not read back; "
                "the pyproject was not changed",
                path=label, hint="please report this with the reference",
            )
    for removal in plan.removals:
        if removal.reference in workflows.get(removal.workflow, {}):
            raise ToolInputError(
                f"internal error: the pin for {quote(removal.reference)} was not removed",
                path=label, hint="please report this",
            )
    for model in plan.models:
        if model.hash not in registry:
            raise ToolInputError(
                f"internal error: model {model.hash} does not read back", path=label,
            )
