"""Content addresses: ComfyDock's quick hash and the full-file BLAKE3 that confirms it.

The quick hash must stay byte-compatible with ComfyDock's `calculate_short_hash`, so that hashes
written here are recognised by ComfyDock environments (docs/index.md, "The quick hash"; the
tests check ComfyDock's own test vectors).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path

from blake3 import blake3

MIB = 1024 * 1024
CHUNK = 5 * MIB
"""Bytes hashed per sampled range."""
SAMPLE_ABOVE = 30 * MIB
"""Files larger than this are also sampled in the middle and at the end."""
QUICK_HASH_LENGTH = 16
_FULL_READ = 8 * MIB
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
)


def open_regular(path: str | Path) -> tuple[int, os.stat_result]:
    """Open a file for reading, refusing anything but a regular file: (fd, fstat).

    O_NONBLOCK makes opening a named pipe (or a device) that took a model file's place return at
    once instead of waiting for a writer forever; fstat then says it is not a regular file, and
    an OSError tells the caller to skip it. For regular files O_NONBLOCK changes nothing.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file (a named pipe, device or socket)",
                      os.fspath(path))
    return fd, st


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
    """Quick hash of the file at `path` (docs/index.md, "The quick hash")."""
    fd, st = open_regular(path)
    try:
        return quick_hash_fd(fd, st.st_size)[0]
    finally:
        os.close(fd)


def full_blake3(path: str | Path) -> tuple[str, int]:
    """BLAKE3 of the whole file: (64-hex digest, bytes read).

    Read through a checked descriptor into one reused buffer rather than memory-mapped by path:
    a file swapped for a named pipe cannot block, and one truncated meanwhile cannot SIGBUS.
    BLAKE3 and the reads release the GIL, so pool threads hash different files at once.
    """
    fd, st = open_regular(path)
    try:
        hasher = blake3()
        buffer = bytearray(min(max(st.st_size, 1), _FULL_READ))
        total = 0
        stream = io.FileIO(fd, "rb", closefd=False)
        while True:
            got = stream.readinto(buffer)
            if not got:
                break
            hasher.update(memoryview(buffer)[:got])
            total += got
        return hasher.hexdigest(), total
    finally:
        os.close(fd)
