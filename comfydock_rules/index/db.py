"""The SQLite model index: schema and migrations, incremental update, collision confirmation.

Schema: the seed's (ComfyDock v7) `models` and `model_locations` tables, plus the columns an
incremental, multi-root index needs, and a `schema_version` table. `models.hash` is the model key:
the quick hash, except for files whose quick hash is shared by different content (confirmed by
full BLAKE3), which are keyed `<quick hash>-<first 16 hex of BLAKE3>` so they stay two models.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.hashing import (
    CHUNK,
    full_blake3,
    open_regular,
    quick_hash_fd,
    quick_hash_ranges,
)
from comfydock_rules.index.scan import Root, ScannedFile, scan_roots

__all__ = ["SCHEMA_VERSION", "IndexSummary", "Root", "open_index", "update_index"]

SCHEMA_VERSION = 8
"""7 is the seed's (ComfyDock) shape, without a schema_version table."""
DEFAULT_BUSY_TIMEOUT = 10.0
BUSY_TIMEOUT_ENV = "COMFYDOCK_RULES_BUSY_TIMEOUT"
_BATCH_FILES = 2048
_BATCH_BYTES = 2 * 1024**3
_TASK_FILES = 32

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    hash TEXT PRIMARY KEY,
    file_size INTEGER NOT NULL,
    blake3_hash TEXT,
    sha256_hash TEXT,
    metadata TEXT,
    quick_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS model_locations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_hash TEXT NOT NULL,
    relative_path TEXT NOT NULL,
    filename TEXT NOT NULL,
    mtime REAL NOT NULL,
    last_seen INTEGER NOT NULL,
    root TEXT NOT NULL DEFAULT '',
    path_in_root TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    device INTEGER NOT NULL DEFAULT 0,
    inode INTEGER NOT NULL DEFAULT 0,
    UNIQUE(relative_path)
);
CREATE INDEX IF NOT EXISTS idx_model_locations_hash ON model_locations(model_hash);
CREATE INDEX IF NOT EXISTS idx_models_quick_hash ON models(quick_hash);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""

# v7 (the seed) -> 8: columns added, nothing dropped; values derived from what v7 knew.
_MIGRATE_7_TO_8 = (
    "ALTER TABLE models ADD COLUMN quick_hash TEXT NOT NULL DEFAULT ''",
    "UPDATE models SET quick_hash = substr(hash, 1, 16)",
    "ALTER TABLE model_locations ADD COLUMN root TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE model_locations ADD COLUMN path_in_root TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE model_locations ADD COLUMN size INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE model_locations ADD COLUMN mtime_ns INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE model_locations ADD COLUMN device INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE model_locations ADD COLUMN inode INTEGER NOT NULL DEFAULT 0",
    "UPDATE model_locations SET size = COALESCE("
    "(SELECT file_size FROM models WHERE models.hash = model_locations.model_hash), 0), "
    "mtime_ns = CAST(mtime * 1000000000 AS INTEGER)",
)


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


def _human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"  # pragma: no cover


def busy_timeout() -> float:
    raw = os.environ.get(BUSY_TIMEOUT_ENV)
    try:
        return float(raw) if raw else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def rebuild_hint(db_path: Path) -> str:
    return f"rebuild it: comfydock-rules index ROOT... --db {db_path} --rebuild"


@contextmanager
def translate_errors(db_path: Path) -> Iterator[None]:
    """SQLite failures become messages that name the db and what to do; never a traceback."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise ToolInputError(
                f"the index is locked by another process (waited {busy_timeout():g} s)",
                path=str(db_path),
                hint=f"try again when it finishes, or raise {BUSY_TIMEOUT_ENV} (seconds)",
            ) from None
        if "unable to open" in text or "readonly" in text:
            raise ToolInputError(f"cannot open or write the index: {text}", path=str(db_path),
                                 hint="check the folder exists and is writable") from None
        raise ToolInputError(f"the index is not usable: {text}", path=str(db_path),
                             hint=rebuild_hint(db_path)) from None
    except sqlite3.DatabaseError as exc:
        raise ToolInputError(f"the index is corrupt or not an index: {exc}", path=str(db_path),
                             hint=rebuild_hint(db_path)) from None


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def schema_version_of(conn: sqlite3.Connection, db_path: Path) -> int | None:
    """The schema version, 7 for the seed's shape, None for an empty database."""
    tables = _tables(conn)
    if "schema_version" in tables:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        if row is None or row[0] is None:
            raise ToolInputError("the index has an empty schema_version table",
                                 path=str(db_path), hint=rebuild_hint(db_path))
        return int(row[0])
    if {"models", "model_locations"} <= tables:
        return 7
    if tables - {"sqlite_sequence"}:
        raise ToolInputError("this SQLite file is not a model index (no models tables)",
                             path=str(db_path), hint="pass the index the `index` command wrote")
    return None


