"""Pins chosen by a person (`comfydock-rules pin`): the non-interactive form of picking a
candidate, written to pyproject.toml exactly as `check --write-pyproject` writes its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from comfydock_rules.model import ModelFile
from comfydock_rules.pyproject.patch import PatchPlan, PinWrite
from comfydock_rules.pyproject.persist import PinState, quote
from comfydock_rules.pyproject.pins import PinnedNode, RecordedModel, workflow_name


@dataclass(frozen=True)
class Choice:
    """`reference` (as written) of the workflow shown as `workflow` is `file`, in `nodes`."""

    workflow: str
    reference: str
    file: ModelFile
    nodes: tuple[PinnedNode, ...]


def plan_choices(state: PinState,
                 choices: Sequence[Choice]) -> tuple[PatchPlan, list[str], dict[str, int]]:
    """The PatchPlan recording `choices`, what it changes in words, and counts."""
    recorded = state.recorded
    workflows = recorded.workflows if recorded is not None else {}
    registry = recorded.registry if recorded is not None else {}
    label = state.display
    writes: dict[tuple[str, str], PinWrite] = {}
    models: dict[str, RecordedModel] = {}
    notes: list[str] = []
    counts = {"added": 0, "updated": 0, "removed": 0}
    for choice in choices:
        name = state.names.get(choice.workflow) or workflow_name(choice.workflow)
        digest = choice.file.hash
        old = workflows.get(name, {}).get(choice.reference)
        key = (name, choice.reference)
        if key in writes:
            if writes[key].hash != digest:
                raise ValueError(f"{choice.reference!r} chosen twice with different files")
            continue
        if old is not None and old.hash == digest and old.nodes == choice.nodes:
            notes.append(f"{label}: {quote(choice.reference)} in workflow {quote(name)} is "
                         f"already pinned to {digest}")
            continue
        if old is None:
            counts["added"] += 1
        else:
            counts["updated"] += 1
            if old.hash != digest:
                notes.append(f"{label}: pin for {quote(choice.reference)} in workflow "
                             f"{quote(name)} moved from {old.hash} to {digest}")
        writes[key] = PinWrite(name, choice.reference, digest, choice.nodes)
        if digest not in registry and digest not in models:
            models[digest] = RecordedModel(hash=digest, filename=choice.file.filename,
                                           size=choice.file.size,
                                           relative_path=choice.file.relative_path)
    plan = PatchPlan(pins=tuple(writes[k] for k in sorted(writes)),
                     models=tuple(models[d] for d in sorted(models)))
    return plan, notes, counts
