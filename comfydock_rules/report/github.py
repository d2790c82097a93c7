"""GitHub Actions workflow commands: annotations on the workflow file's node line, as many as
GitHub shows, then a summary line.

GitHub turns at most 10 errors, 10 warnings and 10 notices of a step into annotations
(`RenderOptions.max_annotations`, the per-level budget); more would only lengthen the log. So
errors (what fails the gate, unreadable files) come first, each level keeps its budget, a plain
summary line follows, and a notice counts what was not annotated (it takes one of the notices'
places, so GitHub shows it too).

Escaping follows @actions/core (toolkit packages/core/src/command.ts): message data escapes
`%`, CR and LF; property values additionally `:` and `,`, which would otherwise end the value.
"""

from __future__ import annotations

from comfydock_rules.model import Resolution
from comfydock_rules.printable import printable
from comfydock_rules.report.core import (
    ReadProblem,
    Report,
    gate_line,
    is_problem,
    problem_message,
    repo_path,
    severity,
    status_counts_line,
)
from comfydock_rules.report.formats import (
    DEFAULT_OPTIONS,
    GITHUB_ANNOTATIONS_PER_LEVEL,
    RenderOptions,
)
from comfydock_rules.report.kinds import UNREADABLE, Kind, kind_of

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}
TOOL = "comfydock-rules"


def _printable(text: str) -> str:
    # CR and LF stay: escape_data / escape_property encode them as GitHub expects.
    return printable(text, keep="\r\n")


def escape_data(text: str) -> str:
    return _printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return (
        _printable(text).replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def command(level: str, message: str, file: str | None, line: int | None, title: str) -> str:
    props = [f"file={escape_property(file)}"] if file is not None else []
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def title(kind: Kind) -> str:
    """`comfydock-rules CDR001 missing-model`: the rule id to look up in docs/reports.md."""
    return f"{TOOL} {kind.id} {kind.name}"


def _by_level(report: Report) -> dict[str, list[ReadProblem | Resolution]]:
    """Every problem, by annotation level, in report order; unreadable workflows first."""
    by_level: dict[str, list[ReadProblem | Resolution]] = {
        level: [] for level in _LEVELS.values()}
    by_level["error"].extend(report.errors)
    for res in report.resolutions:
        if is_problem(res):
            by_level[_LEVELS[severity(res, report.fail_on)]].append(res)
    return by_level


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    budget = max(options.max_annotations, 0)
    by_level = _by_level(report)
    total = sum(len(items) for items in by_level.values())
    over = any(len(items) > budget for items in by_level.values())
    paths: dict[str, str] = {}

    def path_of(workflow: str) -> str:
        if workflow not in paths:
            paths[workflow] = repo_path(workflow)
        return paths[workflow]

    lines: list[str] = []
    left: dict[str, int] = {}
    for level, items in by_level.items():
        room = budget - 1 if level == "notice" and over and budget else budget
        for item in items[:room]:
            if isinstance(item, ReadProblem):
                lines.append(command(level, item.message, path_of(item.workflow), item.line,
                                     title(UNREADABLE)))
            else:
                lines.append(command(level, problem_message(item), path_of(item.ref.workflow),
                                     item.ref.line, title(kind_of(item))))
        left[level] = len(items) - len(items[:room])
    lines.append(f"{TOOL}: {status_counts_line(report)}; {gate_line(report)}")
    not_shown = sum(left.values())
    if not_shown and budget:
        detail = ", ".join(f"{n} {level}{'s' if n != 1 else ''}"
                           for level, n in left.items() if n)
        lines.append(command(
            "notice",
            f"{not_shown} of {total} problems not annotated ({detail}): at most {budget} per "
            f"level here, and GitHub shows at most {GITHUB_ANNOTATIONS_PER_LEVEL} per level and "
            "step; the JSON and Markdown reports list every problem",
            None, None, f"{TOOL}: more problems",
        ))
    return "".join(line + "\n" for line in lines)
