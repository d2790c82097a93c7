"""Compute the new pyproject.toml text (tomlkit), show it as a unified diff, write it atomically.

tomlkit keeps every byte it is not asked to change: comments, order, formatting and other tools'
tables. Only the two tables of the schema (docs/pyproject.md) are touched, and only the entries
that differ, so a second run over its own output changes nothing.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.pyproject.pins import TOOL_KEY, PinnedNode, RecordedModel


@dataclass(frozen=True)
class PinWrite:
    """Record (or update) `reference` of `workflow` as `hash`, used by `nodes`."""

    workflow: str
    reference: str
    hash: str
    nodes: tuple[PinnedNode, ...]


@dataclass(frozen=True)
class PinRemoval:
    workflow: str
    reference: str


@dataclass(frozen=True)
class PatchPlan:
    pins: tuple[PinWrite, ...] = ()
    removals: tuple[PinRemoval, ...] = ()
    models: tuple[RecordedModel, ...] = ()
    """Registry entries to add when their hash is not recorded yet (existing ones are kept)."""
    drop_models: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.pins or self.removals or self.models or self.drop_models)


def node_table(node: PinnedNode) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table["node_id"] = node.node_id
    if node.widget_idx is not None:
        table["widget_idx"] = node.widget_idx
    if node.input is not None and node.widget_idx is None:
        table["input"] = node.input
    if node.key is not None:
        table["key"] = node.key
    return table


def nodes_array(nodes: Sequence[PinnedNode]) -> Any:
    import tomlkit

    array = tomlkit.array()
    for node in nodes:
        array.append(node_table(node))
    return array


def _plain_nodes(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [dict(item) if isinstance(item, dict) else {} for item in value]


def _nodes_as_data(nodes: Sequence[PinnedNode]) -> list[dict[str, Any]]:
    return [dict(node_table(node).unwrap()) for node in nodes]


def _child(container: MutableMapping[str, Any], key: str, where: str, super_table: bool) -> Any:
    """The table at `key`, created (as a `[header]` table) when absent."""
    import tomlkit

    if key in container:
        item = container[key]
        if not isinstance(item, MutableMapping):
            raise ToolInputError(
                f"{where}{key} is not a table, so resolutions cannot be recorded under it",
                hint="see docs/pyproject.md for the schema",
            )
        return item
    container[key] = tomlkit.table(is_super_table=super_table)
    return container[key]


def _prune_empty(container: MutableMapping[str, Any], keys: Sequence[str]) -> None:
    """Remove `container[keys...]` tables left empty by removals, innermost first."""
    chain: list[tuple[MutableMapping[str, Any], str]] = []
    node: Any = container
    for key in keys:
        if not isinstance(node, MutableMapping) or key not in node:
            return
        chain.append((node, key))
        node = node[key]
    for parent, key in reversed(chain):
        child = parent[key]
        if isinstance(child, MutableMapping) and len(child) == 0:
            del parent[key]
        else:
            return


def _newline_style(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf == text.count("\n") else "\n"


def patched_text(text: str, plan: PatchPlan) -> str:
    """`text` with `plan` applied; `text` unchanged when the plan changes nothing."""
    if plan.empty:
        return text
    import tomlkit

    newline = _newline_style(text)
    source = text.replace("\r\n", "\n") if newline == "\r\n" else text
    doc = tomlkit.parse(source)
    tool = _child(doc, "tool", "", True)
    section = _child(tool, TOOL_KEY, "tool.", True)
    where = f"tool.{TOOL_KEY}."

    for removal in plan.removals:
        workflows = section.get("workflows")
        if not isinstance(workflows, MutableMapping):
            continue
        models = workflows.get(removal.workflow, {}).get("models")
        if isinstance(models, MutableMapping) and removal.reference in models:
            del models[removal.reference]
        _prune_empty(section, ["workflows", removal.workflow, "models"])

    if plan.models or plan.drop_models:
        if plan.models:
            registry = _child(section, "models", where, True)
            required = _child(registry, "required", f"{where}models.", False)
            for model in sorted(plan.models, key=lambda m: m.hash):
                if model.hash not in required:
                    required[model.hash] = _model_table(model)
        registry_any = section.get("models")
        required_any = (
            registry_any.get("required") if isinstance(registry_any, MutableMapping) else None
        )
        if isinstance(required_any, MutableMapping):
            for digest in sorted(plan.drop_models):
                if digest in required_any:
                    del required_any[digest]
            _prune_empty(section, ["models", "required"])

    by_workflow: dict[str, list[PinWrite]] = {}
    for pin in plan.pins:
        by_workflow.setdefault(pin.workflow, []).append(pin)
    for name in sorted(by_workflow):
        workflows = _child(section, "workflows", where, True)
        workflow = _child(workflows, name, f"{where}workflows.", True)
        models = _child(workflow, "models", f"{where}workflows.{name}.", False)
        for pin in sorted(by_workflow[name], key=lambda p: p.reference):
            _write_pin(models, pin)

    new = tomlkit.dumps(doc)
    if newline == "\r\n":
        new = new.replace("\n", "\r\n")
    return new


def _write_pin(models: MutableMapping[str, Any], pin: PinWrite) -> None:
    import tomlkit

    entry = models.get(pin.reference)
    if isinstance(entry, MutableMapping):
        # Touch only what differs, so the entry's own layout is kept.
        if entry.get("hash") != pin.hash:
            entry["hash"] = pin.hash
        if _plain_nodes(entry.get("nodes")) != _nodes_as_data(pin.nodes):
            entry["nodes"] = nodes_array(pin.nodes)
        return
    table = tomlkit.inline_table()
    table["hash"] = pin.hash
    table["nodes"] = nodes_array(pin.nodes)
    models[pin.reference] = table


def _model_table(model: RecordedModel) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    if model.filename is not None:
        table["filename"] = model.filename
    if model.size is not None:
        table["size"] = model.size
    if model.relative_path is not None:
        table["relative_path"] = model.relative_path
    return table


def repository_root(path: Path) -> Path:
    """The git work tree holding `path` (a `.git` folder or file), else the current folder."""
    here = path.absolute().parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return Path.cwd()


def diff_label(path: Path) -> str:
    """`path` relative to its repository, '/'-separated, as `git apply` and `patch -p1` expect."""
    absolute = path.absolute()
    root = repository_root(absolute)
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(absolute, root)).as_posix()
        except ValueError:
            return absolute.name


def _diff_lines(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        if line.endswith("\n"):
            yield line
        else:
            yield line + "\n"
            yield "\\ No newline at end of file\n"


def unified_diff(old: str, new: str, label: str, created: bool = False) -> str:
    """A unified diff with `a/<label>` / `b/<label>` headers; empty when nothing changes."""
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile="/dev/null" if created else f"a/{label}",
        tofile=f"b/{label}",
        n=3,
    )
    return "".join(_diff_lines(lines))


def check_writable(path: Path, display: str) -> None:
    """Refuse to replace a read-only file: a rename would ignore the file's mode (and root would
    ignore it anyway), but a read-only pyproject says someone does not want it changed."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ToolInputError(f"cannot read the pyproject: {exc.strerror}", path=display) from None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ToolInputError(
            "the pyproject is read-only; it was not changed",
            path=display,
            hint="make it writable (chmod u+w) or write the change as a diff with --patch FILE",
        )


def atomic_write(path: Path, text: str, display: str) -> None:
    """Through the one atomic writer (comfydock_rules/atomic.py), keeping the file's mode."""
    from comfydock_rules.atomic import write_atomic

    target = path.resolve() if path.is_symlink() else path
    check_writable(target, display)
    write_atomic(target, text, what="the pyproject", display=display,
                 hint="check the folder's permissions and free space, or write the change "
                 "with --patch FILE")
