"""Bad input through the command line: each case has its exit code and its message.

Exit codes: 1 when a workflow cannot be read (the others are still checked), 2 when the tool's own
input (index, pyproject, arguments) is unusable. No case may print a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CLI, RunCli

REAL = "real_model.safetensors"


def _snapshot(path: Path) -> Path:
    doc = {"format": "comfydock-rules-index", "version": 1, "files": [
        {"relative_path": f"checkpoints/{REAL}", "hash": "0123456789abcdef", "size": 10},
    ]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _ui(*nodes: dict[str, Any]) -> str:
    return json.dumps({"nodes": list(nodes), "links": [], "version": 0.4})


def _ckpt(node_id: Any = 1, value: Any = REAL, node_type: Any = "CheckpointLoaderSimple",
          **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "mode": 0, "widgets_values": [value], **extra}


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


# (case id, file name, content, exit code, text expected on stderr (or stdout when it starts
# with "out:"))
READER_CASES: list[tuple[str, str, bytes, int, str]] = [
    ("empty file", "wf.json", b"", 1, "wf.json:1:1: invalid JSON"),
    ("only whitespace", "wf.json", b" \n\t\n", 1, "wf.json:3:1: invalid JSON"),
    ("binary bytes", "wf.json", bytes(range(128, 256)) * 8, 1,
     "is not UTF-8 text (byte 0x80 at offset 0)"),
    ("NUL bytes", "wf.json", b"\x00" * 64, 1, "wf.json:1:1: invalid JSON"),
    ("UTF-16 with BOM", "wf.json", _ui(_ckpt()).encode("utf-16"), 1, "is not UTF-8 text"),
    ("UTF-8 BOM is accepted", "wf.json", b"\xef\xbb\xbf" + _ui(_ckpt()).encode(), 0,
     "out:1 exact"),
    ("truncated PNG", "wf.png", b"\x89PNG\r\n\x1a\nxx", 1, "truncated PNG"),
    ("PNG signature in a .json", "wf.json", b"\x89PNG\r\n\x1a\n", 1, "PNG"),
    ("truncated JSON", "wf.json", _ui(_ckpt()).encode()[:40], 1, "wf.json:1:"),
    ("top level is a list", "wf.json", b'[{"id": 1}]', 1, "the top level is a list"),
    ("top level is a string", "wf.json", b'"nodes"', 1, "the top level is a string"),
    ("top level is a number", "wf.json", b"42", 1, "the top level is a number"),
    ("top level is null", "wf.json", b"null", 1, "the top level is null"),
    ("top level is a boolean", "wf.json", b"true", 1, "the top level is a boolean"),
    ("an object that is no workflow", "wf.json", b'{"a": 1}', 1, "not a ComfyUI workflow"),
    ("nodes is an object", "wf.json", b'{"nodes": {"1": {}}}', 1, "'nodes' is not a list"),
    ("a node is a number", "wf.json", b'{"nodes": [7]}', 1,
     "node #1 of the workflow is not an object"),
    ("deeply nested arrays", "wf.json", b"[" * 100_000 + b"]" * 100_000, 1,
     "nested too deeply"),
    ("deeply nested objects", "wf.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 1,
     "nested too deeply"),
    ("nested 500 deep inside a widget (fine)", "wf.json",
     _ui(_ckpt(), {"id": 2, "type": "Note", "widgets_values": [json.loads("[" * 500 + "]" * 500)]}
         ).encode(), 0, "out:1 exact"),
    ("type is a number", "wf.json", _ui(_ckpt(node_type=5)).encode(), 1, "node 1 has no 'type'"),
    ("type is null", "wf.json", _ui(_ckpt(node_type=None)).encode(), 1, "has no 'type'"),
    ("widget value is a number", "wf.json", _ui(_ckpt(value=123)).encode(), 0,
     "out:0 references"),
    ("widget value is an object", "wf.json", _ui(_ckpt(value={"a": 1})).encode(), 0,
     "out:0 references"),
    ("widgets_values is a string", "wf.json",
     _ui({"id": 1, "type": "CheckpointLoaderSimple", "widgets_values": REAL}).encode(), 0,
     "out:0 references"),
    ("mode is a string", "wf.json", _ui(_ckpt(mode="4")).encode(), 0, "out:1 exact"),
    ("properties.models entries are numbers", "wf.json",
     _ui(_ckpt(properties={"models": [5, {"name": 7, "url": 8}]})).encode(), 0, "out:1 exact"),
    ("API class_type is a number", "wf.json", b'{"1": {"class_type": 5, "inputs": {}}}', 1,
     "not a ComfyUI workflow"),
    ("API input is a number", "wf.json",
     b'{"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": 5}}}', 0,
     "out:0 references"),
    ("API inputs is a list", "wf.json",
     b'{"1": {"class_type": "CheckpointLoaderSimple", "inputs": ["x"]}}', 0, "out:0 references"),
    ("NaN and Infinity", "wf.json",
     b'{"nodes": [{"id": 1, "type": "CheckpointLoaderSimple", "widgets_values": ["'
     + REAL.encode() + b'", NaN, Infinity, -Infinity, 1e999]}]}', 0, "out:1 exact"),
    ("duplicate keys (last wins, as in ComfyUI)", "wf.json",
     b'{"nodes": [{"id": 1, "type": "Nope", "type": "CheckpointLoaderSimple", '
     b'"widgets_values": ["' + REAL.encode() + b'"]}]}', 0, "out:1 exact"),
    ("unpaired surrogate escape", "wf.json",
     b'{"nodes": [{"id": 1, "type": "CheckpointLoaderSimple", "widgets_values": ["a\\ud800"]}]}',
     1, "unpaired UTF-16 surrogate"),
    ("surrogate pair (an emoji) is fine", "wf.json",
     b'{"nodes": [{"id": 1, "type": "CheckpointLoaderSimple", '
     b'"widgets_values": ["\\ud83d\\ude00.safetensors"]}]}', 1, "out:missing: \U0001f600"),
]

# Node ids of every JSON type: valid ones give a reference, the others a clear error.
ID_CASES: list[tuple[str, Any, int, str]] = [
    ("int", 7, 1, "out:#7"),
    ("negative int", -3, 1, "out:#-3"),
    ("huge int", 2**80, 1, f"out:#{2**80}"),
    ("string", "abc", 1, "out:#abc"),
    ("path-like string", "12:7:3", 1, "out:#12:7:3"),
    ("unicode string", "ノード", 1, "out:#ノード"),
    ("digits that int() refuses", "²", 1, "out:#²"),
    ("float", 1.5, 1, "node id 1.5 is invalid"),
    ("boolean", True, 1, "node id True is invalid"),
    ("null", None, 1, "node has no 'id'"),
    ("empty string", "", 1, "node id '' is invalid"),
    ("list", [1], 1, "node id [1] is invalid"),
    ("object", {"a": 1}, 1, "node id {'a': 1} is invalid"),
]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return _snapshot(tmp_path / "index.json")


def _expect(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    _no_traceback(proc)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    if text.startswith("out:"):
        assert text[4:] in proc.stdout, proc.stdout
    else:
        assert text in proc.stderr, proc.stderr


@pytest.mark.parametrize(("name", "content", "code", "text"),
                         [case[1:] for case in READER_CASES],
                         ids=[case[0] for case in READER_CASES])
def test_workflow_reader_cases(run_cli: RunCli, tmp_path: Path, snapshot: Path, name: str,
                               content: bytes, code: int, text: str) -> None:
    (tmp_path / name).write_bytes(content)
    _expect(run_cli("check", name, "--index", snapshot), code, text)


@pytest.mark.parametrize(("node_id", "code", "text"), [case[1:] for case in ID_CASES],
                         ids=[case[0] for case in ID_CASES])
def test_node_ids_of_every_type(run_cli: RunCli, tmp_path: Path, snapshot: Path, node_id: Any,
                                code: int, text: str) -> None:
    # A missing model, so that the node id shows in the text report.
    (tmp_path / "wf.json").write_text(_ui(_ckpt(node_id, "absent.safetensors")))
    _expect(run_cli("check", "wf.json", "--index", snapshot), code, text)


def test_one_bad_file_does_not_stop_the_others(run_cli: RunCli, tmp_path: Path,
                                               snapshot: Path) -> None:
    (tmp_path / "a_bad.json").write_bytes(b"\xff\xfe")
    (tmp_path / "b_good.json").write_text(_ui(_ckpt()))
    proc = run_cli("check", "a_bad.json", "b_good.json", "--index", snapshot, "--format", "json")
    _no_traceback(proc)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["summary"]["unreadable_workflows"] == 1
    assert report["summary"]["exact"] == 1


def test_unicode_and_control_characters_in_values_and_types(
        run_cli: RunCli, tmp_path: Path, snapshot: Path) -> None:
    value = "模型\u0000\u001b[31m\u202e\u200b\x7f\x9b\U0001f600 x.safetensors"
    node_type = "Ev\u0000il\u001b[2J\r\nType\u202e"
    (tmp_path / "wf.json").write_text(_ui(_ckpt(1, value), _ckpt(2, "b.safetensors", node_type)))
    proc = run_cli("check", "wf.json", "--index", snapshot, "--format", "json")
    _no_traceback(proc)
    assert proc.returncode == 1
    refs = json.loads(proc.stdout)["references"]
    # JSON keeps the strings exactly as written.
    assert sorted(r["value"] for r in refs) == sorted([value, "b.safetensors"])
    assert node_type in {r["node_type"] for r in refs}
    text = run_cli("check", "wf.json", "--index", snapshot)
    _no_traceback(text)
    # The terminal gets no control or format character: every one is shown as an escape.
    assert all(ch.isprintable() or ch == "\n" for ch in text.stdout), repr(text.stdout)
    assert "\\x1b[31m" in text.stdout and "\\u202e" in text.stdout
    assert len(text.stdout.splitlines()) == 3


def test_fifty_megabyte_workflow(run_cli: RunCli, tmp_path: Path, snapshot: Path) -> None:
    # 20,000 nodes (a hundred times a large real workflow) holding long strings: big in bytes,
    # well inside the bound on parsed values (limits.MAX_JSON_ITEMS).
    filler = "x" * 2500
    nodes = [
        {"id": i, "type": "CheckpointLoaderSimple" if i % 20 == 0 else "KSampler",
         "pos": [i, i], "size": [300, 100], "flags": {}, "order": i, "mode": 0,
         "properties": {"Node name for S&R": filler},
         "widgets_values": [f"m{i % 7}.safetensors" if i % 20 == 0 else 1, "euler", 1.0]}
        for i in range(20_000)
    ]
    text = json.dumps({"nodes": nodes, "links": [], "version": 0.4}, indent=1)
    assert len(text) > 50_000_000
    (tmp_path / "big.json").write_text(text)
    proc = run_cli("check", "big.json", "--index", snapshot, "--format", "json", "--quiet")
    _no_traceback(proc)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["summary"]["references"] == 1000
    assert report["summary"]["missing"] == 1000


# --- paths a workflow names: looked up in the index, never opened ------------------------------

def _models(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "models"
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints" / REAL).write_bytes(b"real model")
    outside = tmp_path / "xqzone" / "checkpoints"
    outside.mkdir(parents=True)
    (outside / "xqsecret.safetensors").write_bytes(b"sentinel outside the models root")
    return root, outside / "xqsecret.safetensors"


def _traversal_workflow(tmp_path: Path, sentinel: Path) -> None:
    values = ["../../xqzone/checkpoints/xqsecret.safetensors",
              "..\\..\\xqzone\\checkpoints\\xqsecret.safetensors",
              str(sentinel), "../../../../../../etc/passwd", "/etc/passwd",
              "file:///etc/passwd", "~/xqsecret.safetensors", "checkpoints/../../xqzone/"
              "checkpoints/xqsecret.safetensors"]
    (tmp_path / "wf.json").write_text(_ui(*(_ckpt(i + 1, v) for i, v in enumerate(values))))


def test_workflow_named_paths_are_never_resolved_outside_the_roots(
        run_cli: RunCli, tmp_path: Path) -> None:
    root, sentinel = _models(tmp_path)
    _traversal_workflow(tmp_path, sentinel)
    proc = run_cli("check", "wf.json", "--models", root, "--db", tmp_path / "db.sqlite",
                   "--format", "json")
    _no_traceback(proc)
    assert proc.returncode == 1
    refs = json.loads(proc.stdout)["references"]
    assert len(refs) == 8
    for ref in refs:
        assert ref["status"] in ("missing", "ambiguous"), ref
        assert ref["resolved"] is None, ref
    assert "xqsecret" not in json.dumps([r["candidates"] for r in refs])
    assert "xqzone" not in json.dumps([r["candidates"] for r in refs])


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_no_file_outside_the_roots_is_touched_strace(tmp_path: Path) -> None:
    root, sentinel = _models(tmp_path)
    _traversal_workflow(tmp_path, sentinel)
    trace = tmp_path / "trace.txt"
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(trace), "-e",
         "trace=open,openat,openat2,stat,lstat,newfstatat,statx,access,faccessat,readlink,"
         "readlinkat,execve",
         *CLI, "check", "wf.json", "--models", str(root), "--db", str(tmp_path / "db.sqlite")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    if "Operation not permitted" in proc.stderr and not trace.exists():
        pytest.skip("strace cannot trace here (ptrace not permitted)")
    _no_traceback(proc)
    assert proc.returncode == 1
    calls = trace.read_text()
    assert "wf.json" in calls  # the trace did see the run's own file accesses
    assert f"{root}/checkpoints" in calls
    touched = [line for line in calls.splitlines()
               if "xqzone" in line or "/etc/passwd" in line or "xqsecret" in line]
    assert touched == []
    # And nothing but the command itself was executed.
    assert calls.count("execve(") == 1


# --- the models tree --------------------------------------------------------------------------

def test_symlink_loops_under_a_models_root(run_cli: RunCli, tmp_path: Path) -> None:
    root = tmp_path / "models"
    loras = root / "loras"
    (loras / "sub").mkdir(parents=True)
    (loras / "sub" / "a.safetensors").write_bytes(b"a")
    (loras / "sub" / "up").symlink_to("..", target_is_directory=True)  # back to loras/
    (loras / "sub" / "self").symlink_to("self")  # a link to itself: ELOOP
    (loras / "loop.safetensors").symlink_to("loop.safetensors")
    (root / "checkpoints").symlink_to("loras", target_is_directory=True)
    (root / "vae").mkdir()
    (root / "vae" / "x").symlink_to(root, target_is_directory=True)  # the root itself
    db = tmp_path / "db.sqlite"
    proc = run_cli("index", root, "--db", db)
    _no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(db)
    paths = sorted(r[0] for r in conn.execute("SELECT relative_path FROM model_locations"))
    conn.close()
    assert "loras/sub/a.safetensors" in paths
    assert "checkpoints/sub/a.safetensors" in paths  # a folder linked under another name
    assert not any(p.count("/up/") > 1 or p.count("/x/") > 1 for p in paths), paths
    assert len(paths) < 20, paths
    assert "loop.safetensors" in proc.stderr  # the self-link is named as skipped


def _consistent(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute("SELECT root, path_in_root, size FROM model_locations").fetchall()
    finally:
        conn.close()
    for root, path_in_root, size in rows:
        disk = Path(root) / path_in_root
        assert disk.stat().st_size == size, disk
    return len(rows)


def test_files_vanishing_and_changing_during_scans(run_process: RunCli, tmp_path: Path) -> None:
    # A process of its own: the churn thread races it, not the GIL.
    root = tmp_path / "models"
    folder = root / "checkpoints"
    folder.mkdir(parents=True)
    for number in range(3000):
        (folder / f"m{number:04d}.safetensors").write_bytes(b"%d" % number)
    db = tmp_path / "db.sqlite"
    stop = threading.Event()

    def churn() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            victim = folder / f"m{number * 7 % 3000:04d}.safetensors"
            try:
                if number % 3 == 0:
                    victim.unlink()
                elif number % 3 == 1:
                    victim.write_bytes(b"changed %d" % number * (number % 50))
                else:
                    victim.rename(folder / f"r{number}.safetensors")
            except OSError:
                pass
            (folder / f"n{number % 500}.safetensors").write_bytes(b"new %d" % number)
            time.sleep(0.0005)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(4):
            proc = run_process("index", root, "--db", db)
            _no_traceback(proc)
            assert proc.returncode == 0, proc.stderr
    finally:
        stop.set()
        worker.join()
    final = run_process("index", root, "--db", db, "--quiet")
    assert final.returncode == 0, final.stderr
    on_disk = sum(1 for p in folder.iterdir() if p.suffix == ".safetensors")
    assert _consistent(db) == on_disk


# --- the tool's own inputs: pyproject and index -----------------------------------------------

def test_read_only_pyproject_is_not_changed(run_cli: RunCli, tmp_path: Path) -> None:
    root, _ = _models(tmp_path)
    (tmp_path / "wf.json").write_text(_ui(_ckpt()))
    pyproject = tmp_path / "pyproject.toml"
    original = '[project]\nname = "demo"\n'
    pyproject.write_text(original)
    pyproject.chmod(0o444)
    proc = run_cli("check", "wf.json", "--models", root, "--db", tmp_path / "db.sqlite",
                   "--pyproject", pyproject, "--write-pyproject")
    _no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert "read-only" in proc.stderr and "pyproject.toml" in proc.stderr
    assert pyproject.read_text() == original
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pyproject")] == []


@pytest.mark.parametrize(("content", "where"), [
    ('[tool.comfydock\nx = 1\n', "pyproject.toml:1:"),
    ('[project]\nname = "a"\nname = "b"\n', "pyproject.toml:3:"),
    ('[tool.comfydock.models.required]\n"h" = 5\n', "pyproject.toml"),
    ("\xff", "pyproject.toml"),
], ids=["unclosed table", "duplicate key", "pin is not a table", "not UTF-8"])
def test_pyproject_that_does_not_parse(run_cli: RunCli, tmp_path: Path, snapshot: Path,
                                       content: str, where: str) -> None:
    (tmp_path / "wf.json").write_text(_ui(_ckpt()))
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(content.encode("latin-1"))
    before = pyproject.read_bytes()
    proc = run_cli("check", "wf.json", "--index", snapshot, "--pyproject", pyproject,
                   "--write-pyproject")
    _no_traceback(proc)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert where in proc.stderr
    assert pyproject.read_bytes() == before


def _built_index(run_cli: RunCli, tmp_path: Path) -> tuple[Path, Path]:
    root, _ = _models(tmp_path)
    db = tmp_path / "db.sqlite"
    assert run_cli("index", root, "--db", db, "--quiet").returncode == 0
    return root, db


def test_locked_index(run_process: RunCli, tmp_path: Path) -> None:
    # A process of its own: the lock is held by this one.
    root, db = _built_index(run_process, tmp_path)
    (root / "checkpoints" / "new.safetensors").write_bytes(b"a new file to write")
    (tmp_path / "wf.json").write_text(_ui(_ckpt()))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        writer = run_process("index", root, "--db", db, env={"COMFYDOCK_RULES_BUSY_TIMEOUT": "0.3"})
        waited = time.monotonic() - started
        reader = run_process("check", "wf.json", "--index", db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _no_traceback(writer)
    assert writer.returncode == 2, writer.stderr
    assert "locked by another process (waited 0.3 s)" in writer.stderr
    assert str(db) in writer.stderr and "COMFYDOCK_RULES_BUSY_TIMEOUT" in writer.stderr
    assert waited >= 0.3
    # A write-ahead log lets a check read the index while another process writes it.
    _no_traceback(reader)
    assert reader.returncode == 0, reader.stderr
    assert _consistent(db) == 1
    assert run_process("index", root, "--db", db).returncode == 0
    assert _consistent(db) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed header", "a folder",
                                    "other sqlite"])
def test_corrupt_index(run_cli: RunCli, tmp_path: Path, snapshot: Path, damage: str) -> None:
    root, db = _built_index(run_cli, tmp_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(os.urandom(8192))
    elif damage == "truncated":
        db.write_bytes(data[:1500])
    elif damage == "zeroed header":
        db.write_bytes(b"\0" * 100 + data[100:])
    elif damage == "a folder":
        db.unlink()
        db.mkdir()
    else:
        db.unlink()
        other = sqlite3.connect(db)
        other.execute("CREATE TABLE notes (text TEXT)")
        other.commit()
        other.close()
    (tmp_path / "wf.json").write_text(_ui(_ckpt()))
    for args in (("index", root, "--db", db), ("check", "wf.json", "--index", db),
                 ("index", "stats", "--db", db)):
        proc = run_cli(*args)
        _no_traceback(proc)
        assert proc.returncode == 2, (args, proc.stderr)
        assert str(db) in proc.stderr, proc.stderr
    if damage != "a folder":
        fixed = run_cli("index", root, "--db", db, "--rebuild")
        assert fixed.returncode == 0, fixed.stderr
        assert _consistent(db) == 1


def test_two_index_runs_at_once(tmp_path: Path) -> None:
    root = tmp_path / "models"
    for directory in ("checkpoints", "loras"):
        (root / directory).mkdir(parents=True)
        for number in range(2500):
            (root / directory / f"m{number:04d}.safetensors").write_bytes(b"%s %d" % (
                directory.encode(), number))
    db = tmp_path / "db.sqlite"
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([*CLI, "index", str(root), "--db", str(db)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results: list[tuple[int, str, str]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    for code, _out, err in results:
        assert "Traceback" not in err, err
        assert code == 0 or (code == 2 and "locked" in err), err
    assert any(code == 0 for code, _, _ in results)
    assert _consistent(db) == 5000
    again = subprocess.run([*CLI, "index", str(root), "--db", str(db)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0
    assert "5000 files seen: 0 new, 0 changed, 0 removed" in again.stdout


def test_bad_arguments(run_cli: RunCli, tmp_path: Path, snapshot: Path) -> None:
    (tmp_path / "wf.json").write_text(_ui(_ckpt()))
    cases: list[tuple[tuple[str | Path, ...], str]] = [
        (("check", "wf.json", "--index", tmp_path / "nope.sqlite"), "nope.sqlite"),
        (("check", "wf.json", "--index", snapshot, "--format", "xml"), "unknown format"),
        (("check", "wf.json", "--index", snapshot, "--rules", tmp_path / "none.yaml"),
         "none.yaml"),
        (("index", tmp_path / "no_such_root", "--db", tmp_path / "db.sqlite"), "does not exist"),
        (("index", "--workers", "0", tmp_path, "--db", tmp_path / "db.sqlite"), "--workers"),
        (("check", "wf.json", "--index", snapshot, "--fail-on", "sometimes"), "sometimes"),
    ]
    for args, text in cases:
        proc = run_cli(*args)
        _no_traceback(proc)
        assert proc.returncode == 2, (args, proc.stderr)
        assert text in proc.stderr, (args, proc.stderr)
