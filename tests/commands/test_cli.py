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
