"""`comfydock-rules index` as users run it: the command on real folders and databases."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLI, RunCli

from comfydock_rules.index.load import load_index
from comfydock_rules.paths import default_db_path
from comfydock_rules.resources import schema_path


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    _write(root / "checkpoints" / "sd_xl_base_1.0.safetensors", b"base" * 1000)
    _write(root / "loras" / "SDXL" / "detail.safetensors", b"detail" * 100)
    _write(root / "diffusion_models" / "flux1-dev-Q4_K_M.gguf", b"gguf" * 50)
    _write(root / "configs" / "v1-inference.yaml", b"model: {}\n")
    return root


def test_index_summary_warm_stats_and_export(run_process: RunCli, tmp_path: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    cold = run_process("index", root, "--db", db)
    assert cold.returncode == 0, cold.stderr
    assert cold.stdout.startswith("4 files seen: 4 new, 0 changed, 0 removed;")
    assert cold.stderr == ""  # no progress bar when stderr is not a terminal
    warm = run_process("index", root, "--db", db)
    assert warm.stdout.startswith("4 files seen: 0 new, 0 changed, 0 removed; 0 B read")
    assert run_process("index", root, "--db", db, "--quiet").stdout == ""

    stats = run_process("index", "stats", "--db", db)
    assert stats.returncode == 0, stats.stderr
    lines = stats.stdout.splitlines()
    assert lines[0].split() == ["directory", "files", "bytes"]
    assert lines[1].split() == ["checkpoints", "1", "4000"]
    assert [line.split()[0] for line in lines[1:6]] == [
        "checkpoints", "configs", "diffusion_models", "loras", "total"]
    assert lines[5].split()[:2] == ["total", "4"]

    out = tmp_path / "snapshot.json"
    export = run_process("index", "export", "--db", db, "--out", out)
    assert export.returncode == 0, export.stderr
    text = out.read_text(encoding="utf-8")
    again = run_process("index", "export", "--db", db, "--out", "-")
    assert again.stdout == text  # byte for byte the same
    document = json.loads(text)
    assert [f["relative_path"] for f in document["files"]] == sorted(
        f["relative_path"] for f in document["files"])
    import jsonschema

    jsonschema.validate(document, json.loads(schema_path("index").read_text(encoding="utf-8")))
    assert load_index(out) == load_index(db)  # the round trip loses nothing


def test_snapshot_named_like_a_database_is_read_by_content(run_cli: RunCli, tmp_path: Path) -> None:
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    run_cli("index", root, "--db", db, "--quiet")
    disguised = tmp_path / "models.db"
    run_cli("index", "export", "--db", db, "--out", disguised)
    assert load_index(disguised) == load_index(db)
    relabelled = tmp_path / "index.json"
    shutil.copyfile(db, relabelled)
    assert load_index(relabelled) == load_index(db)


def test_help_names_the_default_db(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("index", "--help")
    assert result.returncode == 0
    expected = f"Default index (--db): {tmp_path / 'cache' / default_db_path().name}"
    assert expected in result.stdout.splitlines()


def test_extra_model_paths_yaml(run_cli: RunCli, tmp_path: Path) -> None:
    a1111 = tmp_path / "webui"
    _write(a1111 / "models" / "Stable-diffusion" / "v1-5.safetensors", b"sd15")
    _write(a1111 / "models" / "Stable-diffusion" / "v1-5.yaml", b"cfg: 1\n")
    _write(a1111 / "models" / "Lora" / "style.safetensors", b"lora")
    _write(a1111 / "models" / "LyCORIS" / "sub" / "lyco.safetensors", b"lyco")
    shared = tmp_path / "shared"
    _write(shared / "vae" / "ae.safetensors", b"shared-vae")
    comfy = tmp_path / "ComfyUI" / "models"
    _write(comfy / "vae" / "ae.safetensors", b"local-vae")
    config = tmp_path / "conf" / "extra_model_paths.yaml"
    config.parent.mkdir()
    config.write_text(
        "a111:\n"
        "    base_path: ../webui/\n"
        "\n"
        "    checkpoints: models/Stable-diffusion\n"
        "    configs: models/Stable-diffusion\n"
        "    loras: |\n"
        "         models/Lora\n"
        "         models/LyCORIS\n"
        "    upscale_models: models/ESRGAN\n"
        "comfyui:\n"
        f"    base_path: {shared}\n"
        "    is_default: true\n"
        "    vae: vae/\n"
        "empty_section:\n",
        encoding="utf-8",
    )
    db = tmp_path / "index.sqlite"
    result = run_cli("index", comfy, "--extra-model-paths", config, "--db", db)
    assert result.returncode == 0, result.stderr
    files = {f.relative_path: f.size for f in load_index(db)}
    assert sorted(files) == [
        "checkpoints/v1-5.safetensors",
        "configs/v1-5.yaml",
        "loras/style.safetensors",
        "loras/sub/lyco.safetensors",
        "vae/ae.safetensors",
    ]
    # is_default puts the shared folder first, as ComfyUI does: its ae.safetensors wins
    assert files["vae/ae.safetensors"] == len(b"shared-vae")
    assert "ESRGAN" in result.stderr and "does not exist" in result.stderr
    with sqlite3.connect(db) as conn:
        (root, path_in_root) = conn.execute(
            "SELECT root, path_in_root FROM model_locations WHERE relative_path = ?",
            ("loras/sub/lyco.safetensors",)).fetchone()
    assert root.endswith("webui/models/LyCORIS") and path_in_root == "sub/lyco.safetensors"


def test_extra_model_paths_errors_name_line_and_column(run_cli: RunCli, tmp_path: Path) -> None:
    config = tmp_path / "extra.yaml"
    config.write_text("comfyui:\n    base_path: /x\n    checkpoints: [a, b]\n", encoding="utf-8")
    result = run_cli("index", "--extra-model-paths", config, "--db", tmp_path / "i.sqlite")
    assert result.returncode == 2
    assert f"{config}:3:18:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_unusable_root_exits_2(run_cli: RunCli, tmp_path: Path, kind: str) -> None:
    root = tmp_path / "models"
    if kind == "file":
        root.write_text("not a folder")
    result = run_cli("index", root, "--db", tmp_path / "i.sqlite")
    assert result.returncode == 2
    assert str(root) in result.stderr
    assert ("does not exist" if kind == "missing" else "not a directory") in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_db_names_rebuild_and_rebuild_works(run_cli: RunCli, tmp_path: Path) -> None:
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    result = run_cli("index", root, "--db", db)
    assert result.returncode == 2
    assert "--rebuild" in result.stderr and str(db) in result.stderr
    assert "Traceback" not in result.stderr
    stats = run_cli("index", "stats", "--db", db)
    assert stats.returncode == 2 and "--rebuild" in stats.stderr
    rebuilt = run_cli("index", root, "--db", db, "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert len(load_index(db)) == 4


def test_locked_db_waits_then_says_so(run_process: RunCli, tmp_path: Path) -> None:
    # A process of its own: the lock is held by this one.
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    assert run_process("index", root, "--db", db, "--quiet").returncode == 0
    _write(root / "vae" / "new.safetensors", b"new")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_process("index", root, "--db", db,
                             env={"COMFYDOCK_RULES_BUSY_TIMEOUT": "0.3"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert "locked by another process" in result.stderr and "Traceback" not in result.stderr
    assert run_process("index", root, "--db", db).returncode == 0


def test_unreadable_file_is_skipped_warned_and_counted(run_cli: RunCli, tmp_path: Path) -> None:
    root = _models(tmp_path)
    secret = root / "loras" / "secret.safetensors"
    _write(secret, b"secret")
    secret.chmod(0)
    command = [*CLI, "index", str(root), "--db", str(tmp_path / "i.sqlite")]
    if os.geteuid() == 0:
        # root reads any file; drop the capabilities that let it, so the open really fails
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        command = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *command]
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{secret}: skipped, cannot be read: Permission denied" in result.stderr
    assert result.stdout.startswith("5 files seen: 4 new, 0 changed, 0 removed, 1 skipped;")
    indexed = {f.relative_path for f in load_index(tmp_path / "i.sqlite")}
    assert "loras/secret.safetensors" not in indexed


def test_bad_arguments_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite"
    for args in (("index", "--db", db), ("index", "export", "--db", db),
                 ("index", "stats", "extra", "--db", db), ("index", "x", "--workers", "0")):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
    missing = run_cli("index", "stats", "--db", db)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_under_a_root_is_skipped_and_never_blocks(tmp_path: Path) -> None:
    root = _models(tmp_path)
    pipe = root / "loras" / "pipe.safetensors"
    os.mkfifo(pipe)
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([*CLI, "index", str(root), "--db", str(tmp_path / "i.sqlite")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"warning: {pipe}: skipped, not a regular file" in result.stderr
    assert result.stdout.startswith("4 files seen: 4 new, 0 changed, 0 removed, 1 skipped;")


@pytest.mark.parametrize("hold", ["reading", "writing"])
def test_rebuild_refuses_while_another_process_has_the_index(
        run_process: RunCli, tmp_path: Path, hold: str) -> None:
    # A process of its own: the lock is held by this one.
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    assert run_process("index", root, "--db", db, "--quiet").returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE" if hold == "writing" else "BEGIN")
    assert holder.execute("SELECT COUNT(*) FROM model_locations").fetchone() == (4,)
    try:
        result = run_process("index", root, "--db", db, "--rebuild",
                             env={"COMFYDOCK_RULES_BUSY_TIMEOUT": "0.3"})
        # The files were not deleted under the holder: it still reads the same index.
        assert holder.execute("SELECT COUNT(*) FROM model_locations").fetchone() == (4,)
        assert db.exists() and (tmp_path / "index.sqlite-shm").exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2, result.stderr
    assert f"process {os.getpid()} holds a lock on {db}" in result.stderr
    assert "cannot rebuild: the index is in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(load_index(db)) == 4
    rebuilt = run_process("index", root, "--db", db, "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("4 files seen: 4 new,")


def test_rebuild_waits_for_a_short_holder(run_process: RunCli, tmp_path: Path) -> None:
    # Processes of their own: one holds the lock, the other waits for it.
    root = _models(tmp_path)
    db = tmp_path / "index.sqlite"
    assert run_process("index", root, "--db", db, "--quiet").returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); c.execute('SELECT 1 FROM models').fetchall()\n"
         "print('held', flush=True); time.sleep(0.5); c.execute('ROLLBACK'); c.close()\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = run_process("index", root, "--db", db, "--rebuild",
                             env={"COMFYDOCK_RULES_BUSY_TIMEOUT": "20"})
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("4 files seen: 4 new,")


def test_the_last_is_default_folder_comes_first(run_cli: RunCli, tmp_path: Path) -> None:
    """ComfyUI inserts every is_default folder at the front: the last one read is searched first."""
    for name in ("first", "second"):
        _write(tmp_path / name / "vae" / "ae.safetensors", name.encode())
    config = tmp_path / "extra_model_paths.yaml"
    config.write_text(
        "one:\n    is_default: true\n    vae: first/vae\n"
        "two:\n    is_default: true\n    vae: second/vae\n",
        encoding="utf-8",
    )
    db = tmp_path / "index.sqlite"
    result = run_cli("index", "--extra-model-paths", config, "--db", db)
    assert result.returncode == 0, result.stderr
    assert [f.size for f in load_index(db)] == [len(b"second")]
    assert f"{tmp_path}/first/vae/ae.safetensors: skipped" in result.stderr
