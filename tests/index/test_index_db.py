"""The SQLite index on real directories: incremental updates, collisions, migrations."""

from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path

import pytest

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.db import SCHEMA_VERSION
from comfydock_rules.index.hashing import MIB, full_blake3, quick_hash
from comfydock_rules.index.load import load_index
from comfydock_rules.index.scan import Root
from comfydock_rules.index.update import update_index


def _write(path: Path, data: bytes, mtime_ns: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    _write(root / "checkpoints" / "base.safetensors", b"checkpoint" * 100)
    _write(root / "loras" / "SDXL" / "detail.safetensors", b"lora" * 50)
    _write(root / "vae" / "vae.pt", b"vae" * 30)
    return root


def _paths(db: Path) -> dict[str, str]:
    return {f.relative_path: f.hash for f in load_index(db)}


def test_cold_then_warm_reads_nothing(tmp_path: Path) -> None:
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    first = update_index([Root.plain(root)], db, workers=2)
    assert (first.files_seen, first.new, first.changed, first.removed) == (3, 3, 0, 0)
    assert first.bytes_read == 1000 + 200 + 90
    files = load_index(db)
    assert [f.relative_path for f in files] == [
        "checkpoints/base.safetensors", "loras/SDXL/detail.safetensors", "vae/vae.pt"]
    assert files[0].hash == quick_hash(root / "checkpoints" / "base.safetensors")
    assert files[1].size == 200 and files[1].directory == "loras"
    second = update_index([Root.plain(root)], db)
    assert (second.new, second.changed, second.removed, second.bytes_read) == (0, 0, 0, 0)


def test_touch_rewrite_rename_delete(tmp_path: Path) -> None:
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    update_index([Root.plain(root)], db)
    before = _paths(db)
    ckpt = root / "checkpoints" / "base.safetensors"

    # touch: new mtime, same bytes -> re-read, same hash
    stat = ckpt.stat()
    os.utime(ckpt, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = update_index([Root.plain(root)], db)
    assert (touched.changed, touched.bytes_read) == (1, 1000)
    assert _paths(db) == before

    # same size, new content, new mtime -> new hash
    _write(ckpt, b"CHECKPOINT" * 100, stat.st_mtime_ns + 9_000_000_000)
    rewritten = update_index([Root.plain(root)], db)
    assert rewritten.changed == 1
    assert _paths(db)["checkpoints/base.safetensors"] != before["checkpoints/base.safetensors"]

    # rename -> the new path keeps the hash without reading the file; the old path is gone
    lora = root / "loras" / "SDXL" / "detail.safetensors"
    lora.rename(root / "loras" / "detail-renamed.safetensors")
    moved = update_index([Root.plain(root)], db)
    assert (moved.new, moved.removed, moved.bytes_read) == (1, 1, 0)
    after = _paths(db)
    assert "loras/SDXL/detail.safetensors" not in after
    assert after["loras/detail-renamed.safetensors"] == before["loras/SDXL/detail.safetensors"]

    # delete -> disappears
    (root / "vae" / "vae.pt").unlink()
    deleted = update_index([Root.plain(root)], db)
    assert deleted.removed == 1
    assert "vae/vae.pt" not in _paths(db)


def test_shared_first_5_mib_told_apart(tmp_path: Path) -> None:
    root = tmp_path / "models"
    prefix = os.urandom(5 * MIB)
    first = _write(root / "checkpoints" / "a.safetensors", prefix + b"A" * (5 * MIB))
    second = _write(root / "checkpoints" / "b.safetensors", prefix + b"B" * (5 * MIB))
    _write(root / "loras" / "a-copy.safetensors", first.read_bytes())
    assert quick_hash(first) == quick_hash(second)
    db = tmp_path / "index.sqlite"
    update_index([Root.plain(root)], db, workers=2)
    files = {f.relative_path: f for f in load_index(db)}
    a, b = files["checkpoints/a.safetensors"], files["checkpoints/b.safetensors"]
    assert a.hash == b.hash == quick_hash(first)  # the quick hash stays ComfyDock's
    assert a.full_blake3 == full_blake3(first)[0]
    assert b.full_blake3 == full_blake3(second)[0]
    assert a.full_blake3 != b.full_blake3
    assert files["loras/a-copy.safetensors"].full_blake3 == a.full_blake3
    with sqlite3.connect(db) as conn:
        keys = dict(conn.execute("SELECT relative_path, model_hash FROM model_locations"))
        models = conn.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    assert models == 2  # two contents, the copy shares a's row
    assert keys["checkpoints/a.safetensors"] == keys["loras/a-copy.safetensors"]
    assert keys["checkpoints/a.safetensors"] != keys["checkpoints/b.safetensors"]
    assert keys["checkpoints/b.safetensors"].startswith(a.hash + "-")

    # once b is gone a single content remains: it is keyed by the plain quick hash again
    second.unlink()
    update_index([Root.plain(root)], db)
    with sqlite3.connect(db) as conn:
        keys = dict(conn.execute("SELECT relative_path, model_hash FROM model_locations"))
    assert set(keys.values()) == {a.hash}


def test_lone_file_rewritten_with_same_quick_hash_gets_new_blake3(tmp_path: Path) -> None:
    root = tmp_path / "models"
    prefix = os.urandom(5 * MIB)
    path = _write(root / "vae" / "v.safetensors", prefix + b"1" * 1000)
    twin = _write(root / "vae" / "w.safetensors", prefix + b"2" * 1000)
    db = tmp_path / "index.sqlite"
    update_index([Root.plain(root)], db)
    twin.unlink()
    update_index([Root.plain(root)], db)
    stat = path.stat()
    _write(path, prefix + b"3" * 1000, stat.st_mtime_ns + 2_000_000_000)
    update_index([Root.plain(root)], db)
    (only,) = load_index(db)
    assert only.full_blake3 == full_blake3(path)[0]


def _v7_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE models (hash TEXT PRIMARY KEY, file_size INTEGER NOT NULL,
            blake3_hash TEXT, sha256_hash TEXT, metadata TEXT);
        CREATE TABLE model_locations (
            id INTEGER PRIMARY KEY AUTOINCREMENT, model_hash TEXT NOT NULL,
            relative_path TEXT NOT NULL, filename TEXT NOT NULL, mtime REAL NOT NULL,
            last_seen INTEGER NOT NULL, UNIQUE(relative_path));
        INSERT INTO models VALUES ('0123456789abcdef', 6938078334, NULL,
            'aa11', '{"source": "civitai"}');
        INSERT INTO model_locations(model_hash, relative_path, filename, mtime, last_seen)
            VALUES ('0123456789abcdef', 'checkpoints/sd_xl_base_1.0.safetensors',
            'sd_xl_base_1.0.safetensors', 1700000000.5, 1700000001);
        """
    )
    conn.commit()
    conn.close()


def test_seed_v7_database_read_and_migrated_without_loss(tmp_path: Path) -> None:
    db = tmp_path / "comfydock.db"
    _v7_db(db)
    expected = ("checkpoints/sd_xl_base_1.0.safetensors", "0123456789abcdef", 6938078334)
    (seen,) = load_index(db)
    assert (seen.relative_path, seen.hash, seen.size, seen.sha256) == (*expected, "aa11")
    root = _models(tmp_path)
    summary = update_index([Root.plain(root)], db)  # migrates, then indexes
    assert summary.new == 3
    with sqlite3.connect(db) as conn:
        version = conn.execute("SELECT version FROM schema_version").fetchone()[0]
        row = conn.execute(
            "SELECT file_size, sha256_hash, metadata FROM models WHERE hash = ?",
            ("0123456789abcdef",)).fetchone()
    assert version == SCHEMA_VERSION
    # the v7 location is not under the indexed root, so it left the index; the model row with
    # its sha256 and metadata stays
    assert row == (6938078334, "aa11", '{"source": "civitai"}')


def test_migrated_v7_keeps_locations_until_reindexed(tmp_path: Path) -> None:
    db = tmp_path / "comfydock.db"
    _v7_db(db)
    from comfydock_rules.index.db import open_index

    open_index(db).close()
    (seen,) = load_index(db)
    assert (seen.relative_path, seen.hash, seen.size, seen.sha256) == (
        "checkpoints/sd_xl_base_1.0.safetensors", "0123456789abcdef", 6938078334, "aa11")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    update_index([Root.plain(root)], db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    for attempt in (lambda: load_index(db), lambda: update_index([Root.plain(root)], db)):
        with pytest.raises(ToolInputError) as caught:
            attempt()
        assert "newer comfydock-rules" in str(caught.value)
        assert "--rebuild" in str(caught.value)


def test_load_index_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    cases = {
        "missing.sqlite": None,
        "garbage.sqlite": b"\x00\x01 not a database at all",
        "other.sqlite": "sqlite-other",
        "broken.json": b'{"format": ',
        "wrong.json": b'{"format": "something-else", "version": 1, "files": []}',
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content == "sqlite-other":
            with sqlite3.connect(path) as conn:
                conn.execute("CREATE TABLE t (x)")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        with pytest.raises(ToolInputError) as caught:
            load_index(path)
        assert caught.value.exit_code == 2
        assert str(path) in str(caught.value), name


def test_load_100k_rows_is_plain_and_sorted(tmp_path: Path) -> None:
    db = tmp_path / "big.sqlite"
    from comfydock_rules.index.db import open_index

    conn = open_index(db)
    rows = [(f"{i:016x}", f"loras/{(i * 7919) % 100_000:06d}.safetensors", i)
            for i in range(100_000)]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO models(hash, file_size, quick_hash) VALUES (?, ?, ?)",
                     [(h, size, h) for h, _, size in rows])
    conn.executemany(
        "INSERT INTO model_locations(model_hash, relative_path, filename, mtime, last_seen, size)"
        " VALUES (?, ?, 'x', 0, 0, ?)", [(h, rel, size) for h, rel, size in rows])
    conn.execute("COMMIT")
    conn.close()
    files = load_index(db)
    assert len(files) == 100_000
    assert [f.relative_path for f in files[:2]] == ["loras/000000.safetensors",
                                                    "loras/000001.safetensors"]
    assert all(a.relative_path < b.relative_path for a, b in itertools.pairwise(files))


def test_summary_line_says_one_file_not_one_files() -> None:
    from comfydock_rules.index.update import IndexSummary

    one = IndexSummary(1, 0, 1, 0, 10, 0.0, 0, ())
    assert one.line() == "1 file seen: 0 new, 1 changed, 0 removed; 10 B read in 0.00 s"
    assert IndexSummary(2, 2, 0, 0, 0, 0.0, 0, ()).line().startswith("2 files seen:")
