"""Read an index (SQLite database or JSON snapshot) into ModelFiles for the engine.

Chosen by content, not by name: CI may keep a snapshot called `models.index` and a laptop a
database called `index.json`. Read-only: loading never creates, migrates or locks for writing.
"""

from __future__ import annotations

from pathlib import Path

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import ModelFile

_SQLITE_MAGIC = b"SQLite format 3\x00"


def load_index(path: str | Path) -> tuple[ModelFile, ...]:
    """Every indexed file, sorted by relative_path."""
    index_path = Path(path)
    try:
        with open(index_path, "rb") as stream:
            head = stream.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        raise ToolInputError("the index does not exist", path=str(index_path),
                             hint="build it with: comfydock-rules index ROOT --db PATH") from None
    except IsADirectoryError:
        raise ToolInputError("the index is a folder, not a file", path=str(index_path)) from None
    except OSError as exc:
        raise ToolInputError(f"cannot read the index: {exc.strerror}",
                             path=str(index_path)) from None
    if head == _SQLITE_MAGIC:
        return _load_sqlite(index_path)
    if head.lstrip()[:1] == b"{":
        from comfydock_rules.snapshot import parse_snapshot

        try:
            text = index_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ToolInputError(f"cannot read the snapshot: {exc}", path=str(index_path)) from None
        return parse_snapshot(text, index_path)
    raise ToolInputError(
        "not an index: neither a SQLite database nor a JSON snapshot",
        path=str(index_path),
        hint="pass the --db file `comfydock-rules index` wrote, or an `index export` snapshot",
    )


def _load_sqlite(path: Path) -> tuple[ModelFile, ...]:
    import sqlite3

    from comfydock_rules.index_db import (
        busy_timeout,
        check_not_newer,
        schema_version_of,
        translate_errors,
    )

    with translate_errors(path):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=busy_timeout())
        try:
            version = schema_version_of(conn, path)
            if version is None:
                return ()
            check_not_newer(version, path)
            if version == 7:
                query = (
                    "SELECT l.relative_path, substr(l.model_hash, 1, 16), "
                    "COALESCE(m.file_size, 0), m.blake3_hash, m.sha256_hash "
                    "FROM model_locations l LEFT JOIN models m ON m.hash = l.model_hash "
                    "ORDER BY l.relative_path"
                )
            else:
                query = (
                    "SELECT l.relative_path, COALESCE(NULLIF(m.quick_hash, ''), "
                    "substr(l.model_hash, 1, 16)), l.size, m.blake3_hash, m.sha256_hash "
                    "FROM model_locations l LEFT JOIN models m ON m.hash = l.model_hash "
                    "ORDER BY l.relative_path"
                )
            rows = conn.execute(query).fetchall()
        finally:
            conn.close()
    return tuple(ModelFile(rel, hash_, size, b3, sha) for rel, hash_, size, b3, sha in rows)
