"""The command itself: version, help, argument errors, from the installed console script and
`python -m comfydock_rules` in processes of their own."""

from __future__ import annotations

import subprocess
import sys

from conftest import RunCli

from comfydock_rules import __version__


def test_version(run_process: RunCli) -> None:
    result = run_process("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"comfydock-rules {__version__}"


def test_python_dash_m_matches_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "comfydock_rules", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_unknown_option_exits_2_without_traceback(run_process: RunCli) -> None:
    result = run_process("--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unrecognized arguments" in result.stderr


def test_no_command_prints_help_and_exits_2(run_process: RunCli) -> None:
    result = run_process()
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_version_is_written_once_and_the_installed_metadata_agrees() -> None:
    """pyproject.toml takes the version from comfydock_rules/__init__.py; an installed copy (the
    metadata pip wrote) and the changelog name the same one."""
    import importlib.metadata
    import tomllib

    from conftest import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    installed = importlib.metadata.version("comfydock-rules")
    assert installed == __version__, "reinstall: pip install -e ."
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}] - " in changelog
    assert f"[{__version__}]: " in changelog
