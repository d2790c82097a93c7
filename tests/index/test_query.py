"""Index queries (`models list`, `models duplicates`, orphans) on real indexes: real files
indexed by the real `index` command into SQLite, and snapshots exported from them."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import run_in_process

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.duplicates import find_duplicates
from comfydock_rules.index.query import orphans, read_listing, select, sort_entries

MIB = 1024 * 1024


def _index(tmp_path: Path, root: Path, name: str = "idx.sqlite") -> Path:
    db = tmp_path / name
    done = run_in_process(["index", root, "--db", db, "-q"], cwd=tmp_path,
                          cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    return db


def _write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Two copies of one checkpoint, a hard link to one of them, two files of 6 MiB that share
    their first 5 MiB (one quick hash, two contents), and a lone LoRA."""
    root = tmp_path / "models"
    checkpoint = os.urandom(4096)
    _write(root, "checkpoints/sdxl.safetensors", checkpoint)
    _write(root, "checkpoints/old/sdxl copy.safetensors", checkpoint)
    os.link(root / "checkpoints/sdxl.safetensors", _parent(root / "checkpoints/linked"))
    head = os.urandom(5 * MIB)
    _write(root, "unet/a.safetensors", head + b"a" * MIB)
    _write(root, "unet/b.safetensors", head + b"b" * MIB)
    _write(root, "loras/style.safetensors", os.urandom(1000))
    return root


