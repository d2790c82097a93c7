"""Per workflow, what a reviewer wants first: can it run with the files this machine has, and if
not, which references stand in the way.

A workflow runs when every reference on an active node is exact or fuzzy (a fuzzy pick is a
file the engine found under another name or folder; `link` makes ComfyUI find it as written).
Ambiguous and missing references on active nodes block it; bypassed and muted nodes do not run
and never block. An unreadable workflow cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass

from comfydock_rules.model import STATUSES, Resolution
from comfydock_rules.report.core import Report, is_gated

BLOCKING = ("ambiguous", "missing")


@dataclass(frozen=True)
class WorkflowSummary:
    workflow: str
    readable: bool
    runnable: bool
    counts: dict[str, int]
    """References per status (every status present)."""
    gate_failures: int
    blocking: tuple[Resolution, ...]
    """Active references that are ambiguous or missing, in report order."""

    @property
    def references(self) -> int:
        return sum(self.counts.values())


def workflow_summaries(report: Report) -> tuple[WorkflowSummary, ...]:
    """One summary per workflow checked, sorted by path."""
    unreadable = {error.workflow for error in report.errors}
    by_workflow: dict[str, list[Resolution]] = {w: [] for w in report.workflows}
    for res in report.resolutions:
        by_workflow.setdefault(res.ref.workflow, []).append(res)
    out: list[WorkflowSummary] = []
    for workflow in sorted(by_workflow):
        items = by_workflow[workflow]
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for res in items:
            counts[res.status] += 1
        blocking = tuple(res for res in items
                         if res.status in BLOCKING and "bypassed" not in res.flags)
        readable = workflow not in unreadable
        out.append(WorkflowSummary(
            workflow=workflow,
            readable=readable,
            runnable=readable and not blocking,
            counts=counts,
            gate_failures=sum(1 for res in items if is_gated(res, report.fail_on)),
            blocking=blocking,
        ))
    return tuple(out)


def failing_first(summaries: tuple[WorkflowSummary, ...]) -> list[WorkflowSummary]:
    """Workflows that cannot run, then those that fail the gate anyway, then the rest; each
    group by path."""
    return sorted(summaries, key=lambda s: (s.runnable, s.gate_failures == 0, s.workflow))
