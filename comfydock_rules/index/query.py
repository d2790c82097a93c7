"""Questions put to the index itself: which files it holds, where they are on disk, and which
contents it holds more than once (`comfydock-rules models`).

`load_index` gives what resolution needs; `read_listing` adds what only the database knows (the
file on disk, device and inode, and a file's `kind` when the index records one), so the same
questions can be put to a database or a snapshot, the snapshot answering fewer of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.load import load_index
from comfydock_rules.model import ModelFile

if TYPE_CHECKING:
    import sqlite3

KIND_COLUMN = "kind"
"""The column (of `model_locations`, else `models`) that says what a file holds, when the index
records it (a header-derived kind such as `checkpoint` or `lora`)."""
SORT_KEYS = ("path", "size", "hash", "kind", "directory")


@dataclass(frozen=True)
class IndexEntry:
    """One indexed file with everything the index knows about it."""

    file: ModelFile
    kind: str | None = None
    disk_path: str | None = None
    """`<root>/<path in root>`, '/'-separated; None in a snapshot."""
    device: int | None = None
    inode: int | None = None

    @property
    def relative_path(self) -> str:
        return self.file.relative_path

    @property
    def identity(self) -> tuple[int, int] | None:
        """(device, inode) when known: two locations with one identity are one file on disk."""
        if self.device and self.inode:
            return (self.device, self.inode)
        return None


@dataclass(frozen=True)
class Listing:
    entries: tuple[IndexEntry, ...]
    """Sorted by relative_path."""
    database: bool
    """False for a JSON snapshot: no disk paths, devices or inodes."""
    has_kind: bool
    """The index records kinds (a column, or kinds in the entries); False: none known."""


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}


def _database_extras(path: Path) -> tuple[dict[str, tuple[str | None, str | None, int | None,
                                                        int | None]], bool]:
    """relative_path -> (kind, disk path, device, inode), and whether a kind column exists."""
    import sqlite3

    from comfydock_rules.index.db import translate_errors

    with translate_errors(path):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            loc = _columns(conn, "model_locations")
            models = _columns(conn, "models")
            if KIND_COLUMN in loc:
                kind = f"l.{KIND_COLUMN}"
            elif KIND_COLUMN in models:
                kind = f"m.{KIND_COLUMN}"
            else:
                kind = "NULL"
            where = ("l.root, l.path_in_root, l.device, l.inode" if "root" in loc
                     else "NULL, NULL, NULL, NULL")
            rows = conn.execute(
                f"SELECT l.relative_path, {kind}, {where} FROM model_locations l "
                "LEFT JOIN models m ON m.hash = l.model_hash"
            ).fetchall()
        finally:
            conn.close()
    extras: dict[str, tuple[str | None, str | None, int | None, int | None]] = {}
    for rel, kind_value, root, in_root, device, inode in rows:
        disk = f"{root}/{in_root}" if root and in_root else None
        extras[rel] = (kind_value if isinstance(kind_value, str) and kind_value else None,
                       disk, device, inode)
    return extras, kind != "NULL"


def read_listing(path: str | Path) -> Listing:
    """Every file of the index at `path` (a database or a snapshot), sorted by path."""
    index_path = Path(path)
    files = load_index(index_path)
    with open(index_path, "rb") as stream:
        database = stream.read(6) == b"SQLite"
    if not database:
        entries = tuple(IndexEntry(f, _kind_of(f)) for f in files)
        return Listing(entries, False, any(e.kind for e in entries))
    extras, has_column = _database_extras(index_path) if files else ({}, False)
    out: list[IndexEntry] = []
    for f in files:
        kind, disk, device, inode = extras.get(f.relative_path, (None, None, None, None))
        out.append(IndexEntry(f, kind or _kind_of(f), disk, device, inode))
    return Listing(tuple(out), True, has_column or any(e.kind for e in out))


_SHARED_QUERY = """
WITH keys AS (
  SELECT model_hash AS k FROM model_locations GROUP BY model_hash HAVING COUNT(*) > 1
  UNION
  SELECT hash FROM models WHERE quick_hash IN
    (SELECT quick_hash FROM models GROUP BY quick_hash HAVING COUNT(*) > 1)
)
SELECT l.relative_path, COALESCE(NULLIF(m.quick_hash, ''), substr(l.model_hash, 1, 16)),
       l.size, m.blake3_hash, m.sha256_hash, l.root, l.path_in_root, l.device, l.inode
