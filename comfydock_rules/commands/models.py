"""`comfydock-rules models list | search | duplicates | orphans`: questions put to the index.

The seed's repository operations as batch commands (docs/models.md): the files of a directory,
a file by part of its name (the engine's own matching), contents stored twice, and files no
workflow uses. Text for people, `--format json` for scripts (schemas/models.schema.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from comfydock_rules.commands.source import add_index_arguments
from comfydock_rules.commands.streams import err, out_lines, stdout_text
from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.query import SORT_KEYS
from comfydock_rules.printable import inert_json

if TYPE_CHECKING:
    from comfydock_rules.index.duplicates import DuplicateGroup, Duplicates
    from comfydock_rules.index.query import IndexEntry, Listing
    from comfydock_rules.resolve.search import SearchHit

VERSION = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "models",
        help="ask the index: list, search, duplicates, orphans",
        description="Questions put to the model index (docs/models.md).",
    )
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION")

    listing = actions.add_parser("list", help="the index's files: path, size, quick hash, kind")
    listing.add_argument("--directory", metavar="D", help="only this directory (loras, loras/SDXL)")
    listing.add_argument("--kind", metavar="K", help="only files of this kind (when recorded)")
    listing.add_argument("--sort", choices=SORT_KEYS, default="path", help="column to sort by")
    listing.add_argument("--reverse", action="store_true", help="largest / last first")
    _common(listing, roots=False)
    listing.set_defaults(run=_run_list)

    find = actions.add_parser("search", help="files by part of their name, scored as check does")
    find.add_argument("query", metavar="QUERY", help="a file name or part of one")
    find.add_argument("--directory", metavar="D", help="only this directory")
    find.add_argument("--limit", type=int, default=10, metavar="N", help="at most N (default 10)")
    _common(find, roots=False)
    find.set_defaults(run=_run_search)

    dup = actions.add_parser("duplicates", help="files with the same content, and the bytes "
                             "one copy of each would free")
    dup.add_argument("--directory", metavar="D", help="only files of this directory")
    _common(dup, roots=False)
    dup.set_defaults(run=_run_duplicates)

    orphans = actions.add_parser("orphans", help="files that none of the given workflows uses")
    orphans.add_argument("paths", nargs="+", metavar="WORKFLOW", help="workflow files or folders")
    orphans.add_argument("--directory", metavar="D", help="only files of this directory")
    orphans.add_argument("--rules", action="append", metavar="FILE",
                         help="a rule file (YAML) applied after the built-in sets; repeat the "
                         "flag for more, applied in order")
    orphans.add_argument("--pyproject", metavar="PATH", default=None,
                         help="the pyproject.toml whose pins count (default: the nearest)")
    _common(orphans, roots=True)
    orphans.set_defaults(run=_run_orphans)
    parser.set_defaults(run=lambda args: _no_action(parser))


def _common(parser: argparse.ArgumentParser, *, roots: bool) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for scripts (default text)")
    add_index_arguments(parser, roots=roots)


def _no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _listing(args: argparse.Namespace) -> Listing:
    from comfydock_rules.commands.source import index_path
    from comfydock_rules.config import load_config
    from comfydock_rules.index.query import read_listing

    return read_listing(index_path(args, load_config()))


def _emit(args: argparse.Namespace, command: str, data: Callable[[], dict[str, Any]],
          text: Callable[[], list[str]]) -> None:
    """JSON or text, only the one asked for computed."""
    if args.format == "json":
        document = {"version": VERSION, "command": command, **data()}
        stdout_text(inert_json(json.dumps(document, indent=2, sort_keys=True,
                                          ensure_ascii=False)) + "\n")
    else:
        out_lines(text())


def _size(count: int) -> str:
    from comfydock_rules.index.progress import human_bytes

    return human_bytes(count)


def _shown(text: str) -> str:
    from comfydock_rules.printable import printable

    return printable(text)


def _file(entry: IndexEntry) -> dict[str, Any]:
    f = entry.file
    return {"relative_path": f.relative_path, "hash": f.hash, "size": f.size,
            "kind": entry.kind, "full_blake3": f.full_blake3, "sha256": f.sha256}


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


def _run_list(args: argparse.Namespace) -> int:
    from comfydock_rules.index.query import select, sort_entries

    listing = _listing(args)
    entries = sort_entries(select(listing, args.directory, args.kind), args.sort, args.reverse)
    total = sum(e.file.size for e in entries)

    def data() -> dict[str, Any]:
        return {"kinds_known": listing.has_kind, "files": [_file(e) for e in entries],
                "total_size": total}

    def text() -> list[str]:
        header = ["size", "hash", *(["kind"] if listing.has_kind else []), "path"]
        rows = [header]
        for e in entries:
            kind = [_shown(e.kind or "-")] if listing.has_kind else []
            rows.append([_size(e.file.size), e.file.hash, *kind, _shown(e.relative_path)])
        noun = "file" if len(entries) == 1 else "files"
        return (_table(rows, {0}) if entries else []) + [
            f"{len(entries)} {noun}, {_size(total)}"]

    _emit(args, "models list", data, text)
    return 0


def _run_search(args: argparse.Namespace) -> int:
    from comfydock_rules.resolve.search import search

    if args.limit < 1:
        raise ToolInputError(f"--limit must be at least 1 (got {args.limit})")
    if not args.query.strip():
        raise ToolInputError("the search query is empty", hint="give a file name or part of one")
    listing = _listing(args)
    kinds = {e.relative_path: e.kind for e in listing.entries}
    hits = search([e.file for e in listing.entries], args.query, directory=args.directory,
                  limit=args.limit)
    data = {"query": args.query, "directory": args.directory,
            "hits": [_hit(h, kinds.get(h.file.relative_path)) for h in hits]}
    rows = [["score", "hash", "size", "path", "why"]]
    for h in hits:
        rows.append([f"{h.score:.2f}", h.file.hash, _size(h.file.size),
                     _shown(h.file.relative_path), _shown(h.reason)])
    text = _table(rows, {2}) if hits else [f"no file matches {_shown(args.query)!r}"]
    _emit(args, "models search", lambda: data, lambda: text)
    return 0 if hits else 1


def _hit(hit: SearchHit, kind: str | None) -> dict[str, Any]:
    from comfydock_rules.report.core import round_score

    return {"relative_path": hit.file.relative_path, "hash": hit.file.hash,
            "size": hit.file.size, "kind": kind, "score": round_score(hit.score),
            "reason": hit.reason}


def _run_duplicates(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.source import index_path
    from comfydock_rules.config import load_config
    from comfydock_rules.index.duplicates import find_duplicates
    from comfydock_rules.index.query import shared_entries

    found = find_duplicates(shared_entries(index_path(args, load_config()), args.directory))
    _emit(args, "models duplicates", lambda: {
        "groups": [_group(g) for g in found.groups],
        "unconfirmed": [_group(g) for g in found.unconfirmed],
        "reclaimable": found.reclaimable, "hashed_files": found.hashed_files,
    }, lambda: _duplicates_text(found))
    return 0


def _group(group: DuplicateGroup) -> dict[str, Any]:
    return {"hash": group.hash, "full_hash": group.full_hash, "size": group.size,
            "copies": group.copies, "reclaimable": group.reclaimable,
            "computed": group.computed, "files": [e.relative_path for e in group.entries]}


def _duplicates_text(found: Duplicates) -> list[str]:
    lines: list[str] = []
    for group in found.groups:
        where = "full hash computed now" if group.computed else "full hash from the index"
        on_disk = "" if group.copies == len(group.entries) else (
            f", {group.copies} on disk (the others are links)")
        lines.append(f"{group.hash}  {_size(group.size)} x {len(group.entries)} locations"
                     f"{on_disk}; {_size(group.reclaimable)} reclaimable ({where})")
        lines += [f"  {_shown(e.relative_path)}" for e in group.entries]
    for group in found.unconfirmed:
        lines.append(f"{group.hash}  {_size(group.size)} x {len(group.entries)} locations: "
                     "same quick hash, not confirmed by a full hash (files not readable); "
                     "not counted")
        lines += [f"  {_shown(e.relative_path)}" for e in group.entries]
    count = len(found.groups)
    noun = "content is" if count == 1 else "contents are"
    lines.append(f"{count} {noun} stored more than once; keeping one copy of each frees "
                 f"{_size(found.reclaimable)}")
    return lines


def _run_orphans(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.pipeline import resolve_paths
    from comfydock_rules.index.query import orphans, read_listing, select

    resolved = resolve_paths(args, args.paths)
    used: set[str] = set()
    held: set[str] = set()
    for res in resolved.resolutions:
        if res.resolved is not None:
            used.add(res.resolved.hash)
        if res.status == "ambiguous":
            held.update(c.file.hash for c in res.candidates)
    listing = read_listing(resolved.index)
    result = orphans(select(listing, args.directory), used, held)
    unread = [p.workflow for p in resolved.read.errors]
    data = {"workflows": [display for _, display in resolved.read.workflows],
            "unreadable_workflows": unread,
            "files": [_file(e) for e in result.orphans],
            "held": [e.relative_path for e in result.held],
            "total_size": sum(e.file.size for e in result.orphans)}
    text = [f"{_size(e.file.size):>10}  {_shown(e.relative_path)}" for e in result.orphans]
    size = sum(e.file.size for e in result.orphans)
    text.append(f"{len(result.orphans)} of {result.considered} files ({_size(size)}) are used by "
                f"none of the {len(resolved.read.workflows)} workflow(s)")
    if result.held:
        text.append(f"{len(result.held)} file(s) left out: candidates of ambiguous references "
                    "(pin one with 'comfydock-rules pin' first)")
    _emit(args, "models orphans", lambda: data, lambda: text)
    if unread:
        err(f"comfydock-rules: {len(unread)} workflow(s) could not be read; files "
            "they use may be listed")
        return 1
    return 0
