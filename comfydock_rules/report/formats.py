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


@dataclass(frozen=True)
class RenderOptions:
    quiet: bool = False
    """text: only what fails the gate; nothing when it passes."""
    markdown_limit: int = MARKDOWN_LIMIT_BYTES
    """markdown: the largest output in bytes; rows past it are counted, not shown."""


DEFAULT_OPTIONS = RenderOptions()


class Renderer(Protocol):
    def render(self, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str: ...


def renderer(name: str) -> Renderer:
    """The module of format `name` (one of FORMATS)."""
    module: Renderer = importlib.import_module(FORMATS[name])
    return module


def render(name: str, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return renderer(name).render(report, options)
