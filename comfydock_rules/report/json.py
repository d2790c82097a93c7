"""The JSON report: the machine-readable record CI keeps (schemas/report.schema.json).

Sorted keys, 2-space indent, a trailing newline, rounded scores and no timestamps, so that the
same inputs give the same bytes and a report can be committed and diffed.
"""

from __future__ import annotations

import json
from typing import Any

from comfydock_rules.model import Candidate, ModelFile, Resolution
from comfydock_rules.printable import inert_json
from comfydock_rules.report.core import (
    REPORT_VERSION,
    Report,
    gate_failures,
    is_gated,
    is_problem,
    round_score,
    severity,
    summary,
)
from comfydock_rules.report.formats import DEFAULT_OPTIONS, RenderOptions
from comfydock_rules.report.workflows import WorkflowSummary, workflow_summaries


def _file(file: ModelFile | None) -> dict[str, Any] | None:
    if file is None:
        return None
    return {"relative_path": file.relative_path, "hash": file.hash, "size": file.size}


def _candidate(cand: Candidate) -> dict[str, Any]:
    return {
        "relative_path": cand.file.relative_path,
        "hash": cand.file.hash,
        "score": round_score(cand.score),
        "reason": cand.reason,
    }


def reference_dict(res: Resolution, fail_on: tuple[str, ...]) -> dict[str, Any]:
    ref = res.ref
    return {
        "workflow": ref.workflow,
        "node_id": ref.node_id,
        "node_type": ref.node_type,
        "widget_index": ref.widget_index,
        "input": ref.input,
        "key": ref.key,
        "value": ref.value,
        "line": ref.line,
        "mode": ref.mode,
        "host": ref.host,
        "fallback": ref.fallback,
        "status": res.status,
        "method": res.method,
        "score": round_score(res.score),
        "flags": sorted(res.flags),
        "resolved": _file(res.resolved),
        "candidates": [_candidate(cand) for cand in res.candidates[:5]],
        "url": res.url,
        "download_directory": res.download_directory,
        "messages": list(res.messages),
        "gated": is_gated(res, fail_on),
        "severity": severity(res, fail_on) if is_problem(res) else "ok",
    }


def _workflow(summary: WorkflowSummary) -> dict[str, Any]:
    return {
        "workflow": summary.workflow,
        "readable": summary.readable,
        "runnable": summary.runnable,
        "references": summary.references,
        **summary.counts,
        "gate_failures": summary.gate_failures,
        "blocking": [
            {"node_id": res.ref.node_id, "node_type": res.ref.node_type, "value": res.ref.value,
             "status": res.status, "line": res.ref.line}
            for res in summary.blocking
        ],
    }


def report_dict(report: Report) -> dict[str, Any]:
    failures = gate_failures(report)
    return {
        "version": REPORT_VERSION,
        "summary": summary(report),
        "gate": {
            "fail_on": list(report.fail_on),
            "failures": failures,
            "passed": failures == 0 and not report.errors,
        },
        "workflows": list(report.workflows),
        "workflow_summary": [_workflow(s) for s in workflow_summaries(report)],
        "errors": [
            {"workflow": e.workflow, "line": e.line, "column": e.column, "message": e.message}
            for e in report.errors
        ],
        "references": [reference_dict(res, report.fail_on) for res in report.resolutions],
    }


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    text = json.dumps(report_dict(report), indent=2, sort_keys=True, ensure_ascii=False)
    return inert_json(text) + "\n"
