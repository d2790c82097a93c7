"""The report formats, by name: one line per format, each module imported only when used.

A format is a module with `render(report, options) -> str`. Adding one: write the module, add
its line to `FORMATS`; the check command's `--format` list, help and docs read from here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from comfydock_rules.report.core import Report

FORMATS: dict[str, str] = {
    "text": "comfydock_rules.report.text",
    "json": "comfydock_rules.report.json",
    "markdown": "comfydock_rules.report.markdown",
    "github": "comfydock_rules.report.github",
    "sarif": "comfydock_rules.report.sarif",
}
"""Format name -> module; the order is the order `--help` lists them in."""

MARKDOWN_LIMIT_BYTES = 1024 * 1024
"""GitHub's step summary takes at most 1 MiB."""
GITHUB_ANNOTATIONS_PER_LEVEL = 10
"""GitHub Actions turns at most 10 errors, 10 warnings and 10 notices of a step into annotations
(actions/runner src/Runner.Worker/ExecutionContext.cs, `_maxCountPerIssueType`); more are only
log lines."""
SARIF_MAX_RESULTS = 25_000
"""GitHub code scanning rejects a SARIF run with more results (docs.github.com, "SARIF support
for code scanning", limits table)."""
SARIF_MAX_GZIP_BYTES = 10_000_000
"""... and a SARIF file over 10 MB gzip-compressed (same page, "File compatibility")."""


@dataclass(frozen=True)
class RenderOptions:
    quiet: bool = False
    """text: only what fails the gate; nothing when it passes."""
    color: bool = False
    """text: ANSI colours for statuses and the gate line (a terminal asked for them)."""
    markdown_limit: int = MARKDOWN_LIMIT_BYTES
    """markdown: the largest output in bytes; rows past it are counted, not shown."""
    max_annotations: int = GITHUB_ANNOTATIONS_PER_LEVEL
    """github: annotations per level (error, warning, notice); past it, counted in a notice."""
    sarif_max_results: int = SARIF_MAX_RESULTS
    """sarif: results kept, errors first; the rest counted in a warning."""
    sarif_max_gzip_bytes: int = SARIF_MAX_GZIP_BYTES
    """sarif: the largest file, gzip-compressed, as code scanning measures it."""


DEFAULT_OPTIONS = RenderOptions()


@dataclass(frozen=True)
class Rendered:
    text: str
    warnings: tuple[str, ...] = ()
    """What the format had to leave out and why, for stderr (the text itself stays valid)."""


class Renderer(Protocol):
    def render(self, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str: ...


def renderer(name: str) -> Renderer:
    """The module of format `name` (one of FORMATS)."""
    module: Renderer = importlib.import_module(FORMATS[name])
    return module


def render(name: str, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return rendered(name, report, options).text


def rendered(name: str, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Rendered:
    """The text and the warnings; a format that can cut its output (SARIF, under code
    scanning's limits) defines `render_with_warnings`, the others only `render`."""
    module = renderer(name)
    with_warnings = getattr(module, "render_with_warnings", None)
    if with_warnings is not None:
        result: Rendered = with_warnings(report, options)
        return result
    return Rendered(module.render(report, options))
