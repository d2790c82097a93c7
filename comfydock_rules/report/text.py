"""Plain text for a terminal and for the pre-commit hook: one line per problem, then a summary.

Each problem line reads `workflow:line: status: value (node_type #node_id) -> suggestion`, the
shape editors and terminals turn into a link to the node.
"""

from __future__ import annotations

from comfydock_rules.model import Resolution
from comfydock_rules.printable import printable
from comfydock_rules.report.core import (
    Report,
    gate_line,
    is_gated,
    is_problem,
    node_text,
    status_counts_line,
    suggestion,
)
from comfydock_rules.report.formats import DEFAULT_OPTIONS, RenderOptions


def _oneline(text: str) -> str:
    # Each problem stays on one line.
    return printable(text)


def problem_line(res: Resolution, gated: bool) -> str:
    ref = res.ref
    where = ref.workflow if ref.line is None else f"{ref.workflow}:{ref.line}"
    notes: list[str] = sorted(res.flags)
    if not gated:
        notes.append("not gated")
    node = node_text(ref)
    if notes:
        node += "; " + ", ".join(notes)
    line = f"{where}: {res.status}: {ref.value} ({node})"
    hint = suggestion(res)
    if hint:
        line += f" -> {hint}"
    return _oneline(line)


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    """All problems and a summary; with `quiet`, only what fails the gate, nothing on success."""
    quiet = options.quiet
    # Unreadable workflows are printed on stderr as they happen; the summary counts them.
    lines: list[str] = []
    for res in report.resolutions:
        gated = is_gated(res, report.fail_on)
        if gated or (not quiet and is_problem(res)):
            lines.append(problem_line(res, gated))
    if not quiet:
        lines.append(f"{status_counts_line(report)}; {gate_line(report)}")
    elif lines:
        lines.append(gate_line(report))
    return "".join(line + "\n" for line in lines)
