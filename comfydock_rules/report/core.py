"""The report every output format renders: sorted resolutions, counts, and the gate's verdict.

Writers (report_*.py) take a Report and return text; they never decide what is a problem or what
fails the gate, so that all formats always agree with the exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import (
    FLAGS,
    GATE_WORDS,
    STATUSES,
    Flag,
    GateWord,
    ModelRef,
    Resolution,
    reference_sort_key,
)

PROBLEM_FLAGS: tuple[Flag, ...] = ("no_rule", "stale_pin", "wrong_directory", "not_as_written")
"""Flags that make an otherwise exact reference worth showing."""
REPORT_VERSION = 1
SCORE_DIGITS = 4


@dataclass(frozen=True)
class ReadProblem:
    """A workflow file that could not be read (exit 1, the other files are still checked)."""

    workflow: str
    message: str
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        loc = self.workflow
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc


@dataclass(frozen=True)
class Report:
    resolutions: tuple[Resolution, ...]
    """Sorted by workflow, node path, widget (model.reference_sort_key)."""
    workflows: tuple[str, ...]
    """Every workflow file checked, read or not, sorted."""
    errors: tuple[ReadProblem, ...]
    fail_on: tuple[GateWord, ...]
    """The gate in force: the rules' gate.fail_on unless settings or --fail-on replace it."""


def build_report(
    resolutions: Iterable[Resolution],
    workflows: Iterable[str],
    errors: Iterable[ReadProblem] = (),
    *,
    fail_on: Sequence[str],
) -> Report:
    """Sort everything once here so that every writer is deterministic without trying."""
    ordered = tuple(sorted(resolutions, key=lambda res: reference_sort_key(res.ref)))
    problems = tuple(sorted(errors, key=lambda e: (e.workflow, e.line or 0, e.column or 0)))
    return Report(
        resolutions=ordered,
        workflows=tuple(sorted(set(workflows))),
        errors=problems,
        fail_on=tuple(word for word in GATE_WORDS if word in fail_on),
    )


def parse_fail_on(text: str | Sequence[str], source: str = "--fail-on") -> tuple[GateWord, ...]:
    """`missing,ambiguous` -> ('missing', 'ambiguous'); `none` (or an empty list) -> ()."""
    words = text.split(",") if isinstance(text, str) else list(text)
    if isinstance(text, str) and not text.strip():
        # An empty value (an unset CI variable) must not silently switch the gate off.
        raise ToolInputError(f"{source}: empty", hint="give statuses and flags, or none")
    chosen: set[str] = set()
    for raw in words:
        word = str(raw).strip().lower()
        if word in ("", "none"):
            continue
        if word not in GATE_WORDS:
            raise ToolInputError(
                f"{source}: unknown status or flag {raw!r}",
                hint="use a comma list of " + ", ".join(GATE_WORDS) + ", or none",
            )
        chosen.add(word)
    return tuple(word for word in GATE_WORDS if word in chosen)


def round_score(score: float | None) -> float | None:
    return None if score is None else round(float(score), SCORE_DIGITS)


def is_problem(res: Resolution) -> bool:
    """Anything but a plain exact reference is shown to people; bypassed ones too, marked."""
    return res.status != "exact" or any(flag in PROBLEM_FLAGS for flag in res.flags)


def is_gated(res: Resolution, fail_on: Sequence[str]) -> bool:
    """Does this reference fail the gate?

    A status or flag in `fail_on` fails it. A reference on a bypassed or muted node fails only
    when `bypassed` is in `fail_on` too: such nodes do not run, so by default they are reported
    but never block a commit.
    """
    if "bypassed" in res.flags and "bypassed" not in fail_on:
        return False
    if res.status in fail_on:
        return True
    return any(flag in fail_on for flag in res.flags if flag != "bypassed")


def severity(res: Resolution, fail_on: Sequence[str]) -> str:
    """`error` (fails the gate), `warning` (a problem that does not), `note` (bypassed)."""
    if is_gated(res, fail_on):
        return "error"
    if "bypassed" in res.flags:
        return "note"
    return "warning"


def gate_failures(report: Report) -> int:
    return sum(1 for res in report.resolutions if is_gated(res, report.fail_on))


def exit_code(report: Report) -> int:
    """0 gate passed; 1 gate failed or a workflow could not be read."""
    return 1 if report.errors or gate_failures(report) else 0


