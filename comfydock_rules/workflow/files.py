"""Expand the PATHS of a command line into workflow files, in a stable order.

A file given by name is read whatever its extension (the reader tells JSON, PNG and WebP apart
by content). A folder is searched recursively for `.json`, `.png` and `.webp` files (any case);
folders whose name starts with '.' (`.git`, `.venv`) are skipped, and symbolic links to folders
are not followed, so a link loop cannot make the walk endless.

Inside a folder, only regular files are workflows: a named pipe or a device with a `.json` name
is skipped with a warning (opening it could block or never end), and so is a symbolic link whose
target lies outside the folder given (`x.json -> /etc/shadow`): a shared folder must not make
the tool read files elsewhere. A file named on the command line is read wherever it points: the
user named it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from comfydock_rules.errors import ToolInputError

WORKFLOW_SUFFIXES: frozenset[str] = frozenset({".json", ".png", ".webp"})


def _join(folder: str, relative: str) -> str:
    base = folder.rstrip("/\\") or folder
    if base in (".", ""):
        return relative
    if base.endswith(("/", "\\")):
        return base + relative
    return f"{base}/{relative}"


@dataclass(frozen=True)
class WorkflowFiles:
    files: tuple[tuple[Path, str], ...]
    """(path, display) pairs, sorted by display, each file once."""
    warnings: tuple[str, ...] = ()
    """Entries of the folders given that were skipped, and why."""


def _inside(target: str, folder: str) -> bool:
    return target == folder or target.startswith(folder.rstrip(os.sep) + os.sep)


def _skip_reason(path: Path, real_folder: str) -> str | None:
    """Why an entry found in a folder is not read as a workflow, or None."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            if not _inside(os.path.realpath(path), real_folder):
                return "a symbolic link to a file outside the folder (name it to read it)"
            st = os.stat(path)
    except FileNotFoundError:
        return "a broken symbolic link"
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def _walk(folder: Path, given: str, warnings: list[str]) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    real_folder = os.path.realpath(folder)

    def fail(exc: OSError) -> None:
        raise ToolInputError(
            f"cannot read folder: {exc.strerror or exc}", exc.filename or given
        )

    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = Path(root).relative_to(folder).as_posix()
        for name in files:
            if os.path.splitext(name)[1].lower() not in WORKFLOW_SUFFIXES:
                continue
            relative = name if rel_root == "." else f"{rel_root}/{name}"
            display = _join(given, relative)
            reason = _skip_reason(Path(root) / name, real_folder)
            if reason is not None:
                warnings.append(f"{display}: skipped, {reason}")
                continue
            found.append((Path(root) / name, display))
    return found


def expand_paths(paths: Sequence[str]) -> tuple[tuple[Path, str], ...]:
    """(path, display) pairs sorted by display; one file reached twice is listed once."""
    return list_workflows(paths).files


def list_workflows(paths: Sequence[str]) -> WorkflowFiles:
    """The workflow files of PATHS and the warnings about entries skipped in their folders."""
    pairs: list[tuple[Path, str]] = []
    warnings: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            pairs.extend(_walk(path, given, warnings))
        elif path.exists():
            pairs.append((path, given))
        else:
            raise ToolInputError(
                "no such file or folder", given, hint="give workflow files or folders"
            )
    pairs.sort(key=lambda pair: pair[1])
    seen: set[str] = set()
    out: list[tuple[Path, str]] = []
    for path, display in pairs:
        try:
            identity = str(path.resolve())
        except (OSError, RuntimeError):
            identity = os.path.abspath(path)
        if identity in seen:
            continue
        seen.add(identity)
        out.append((path, display))
    return WorkflowFiles(tuple(out), tuple(warnings))
