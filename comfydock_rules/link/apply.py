"""Carry out a link plan: folders made one level at a time and checked, then a symbolic link
(relative when the file is in the same models folder), a hard link where the file system takes
no symbolic links, a copy only when asked. Nothing is ever overwritten or deleted: every link is
created by a call that fails when the path exists."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from comfydock_rules.link.plan import LinkStep, _inside

How = Literal["symlink", "hardlink", "copy"]
_NO_SYMLINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EACCES}


def _make_folders(path: str, boundary: str) -> None:
    missing: list[str] = []
    folder = os.path.dirname(path)
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    for folder in reversed(missing):
        if not _inside(os.path.realpath(os.path.dirname(folder)), boundary):
            raise OSError(errno.EXDEV, "a folder on the way leads outside the models folder")
        os.mkdir(folder)
    if not _inside(os.path.realpath(os.path.dirname(path)), boundary):
        raise OSError(errno.EXDEV, "a folder on the way leads outside the models folder")


def _copy(target: str, path: str) -> None:
    with open(target, "rb") as source, open(path, "xb") as out:
        try:
            shutil.copyfileobj(source, out, 8 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            out.close()
            os.unlink(path)  # our own partial copy, created by this call
            raise


def apply_step(step: LinkStep, *, copy: bool = False,
               symlink: Callable[[str, str], None] = os.symlink) -> tuple[LinkStep, How | None]:
    """Create the link of a `link` step; other steps come back unchanged."""
    if step.action != "link" or step.path is None or step.target is None:
        return step, None
    assert step.boundary is not None
    path, target = step.path, step.target
    try:
        _make_folders(path, step.boundary)
        relative = os.path.relpath(os.path.realpath(target), os.path.dirname(path))
        inside = _inside(os.path.realpath(target), step.boundary)
        try:
            symlink(relative if inside else os.path.realpath(target), path)
            return replace(step, action="linked"), "symlink"
        except OSError as exc:
            if exc.errno not in _NO_SYMLINKS:
                raise
        try:
            os.link(target, path)
            return replace(step, action="linked"), "hardlink"
        except OSError as exc:
            if not copy or exc.errno == errno.EEXIST:
                raise
        _copy(target, path)
        return replace(step, action="linked"), "copy"
    except FileExistsError:
        return replace(step, action="conflict",
                       reason="something appeared at that path; never overwritten"), None
    except OSError as exc:
        hint = "" if copy else " (--copy copies the file instead)"
        return replace(step, action="refused",
                       reason=f"cannot link: {exc.strerror or exc}{hint}"), None
