"""Markdown for people: a pull-request comment or a GitHub Actions step summary.

Problems come first with what to do about them; exact references are folded away. Every string
from a workflow is untrusted (a node type or value may hold pipes, backticks, HTML, links or
newlines) and is escaped so that it shows as text and cannot break the table or inject markup.
The output stays under GitHub's 1 MiB step-summary limit; when cut, it says so.
"""

from __future__ import annotations

import re

from comfydock_rules.model import FLAGS, STATUSES, Resolution
from comfydock_rules.report.core import (
    Report,
    gate_line,
    is_gated,
    is_problem,
    not_as_written_hint,
    round_score,
    summary,
)
from comfydock_rules.report.formats import DEFAULT_OPTIONS, RenderOptions
from comfydock_rules.report.workflows import WorkflowSummary, failing_first, workflow_summaries

_MARGIN = 4096
_SPECIAL = frozenset("\\`*_{}[]()#|~!:$")
_URL_SAFE = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def escape(text: str) -> str:
    """Plain text in Markdown and in a table cell: no markup, no HTML, one line.

    HTML-significant characters become entities (GitHub renders entities, not tags); every
    other ASCII punctuation Markdown may read is backslash-escaped; line breaks become spaces.
    """
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    out: list[str] = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def link(label: str, url: str) -> str:
    """A link only for a plain http(s) URL; anything else is shown as escaped text."""
    if _URL_SAFE.match(url):
        return f"[{escape(label)}](<{url}>)"
    return escape(url)


def _where(res: Resolution) -> str:
    ref = res.ref
    loc = escape(ref.workflow)
    if ref.line is not None:
        loc += f":{ref.line}"
    return loc


def _node(res: Resolution) -> str:
    ref = res.ref
    text = f"{escape(ref.node_type)} \\#{escape(ref.node_id)}"
    if ref.host is not None:
        how = "interior default of" if ref.fallback else "set on"
        text += f", {how} subgraph node \\#{escape(ref.host)}"
    return text


def _score(score: float | None) -> str:
    rounded = round_score(score)
    return "" if rounded is None else f"{rounded:.2f}"


def _what_to_do(res: Resolution) -> str:
    parts: list[str] = []
    if res.status == "fuzzy" and res.resolved is not None:
        parts.append(
            f"uses {escape(res.resolved.relative_path)} ({escape(res.method or '')}, "
            f"{_score(res.score)})"
        )
    elif res.candidates:
        label = "closest"
        if res.status == "ambiguous":
            label = "candidate" if len(res.candidates) == 1 else "candidates"
        parts.append(
            f"{label}: "
            + "; ".join(
                f"{escape(c.file.relative_path)} ({_score(c.score)}, {escape(c.reason)})"
                for c in res.candidates[:5]
            )
        )
    if res.url:
        name = res.ref.value.replace("\\", "/").rsplit("/", 1)[-1]
        if res.status == "ambiguous":
            parts.append(f"declared source {link(name, res.url)}")
        else:
            into = f" into {escape(res.download_directory)}/" if res.download_directory else ""
            parts.append(f"download {link(name, res.url)}{into}")
    if "stale_pin" in res.flags:
        parts.append("recorded pin no longer present")
    if "wrong_directory" in res.flags:
        parts.append("file found only in a directory this node does not load from")
    if "not_as_written" in res.flags and res.resolved is not None:
        parts.append(escape(not_as_written_hint(res)))
    if "no_rule" in res.flags:
        parts.append("no rule for this node type")
    parts.extend(escape(message) for message in res.messages)
    return "<br>".join(parts) if parts else ""


def _problem_row(res: Resolution, fail_on: tuple[str, ...]) -> str:
    status: str = res.status
    if res.flags:
        status += " (" + ", ".join(sorted(res.flags)) + ")"
    gate = "fails" if is_gated(res, fail_on) else "-"
    return (
        f"| {status} | {gate} | {_where(res)} | {_node(res)} | {escape(res.ref.value)} | "
        f"{_what_to_do(res)} |"
    )


def _exact_row(res: Resolution) -> str:
    resolved = escape(res.resolved.relative_path) if res.resolved else ""
    flags = ", ".join(sorted(res.flags))
    return (
        f"| {_where(res)} | {_node(res)} | {escape(res.ref.value)} | {resolved} | "
        f"{escape(res.method or '')} | {flags} |"
    )


MAX_BLOCKING_SHOWN = 5


