"""Write a file whole or not at all: every file the tool writes (reports, patches, index
snapshots, pyproject.toml, rule files) goes through `write_text`.

A reader (CI uploading a report, an editor, a second run) never sees half a file, and an
interrupted or failed write leaves the old file as it was. Callers turn the OSError into their
own message; this module only knows files.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str, *, make_parents: bool = False) -> None:
    """`text` as UTF-8 (newlines as given) into `path`, through a temporary file in the same
    folder and os.replace. An existing file keeps its mode and, where allowed, its owner; a
    symbolic link is followed, so the link stays and its target changes. Raises OSError."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if make_parents and not target.parent.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        st: os.stat_result | None = target.stat()
    except FileNotFoundError:
        st = None
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
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
