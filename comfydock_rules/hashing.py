"""Content addresses: ComfyDock's quick hash and the full-file BLAKE3 that confirms it.

The quick hash must stay byte-compatible with ComfyDock's `calculate_short_hash`, so that hashes
written here are recognised by ComfyDock environments (../shared/vectors/quick_hash.json).
"""

from __future__ import annotations

import os
from pathlib import Path

from blake3 import blake3

MIB = 1024 * 1024
CHUNK = 5 * MIB
"""Bytes hashed per sampled range."""
SAMPLE_ABOVE = 30 * MIB
"""Files larger than this are also sampled in the middle and at the end."""
QUICK_HASH_LENGTH = 16
_FULL_READ = 4 * MIB


def quick_hash_ranges(size: int) -> tuple[tuple[int, int], ...]:
    """(offset, length) of every byte range the quick hash reads, in hashing order."""
    if size > SAMPLE_ABOVE:
        return ((0, CHUNK), (size // 2 - CHUNK // 2, CHUNK), (size - CHUNK, CHUNK))
    return ((0, min(size, CHUNK)),)


def _read_range(fd: int, offset: int, length: int, buffer: bytearray) -> memoryview:
    """Fill `buffer[:length]` from `offset`; a short result means the file shrank meanwhile."""
    view = memoryview(buffer)[:length]
    done = 0
    while done < length:
        if hasattr(os, "preadv"):
            got = os.preadv(fd, [view[done:]], offset + done)
        else:  # pragma: no cover - platforms without preadv (Windows)
            os.lseek(fd, offset + done, os.SEEK_SET)
            chunk = os.read(fd, length - done)
            got = len(chunk)
            view[done : done + got] = chunk
        if got == 0:
            break
        done += got
    return view[:done]


def quick_hash_fd(fd: int, size: int, buffer: bytearray | None = None) -> tuple[str, int]:
    """Quick hash of an open file of `size` bytes; returns (16-hex hash, bytes read).

    Raises OSError (ESTALE) when the file is shorter than `size`: it changed while being read,
    and a hash of the wrong bytes must never be recorded.
    """
    if buffer is None:
        buffer = bytearray(CHUNK)
    hasher = blake3(str(size).encode("ascii"))
    total = 0
    for offset, length in quick_hash_ranges(size):
        data = _read_range(fd, offset, length, buffer)
        if len(data) != length:
            raise OSError(116, "file changed while it was being read")
        hasher.update(data)
        total += length
    return hasher.hexdigest()[:QUICK_HASH_LENGTH], total


def quick_hash(path: str | Path) -> str:
    """Quick hash of the file at `path` (see DESIGN.md, "Quick hash")."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        return quick_hash_fd(fd, os.fstat(fd).st_size)[0]
    finally:
        os.close(fd)


def full_blake3(path: str | Path) -> tuple[str, int]:
    """BLAKE3 of the whole file: (64-hex digest, bytes read).

    Memory-mapped when possible: the Rust side reads without holding the GIL.
    """
    size = os.stat(path).st_size
    hasher = blake3()
    if size > 0:
        try:
            hasher.update_mmap(path)
            return hasher.hexdigest(), size
        except (OSError, ValueError):
            hasher = blake3()
    total = 0
    with open(path, "rb", buffering=0) as stream:
        while True:
            chunk = stream.read(_FULL_READ)
            if not chunk:
                break
            hasher.update(chunk)
            total += len(chunk)
    return hasher.hexdigest(), total