def _workflow_row(item: WorkflowSummary) -> str:
    if not item.readable:
        runs, what = "no", "could not be read"
    else:
        runs = "yes" if item.runnable else "no"
        shown = [f"{res.status}: {escape(res.ref.value)} ({_node(res)})"
                 for res in item.blocking[:MAX_BLOCKING_SHOWN]]
        more = len(item.blocking) - len(shown)
        what = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    gate = "fails" if item.gate_failures or not item.readable else "passes"
    return f"| {escape(item.workflow)} | {runs} | {gate} | {what} |"


def _workflow_rows(report: Report) -> tuple[list[str], list[str], list[str]]:
    """The section's head, then the rows of workflows that cannot run or fail the gate, then
    the others: failing workflows first."""
    summaries = failing_first(workflow_summaries(report))
    blocked = sum(1 for item in summaries if not item.runnable)
    head = ["## Workflows", "",
            f"{blocked} of {len(summaries)} workflow(s) cannot run with these files.", "",
            "| workflow | runs | gate | what stands in the way |", "|---|---|---|---|"]
    failing = [_workflow_row(i) for i in summaries if not i.runnable or i.gate_failures]
    passing = [_workflow_row(i) for i in summaries if i.runnable and not i.gate_failures]
    return head, failing, passing


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    limit = options.markdown_limit
    counts = summary(report)
    top: list[str] = ["# comfydock-rules report", ""]
    top.append(f"**{escape(gate_line(report))}**")
    top.append("")
    wf_head, wf_failing, wf_passing = _workflow_rows(report)
    head: list[str] = []
    head.append("| status | references |")
    head.append("|---|---:|")
    for status in STATUSES:
        head.append(f"| {status} | {counts[status]} |")
    for flag in FLAGS:
        head.append(f"| {flag} (flag) | {counts[flag]} |")
    head.append(f"| **total** | {counts['references']} |")
    head.append("")
    head.append(
        f"{counts['workflows']} workflow(s) checked, {counts['unreadable_workflows']} unreadable; "
        f"fail on: {', '.join(report.fail_on) or 'none'}."
    )
    head.append("")

    problems = [res for res in report.resolutions if is_problem(res)]
    exact = [res for res in report.resolutions if not is_problem(res)]
    body: list[str] = []
    if report.errors:
        body += ["## Unreadable workflows", ""]
        for error in report.errors:
            body.append(f"- {escape(error.location())}: {escape(error.message)}")
        body.append("")
    problem_rows = [_problem_row(res, report.fail_on) for res in problems]
    exact_rows = [_exact_row(res) for res in exact]

    budget = limit - _MARGIN - _size(top) - _size(wf_head) - _size(head) - _size(body)
    # What a reviewer needs first is kept first: workflows that cannot run, the problems,
    # then workflows that run, then the exact references.
    kept_failing, cut_failing = _fit(wf_failing, budget)
    budget -= _size(kept_failing)
    kept_problems, cut_problems = _fit(problem_rows, budget) if not cut_failing else (
        [], len(problem_rows))
    budget -= _size(kept_problems)
    kept_passing, cut_passing = _fit(wf_passing, budget) if not (
        cut_failing or cut_problems) else ([], len(wf_passing))
    budget -= _size(kept_passing)
    kept_exact, cut_exact = _fit(exact_rows, budget) if not (
        cut_failing or cut_problems or cut_passing) else ([], len(exact_rows))
    top += wf_head + kept_failing + kept_passing + [""]

    if problems:
        body += ["## Problems", ""]
        body.append("| status | gate | workflow | node | value | what to do |")
        body.append("|---|---|---|---|---|---|")
        body += kept_problems
        body.append("")
    else:
        body += ["No problems.", ""]
    if exact:
        body.append("<details>")
        body.append(f"<summary>{len(exact)} exact reference(s)</summary>")
        body.append("")
        if kept_exact:
            body.append("| workflow | node | value | file | method | flags |")
            body.append("|---|---|---|---|---|---|")
            body += kept_exact
            body.append("")
        body.append("</details>")
        body.append("")
    cut = cut_problems + cut_exact
    cut_workflows = cut_failing + cut_passing
    if cut or cut_workflows:
        rows = f"{cut} reference row(s)" if cut else ""
        if cut_workflows:
            rows += (" and " if rows else "") + f"{cut_workflows} workflow row(s)"
        body.append(
            f"> **Report cut:** {rows} left out to stay under GitHub's "
            f"{limit // 1024} KiB limit; the JSON report has every reference."
        )
        body.append("")
    return "\n".join(top + head + body).rstrip("\n") + "\n"


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _fit(rows: list[str], budget: int) -> tuple[list[str], int]:
    kept: list[str] = []
    used = 0
    for row in rows:
        used += len(row.encode("utf-8")) + 1
        if used > budget:
            return kept, len(rows) - len(kept)
        kept.append(row)
    return kept, 0
