"""The quick hash reproduces ComfyDock's own vectors, and reads only the sampled ranges."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from blake3 import blake3

from comfydock_rules.index.hashing import (
    CHUNK,
    MIB,
    full_blake3,
    open_regular,
    quick_hash,
    quick_hash_fd,
    quick_hash_ranges,
)


def _vectors(vectors: Path) -> list[dict[str, object]]:
    data = json.loads((vectors / "quick_hash.json").read_text(encoding="utf-8"))
    return list(data["vectors"])


def test_every_vector_reproduced(vectors: Path, tmp_path: Path) -> None:
    cases = _vectors(vectors)
    assert len(cases) == 11
    for number, case in enumerate(cases):
        size = int(str(case["size"]))
        seed = f"comfydock-rules-vector-{number}".encode()
        content = hashlib.shake_256(seed).digest(size) if size else b""
        path = tmp_path / f"vector-{number}.bin"
        path.write_bytes(content)
        assert quick_hash(path) == case["quick_hash"], f"vector {number} (size {size})"
        assert full_blake3(path) == (case["full_blake3"], size), f"vector {number} full"
        path.unlink()


def test_ranges_cross_the_30_mib_boundary() -> None:
    assert quick_hash_ranges(0) == ((0, 0),)
    assert quick_hash_ranges(CHUNK + 1) == ((0, CHUNK),)
    assert quick_hash_ranges(30 * MIB) == ((0, CHUNK),)
    size = 30 * MIB + 1
    assert quick_hash_ranges(size) == (
        (0, CHUNK), (size // 2 - CHUNK // 2, CHUNK), (size - CHUNK, CHUNK))


def test_sparse_64_mib_file_reads_15_mib(tmp_path: Path) -> None:
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as stream:
        stream.truncate(64 * MIB)
        stream.seek(40 * MIB)
        stream.write(b"middle")
    fd = os.open(path, os.O_RDONLY)
    try:
        digest, read = quick_hash_fd(fd, 64 * MIB)
    finally:
        os.close(fd)
    assert read == 15 * MIB
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert digest == quick_hash(path)
    # A byte outside the sampled ranges does not change the quick hash; one inside does.
    with open(path, "r+b") as stream:
        stream.seek(20 * MIB)
        stream.write(b"x")
    assert quick_hash(path) == digest
    with open(path, "r+b") as stream:
        stream.seek(64 * MIB - 1)
        stream.write(b"x")
    assert quick_hash(path) != digest


def test_file_shorter_than_claimed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"abc")
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(OSError, match="changed while"):
            quick_hash_fd(fd, 10)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when a call blocks, e.g. opening a named pipe."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "model.safetensors"
    os.mkfifo(pipe)
    with _deadline(5):
        for call in (open_regular, quick_hash, full_blake3):
            with pytest.raises(OSError, match="not a regular file"):
                call(pipe)


def test_full_blake3_reads_through_its_buffer(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    content = hashlib.shake_256(b"full").digest(3 * 8 * MIB + 12345)
    path.write_bytes(content)
    assert full_blake3(path) == (blake3(content).hexdigest(), len(content))
