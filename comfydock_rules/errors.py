"""Errors users see: each carries where (file, line, column) and what to do, never a traceback."""

from __future__ import annotations


class ToolInputError(Exception):
    """The tool's own input is unusable (argument, rule file, index, pyproject): exit 2."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.hint = hint

    def location(self) -> str:
        if self.path is None:
            return ""
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class WorkflowReadError(ToolInputError):
    """One workflow file could not be read: reported, the others are still read; exit 1."""

    exit_code = 1
