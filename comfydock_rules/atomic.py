"""Write a file whole or not at all: every file the tool writes (reports, patches, index
snapshots, pyproject.toml, rule files, the rules cache) goes through this module.

A reader (CI uploading a report, an editor, a second run) never sees half a file, and an
interrupted or failed write (a full disk, Ctrl-C) leaves the old file as it was and no
temporary file behind. `write_text` is the primitive and raises OSError; `write_atomic` is what
commands call: it refuses read-only files and folders and turns every failure into one located
error that says "disk full" when that is the cause (`os_error_text`).

A target that exists and is not a regular file (`/dev/null`, `/dev/stderr`, a named pipe) is
written directly: there is nothing to replace, and renaming over a device would be wrong.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from comfydock_rules.errors import ToolInputError

DISK_FULL = "disk full"
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def os_error_text(exc: OSError) -> str:
    """The reason in words a user can act on; "disk full" whenever that is the cause."""
    if exc.errno in _DISK_FULL_ERRNOS:
        quota = exc.errno != errno.ENOSPC
        return f"{DISK_FULL} ({'disk quota exceeded' if quota else 'no space left on device'})"
    if exc.errno == errno.EFBIG:
        return "file too large (the file size limit, ulimit -f, was reached)"
    return exc.strerror or str(exc)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike[str], text: str | bytes, *,
               make_parents: bool = False) -> None:
    """`text` as UTF-8 (newlines as given) into `path`, through a temporary file in the same
    folder, fsync and os.replace. An existing file keeps its mode and, where allowed, its
    owner; a symbolic link is followed, so the link stays and its target changes; a device or
    pipe is written in place. Raises OSError; the temporary file never outlives a failure."""
    payload = text.encode("utf-8") if isinstance(text, str) else text
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if make_parents and not target.parent.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        st: os.stat_result | None = target.stat()
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        with open(target, "wb") as handle:
            handle.write(payload)
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        if st is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):
                os.chown(tmp_name, st.st_uid, st.st_gid)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def write_atomic(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    what: str,
    display: str | None = None,
    hint: str | None = None,
    make_parents: bool = False,
) -> None:
    """`write_text`, with every failure a ToolInputError naming `what`, saying why ("disk
    full") and that nothing changed. A read-only file is refused, as `open` would refuse it: a
    rename would ignore the mode."""
    shown = display if display is not None else os.fspath(path)

    def fail(reason: str) -> ToolInputError:
        return ToolInputError(f"cannot write {what}: {reason}; it was not changed", path=shown,
                              hint=hint)

    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise fail(os_error_text(exc)) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise fail("it is a folder")
    if (st is not None and stat.S_ISREG(st.st_mode)
            and not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
        raise fail("the file is read-only")
    try:
        write_text(path, data, make_parents=make_parents)
    except OSError as exc:
        raise fail(os_error_text(exc)) from None
