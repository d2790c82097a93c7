"""`comfydock-rules models list | search | duplicates | orphans` through the command line, on
indexes the real `index` command built from real files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import EXAMPLES, REPO, RunCli

SCHEMA = json.loads((REPO / "schemas" / "models.schema.json").read_text(encoding="utf-8"))


def _json(done: Any) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """The example models plus a second copy of the checkpoint and an unused LoRA."""
    root = tmp_path / "models"
    shutil.copytree(EXAMPLES / "models", root)
    shutil.copy(root / "checkpoints/sd_xl_base_1.0.safetensors",
                root / "checkpoints/sdxl_base_copy.safetensors")
    (root / "loras/unused.safetensors").write_bytes(os.urandom(300))
    return root


@pytest.fixture
def db(run_cli: RunCli, tmp_path: Path, models: Path) -> Path:
    path = tmp_path / "idx.sqlite"
    done = run_cli("index", models, "--db", path, "-q")
    assert done.returncode == 0, done.stderr
    return path


def test_list_text_without_kinds_has_no_kind_column(run_cli: RunCli, db: Path) -> None:
    done = run_cli("models", "list", "--index", db, "--directory", "checkpoints")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["size", "hash", "path"]
    assert lines[1].split()[-1] == "checkpoints/sd_xl_base_1.0.safetensors"
    assert lines[-1] == "2 files, 150 B"


def test_list_shows_kinds_when_the_index_records_them(run_cli: RunCli, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE models ADD COLUMN kind TEXT")
        conn.execute("UPDATE models SET kind = 'lora' WHERE hash IN (SELECT model_hash FROM "
                     "model_locations WHERE relative_path LIKE 'loras/%')")
    done = run_cli("models", "list", "--index", db, "--kind", "lora")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["size", "hash", "kind", "path"]
    assert [line.split()[-1] for line in lines[1:-1]] == [
        "loras/SDXL/detail_tweaker_xl.safetensors", "loras/unused.safetensors"]
    assert all(line.split()[3] == "lora" for line in lines[1:-1])
    data = _json(run_cli("models", "list", "--index", db, "--format", "json"))
    assert data["kinds_known"] is True
    assert {f["relative_path"]: f["kind"] for f in data["files"]}["vae/ae.safetensors"] is None


def test_list_json_sorted_by_size(run_cli: RunCli, db: Path) -> None:
    data = _json(run_cli("models", "list", "--index", db, "--format", "json",
                         "--sort", "size", "--reverse"))
    sizes = [f["size"] for f in data["files"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 300
    assert data["kinds_known"] is False and data["total_size"] == sum(sizes)
    assert all(f["kind"] is None for f in data["files"])


def test_list_kind_without_kinds_is_an_input_error(run_cli: RunCli, db: Path) -> None:
    done = run_cli("models", "list", "--index", db, "--kind", "lora")
    assert done.returncode == 2
    assert "records no file kinds" in done.stderr and "Traceback" not in done.stderr


def test_search_ranks_like_check(run_cli: RunCli, db: Path) -> None:
    data = _json(run_cli("models", "search", "flux1-dev", "--index", db, "--format", "json"))
    assert [(h["relative_path"], h["score"]) for h in data["hits"]] == [
        ("diffusion_models/flux1-dev-fp8.safetensors", 0.9159),
        ("diffusion_models/flux1-schnell.safetensors", 0.8121)]
    assert "differs in precision: fp8 vs none" in data["hits"][0]["reason"]
    text = run_cli("models", "search", "UltraSharp", "--index", db, "--limit", "1")
    assert text.returncode == 0
    assert "upscale_models/4x_ultrasharp.pth" in text.stdout
    none = run_cli("models", "search", "qqqqzzzz", "--index", db)
    assert none.returncode == 1 and "no file matches 'qqqqzzzz'" in none.stdout
    assert run_cli("models", "search", "x", "--index", db, "--limit", "0").returncode == 2


def test_duplicates_group_the_copy_with_bytes_to_reclaim(run_cli: RunCli, db: Path) -> None:
    data = _json(run_cli("models", "duplicates", "--index", db, "--format", "json"))
    (group,) = data["groups"]
    assert group["files"] == ["checkpoints/sd_xl_base_1.0.safetensors",
                              "checkpoints/sdxl_base_copy.safetensors"]
    assert group["copies"] == 2 and group["reclaimable"] == 75 == data["reclaimable"]
    assert group["full_hash"].startswith("blake3:") and group["computed"] is False
    text = run_cli("models", "duplicates", "--index", db)
    assert text.stdout.splitlines()[-1] == (
        "1 content is stored more than once; keeping one copy of each frees 75 B")


def test_orphans_lists_files_no_workflow_uses(run_cli: RunCli, db: Path) -> None:
    data = _json(run_cli("models", "orphans", EXAMPLES / "workflows", "--index", db,
                         "--format", "json"))
    assert [f["relative_path"] for f in data["files"]] == ["loras/unused.safetensors"]
    # flux1-dev is ambiguous: its candidates are not called unused
    assert data["held"] == ["diffusion_models/flux1-dev-fp8.safetensors",
                            "diffusion_models/flux1-schnell.safetensors"]
    one = _json(run_cli("models", "orphans", EXAMPLES / "workflows" / "01_exact.json",
                        "--index", db, "--format", "json", "--directory", "checkpoints"))
    assert one["files"] == []  # the copy shares the used checkpoint's content


def test_orphans_with_an_unreadable_workflow_exits_1(run_cli: RunCli, db: Path,
                                                     tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    done = run_cli("models", "orphans", bad, EXAMPLES / "workflows" / "01_exact.json",
                   "--index", db)
    assert done.returncode == 1
    assert "could not be read; files they use may be listed" in done.stderr


def test_file_names_are_printed_safely(run_cli: RunCli, tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "loras").mkdir(parents=True)
    (root / "loras" / "evil\x1b[2Jname.safetensors").write_bytes(b"x" * 10)
    db = tmp_path / "e.sqlite"
    assert run_cli("index", root, "--db", db, "-q").returncode == 0
    done = run_cli("models", "list", "--index", db)
    assert "\x1b" not in done.stdout and "evil\\x1b[2Jname" in done.stdout


def test_without_an_index_or_action(run_cli: RunCli, tmp_path: Path) -> None:
    done = run_cli("models", "list", "--index", tmp_path / "nope.sqlite")
    assert done.returncode == 2 and "the index does not exist" in done.stderr
    assert run_cli("models").returncode == 2