FROM keys JOIN model_locations l ON l.model_hash = keys.k
LEFT JOIN models m ON m.hash = l.model_hash
"""
"""Locations whose model key several locations share (one content, several places) or whose
quick hash several models share (contents keyed apart): every quick hash held more than once,
found by scanning the two hash indexes instead of every row."""


def shared_entries(path: str | Path, directory: str | None = None) -> tuple[IndexEntry, ...]:
    """The entries whose quick hash another entry (of `directory`) shares, sorted by path: all
    `models duplicates` needs. A current database answers in one query, without reading the
    other rows into Python; anything else goes through `read_listing`."""
    index_path = Path(path)
    prefix = directory.replace("\\", "/").strip("/") + "/" if directory else ""
    rows = _shared_rows(index_path)
    if rows is None:
        chosen = select(read_listing(index_path), directory)
        counts: dict[str, int] = {}
        for entry in chosen:
            counts[entry.file.hash] = counts.get(entry.file.hash, 0) + 1
        return tuple(e for e in chosen if counts[e.file.hash] > 1)
    out = [IndexEntry(ModelFile(rel, quick, size, b3, sha), None,
                      f"{root}/{pir}" if root and pir else None, dev, ino)
           for rel, quick, size, b3, sha, root, pir, dev, ino in rows
           if rel.startswith(prefix)]
    out.sort(key=lambda e: e.relative_path)
    return tuple(out)


def _shared_rows(path: Path) -> list[tuple[Any, ...]] | None:
    """None unless `path` is a database at the schema `_SHARED_QUERY` reads."""
    import sqlite3

    from comfydock_rules.index.db import SCHEMA_VERSION, translate_errors

    try:
        with open(path, "rb") as stream:
            if stream.read(16) != b"SQLite format 3\x00":
                return None
    except OSError:
        return None  # read_listing says what is wrong, as every reader of the index does
    with translate_errors(path):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {str(r[0]) for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "schema_version" not in tables:
                return None
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                return None
            rows: list[tuple[Any, ...]] = conn.execute(_SHARED_QUERY).fetchall()
        finally:
            conn.close()
    return rows


def _kind_of(f: ModelFile) -> str | None:
    kind = getattr(f, "kind", None)
    return kind if isinstance(kind, str) and kind else None


def select(listing: Listing, directory: str | None = None,
           kind: str | None = None) -> tuple[IndexEntry, ...]:
    """The entries of one directory (`loras`, or a folder below it: `loras/SDXL`) and kind."""
    chosen: Iterable[IndexEntry] = listing.entries
    if directory:
        prefix = directory.replace("\\", "/").strip("/") + "/"
        chosen = [e for e in chosen if e.relative_path.startswith(prefix)]
    if kind:
        if not listing.has_kind:
            raise ToolInputError(
                "this index records no file kinds, so --kind cannot select anything",
                hint="re-index with a version that reads model headers, or leave out --kind",
            )
        wanted = kind.casefold()
        chosen = [e for e in chosen if (e.kind or "").casefold() == wanted]
    return tuple(chosen)


def sort_entries(entries: Sequence[IndexEntry], key: str,
                 reverse: bool = False) -> list[IndexEntry]:
    """Sorted by one column, ties by path (so the order never depends on anything else)."""
    if key not in SORT_KEYS:
        raise ToolInputError(f"--sort: unknown column {key!r}", hint="use " + ", ".join(SORT_KEYS))
    by_path = sorted(entries, key=lambda e: e.relative_path)
    if key == "path":
        return by_path[::-1] if reverse else by_path
    keys: dict[str, Callable[[IndexEntry], Any]] = {
        "size": lambda e: e.file.size,
        "hash": lambda e: e.file.hash,
        "kind": lambda e: (e.kind is None, e.kind or ""),
        "directory": lambda e: e.file.directory,
    }
    return sorted(by_path, key=keys[key], reverse=reverse)  # stable: ties stay by path


def directories(listing: Listing) -> tuple[str, ...]:
    return tuple(sorted({e.file.directory for e in listing.entries}))


@dataclass(frozen=True)
class Orphans:
    orphans: tuple[IndexEntry, ...]
    """Files whose content no reference resolved to, sorted by path."""
    held: tuple[IndexEntry, ...]
    """Files left out although unused: candidates of references still to be chosen."""
    considered: int


def orphans(entries: Sequence[IndexEntry], used: Iterable[str],
            held: Iterable[str] = ()) -> Orphans:
    """Files whose quick hash is not in `used` (by content: a second copy of a used file is a
    duplicate, `models duplicates` lists it); those in `held` are kept out of the list."""
    used_set, held_set = set(used), set(held) - set(used)
    unused = [e for e in entries if e.file.hash not in used_set]
    return Orphans(tuple(e for e in unused if e.file.hash not in held_set),
                   tuple(e for e in unused if e.file.hash in held_set), len(entries))


def find_target(listing: Listing, target: str) -> tuple[IndexEntry, ...]:
    """The entries `target` names: a path in the index (`loras/SDXL/x.safetensors`), a file on
    disk under a models root (compared by real path), or a quick hash. Empty: none."""
    import os
    import re

    text = target.strip()
    rel = text.replace("\\", "/").strip("/")
    by_path = [e for e in listing.entries if e.relative_path == rel]
    if by_path:
        return tuple(by_path)
    if re.fullmatch(r"[0-9a-fA-F]{16}", text):
        wanted = text.lower()
        return tuple(e for e in listing.entries if e.file.hash.lower() == wanted)
    if listing.database and os.path.isfile(text):
        real = os.path.realpath(text)
        return tuple(e for e in listing.entries
                     if e.disk_path is not None and os.path.realpath(e.disk_path) == real)
    return ()
