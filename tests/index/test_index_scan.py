"""Scanning model roots and updating the index from a scan, called directly: which files count,
and files that vanish or change type between the scan and the read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comfydock_rules.index.load import load_index
from comfydock_rules.index.scan import Root, scan_roots


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


def test_which_files_count(tmp_path: Path) -> None:
    root = tmp_path / "models"
    for rel in [
        "checkpoints/keep.safetensors", "checkpoints/keep.CKPT", "loras/deep/er/keep.pt",
        "unet/keep.gguf", "configs/keep.yaml", "insightface/keep.onnx",
        "checkpoints/.hidden.safetensors", ".cache/skip.safetensors",
        "checkpoints/big.safetensors.part", "checkpoints/dl.safetensors.crdownload",
        "checkpoints/x.tmp", "checkpoints/y.download", "checkpoints/LICENSE",
        "checkpoints/README.md", "checkpoints/notes.yaml", "configs/README",
        "loose.safetensors",
    ]:
        _write(root / rel, b"x")
    os.symlink(root / "loras", root / "checkpoints" / "linked")  # followed: ComfyUI lists both
    os.symlink(root, root / "loras" / "loop")  # a loop back to the root: not entered again
    os.symlink(root / "nowhere.safetensors", root / "vae.safetensors")
    result = scan_roots([Root.plain(root)])
    assert [f.relative_path for f in result.files] == [
        "checkpoints/keep.CKPT",
        "checkpoints/keep.safetensors",
        "checkpoints/linked/deep/er/keep.pt",
        "configs/keep.yaml",
        "insightface/keep.onnx",
        "loras/deep/er/keep.pt",
        "unet/keep.gguf",
    ]
    assert result.skipped == 2  # loose.safetensors and the dangling vae.safetensors link
    assert any("directly in the root" in w for w in result.warnings)


def test_file_vanishing_between_scan_and_read(tmp_path: Path) -> None:
    from comfydock_rules.index.db import open_index
    from comfydock_rules.index.progress import NO_PROGRESS
    from comfydock_rules.index.update import _update

    root = _models(tmp_path)
    scan = scan_roots([Root.plain(root)])
    (root / "loras" / "SDXL" / "detail.safetensors").unlink()
    conn = open_index(tmp_path / "i.sqlite")
    try:
        summary = _update(conn, scan.files, 0, [], 2, NO_PROGRESS, 0.0)
    finally:
        conn.close()
    assert (summary.files_seen, summary.new, summary.skipped) == (4, 3, 1)
    assert any("vanished" in warning for warning in summary.warnings)
    assert len(load_index(tmp_path / "i.sqlite")) == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_file_replaced_by_a_named_pipe_after_the_scan_is_skipped(tmp_path: Path) -> None:
    import signal

    from comfydock_rules.index.db import open_index
    from comfydock_rules.index.progress import NO_PROGRESS
    from comfydock_rules.index.update import _update

    root = _models(tmp_path)
    scan = scan_roots([Root.plain(root)])
    swapped = root / "loras" / "SDXL" / "detail.safetensors"
    swapped.unlink()
    os.mkfifo(swapped)

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("opening the named pipe blocked")

    conn = open_index(tmp_path / "i.sqlite")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(10)
    try:  # one worker: the open happens in this thread, where the alarm can interrupt it
        summary = _update(conn, scan.files, 0, [], 1, NO_PROGRESS, 0.0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        conn.close()
    assert (summary.files_seen, summary.new, summary.skipped) == (4, 3, 1)
    assert f"{swapped}: skipped, cannot be read: not a regular file" in "\n".join(
        summary.warnings)
    assert "loras/SDXL/detail.safetensors" not in {
        f.relative_path for f in load_index(tmp_path / "i.sqlite")}