def _parent(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "sdxl.safetensors"


def test_listing_reads_disk_paths_and_identities_from_the_database(
        tmp_path: Path, library: Path) -> None:
    listing = read_listing(_index(tmp_path, library))
    assert listing.database and not listing.has_kind
    paths = [e.relative_path for e in listing.entries]
    assert paths == sorted(paths) and len(paths) == 6
    for entry in listing.entries:
        assert entry.disk_path is not None and Path(entry.disk_path).is_file()
        assert entry.identity == (os.stat(entry.disk_path).st_dev,
                                  os.stat(entry.disk_path).st_ino)
        assert entry.kind is None


def test_select_and_sort(tmp_path: Path, library: Path) -> None:
    listing = read_listing(_index(tmp_path, library))
    unet = select(listing, "unet")
    assert [e.relative_path for e in unet] == ["unet/a.safetensors", "unet/b.safetensors"]
    assert [e.relative_path for e in select(listing, "checkpoints/old/")] == [
        "checkpoints/old/sdxl copy.safetensors"]
    by_size = sort_entries(listing.entries, "size", reverse=True)
    assert [e.file.size for e in by_size] == sorted((e.file.size for e in by_size), reverse=True)
    # ties keep path order, whatever the direction
    assert [e.relative_path for e in by_size[:2]] == ["unet/a.safetensors", "unet/b.safetensors"]
    with pytest.raises(ToolInputError, match="records no file kinds"):
        select(listing, kind="checkpoint")


def test_a_kind_column_is_read_when_the_index_has_one(tmp_path: Path, library: Path) -> None:
    db = _index(tmp_path, library)
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE model_locations ADD COLUMN kind TEXT")
        conn.execute("UPDATE model_locations SET kind = 'lora' WHERE relative_path LIKE 'loras/%'")
    listing = read_listing(db)
    assert listing.has_kind
    kinds = {e.relative_path: e.kind for e in listing.entries}
    assert kinds["loras/style.safetensors"] == "lora"
    assert kinds["unet/a.safetensors"] is None
    assert [e.relative_path for e in select(listing, kind="LoRA")] == ["loras/style.safetensors"]


def test_duplicates_answer_from_the_index_and_count_links_once(
        tmp_path: Path, library: Path) -> None:
    listing = read_listing(_index(tmp_path, library))

    def never(path: str) -> str:
        raise AssertionError(f"hashed {path}: the index already holds every full hash needed")

    found = find_duplicates(listing.entries, hasher=never)
    assert len(found.groups) == 1
    (group,) = found.groups
    assert [e.relative_path for e in group.entries] == [
        "checkpoints/linked/sdxl.safetensors", "checkpoints/old/sdxl copy.safetensors",
        "checkpoints/sdxl.safetensors"]
    assert group.full_hash is not None and group.full_hash.startswith("blake3:")
    assert group.copies == 2  # the hard link is the same file on disk
    assert group.reclaimable == 4096 == found.reclaimable
    assert not found.unconfirmed and found.hashed_files == 0
    # the two 6 MiB files share a quick hash, but not their content
    unet = [e for e in listing.entries if e.relative_path.startswith("unet/")]
    assert unet[0].file.hash == unet[1].file.hash
    assert unet[0].file.full_blake3 != unet[1].file.full_blake3


def test_missing_full_hashes_are_computed_for_shared_quick_hashes_only(
        tmp_path: Path, library: Path) -> None:
    db = _index(tmp_path, library)
    with sqlite3.connect(db) as conn:  # as an index written before full hashes were kept
        conn.execute("UPDATE models SET blake3_hash = NULL")
    listing = read_listing(db)
    hashed: list[str] = []

    def count(path: str) -> str:
        from comfydock_rules.index.hashing import full_blake3

        hashed.append(path)
        return full_blake3(path)[0]

    found = find_duplicates(listing.entries, hasher=count)
    assert sorted(Path(p).name for p in hashed) == [
        "a.safetensors", "b.safetensors", "sdxl copy.safetensors", "sdxl.safetensors",
        "sdxl.safetensors"]
    assert found.hashed_files == 5
    assert [g.computed for g in found.groups] == [True]
    assert found.reclaimable == 4096


def test_a_group_that_cannot_be_confirmed_is_never_reclaimable(
        tmp_path: Path, library: Path) -> None:
    db = _index(tmp_path, library)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE models SET blake3_hash = NULL")
    (library / "checkpoints/old/sdxl copy.safetensors").unlink()
    found = find_duplicates(read_listing(db).entries)
    assert len(found.groups) == 1 and found.groups[0].copies == 1
    assert found.reclaimable == 0
    (unconfirmed,) = found.unconfirmed
    assert unconfirmed.reclaimable == 0 and len(unconfirmed.entries) == 3


def test_a_snapshot_answers_from_its_full_hashes(tmp_path: Path, library: Path) -> None:
    db = _index(tmp_path, library)
    snapshot = tmp_path / "snap.json"
    done = run_in_process(["index", "export", "--db", db, "--out", snapshot], cwd=tmp_path,
                          cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    listing = read_listing(snapshot)
    assert not listing.database
    assert all(e.disk_path is None and e.identity is None for e in listing.entries)
    found = find_duplicates(listing.entries)
    (group,) = found.groups
    assert group.copies == 3  # a snapshot cannot tell links apart: counted as copies
    assert found.hashed_files == 0


def test_orphans_are_by_content_and_keep_held_candidates_out(
        tmp_path: Path, library: Path) -> None:
    listing = read_listing(_index(tmp_path, library))
    by_path = {e.relative_path: e for e in listing.entries}
    used = {by_path["checkpoints/sdxl.safetensors"].file.hash}
    held = {by_path["loras/style.safetensors"].file.hash}
    result = orphans(listing.entries, used, held)
    assert [e.relative_path for e in result.orphans] == [
        "unet/a.safetensors", "unet/b.safetensors"]
    assert [e.relative_path for e in result.held] == ["loras/style.safetensors"]
    assert result.considered == 6


def test_shared_entries_select_in_sqlite_what_the_listing_gives(
        tmp_path: Path, library: Path) -> None:
    from comfydock_rules.index.query import shared_entries

    db = _index(tmp_path, library)
    listing = read_listing(db)
    for directory in (None, "checkpoints", "checkpoints/old", "unet", "loras"):
        chosen = select(listing, directory)
        counts: dict[str, int] = {}
        for entry in chosen:
            counts[entry.file.hash] = counts.get(entry.file.hash, 0) + 1
        expected = [e for e in chosen if counts[e.file.hash] > 1]
        got = shared_entries(db, directory)
        # the SQL path may keep a lone member of a group split by the directory filter;
        # duplicates of it are the same
        assert find_duplicates(got) == find_duplicates(expected), directory
        assert {e.relative_path for e in expected} <= {e.relative_path for e in got}
    assert [e.relative_path for e in shared_entries(db)] == [
        "checkpoints/linked/sdxl.safetensors", "checkpoints/old/sdxl copy.safetensors",
        "checkpoints/sdxl.safetensors", "unet/a.safetensors", "unet/b.safetensors"]
    with sqlite3.connect(db) as conn:  # another schema: the listing's path, same answer
        conn.execute("UPDATE schema_version SET version = 7")
    assert find_duplicates(shared_entries(db)) == find_duplicates(listing.entries)
