"""`update_index`: bring an index in line with the files under its roots, incrementally."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from comfydock_rules.index.db import open_index, translate_errors
from comfydock_rules.index.hashing import CHUNK, quick_hash_ranges
from comfydock_rules.index.progress import NO_PROGRESS, Progress
from comfydock_rules.index.progress import human_bytes as _human_bytes
from comfydock_rules.index.scan import Root, ScannedFile, scan_roots
from comfydock_rules.index.updater import Loc, Updater

__all__ = ["IndexSummary", "Root", "default_workers", "update_index"]

_BATCH_FILES = 2048
_BATCH_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class IndexSummary:
    files_seen: int
    new: int
    changed: int
    removed: int
    bytes_read: int
    seconds: float
    skipped: int
    warnings: tuple[str, ...]

    def line(self) -> str:
        noun = "file" if self.files_seen == 1 else "files"
        text = (
            f"{self.files_seen} {noun} seen: {self.new} new, {self.changed} changed, "
            f"{self.removed} removed"
        )
        if self.skipped:
            text += f", {self.skipped} skipped"
        return f"{text}; {_human_bytes(self.bytes_read)} read in {self.seconds:.2f} s"


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def update_index(
    roots: Sequence[Root],
    db_path: Path,
    *,
    workers: int | None = None,
    progress: Progress = NO_PROGRESS,
    rebuild: bool = False,
) -> IndexSummary:
    """Bring the index at `db_path` in line with the files under `roots` (and only them).

    Unchanged files (same size and mtime_ns) are not read; a moved file (same device, inode,
    size and mtime_ns) keeps its hash without being read. Each batch is one transaction.
    """
    started = time.perf_counter()
    db_path = Path(db_path)
    scan = scan_roots(list(roots))
    conn = open_index(db_path, rebuild=rebuild)
    try:
        with translate_errors(db_path):
            return _update(conn, scan.files, scan.skipped, list(scan.warnings),
                           workers or default_workers(), progress, started)
    finally:
        conn.close()


def _update(conn: sqlite3.Connection, files: tuple[ScannedFile, ...], skipped: int,
            warnings: list[str], workers: int, progress: Progress, started: float) -> IndexSummary:
    pending: list[ScannedFile] = []
    seen: set[str] = set()
    updater = Updater(conn, workers)
    updater.load()
    for item in files:
        seen.add(item.relative_path)
        old = updater.locs.get(item.relative_path)
        if (old is not None and old.root == item.root and old.path_in_root == item.path_in_root
                and old.size == item.size and old.mtime_ns == item.mtime_ns):
            continue
        pending.append(item)
    gone = sorted(set(updater.locs) - seen)
    # A file that vanished from one path and appeared at another with the same identity moved.
    by_identity = {(loc.device, loc.inode, loc.size, loc.mtime_ns): rel
                   for rel, loc in ((rel, updater.locs[rel]) for rel in gone) if loc.inode}
    moved: list[tuple[ScannedFile, Loc]] = []
    to_hash: list[ScannedFile] = []
    for item in pending:
        origin = by_identity.pop((item.device, item.inode, item.size, item.mtime_ns), None)
        if origin is not None and item.relative_path not in updater.locs and item.inode:
            moved.append((item, updater.locs[origin]))
        else:
            to_hash.append(item)
    if gone or moved:
        updater.load_models()
    affected = {updater.quick_of(updater.locs[rel].key) for rel in gone}
    for rel in gone:
        updater.drop_location(rel)
    for item, source in moved:
        updater.put_location(item, source.key, updater.quick_of(source.key), item.size,
                             item.mtime_ns)
    for quick in sorted(affected):
        updater.normalise(quick)
    updater.commit()

    if to_hash:
        progress.start(len(to_hash),
                       sum(sum(n for _, n in quick_hash_ranges(f.size)) for f in to_hash))
    updater.progress = progress
    new, changed = len(moved), 0
    try:
        batch: list[ScannedFile] = []
        batch_bytes = 0
        for item in to_hash:
            batch.append(item)
            batch_bytes += min(item.size, 3 * CHUNK)
            if len(batch) >= _BATCH_FILES or batch_bytes >= _BATCH_BYTES:
                n, c = updater.hash_batch(batch)
                new, changed = new + n, changed + c
                batch, batch_bytes = [], 0
        if batch:
            n, c = updater.hash_batch(batch)
            new, changed = new + n, changed + c
        updater.finish()
    finally:
        progress.finish()
        if updater.pool is not None:
            updater.pool.shutdown(cancel_futures=True)
    return IndexSummary(
        files_seen=len(files),
        new=new,
        changed=changed,
        removed=updater.removed,
        bytes_read=updater.bytes_read,
        seconds=round(time.perf_counter() - started, 3),
        skipped=skipped + updater.skipped,
        warnings=tuple(warnings + updater.warnings),
    )
