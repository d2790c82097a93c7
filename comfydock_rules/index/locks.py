"""Deleting the index files for --rebuild only while no other process has them open."""

from __future__ import annotations

import os
import time
from pathlib import Path

from comfydock_rules.errors import ToolInputError

DEFAULT_BUSY_TIMEOUT = 10.0
BUSY_TIMEOUT_ENV = "COMFYDOCK_RULES_BUSY_TIMEOUT"


def busy_timeout() -> float:
    raw = os.environ.get(BUSY_TIMEOUT_ENV)
    try:
        return float(raw) if raw else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


# SQLite's own lock bytes (unix VFS): in the database file, PENDING, RESERVED and the SHARED
# range (every open connection holds a read lock there once it has read); in the -shm file of a
# WAL database, the WAL write/checkpoint/recover/read locks and the "dead man switch" byte 128
# that every connection with the -shm mapped holds.
_PENDING_BYTE = 0x40000000
_DB_LOCK_RANGE = (_PENDING_BYTE, 2 + 510)
_SHM_LOCK_RANGE = (120, 9)
_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _lock_holder(fd: int, start: int, length: int) -> int | None:
    """The pid holding a lock that conflicts with a write lock on the range, if Linux says."""
    import fcntl
    import struct

    layout = "hhqqi4x"  # struct flock on Linux (x86-64, arm64)
    try:
        query = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        kind, _, _, _, pid = struct.unpack(layout, answer)
    except (OSError, struct.error):
        return None
    return int(pid) if kind != fcntl.F_UNLCK and pid > 0 else None


def _try_lock_all(db_path: Path) -> tuple[list[int], str | None]:
    """Write-lock SQLite's lock bytes of every file of the index: (open fds, None), or
    ([], what holds them) when another process has the index open."""
    import fcntl

    fds: list[int] = []
    for suffix, (start, length) in (("", _DB_LOCK_RANGE), ("-shm", _SHM_LOCK_RANGE)):
        name = f"{db_path}{suffix}"
        writable = True
        try:
            fd = os.open(name, os.O_RDWR | getattr(os, "O_NOCTTY", 0))
        except FileNotFoundError:
            continue
        except PermissionError:
            # A read-only file in a writable folder can still be deleted; it cannot be
            # write-locked, so only ask whether someone holds it (F_GETLK needs no write access).
            writable = False
            try:
                fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
            except OSError as exc:
                for other in fds:
                    os.close(other)
                raise ToolInputError(f"cannot open the old index to replace it: {exc.strerror}",
                                     path=name) from None
        except OSError as exc:
            for other in fds:
                os.close(other)
            raise ToolInputError(f"cannot open the old index to replace it: {exc.strerror}",
                                 path=name) from None
        fds.append(fd)
        try:
            if writable:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
            elif _lock_holder(fd, start, length) is not None:
                raise BlockingIOError
        except OSError:
            pid = _lock_holder(fd, start, length)
            for other in fds:
                os.close(other)
            who = f"process {pid}" if pid else "another process"
            return [], f"{who} holds a lock on {name}"
    return fds, None


def remove_unused(db_path: Path) -> None:
    """Delete the index files for --rebuild, but only while no other process has them open.

    The files are locked the way SQLite locks them (so another comfydock-rules or SQLite
    client waits on us, and we on it, for up to the busy timeout), removed while the locks are
    held, then released. Deleting them under a running writer would split the index in two.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover - no POSIX locks (Windows): SQLite's own files lock
        fds: list[int] = []
    else:
        deadline = time.monotonic() + busy_timeout()
        while True:
            fds, holder = _try_lock_all(db_path)
            if holder is None:
                break
            if time.monotonic() >= deadline:
                raise ToolInputError(
                    f"cannot rebuild: the index is in use, {holder} "
                    f"(waited {busy_timeout():g} s)",
                    path=str(db_path),
                    hint="let that process finish (or stop it) and run --rebuild again",
                )
            time.sleep(0.05)
    try:
        for suffix in _SUFFIXES:
            try:
                os.unlink(f"{db_path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise ToolInputError(f"cannot remove the old index: {exc.strerror}",
                                     path=f"{db_path}{suffix}") from None
    finally:
        for fd in fds:
            os.close(fd)
