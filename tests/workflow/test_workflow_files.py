"""Expanding PATHS into workflow files: recursion, suffixes, display names, order, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest import MonkeyPatch

from comfydock_rules.errors import ToolInputError
from comfydock_rules.workflow.files import expand_paths


def make(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}", encoding="utf-8")


def test_folder_recursion_suffixes_and_order(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    make(tmp_path, "wf/b.json", "wf/a.PNG", "wf/sub/deep/c.webp", "wf/notes.txt",
         "wf/.git/x.json", "wf/sub/z.json")
    monkeypatch.chdir(tmp_path)
    pairs = expand_paths(["wf"])
    assert [d for _, d in pairs] == [
        "wf/a.PNG", "wf/b.json", "wf/sub/deep/c.webp", "wf/sub/z.json"]
    assert all(p.is_file() for p, _ in pairs)


def test_trailing_slash_and_current_folder(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    make(tmp_path, "wf/a.json")
    monkeypatch.chdir(tmp_path / "wf")
    assert [d for _, d in expand_paths(["."])] == ["a.json"]
    monkeypatch.chdir(tmp_path)
    assert [d for _, d in expand_paths(["wf/"])] == ["wf/a.json"]


def test_named_file_kept_whatever_suffix(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    make(tmp_path, "x.txt")
    monkeypatch.chdir(tmp_path)
    assert [d for _, d in expand_paths(["x.txt"])] == ["x.txt"]


def test_duplicates_are_listed_once(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    make(tmp_path, "wf/a.json", "wf/b.json")
    monkeypatch.chdir(tmp_path)
    displays = [d for _, d in expand_paths(["wf/b.json", "wf", "wf/a.json", "./wf/a.json"])]
    assert displays == ["./wf/a.json", "wf/b.json"]


def test_missing_path_is_a_tool_input_error(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ToolInputError) as info:
        expand_paths(["nope.json"])
    assert info.value.exit_code == 2
    assert str(info.value).startswith("nope.json: no such file or folder")


def test_symlink_loop_does_not_hang(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    make(tmp_path, "wf/a.json")
    (tmp_path / "wf" / "loop").symlink_to(tmp_path / "wf", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    assert [d for _, d in expand_paths(["wf"])] == ["wf/a.json"]
