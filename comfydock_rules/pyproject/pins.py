"""Read the resolutions already recorded in pyproject.toml (fast path: stdlib tomllib only).

Schema (ComfyDock's, see docs/pyproject.md):

    [tool.comfydock.models.required]
    "<hash>" = {filename = "...", size = 123, relative_path = "checkpoints/..."}

    [tool.comfydock.workflows."<workflow name>".models]
    "<reference as written>" = {hash = "<hash>", nodes = [{node_id = "4", widget_idx = 0}]}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError

PYPROJECT = "pyproject.toml"
TOOL_KEY = "comfydock"

_TOMLLIB_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOMLLIB_END = re.compile(r"\s*\(at end of document\)\s*$")


@dataclass(frozen=True)
class PinnedNode:
    """Where a pinned reference is used: node path plus widget index or input name."""

    node_id: str
    widget_idx: int | None = None
    input: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Pin:
    reference: str
    hash: str
    nodes: tuple[PinnedNode, ...] = ()


@dataclass(frozen=True)
class RecordedModel:
    """One `[tool.comfydock.models.required]` entry."""

    hash: str
    filename: str | None = None
    size: int | None = None
    relative_path: str | None = None


@dataclass(frozen=True)
class PyprojectPins:
    """Everything this tool reads from one pyproject.toml."""

    path: Path
    text: str
    """The file's text exactly as read (newlines untranslated), the base of any patch."""
    workflows: Mapping[str, Mapping[str, Pin]]
    """Workflow name -> reference as written -> pin."""
    registry: Mapping[str, RecordedModel]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or a parent folder, stopping at a repository's root
    (as `check` finds its settings), so that a parent project's pins are never written."""
    here = start.absolute()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def new_pyproject_path(start: Path) -> Path:
    """Where a pyproject.toml is created when there is none to find: the repository's root (the
    nearest folder holding `.git`), else `start` itself."""
    here = start.absolute()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder / PYPROJECT
    return here / PYPROJECT


def workflow_name(path: Path | str) -> str:
    """ComfyDock's workflow name: the file's stem (`workflows/foo.json` is `foo`).

    ComfyDock keeps workflows flat in `user/default/workflows/` and names each by
    `Path.stem`; pyproject tables are keyed by that name.
    """
    return Path(path).stem


def workflow_names(
    workflows: Sequence[tuple[Path, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Display -> workflow name, and the names that two different files would share."""
    names: dict[str, str] = {}
    owners: dict[str, dict[str, str]] = {}
    for path, display in workflows:
        name = workflow_name(path)
        names[display] = name
        try:
            identity = os.path.realpath(path)
        except (OSError, ValueError):
            identity = str(path)
        owners.setdefault(name, {}).setdefault(identity, display)
    clashes = {
        name: sorted(by_file.values()) for name, by_file in owners.items() if len(by_file) > 1
    }
    return names, clashes


def _error_position(message: str) -> tuple[str, int | None, int | None]:
    match = _TOMLLIB_POSITION.search(message)
    if match:
        return message[: match.start()], int(match.group(1)), int(match.group(2))
    match = _TOMLLIB_END.search(message)
    if match:
        return message[: match.start()] + " at the end of the file", None, None
    return message, None, None


def read_text(path: Path, display: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ToolInputError(
            f"cannot read the pyproject: {exc.strerror or exc}", path=display
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ToolInputError(
            "the pyproject is not UTF-8 text", path=display, line=line, column=column,
            hint="TOML files must be UTF-8",
        ) from None


def parse(text: str, display: str) -> dict[str, Any]:
    """tomllib's parse, its errors turned into file:line:column exit-2 errors."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = _error_position(str(exc))
        raise ToolInputError(
            f"the pyproject does not parse as TOML: {message}",
            path=display, line=line, column=column,
            hint="fix the file; it is never written over while it does not parse",
        ) from None


def _where(*keys: str) -> str:
    import json

    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k) for k in keys)


def _bad(display: str, keys: Sequence[str], what: str) -> ToolInputError:
    return ToolInputError(
        f"{_where(*keys)}: {what}", path=display,
        hint="see docs/pyproject.md for the schema",
    )


def _table(value: object, display: str, keys: Sequence[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(display, keys, f"expected a table, found {type(value).__name__}")
    return value


def _nodes(value: object, display: str, keys: Sequence[str]) -> tuple[PinnedNode, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _bad(display, keys, "expected an array of {node_id, widget_idx} tables")
    nodes: list[PinnedNode] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("node_id"), str | int):
            raise _bad(display, keys, "each node needs a node_id")
        widget = item.get("widget_idx")
        if widget is not None and (not isinstance(widget, int) or isinstance(widget, bool)):
            raise _bad(display, keys, "widget_idx must be an integer")
        name = item.get("input")
        key = item.get("key")
        nodes.append(
            PinnedNode(
                node_id=str(item["node_id"]),
                widget_idx=widget,
                input=name if isinstance(name, str) else None,
                key=key if isinstance(key, str) else None,
            )
        )
    return tuple(nodes)


def pins_from_data(
    data: Mapping[str, Any], display: str
) -> tuple[dict[str, dict[str, Pin]], dict[str, RecordedModel]]:
    tool = _table(data.get("tool"), display, ["tool"])
    section = _table(tool.get(TOOL_KEY), display, ["tool", TOOL_KEY])
    workflows: dict[str, dict[str, Pin]] = {}
    wf_keys = ["tool", TOOL_KEY, "workflows"]
    for name, wf_value in _table(section.get("workflows"), display, wf_keys).items():
        wf = _table(wf_value, display, [*wf_keys, name])
        models_keys = [*wf_keys, name, "models"]
        pins: dict[str, Pin] = {}
        for reference, entry in _table(wf.get("models"), display, models_keys).items():
            entry_keys = [*models_keys, reference]
            entry = _table(entry, display, entry_keys)
            digest = entry.get("hash")
            if not isinstance(digest, str) or not digest:
                raise _bad(display, entry_keys, "the pin needs a `hash` string")
            pins[reference] = Pin(
                reference=reference,
                hash=digest,
                nodes=_nodes(entry.get("nodes"), display, [*entry_keys, "nodes"]),
            )
        workflows[name] = pins
    registry: dict[str, RecordedModel] = {}
    models = _table(section.get("models"), display, ["tool", TOOL_KEY, "models"])
    req_keys = ["tool", TOOL_KEY, "models", "required"]
    for digest, entry in _table(models.get("required"), display, req_keys).items():
        entry = _table(entry, display, [*req_keys, digest])
        filename = entry.get("filename")
        size = entry.get("size")
        relative_path = entry.get("relative_path")
        registry[digest] = RecordedModel(
            hash=digest,
            filename=filename if isinstance(filename, str) else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            relative_path=relative_path if isinstance(relative_path, str) else None,
        )
    return workflows, registry


def read_pins(path: Path, display: str) -> PyprojectPins:
    """Read and check one pyproject.toml; a missing file reads as an empty one."""
    if not path.exists():
        return PyprojectPins(path=path, text="", workflows={}, registry={})
    text = read_text(path, display)
    data = parse(text, display)
    workflows, registry = pins_from_data(data, display)
    return PyprojectPins(path=path, text=text, workflows=workflows, registry=registry)
