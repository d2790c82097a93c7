"""The state of one index update and its steps: quick-hash a batch, confirm shared quick
hashes by full BLAKE3, key each content apart, and write each batch in one transaction."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from comfydock_rules.index.hashing import (
    CHUNK,
    full_blake3,
    open_regular,
    quick_hash_fd,
    quick_hash_ranges,
)
from comfydock_rules.index.progress import NO_PROGRESS, Progress
from comfydock_rules.index.scan import ScannedFile

_TASK_FILES = 32


@dataclass(slots=True)
class Loc:
    root: str
    path_in_root: str
    size: int
    mtime_ns: int
    device: int
    inode: int
    key: str


@dataclass
class Model:
    quick: str
    blake3: str | None
    sha256: str | None


@dataclass
class Hashed:
    item: ScannedFile
    quick: str
    size: int
    mtime_ns: int


class Updater:
    def __init__(self, conn: sqlite3.Connection, workers: int,
                 progress: Progress = NO_PROGRESS) -> None:
        self.conn = conn
        self.workers = workers
        self.progress = progress
        self.pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self.local = threading.local()
        self.lock = threading.Lock()
        self.locs: dict[str, Loc] = {}
        self.models: dict[str, Model] = {}
        self.groups: dict[str, set[str]] = {}
        self.bytes_read = 0
        self.removed = 0
        self.skipped = 0
        self.warnings: list[str] = []
        self.now = int(time.time())
        self.ops: list[tuple[str, tuple[object, ...]]] = []
        self.models_loaded = False

    # state -------------------------------------------------------------------------------
    def load(self) -> None:
        for rel, root, pir, size, mtime_ns, dev, ino, key in self.conn.execute(
            "SELECT relative_path, root, path_in_root, size, mtime_ns, device, inode, model_hash "
            "FROM model_locations"
        ):
            self.locs[rel] = Loc(root, pir, size, mtime_ns, dev, ino, key)

    def load_models(self) -> None:
        """Models and quick-hash groups: only needed when something changed (warm runs skip)."""
        if self.models_loaded:
            return
        self.models_loaded = True
        for hash_, quick, b3, sha in self.conn.execute(
            "SELECT hash, quick_hash, blake3_hash, sha256_hash FROM models"
        ):
            self.models[hash_] = Model(quick or hash_[:16], b3, sha)
        for rel, loc in self.locs.items():
            self.groups.setdefault(self.quick_of(loc.key), set()).add(rel)

    def quick_of(self, key: str) -> str:
        model = self.models.get(key)
        return model.quick if model else key[:16]

    def commit(self) -> None:
        if not self.ops:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            index = 0
            while index < len(self.ops):
                sql = self.ops[index][0]
                end = index
                while end < len(self.ops) and self.ops[end][0] == sql:
                    end += 1
                self.conn.executemany(sql, [params for _, params in self.ops[index:end]])
                index = end
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self.ops = []

    # writes (to memory and to the pending transaction) -----------------------------------
    def put_model(self, key: str, quick: str, size: int, b3: str | None) -> None:
        self.ops.append((
            "INSERT INTO models(hash, file_size, blake3_hash, quick_hash) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(hash) DO UPDATE SET file_size = excluded.file_size, "
            "blake3_hash = COALESCE(excluded.blake3_hash, models.blake3_hash), "
            "quick_hash = excluded.quick_hash",
            (key, size, b3, quick),
        ))
        model = self.models.get(key)
        if model is None:
            self.models[key] = Model(quick, b3, None)
        elif b3 is not None:
            model.blake3 = b3

    def replace_content(self, key: str, size: int, b3: str) -> None:
        """The only location of `key` now holds other bytes with the same quick hash."""
        self.ops.append((
            "UPDATE models SET file_size = ?, blake3_hash = ?, sha256_hash = NULL WHERE hash = ?",
            (size, b3, key),
        ))
        model = self.models[key]
        model.blake3, model.sha256 = b3, None

    def put_location(self, item: ScannedFile, key: str, quick: str, size: int,
                     mtime_ns: int) -> None:
        old = self.locs.get(item.relative_path)
        if old is not None:
            self.groups.get(self.quick_of(old.key), set()).discard(item.relative_path)
        self.ops.append((
            "INSERT INTO model_locations(model_hash, relative_path, filename, mtime, last_seen, "
            "root, path_in_root, size, mtime_ns, device, inode) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(relative_path) DO UPDATE SET model_hash = excluded.model_hash, "
            "filename = excluded.filename, mtime = excluded.mtime, "
            "last_seen = excluded.last_seen, root = excluded.root, "
            "path_in_root = excluded.path_in_root, size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, device = excluded.device, inode = excluded.inode",
            (key, item.relative_path, item.relative_path.rsplit("/", 1)[-1], mtime_ns / 1e9,
             self.now, item.root, item.path_in_root, size, mtime_ns, item.device, item.inode),
        ))
        self.locs[item.relative_path] = Loc(item.root, item.path_in_root, size, mtime_ns,
                                             item.device, item.inode, key)
        self.groups.setdefault(quick, set()).add(item.relative_path)

    def drop_location(self, rel: str) -> None:
        old = self.locs.pop(rel, None)
        if old is None:
            return
        self.groups.get(self.quick_of(old.key), set()).discard(rel)
        self.ops.append(("DELETE FROM model_locations WHERE relative_path = ?", (rel,)))
        self.removed += 1

    def rekey_location(self, rel: str, key: str) -> None:
        loc = self.locs[rel]
        if loc.key != key:
            loc.key = key
            self.ops.append((
                "UPDATE model_locations SET model_hash = ? WHERE relative_path = ?", (key, rel)))

    def rename_model(self, old: str, new: str) -> None:
        """Move a models row (with its sha256 and metadata) to a new key, if that key is free."""
        if old == new or old not in self.models or new in self.models:
            return
        self.ops.append(("UPDATE models SET hash = ? WHERE hash = ?", (new, old)))
        self.models[new] = self.models.pop(old)

    # hashing -------------------------------------------------------------------------------
    def _buffer(self) -> bytearray:
        buffer: bytearray | None = getattr(self.local, "buffer", None)
        if buffer is None:
            buffer = bytearray(CHUNK)
            self.local.buffer = buffer
        return buffer

    def _quick_task(self, items: list[ScannedFile]) -> list[Hashed | tuple[ScannedFile, OSError]]:
        out: list[Hashed | tuple[ScannedFile, OSError]] = []
        buffer = self._buffer()
        nbytes = 0
        for item in items:
            try:
                fd, st = open_regular(item.disk_path)
            except OSError as exc:
                out.append((item, exc))
                continue
            try:
                quick, read = quick_hash_fd(fd, st.st_size, buffer)
                nbytes += read
                out.append(Hashed(item, quick, st.st_size, st.st_mtime_ns))
            except OSError as exc:
                out.append((item, exc))
            finally:
                os.close(fd)
        self.progress.advance(len(items), nbytes)
        return out

    def _map(self, func: Callable[[list[ScannedFile]], list[Hashed | tuple[ScannedFile, OSError]]],
             tasks: list[list[ScannedFile]]) -> list[Hashed | tuple[ScannedFile, OSError]]:
        results: list[Hashed | tuple[ScannedFile, OSError]] = []
        if self.pool is None or len(tasks) == 1:
            for task in tasks:
                results.extend(func(task))
        else:
            for part in self.pool.map(func, tasks):
                results.extend(part)
        return results

    def _full_hashes(self, paths: list[str]) -> dict[str, str | OSError]:
        def one(path: str) -> tuple[str, str | OSError]:
            try:
                digest, read = full_blake3(path)
            except OSError as exc:
                return path, exc
            with self.lock:
                self.bytes_read += read
            return path, digest

        unique = sorted(set(paths))
        if self.pool is None or len(unique) < 2:
            return dict(map(one, unique))
        return dict(self.pool.map(one, unique))

    # the steps -----------------------------------------------------------------------------
    def hash_batch(self, batch: list[ScannedFile]) -> tuple[int, int]:
        """Quick-hash, confirm shared hashes, write in one transaction; (new, changed)."""
        self.load_models()
        tasks: list[list[ScannedFile]] = []
        current: list[ScannedFile] = []
        for item in batch:
            current.append(item)
            if len(current) >= _TASK_FILES or item.size > CHUNK:
                tasks.append(current)
                current = []
        if current:
            tasks.append(current)
        results = self._map(self._quick_task, tasks)
        hashed: list[Hashed] = []
        for result in results:
            if isinstance(result, Hashed):
                hashed.append(result)
                self.bytes_read += sum(n for _, n in quick_hash_ranges(result.size))
                continue
            item, exc = result
            self.skipped += 1
            if isinstance(exc, FileNotFoundError):
                self.warnings.append(f"{item.disk_path}: vanished while indexing, skipped")
            else:
                self.warnings.append(f"{item.disk_path}: skipped, cannot be read: "
                                     f"{exc.strerror or exc}")
            self.drop_location(item.relative_path)
        new = sum(1 for h in hashed if h.item.relative_path not in self.locs)
        changed = len(hashed) - new
        self._place(hashed)
        self.commit()
        return new, changed

    def _place(self, hashed: list[Hashed]) -> None:
        by_quick: dict[str, list[Hashed]] = {}
        for entry in hashed:
            by_quick.setdefault(entry.quick, []).append(entry)
        rewritten = {entry.item.relative_path for entry in hashed}
        left: set[str] = set()
        for rel in rewritten:
            old = self.locs.get(rel)
            if old is not None:
                left.add(self.quick_of(old.key))
        # Which files need a full BLAKE3: every member of a shared quick hash lacking one, and a
        # lone file whose quick hash already names a model with a recorded BLAKE3 (verify it).
        need: list[str] = []
        plans: list[tuple[str, list[Hashed], list[str]]] = []
        for quick in sorted(by_quick):
            entries = by_quick[quick]
            others = sorted(self.groups.get(quick, set()) - rewritten)
            plans.append((quick, entries, others))
            known = self.models.get(quick)
            if len(entries) + len(others) > 1 or (known is not None and known.blake3):
                need.extend(entry.item.disk_path for entry in entries)
                for rel in others:
                    if self.models.get(self.locs[rel].key, Model("", None, None)).blake3 is None:
                        loc = self.locs[rel]
                        need.append(f"{loc.root}/{loc.path_in_root}")
        digests = self._full_hashes(need) if need else {}
        for quick, entries, others in plans:
            self._place_group(quick, entries, others, digests)
        for quick in sorted(left - set(by_quick)):
            self.normalise(quick)

    def _place_group(self, quick: str, entries: list[Hashed], others: list[str],
                     digests: dict[str, str | OSError]) -> None:
        members: list[tuple[str, str | None]] = []  # (relative_path, blake3)
        for rel in others:
            loc = self.locs[rel]
            model = self.models.get(loc.key)
            b3 = model.blake3 if model else None
            if b3 is None and len(entries) + len(others) > 1:
                got = digests.get(f"{loc.root}/{loc.path_in_root}")
                if not isinstance(got, str):
                    self.warnings.append(f"{loc.root}/{loc.path_in_root}: "
                                         f"{_gone_reason(got)}, removed from the index")
                    self.drop_location(rel)
                    continue
                b3 = got
                if model is not None:
                    self.put_model(loc.key, quick, loc.size, b3)
            members.append((rel, b3))
        fresh: list[tuple[Hashed, str | None]] = []
        for entry in entries:
            got = digests.get(entry.item.disk_path)
            if isinstance(got, OSError):
                self.skipped += 1
                self.warnings.append(f"{entry.item.disk_path}: {_gone_reason(got)}, skipped")
                self.drop_location(entry.item.relative_path)
                continue
            fresh.append((entry, got))
        if not fresh:
            self.normalise(quick)
            return
        contents = {b3 for _, b3 in members} | {b3 for _, b3 in fresh}
        if len(members) + len(fresh) == 1:
            entry, b3 = fresh[0]
            known = self.models.get(quick)
            if known is not None and known.blake3 and b3 and b3 != known.blake3:
                self.replace_content(quick, entry.size, b3)
            else:
                self.put_model(quick, quick, entry.size, b3)
            self.put_location(entry.item, quick, quick, entry.size, entry.mtime_ns)
            return
        if len(contents) == 1:
            b3 = next(iter(contents))
            size = fresh[0][0].size
            for rel, _ in members:
                self.rename_model(self.locs[rel].key, quick)
            self.put_model(quick, quick, size, b3)
            for rel, _ in members:
                self.rekey_location(rel, quick)
            for entry, _ in fresh:
                self.put_location(entry.item, quick, quick, entry.size, entry.mtime_ns)
            return
        # Same quick hash, different bytes: one model per content, keyed apart.
        plain = self.models.get(quick)
        if plain is not None and plain.blake3:
            self.rename_model(quick, f"{quick}-{plain.blake3[:16]}")
        for rel, b3 in members:
            key = f"{quick}-{(b3 or '')[:16]}"
            self.rename_model(self.locs[rel].key, key)
            self.put_model(key, quick, self.locs[rel].size, b3)
            self.rekey_location(rel, key)
        for entry, b3 in fresh:
            key = f"{quick}-{(b3 or '')[:16]}"
            self.put_model(key, quick, entry.size, b3)
            self.put_location(entry.item, key, quick, entry.size, entry.mtime_ns)

    def normalise(self, quick: str) -> None:
        """After members left a shared quick hash: one content left means the plain key again."""
        members = self.groups.get(quick, set())
        keys = {self.locs[rel].key for rel in members}
        if len(keys) != 1:
            return
        (key,) = keys
        if key == quick:
            return
        if quick in self.models:
            self.ops.append(("DELETE FROM models WHERE hash = ?", (quick,)))
            del self.models[quick]
        self.rename_model(key, quick)
        for rel in sorted(members):
            self.rekey_location(rel, quick)

    def finish(self) -> None:
        self.ops.append(("UPDATE model_locations SET last_seen = ?", (self.now,)))
        # A models row nothing points to and that carries nothing beyond hashes is forgotten.
        self.ops.append((
            "DELETE FROM models WHERE sha256_hash IS NULL AND metadata IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM model_locations WHERE model_hash = models.hash)",
            (),
        ))
        self.commit()


def _gone_reason(error: OSError | None) -> str:
    if error is None or isinstance(error, FileNotFoundError):
        return "vanished while indexing"
    return f"cannot be read: {error.strerror or error}"
