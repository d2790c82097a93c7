"""The SQLite model index: schema, migrations, opening it for writing, and its error messages.

Schema: the seed's (ComfyDock v7) `models` and `model_locations` tables, plus the columns an
incremental, multi-root index needs, and a `schema_version` table. `models.hash` is the model key:
the quick hash, except for files whose quick hash is shared by different content (confirmed by
full BLAKE3), which are keyed `<quick hash>-<first 16 hex of BLAKE3>` so they stay two models.
The update itself is in `update.py` and `updater.py`; --rebuild's locking in `locks.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.locks import BUSY_TIMEOUT_ENV, busy_timeout, remove_unused

SCHEMA_VERSION = 8
"""7 is the seed's (ComfyDock) shape, without a schema_version table."""

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

def open_index(db_path: Path, *, rebuild: bool = False) -> sqlite3.Connection:
    """Open (creating or migrating) the index for writing: WAL, busy timeout, current schema."""
    db_path = Path(db_path)
    if rebuild:
        remove_unused(db_path)
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
