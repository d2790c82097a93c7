"""Hostile inputs that amplify: each is small, and each must end within the bounds.

Every case runs the installed command under a 512 MiB address-space cap and a 5 s timeout
(conftest.run_bounded) and checks the exit code, the message, that no raw control character
reaches either stream, and that nothing is written outside where the user pointed. The bounds
themselves are in comfydock_rules/limits.py and docs/security.md.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import run_bounded

from comfydock_rules import limits

REAL = "real_model.safetensors"


def _snapshot(path: Path) -> Path:
    doc = {"format": "comfydock-rules-index", "version": 1, "files": [
        {"relative_path": f"checkpoints/{REAL}", "hash": "0123456789abcdef", "size": 10},
        {"relative_path": "checkpoints/a_b_c.safetensors", "hash": "fedcba9876543210", "size": 9},
    ]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _ckpt(node_id: Any = 1, value: str = REAL, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "CheckpointLoaderSimple", "mode": 0, "widgets_values": [value],
            **extra}


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and mtime: what a run may not have changed."""
    out: dict[str, tuple[int, int]] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


class Case:
    """A folder for one attack: the inputs, the cache, and what the run may write."""

    def __init__(self, tmp_path: Path) -> None:
        self.base = tmp_path
        self.index = _snapshot(tmp_path / "index.json")
        self.before: dict[str, tuple[int, int]] = {}

    def freeze(self) -> None:
        self.before = _tree(self.base)

    def run(self, *args: str | Path, stdout: int | None = None,
            prefix: tuple[str, ...] = (), env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        if not self.before:
            self.freeze()
        return run_bounded(args, cwd=self.base, cache=self.base / "cache", stdout=stdout,
                           prefix=prefix, env=env)

    def changed(self) -> set[str]:
        after = _tree(self.base)
        return {name for name in set(after) | set(self.before)
                if after.get(name) != self.before.get(name)
                and not name.startswith("cache/")}


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case(tmp_path)


def inert(proc: subprocess.CompletedProcess[str]) -> None:
    """No traceback, and no character on either stream that a terminal or a CI log would act
    on: everything printable but the line ends."""
    for name, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        assert "Traceback" not in text, text[-3000:]
        assert "MemoryError" not in text, text[-3000:]
        bad = sorted({ch for ch in text if not ch.isprintable() and ch != "\n"})
        assert not bad, (name, bad, text[-3000:])


def expect(proc: subprocess.CompletedProcess[str], code: int, *texts: str) -> None:
    inert(proc)
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    for text in texts:
        assert text in proc.stderr, proc.stderr[-2000:]


# --- 1. subgraph fan-out ----------------------------------------------------------------------

def test_1_subgraph_fan_out_stops_at_the_expanded_node_bound(case: Case) -> None:
    # S0 holds two instances of S1, S1 two of S2, ... S39: 2**40 node visits from 6 KB.
    depth = 40
    defs = []
    for level in range(depth):
        child = f"S{level + 1}" if level + 1 < depth else "CheckpointLoaderSimple"
        defs.append({"id": f"S{level}", "nodes": [
            {"id": 1, "type": child, "widgets_values": [REAL]},
            {"id": 2, "type": child, "widgets_values": [REAL]}]})
    doc = {"nodes": [{"id": 7, "type": "S0"}], "definitions": {"subgraphs": defs}}
    (case.base / "fan.json").write_text(json.dumps(doc))
    (case.base / "good.json").write_text(json.dumps({"nodes": [_ckpt()]}))
    proc = case.run("check", "fan.json", "good.json", "--index", case.index)
    expect(proc, 1, "fan.json", f"expand to more than {limits.MAX_EXPANDED_NODES:,} nodes")
    assert "1 exact" in proc.stdout  # the other workflow is still checked
    assert case.changed() == set()


def test_1_group_node_fan_out_counts_against_the_same_bound(case: Case) -> None:
    inner = [_ckpt(i) for i in range(400)]
    doc = {"nodes": [{"id": i, "type": "workflow>g"} for i in range(400)],
           "extra": {"groupNodes": {"g": {"nodes": inner}}}}
    (case.base / "groups.json").write_text(json.dumps(doc))
    expect(case.run("refs", "groups.json"), 1, "groups.json",
           f"expand to more than {limits.MAX_EXPANDED_NODES:,} nodes")


# --- 2. compressed text that parses into millions of objects ----------------------------------

def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_2_compressed_chunk_that_parses_into_millions_of_objects(case: Case) -> None:
    items = limits.MAX_JSON_ITEMS + 1000
    payload = b'{"nodes": [' + b"[]," * items + b"[]]}"
    png = b"\x89PNG\r\n\x1a\n"
    for key in (b"workflow", b"prompt"):
        png += _png_chunk(b"zTXt", key + b"\0\0" + zlib.compress(payload, 9))
    png += _png_chunk(b"IEND", b"")
    assert len(png) < 100_000
    (case.base / "bomb.png").write_bytes(png)
    proc = case.run("check", "bomb.png", "--index", case.index)
    expect(proc, 1, "bomb.png", f"more than {limits.MAX_JSON_ITEMS:,} values")
    assert case.changed() == set()


def test_2_compressed_chunk_over_the_text_bound(case: Case) -> None:
    payload = b" " * (limits.MAX_EMBEDDED_TEXT_BYTES + 1)
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"zTXt", b"workflow\0\0" + zlib.compress(payload, 9))
           + _png_chunk(b"IEND", b""))
    (case.base / "big.png").write_bytes(png)
    expect(case.run("refs", "big.png"), 1, "big.png", "inflates to more than")


# --- 3. WebP EXIF entries that all point at one large value -----------------------------------

