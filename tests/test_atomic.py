"""write_atomic: the one way files are written. Whole or not at all, "disk full" when it is."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from comfydock_rules import atomic
from comfydock_rules.atomic import write_atomic
from comfydock_rules.errors import ToolInputError


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_replaces_the_whole_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old content that is longer than the new one")
    target.chmod(0o640)
    write_atomic(target, "new", what="the report")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_and_its_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "r.md"
    old = os.umask(0o027)
    try:
        write_atomic(target, b"bytes", what="the report", make_parents=True)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"bytes"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_disk_full_write_leaves_the_old_file_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ENOSPC at fsync is how a full disk shows up with delayed allocation (ext4, XFS, NFS).
    target = tmp_path / "pyproject.toml"
    target.write_text("[project]\nname = 'kept'\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(ToolInputError) as info:
        write_atomic(target, "x" * 10_000, what="the pyproject")
    assert "disk full" in str(info.value) and "it was not changed" in str(info.value)
    assert info.value.path == str(target)
    assert target.read_text() == "[project]\nname = 'kept'\n"
    assert _leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "snapshot.json"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "{}", what="the snapshot")
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_dev_full_is_a_real_disk_full(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with pytest.raises(ToolInputError) as info:
        write_atomic("/dev/full", "x" * 100_000, what="the report")
    assert "disk full (no space left on device)" in str(info.value)


def test_devices_are_written_in_place(tmp_path: Path) -> None:
    write_atomic(os.devnull, "discarded", what="the report")
    assert Path(os.devnull).is_char_device()


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_atomic(link, "new", what="the report")
    assert link.is_symlink() and real.read_text() == "new"


def test_read_only_files_and_folders_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "locked.json"
    target.write_text("keep")
    target.chmod(0o444)
    with pytest.raises(ToolInputError, match="read-only"):
        write_atomic(target, "new", what="the report")
    assert target.read_text() == "keep"
    with pytest.raises(ToolInputError, match="it is a folder"):
        write_atomic(tmp_path, "new", what="the report")


@pytest.mark.parametrize(("code", "text"), [
    (errno.ENOSPC, "disk full (no space left on device)"),
    (errno.EDQUOT, "disk full (disk quota exceeded)"),
    (errno.EFBIG, "file too large"),
    (errno.EACCES, os.strerror(errno.EACCES)),
])
def test_os_error_text(code: int, text: str) -> None:
    assert atomic.os_error_text(OSError(code, os.strerror(code))).startswith(text)