def summary(report: Report) -> dict[str, int]:
    """Counts per status and per flag; every key is always present so consumers can rely on it."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    counts.update(dict.fromkeys(FLAGS, 0))
    for res in report.resolutions:
        counts[res.status] = counts.get(res.status, 0) + 1
        for flag in res.flags:
            counts[flag] = counts.get(flag, 0) + 1
    counts["references"] = len(report.resolutions)
    counts["workflows"] = len(report.workflows)
    counts["unreadable_workflows"] = len(report.errors)
    counts["gate_failures"] = gate_failures(report)
    return counts


def _score_text(score: float | None) -> str:
    return "" if score is None else f"{score:.2f}"


def suggestion(res: Resolution) -> str:
    """What to do, in one line; empty when there is nothing to suggest."""
    if res.status == "fuzzy" and res.resolved is not None:
        how = res.method or "picked"
        score = f", score {_score_text(res.score)}" if res.score is not None else ""
        return f"use {res.resolved.path_in_directory} ({how}{score})"
    if res.status == "exact":
        if "stale_pin" in res.flags:
            return "the recorded pin's file is gone; re-pin with --fix"
        if "not_as_written" in res.flags and res.resolved is not None:
            return not_as_written_hint(res)
        return ""
    parts: list[str] = []
    if res.status == "ambiguous" and len(res.candidates) == 1:
        # One candidate is not a tie: say why it was not picked.
        cand = res.candidates[0]
        text = f"candidate: {cand.file.path_in_directory} ({_score_text(cand.score)})"
        why = _not_picked(res)
        detail = cand.reason.split("; ", 1)[1] if "; " in cand.reason else ""
        if detail and detail not in why:
            why = f"{why} ({detail})" if why else detail
        parts.append(f"{text}, not picked: {why}" if why else text)
    elif res.candidates:
        shown = ", ".join(
            f"{cand.file.path_in_directory} ({_score_text(cand.score)})"
            for cand in res.candidates[:3]
        )
        parts.append(("candidates: " if res.status == "ambiguous" else "closest: ") + shown)
    if res.url and res.status == "ambiguous":
        parts.append(f"declared source {res.url}")
    elif res.url:
        where = f" into {res.download_directory}/" if res.download_directory else ""
        parts.append(f"download {res.url}{where}")
    if "wrong_directory" in res.flags and not parts:
        parts.append("the file exists only in a directory this node does not load from")
    return "; ".join(parts)


def node_text(ref: ModelRef) -> str:
    """`CheckpointLoaderSimple #12:3`, and for a widget promoted to a subgraph node, where its
    value is set: `..., set on subgraph node #12` or `..., interior default of subgraph node
    #12` (that node stores no value of its own)."""
    text = f"{ref.node_type} #{ref.node_id}"
    if ref.host is not None:
        how = "interior default of" if ref.fallback else "set on"
        text += f", {how} subgraph node #{ref.host}"
    return text


def not_as_written_hint(res: Resolution) -> str:
    """What to do when a pin finds a file ComfyUI would not load under the value as written."""
    assert res.resolved is not None
    found = res.resolved
    slot = res.ref.slot
    directories = slot.directories if slot is not None else ()
    if directories and found.directory not in directories:
        place = f"{directories[0]}/{res.ref.lookup_value}"
        return (f"the pin finds {found.relative_path}, outside the folders "
                f"{res.ref.node_type} loads from: move or link it to {place}, or change the "
                "rule's directories")
    place = f"{found.directory}/{res.ref.lookup_value}"
    return (f"the pin finds {found.relative_path}, which ComfyUI loads as "
            f"{found.path_in_directory}: change the workflow's value to it, or link or move "
            f"the file to {place}")


def _not_picked(res: Resolution) -> str:
    """The engine's reason for not picking (its first message), without the file it names."""
    for message in res.messages:
        if " not picked: " in message:
            return message.split(" not picked: ", 1)[1]
    return res.messages[0] if res.messages else ""


def problem_message(res: Resolution) -> str:
    """One line for annotations (GitHub, SARIF): value, node, status, flags and what to do."""
    ref = res.ref
    text = f"{ref.value} ({node_text(ref)}) is {res.status}"
    if res.flags:
        text += " [" + ", ".join(sorted(res.flags)) + "]"
    hint = suggestion(res)
    if hint:
        text += f": {hint}"
    return text


def status_counts_line(report: Report) -> str:
    """`12 references in 3 workflows: 8 exact, 1 fuzzy, 1 ambiguous, 2 missing; of all 12: 1
    bypassed`."""
    counts = summary(report)
    refs = counts["references"]
    wfs = counts["workflows"]
    text = (
        f"{refs} reference{'s' if refs != 1 else ''} in {wfs} workflow{'s' if wfs != 1 else ''}: "
        + ", ".join(f"{counts[status]} {status}" for status in STATUSES)
    )
    extra = [f"{counts[flag]} {flag}" for flag in FLAGS if counts[flag]]
    if extra:
        # Flags cut across statuses: '3 missing (1 bypassed)' would read as 1 of the 3.
        text += f"; of all {refs}: " + ", ".join(extra)
    if report.errors:
        text += f"; {len(report.errors)} unreadable"
    return text


def gate_line(report: Report) -> str:
    gate = ",".join(report.fail_on) or "none"
    failures = gate_failures(report)
    if failures:
        return f"gate failed: {failures} reference{'s' if failures != 1 else ''} ({gate})"
    if report.errors:
        return "gate failed: a workflow could not be read"
    return f"gate passed ({gate})"


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder holding `.git`, for repository-relative annotation paths."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repo_path(workflow: str, base: Path | None = None) -> str:
    """A workflow path relative to the git root (else the current folder), '/'-separated.

    GitHub's annotations and code scanning attach results only to repository-relative paths.
    """
    cwd = Path.cwd()
    root = base or find_repo_root(cwd) or cwd
    path = Path(workflow)
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return workflow.replace("\\", "/")