def test_3_webp_exif_entries_pointing_at_one_block_are_not_copied_each(case: Case) -> None:
    api = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": REAL}},
           "pad": "x" * 1_000_000}
    value = b"prompt:" + json.dumps(api).encode() + b"\0"
    entries = 65_535
    ifd = struct.pack("<H", entries)
    block_at = 8 + len(ifd) + 12 * entries + 4
    ifd += struct.pack("<HHII", 0x0110, 2, len(value), block_at) * entries + b"\0\0\0\0"
    exif = b"II*\0" + struct.pack("<I", 8) + ifd + value
    body = b"WEBP" + b"EXIF" + struct.pack("<I", len(exif)) + exif + b"\0" * (len(exif) & 1)
    (case.base / "exif.webp").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    proc = case.run("check", "exif.webp", "--index", case.index)
    expect(proc, 0)
    assert "1 exact" in proc.stdout


# --- 4. nested "nodes" arrays around a big string ---------------------------------------------

def test_4_nested_nodes_arrays_are_decoded_once(case: Case) -> None:
    inner: Any = "x" * 10_000_000
    for _ in range(200):
        inner = {"nodes": [inner]}
    doc = {"nodes": [_ckpt(1, properties=inner), _ckpt(2, "absent.safetensors")]}
    (case.base / "deep.json").write_text(json.dumps(doc, indent=1))
    proc = case.run("check", "deep.json", "--index", case.index)
    expect(proc, 1)
    assert "deep.json:" in proc.stdout and "absent.safetensors" in proc.stdout


# --- 5. names that made the matcher quadratic -------------------------------------------------

def test_5_long_names_are_bounded_work(case: Case) -> None:
    values = ["a_" * 25_000 + "a.safetensors", "a" + " " * 100_000 + "x).safetensors",
              "a_b_c" + "_a" * 120 + " (1).safetensors", "a" + " " * 240 + "x).safetensors"]
    (case.base / "names.json").write_text(
        json.dumps({"nodes": [_ckpt(i + 1, v) for i, v in enumerate(values)]}))
    proc = case.run("check", "names.json", "--index", case.index, "--format", "json")
    expect(proc, 1)
    refs = {r["value"]: r for r in json.loads(proc.stdout)["references"]}
    for value in values[:2]:
        assert refs[value]["status"] == "missing"
        assert "more than the 255" in " ".join(refs[value]["messages"])
    assert {refs[v]["status"] for v in values[2:]} <= {"missing", "ambiguous", "fuzzy"}


# --- 6. workflow files that block, never end or lead elsewhere --------------------------------

def test_6_fifo_device_links_out_and_huge_files_in_a_folder(case: Case) -> None:
    folder = case.base / "wf"
    folder.mkdir()
    os.mkfifo(folder / "fifo.json")
    (folder / "zero.json").symlink_to("/dev/zero")
    secret = case.base / "secret.txt"
    secret.write_text('{"nodes": []}')
    (folder / "shadow.json").symlink_to(secret)
    (folder / "inside.json").symlink_to(folder / "good.json")
    (folder / "good.json").write_text(json.dumps({"nodes": [_ckpt()]}))
    proc = case.run("check", "wf", "--index", case.index)
    expect(proc, 0, "wf/fifo.json: skipped, not a regular file",
           "wf/zero.json: skipped, a symbolic link to a file outside the folder",
           "wf/shadow.json: skipped, a symbolic link to a file outside the folder")
    # A link inside the folder is read (once: it is the same file as good.json).
    assert "wf/inside.json" not in proc.stderr
    assert "1 reference in 1 workflow: 1 exact" in proc.stdout


def test_6_named_device_fifo_and_oversized_file(case: Case) -> None:
    os.mkfifo(case.base / "pipe.json")
    big = case.base / "big.json"
    with open(big, "wb") as handle:  # sparse: no disk space, a size over the bound
        handle.truncate(limits.MAX_WORKFLOW_BYTES + 1)
    proc = case.run("refs", "/dev/zero", "pipe.json", "big.json")
    expect(proc, 1, "/dev/zero: cannot read the file: a character device",
           "pipe.json: cannot read the file: a named pipe", "big.json: cannot read the file:",
           "more than the 64 MiB")


# --- 7. untrusted names on stderr -------------------------------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\r::error file=x.json::injected\u202e"


def test_7_index_warnings_and_read_errors_print_names_inert(case: Case) -> None:
    root = case.base / "models"
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints" / f"{HOSTILE}broken.safetensors").symlink_to("nowhere")
    os.mkfifo(root / "checkpoints" / f"{HOSTILE}fifo.safetensors")
    (case.base / f"{HOSTILE}.json").write_text("{ not json")
    proc = case.run("index", root, "--db", case.base / "db.sqlite")
    expect(proc, 0, "broken symbolic link", "not a regular file", "\\x1b]0;owned\\x07")
    assert "\n::error" not in proc.stderr
    proc = case.run("check", ".", "--index", case.index)
    expect(proc, 1, "invalid JSON", "\\x1b[2J\\r::error")
    proc = case.run("refs", f"{HOSTILE}.json", "--format", "json")
    expect(proc, 1, "invalid JSON")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: no permission denied")
def test_7_permission_denied_warning_is_inert(case: Case) -> None:
    root = case.base / "models"
    locked = root / "checkpoints" / f"{HOSTILE}locked"
    locked.mkdir(parents=True)
    locked.chmod(0)
    try:
        proc = case.run("index", root, "--db", case.base / "db.sqlite")
    finally:
        locked.chmod(0o755)
    expect(proc, 0, "cannot be read", "\\x1b]0;owned\\x07")
