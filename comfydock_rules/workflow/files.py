"""Expand the PATHS of a command line into workflow files, in a stable order.

A file given by name is read whatever its extension (the reader tells JSON, PNG and WebP apart
by content). A folder is searched recursively for `.json`, `.png` and `.webp` files (any case);
folders whose name starts with '.' (`.git`, `.venv`) are skipped, and symbolic links to folders
are not followed, so a link loop cannot make the walk endless.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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


def _walk(folder: Path, given: str) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []

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
            found.append((Path(root) / name, _join(given, relative)))
    return found


def expand_paths(paths: Sequence[str]) -> tuple[tuple[Path, str], ...]:
    """(path, display) pairs sorted by display; one file reached twice is listed once."""
    pairs: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            pairs.extend(_walk(path, given))
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
    return tuple(out)
