"""Where output goes: `-` is stdout wherever a file is asked for, files are written whole, and
the writing flags create the pyproject.toml the help promises."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

from conftest import EXAMPLES, RunCli, example_db
from test_check import make_models, node, write_workflow

WORKFLOW = EXAMPLES / "workflows" / "02_subfolder.json"


def test_output_dash_is_stdout_and_no_file_named_dash(run_cli: RunCli, tmp_path: Path) -> None:
    db = example_db(tmp_path)
    for args in (("--format", "json", "--output", "-"), ("--format", "json=-"), ("-o", "-")):
        result = run_cli("check", WORKFLOW, "--index", db, *args)
        assert result.returncode == 0, result.stderr
        assert not (tmp_path / "-").exists(), args
        if "json" in args[1]:
            assert json.loads(result.stdout)["summary"]["references"] == 2
        else:
            assert "2 references in 1 workflow" in result.stdout


def test_two_reports_on_stdout_through_dash_are_refused(run_cli: RunCli, tmp_path: Path) -> None:
    db = example_db(tmp_path)
    result = run_cli("check", WORKFLOW, "--index", db, "--format", "json", "-o", "-",
                     "--format", "markdown")
    assert result.returncode == 2
    assert "only one report can go to stdout, got json, markdown" in result.stderr


def test_report_file_is_written_whole_next_to_no_temporary(run_cli: RunCli,
                                                          tmp_path: Path) -> None:
    db = example_db(tmp_path)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "r.json"
    target.write_text("old\n")
    target.chmod(0o640)
    result = run_cli("check", WORKFLOW, "--index", db, "--format", "json", "-o", target)
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["version"] == 1
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]


def test_index_export_takes_output_like_check(run_cli: RunCli, tmp_path: Path) -> None:
    db = example_db(tmp_path)
    to_file = run_cli("index", "export", "--db", db, "-o", "snap/models.json")
    assert to_file.returncode == 0, to_file.stderr
    written = (tmp_path / "snap" / "models.json").read_text()
    for flag in ("--output", "-o", "--out"):
        to_stdout = run_cli("index", "export", "--db", db, flag, "-")
        assert to_stdout.returncode == 0, to_stdout.stderr
        assert to_stdout.stdout == written
    assert not (tmp_path / "-").exists()
    missing = run_cli("index", "export", "--db", db)
    assert missing.returncode == 2
    assert "'index export' needs -o FILE (or -o - for stdout)" in missing.stderr


def test_refs_quiet_lists_nothing_and_keeps_the_exit_code(run_cli: RunCli,
                                                         tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    loud = run_cli("refs", WORKFLOW, tmp_path / "broken.json")
    assert loud.returncode == 1
    assert "LoraLoader" in loud.stdout
    quiet = run_cli("refs", "-q", WORKFLOW, tmp_path / "broken.json")
    assert quiet.returncode == 1
    assert quiet.stdout == ""
    assert "broken.json" in quiet.stderr
    assert run_cli("refs", "--quiet", WORKFLOW).returncode == 0
    listed = run_cli("refs", WORKFLOW, "-o", "refs.txt")
    assert listed.stdout == "" and (tmp_path / "refs.txt").read_text() == run_cli(
        "refs", WORKFLOW).stdout


def _project(tmp_path: Path) -> Path:
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    proj = tmp_path / "proj"
    write_workflow(proj / "wf" / "w.json", node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    return proj


def test_write_pyproject_without_one_creates_it_at_the_repository_root(
        run_cli: RunCli, tmp_path: Path) -> None:
    proj = _project(tmp_path)
    subprocess.run(["git", "init", "-q", str(proj)], check=True)
    result = run_cli("check", "../wf", "--models", "../../models", "--write-pyproject",
                     cwd=proj / "wf")
    assert result.returncode == 0, result.stderr
    assert "1 reference in 1 workflow: 1 exact" in result.stdout  # the report is not lost
    created = proj / "pyproject.toml"
    assert "recorded 1 resolution (a new file)" in result.stderr
    pins = tomllib.loads(created.read_text())["tool"]["comfydock"]["workflows"]["w"]["models"]
    assert list(pins) == ["a.safetensors"]
    assert not (proj / "wf" / "pyproject.toml").exists()


def test_patch_without_a_pyproject_outside_a_repository_creates_it_here(
        run_cli: RunCli, tmp_path: Path) -> None:
    proj = _project(tmp_path)
    result = run_cli("check", "wf", "--models", "../models", "--patch", "-", cwd=proj)
    assert result.returncode == 0, result.stderr
    assert "--- /dev/null\n+++ b/pyproject.toml\n" in result.stdout
    assert not (proj / "pyproject.toml").exists()  # --patch alone writes only the diff
    fixed = run_cli("check", "wf", "--models", "../models", "--fix", cwd=proj)
    assert fixed.returncode == 1  # --fix: the file changed
    assert (proj / "pyproject.toml").is_file()
    assert "pre-commit" not in fixed.stderr


def test_fix_under_pre_commit_says_a_stash_may_roll_it_back(run_cli: RunCli,
                                                           tmp_path: Path) -> None:
    proj = _project(tmp_path)
    (proj / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    result = run_cli("check", "wf", "--models", "../models", "--fix", cwd=proj,
                     env={"PRE_COMMIT": "1"})
    assert result.returncode == 1
    assert ("pyproject.toml: changed by --fix under pre-commit; if pyproject.toml also has "
            "unstaged edits, pre-commit rolls this change back") in result.stderr
    again = run_cli("check", "wf", "--models", "../models", "--fix", cwd=proj,
                    env={"PRE_COMMIT": "1"})
    assert again.returncode == 0 and "pre-commit" not in again.stderr
