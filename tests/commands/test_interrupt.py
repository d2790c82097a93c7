"""SIGINT and SIGTERM in the middle of `comfydock-rules index`: the index stays consistent.

The tree mixes many small files with sparse 40 MiB files (three 5 MiB ranges read each, little
disk used), so the run commits several batches and takes long enough to be stopped between
them. The signal is sent once the first batch is visible in the database: a real mid-run stop.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CLI

SMALL_FILES = 4200
SPARSE_EVERY = 70
SPARSE_SIZE = 40 * 1024 * 1024


def _tree(root: Path) -> int:
    """checkpoints/ and loras/ with SMALL_FILES files; every SPARSE_EVERY-th is sparse and big."""
    for directory in ("checkpoints", "loras"):
        (root / directory).mkdir(parents=True)
    for number in range(SMALL_FILES):
        directory = "checkpoints" if number % 2 else "loras"
        with open(root / directory / f"m{number:05d}.safetensors", "wb") as handle:
            handle.write(f"model {number}\n".encode())
            if number % SPARSE_EVERY == 0:
                handle.seek(SPARSE_SIZE // 2)
                handle.write(f"middle {number}\n".encode())
                handle.truncate(SPARSE_SIZE)
    return SMALL_FILES


def _rows(db: Path) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return [(str(r), str(p), int(s)) for r, p, s in conn.execute(
            "SELECT root, path_in_root, size FROM model_locations")]
    finally:
        conn.close()


def _committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return len(_rows(db))
    except sqlite3.Error:
        return 0  # schema not created yet


def _assert_consistent(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        orphans = conn.execute(
            "SELECT COUNT(*) FROM model_locations WHERE model_hash NOT IN (SELECT hash FROM models)"
        ).fetchone()[0]
        assert orphans == 0
    finally:
        conn.close()
    rows = _rows(db)
    for root, path_in_root, size in rows:
        disk = Path(root) / path_in_root
        assert disk.is_file(), disk
        assert disk.stat().st_size == size, disk
    return len(rows)


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_interrupted_index_stays_consistent_and_resumes(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    root = tmp_path / "models"
    total = _tree(root)
    db = tmp_path / "index.sqlite"
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    # Two workers: batches of 2048 files, several of them, whatever the machine's core count.
    proc = subprocess.Popen(
        [*CLI, "index", str(root), "--db", str(db), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and _committed(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        out, err = proc.communicate()
        pytest.fail(f"the index run finished before it could be interrupted: {out}{err}")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert "interrupted" in err
    assert "run the same command again" in err
    kept = _assert_consistent(db)
    assert 0 < kept < total, f"expected a partial index, got {kept} of {total} rows"

    again = subprocess.run(
        [*CLI, "index", str(root), "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert f"{total} files seen: {total - kept} new, 0 changed, 0 removed" in again.stdout
    assert _assert_consistent(db) == total
