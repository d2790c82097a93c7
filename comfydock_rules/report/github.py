"""GitHub Actions workflow commands: one annotation per problem, on the workflow file's node line.

Escaping follows @actions/core (toolkit packages/core/src/command.ts): message data escapes
`%`, CR and LF; property values additionally `:` and `,`, which would otherwise end the value.
"""

from __future__ import annotations

from comfydock_rules.printable import printable
from comfydock_rules.report.core import Report, is_problem, problem_message, repo_path, severity
from comfydock_rules.report.formats import DEFAULT_OPTIONS, RenderOptions

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


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


def command(level: str, message: str, file: str, line: int | None, title: str) -> str:
    props = [f"file={escape_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    lines: list[str] = []
    for error in report.errors:
        lines.append(
            command("error", error.message, repo_path(error.workflow), error.line,
                    "comfydock-rules: unreadable workflow")
        )
    for res in report.resolutions:
        if not is_problem(res):
            continue
        level = _LEVELS[severity(res, report.fail_on)]
        title = f"comfydock-rules: {res.status} model"
        lines.append(
            command(level, problem_message(res), repo_path(res.ref.workflow), res.ref.line, title)
        )
    return "".join(line + "\n" for line in lines)
