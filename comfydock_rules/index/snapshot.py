"""JSON snapshots of the index: what CI checks workflows against when it has no model files.

The snapshot holds only what resolution needs (location, quick hash, size, and the longer hashes
when known); no roots, times or machine paths, so one machine's export is byte for byte the same
on every run with the same files.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import ModelFile
from comfydock_rules.printable import inert_json

FORMAT = "comfydock-rules-index"
VERSION = 1


def snapshot_document(files: Iterable[ModelFile]) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for item in sorted(files, key=lambda f: f.relative_path):
        entry: dict[str, Any] = {"relative_path": item.relative_path, "hash": item.hash,
                                 "size": item.size}
        if item.full_blake3:
            entry["full_blake3"] = item.full_blake3
        if item.sha256:
            entry["sha256"] = item.sha256
        entries.append(entry)
    return {"format": FORMAT, "version": VERSION, "files": entries}


def dumps(files: Iterable[ModelFile]) -> str:
    text = json.dumps(snapshot_document(files), indent=1, sort_keys=True, ensure_ascii=False)
    return inert_json(text) + "\n"


def _bad(path: Path, message: str) -> ToolInputError:
    return ToolInputError(f"not a valid index snapshot: {message}", path=str(path),
                          hint="write one with: comfydock-rules index export -o FILE")


def parse_snapshot(text: str, path: Path) -> tuple[ModelFile, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolInputError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno,
                             column=exc.colno) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad(path, f'expected an object with "format": "{FORMAT}"')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad(path, '"version" must be an integer')
    if version > VERSION:
        raise ToolInputError(
            f"the snapshot was written by a newer comfydock-rules (version {version}; this "
            f"version reads up to {VERSION})", path=str(path),
            hint="upgrade comfydock-rules or export the snapshot again")
    entries = data.get("files")
    if not isinstance(entries, list):
        raise _bad(path, '"files" must be a list')
    files: list[ModelFile] = []
    for number, entry in enumerate(entries):
        where = f"files[{number}]"
        if not isinstance(entry, dict):
            raise _bad(path, f"{where} must be an object")
        rel, hash_, size = entry.get("relative_path"), entry.get("hash"), entry.get("size")
        if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
            raise _bad(path, f"{where}.relative_path must be a '/'-separated relative path")
        if not isinstance(hash_, str) or not hash_:
            raise _bad(path, f"{where}.hash must be a string")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _bad(path, f"{where}.size must be a non-negative integer")
        full, sha = entry.get("full_blake3"), entry.get("sha256")
        if full is not None and not isinstance(full, str):
            raise _bad(path, f"{where}.full_blake3 must be a string")
        if sha is not None and not isinstance(sha, str):
            raise _bad(path, f"{where}.sha256 must be a string")
        files.append(ModelFile(rel, hash_, size, full, sha))
    files.sort(key=lambda f: f.relative_path)
    for before, after in itertools.pairwise(files):
        if before.relative_path == after.relative_path:
            raise _bad(path, f"{after.relative_path} is listed twice")
    return tuple(files)