def check_not_newer(version: int, db_path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise ToolInputError(
            f"the index was written by a newer comfydock-rules (schema {version}; this version "
            f"reads up to {SCHEMA_VERSION})",
            path=str(db_path),
            hint=f"upgrade comfydock-rules, or {rebuild_hint(db_path)}",
        )


def _create_schema(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would commit the open transaction first.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    version = schema_version_of(conn, db_path)
    if version == SCHEMA_VERSION:
        return
    if version is not None:
        check_not_newer(version, db_path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version_of(conn, db_path)  # another process may have migrated it
        if version is None:
            _create_schema(conn)
        elif version == 7:
            for statement in _MIGRATE_7_TO_8:
                conn.execute(statement)
            _create_schema(conn)
        if version != SCHEMA_VERSION:
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# SQLite's own lock bytes (unix VFS): in the database file, PENDING, RESERVED and the SHARED
# range (every open connection holds a read lock there once it has read); in the -shm file of a
# WAL database, the WAL write/checkpoint/recover/read locks and the "dead man switch" byte 128
# that every connection with the -shm mapped holds.
_PENDING_BYTE = 0x40000000
_DB_LOCK_RANGE = (_PENDING_BYTE, 2 + 510)
_SHM_LOCK_RANGE = (120, 9)
_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _lock_holder(fd: int, start: int, length: int) -> int | None:
    """The pid holding a lock that conflicts with a write lock on the range, if Linux says."""
    import fcntl
    import struct

    layout = "hhqqi4x"  # struct flock on Linux (x86-64, arm64)
    try:
        query = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        kind, _, _, _, pid = struct.unpack(layout, answer)
    except (OSError, struct.error):
        return None
    return int(pid) if kind != fcntl.F_UNLCK and pid > 0 else None


def _try_lock_all(db_path: Path) -> tuple[list[int], str | None]:
    """Write-lock SQLite's lock bytes of every file of the index: (open fds, None), or
    ([], what holds them) when another process has the index open."""
    import fcntl

    fds: list[int] = []
    for suffix, (start, length) in (("", _DB_LOCK_RANGE), ("-shm", _SHM_LOCK_RANGE)):
        name = f"{db_path}{suffix}"
        writable = True
        try:
            fd = os.open(name, os.O_RDWR | getattr(os, "O_NOCTTY", 0))
        except FileNotFoundError:
            continue
        except PermissionError:
            # A read-only file in a writable folder can still be deleted; it cannot be
            # write-locked, so only ask whether someone holds it (F_GETLK needs no write access).
            writable = False
            try:
                fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
            except OSError as exc:
                for other in fds:
                    os.close(other)
                raise ToolInputError(f"cannot open the old index to replace it: {exc.strerror}",
                                     path=name) from None
        except OSError as exc:
            for other in fds:
                os.close(other)
            raise ToolInputError(f"cannot open the old index to replace it: {exc.strerror}",
                                 path=name) from None
        fds.append(fd)
        try:
            if writable:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
            elif _lock_holder(fd, start, length) is not None:
                raise BlockingIOError
        except OSError:
            pid = _lock_holder(fd, start, length)
            for other in fds:
                os.close(other)
            who = f"process {pid}" if pid else "another process"
            return [], f"{who} holds a lock on {name}"
    return fds, None


def _remove_unused(db_path: Path) -> None:
    """Delete the index files for --rebuild, but only while no other process has them open.

    The files are locked the way SQLite locks them (so another comfydock-rules or SQLite
    client waits on us, and we on it, for up to the busy timeout), removed while the locks are
    held, then released. Deleting them under a running writer would split the index in two.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover - no POSIX locks (Windows): SQLite's own files lock
        fds: list[int] = []
    else:
        deadline = time.monotonic() + busy_timeout()
        while True:
            fds, holder = _try_lock_all(db_path)
            if holder is None:
                break
            if time.monotonic() >= deadline:
                raise ToolInputError(
                    f"cannot rebuild: the index is in use, {holder} "
                    f"(waited {busy_timeout():g} s)",
                    path=str(db_path),
                    hint="let that process finish (or stop it) and run --rebuild again",
                )
            time.sleep(0.05)
    try:
        for suffix in _SUFFIXES:
            try:
                os.unlink(f"{db_path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise ToolInputError(f"cannot remove the old index: {exc.strerror}",
                                     path=f"{db_path}{suffix}") from None
    finally:
        for fd in fds:
            os.close(fd)


def open_index(db_path: Path, *, rebuild: bool = False) -> sqlite3.Connection:
    """Open (creating or migrating) the index for writing: WAL, busy timeout, current schema."""
    db_path = Path(db_path)
    if rebuild:
        _remove_unused(db_path)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolInputError(f"cannot create the index folder: {exc.strerror}",
                             path=str(db_path.parent)) from None
    with translate_errors(db_path):
        conn = sqlite3.connect(db_path, timeout=busy_timeout(), isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            _migrate(conn, db_path)
        except BaseException:
            conn.close()
            raise
    return conn


# --- incremental update ---------------------------------------------------------------------

@dataclass(slots=True)
class _Loc:
    root: str
    path_in_root: str
    size: int
    mtime_ns: int
    device: int
    inode: int
    key: str


@dataclass
class _Model:
    quick: str
    blake3: str | None
    sha256: str | None


@dataclass
class _Hashed:
    item: ScannedFile
    quick: str
    size: int
    mtime_ns: int


class _Progress:
    """One line on stderr, redrawn at most ten times a second."""

    def __init__(self, enabled: bool, total_files: int, total_bytes: int) -> None:
        self.enabled = enabled and total_files > 0
        self.total_files = total_files
        self.total_bytes = max(total_bytes, 1)
        self.files = 0
        self.bytes = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def add(self, files: int, nbytes: int) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.files += files
            self.bytes += nbytes
            now = time.monotonic()
            if now - self.last < 0.1 and self.files < self.total_files:
                return
            self.last = now
            width = 30
            filled = min(width, self.bytes * width // self.total_bytes)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\rindexing [{bar}] {self.files}/{self.total_files} files")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.files:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


class _Updater:
    def __init__(self, conn: sqlite3.Connection, workers: int, progress: _Progress) -> None:
        self.conn = conn
        self.workers = workers
        self.progress = progress
        self.pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self.local = threading.local()
        self.locs: dict[str, _Loc] = {}
        self.models: dict[str, _Model] = {}
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
            self.locs[rel] = _Loc(root, pir, size, mtime_ns, dev, ino, key)

    def load_models(self) -> None:
        """Models and quick-hash groups: only needed when something changed (warm runs skip)."""
        if self.models_loaded:
            return
        self.models_loaded = True
        for hash_, quick, b3, sha in self.conn.execute(
            "SELECT hash, quick_hash, blake3_hash, sha256_hash FROM models"
        ):
            self.models[hash_] = _Model(quick or hash_[:16], b3, sha)
        for rel, loc in self.locs.items():
            self.groups.setdefault(self._quick_of(loc.key), set()).add(rel)

    def _quick_of(self, key: str) -> str:
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
            self.models[key] = _Model(quick, b3, None)
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
            self.groups.get(self._quick_of(old.key), set()).discard(item.relative_path)
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
        self.locs[item.relative_path] = _Loc(item.root, item.path_in_root, size, mtime_ns,
                                             item.device, item.inode, key)
        self.groups.setdefault(quick, set()).add(item.relative_path)

    def drop_location(self, rel: str) -> None:
        old = self.locs.pop(rel, None)
        if old is None:
            return
        self.groups.get(self._quick_of(old.key), set()).discard(rel)
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

    def _quick_task(self, items: list[ScannedFile]) -> list[_Hashed | tuple[ScannedFile, OSError]]:
        out: list[_Hashed | tuple[ScannedFile, OSError]] = []
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
                out.append(_Hashed(item, quick, st.st_size, st.st_mtime_ns))
            except OSError as exc:
                out.append((item, exc))
            finally:
                os.close(fd)
        self.progress.add(len(items), nbytes)
        return out

    def _map(self, func: Callable[[list[ScannedFile]], list[_Hashed | tuple[ScannedFile, OSError]]],
             tasks: list[list[ScannedFile]]) -> list[_Hashed | tuple[ScannedFile, OSError]]:
        results: list[_Hashed | tuple[ScannedFile, OSError]] = []
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
            with self.progress.lock:
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
        hashed: list[_Hashed] = []
        for result in results:
            if isinstance(result, _Hashed):
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

    def _place(self, hashed: list[_Hashed]) -> None:
        by_quick: dict[str, list[_Hashed]] = {}
        for entry in hashed:
            by_quick.setdefault(entry.quick, []).append(entry)
        rewritten = {entry.item.relative_path for entry in hashed}
        left: set[str] = set()
        for rel in rewritten:
            old = self.locs.get(rel)
            if old is not None:
                left.add(self._quick_of(old.key))
        # Which files need a full BLAKE3: every member of a shared quick hash lacking one, and a
        # lone file whose quick hash already names a model with a recorded BLAKE3 (verify it).
        need: list[str] = []
        plans: list[tuple[str, list[_Hashed], list[str]]] = []
        for quick in sorted(by_quick):
            entries = by_quick[quick]
            others = sorted(self.groups.get(quick, set()) - rewritten)
            plans.append((quick, entries, others))
            known = self.models.get(quick)
            if len(entries) + len(others) > 1 or (known is not None and known.blake3):
                need.extend(entry.item.disk_path for entry in entries)
                for rel in others:
                    if self.models.get(self.locs[rel].key, _Model("", None, None)).blake3 is None:
                        loc = self.locs[rel]
                        need.append(f"{loc.root}/{loc.path_in_root}")
        digests = self._full_hashes(need) if need else {}
        for quick, entries, others in plans:
            self._place_group(quick, entries, others, digests)
        for quick in sorted(left - set(by_quick)):
            self.normalise(quick)

    def _place_group(self, quick: str, entries: list[_Hashed], others: list[str],
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
        fresh: list[tuple[_Hashed, str | None]] = []
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


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def update_index(
    roots: Sequence[Root],
    db_path: Path,
    *,
    workers: int | None = None,
    progress: bool = False,
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
            warnings: list[str], workers: int, progress: bool, started: float) -> IndexSummary:
    pending: list[ScannedFile] = []
    seen: set[str] = set()
    updater = _Updater(conn, workers, _Progress(False, 0, 0))
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
    moved: list[tuple[ScannedFile, _Loc]] = []
    to_hash: list[ScannedFile] = []
    for item in pending:
        origin = by_identity.pop((item.device, item.inode, item.size, item.mtime_ns), None)
        if origin is not None and item.relative_path not in updater.locs and item.inode:
            moved.append((item, updater.locs[origin]))
        else:
            to_hash.append(item)
    if gone or moved:
        updater.load_models()
    affected = {updater._quick_of(updater.locs[rel].key) for rel in gone}
    for rel in gone:
        updater.drop_location(rel)
    for item, source in moved:
        updater.put_location(item, source.key, updater._quick_of(source.key), item.size,
                             item.mtime_ns)
    for quick in sorted(affected):
        updater.normalise(quick)
    updater.commit()

    updater.progress = _Progress(progress, len(to_hash),
                                 sum(sum(n for _, n in quick_hash_ranges(f.size)) for f in to_hash))
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
        updater.progress.done()
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
