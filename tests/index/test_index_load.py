"""The fast index readers (`load_index` without the checks) give exactly what the checked
readers give, and fall back to them for anything unusual."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import example_db

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index import load as index_load
from comfydock_rules.index.snapshot import parse_snapshot


def test_fast_sqlite_read_equals_the_checked_read(tmp_path: Path) -> None:
    db = example_db(tmp_path)
    fast = index_load.load_index(db)
    checked = index_load._load_sqlite_checked(db)
    assert len(fast) == 7
    assert fast == checked
    assert [vars(f) for f in fast] == [vars(f) for f in checked]
    assert [f.relative_path for f in fast] == sorted(f.relative_path for f in fast)
    assert {hash(f) for f in fast} == {hash(f) for f in checked}


def test_other_schema_versions_take_the_checked_path(tmp_path: Path) -> None:
    db = example_db(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    assert index_load._fast_sqlite_rows(db) is None
    with pytest.raises(ToolInputError, match="newer comfydock-rules"):
        index_load.load_index(db)


def _snapshot_text(entries: list[dict[str, object]]) -> str:
    return json.dumps({"format": "comfydock-rules-index", "version": 1, "files": entries})


def test_fast_snapshot_read_equals_parse_snapshot(tmp_path: Path) -> None:
    entries: list[dict[str, object]] = [
        {"relative_path": "loras/b é.safetensors", "hash": "00ff", "size": 3},
        {"relative_path": "loras/a.safetensors", "hash": "0011", "size": 0,
         "full_blake3": "ab" * 32, "sha256": "cd" * 32},
        {"relative_path": "checkpoints/Z.ckpt", "hash": "0022", "size": 10 ** 12,
         "sha256": None},
    ]
    path = tmp_path / "s.json"
    path.write_text(_snapshot_text(entries), encoding="utf-8")
    fast = index_load.load_index(path)
    assert index_load._snapshot_rows(path.read_text(encoding="utf-8")) is not None
    slow = parse_snapshot(path.read_text(encoding="utf-8"), path)
    assert fast == slow
    assert [vars(f) for f in fast] == [vars(f) for f in slow]


BAD_ENTRIES: list[tuple[object, str]] = [
    ({"relative_path": "/abs/x.safetensors", "hash": "1", "size": 1}, "relative path"),
    ({"relative_path": "loras\\x.safetensors", "hash": "1", "size": 1}, "relative path"),
    ({"relative_path": "", "hash": "1", "size": 1}, "relative path"),
    ({"relative_path": 5, "hash": "1", "size": 1}, "relative path"),
    ({"relative_path": "loras/x", "hash": "", "size": 1}, "hash must be"),
    ({"relative_path": "loras/x", "size": 1}, "hash must be"),
    ({"relative_path": "loras/x", "hash": "1", "size": True}, "size must be"),
    ({"relative_path": "loras/x", "hash": "1", "size": -1}, "size must be"),
    ({"relative_path": "loras/x", "hash": "1", "size": 1.5}, "size must be"),
    ({"relative_path": "loras/x", "hash": "1", "size": 1, "sha256": 7}, "sha256 must be"),
    ({"relative_path": "loras/x", "hash": "1", "size": 1, "full_blake3": []}, "full_blake3"),
    (["loras/x", "1", 1], "must be an object"),
    ({"relative_path": "loras/a", "hash": "1", "size": 1}, "listed twice"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_bad_snapshots_give_parse_snapshots_message(tmp_path: Path, entry: object,
                                                    message: str) -> None:
    good = {"relative_path": "loras/a", "hash": "1", "size": 1}
    path = tmp_path / "s.json"
    text = _snapshot_text([good, entry])  # type: ignore[list-item]
    path.write_text(text, encoding="utf-8")
    assert index_load._snapshot_rows(text) is None
    with pytest.raises(ToolInputError) as fast:
        index_load.load_index(path)
    with pytest.raises(ToolInputError) as slow:
        parse_snapshot(text, path)
    assert str(fast.value) == str(slow.value)
    assert message in str(fast.value)
