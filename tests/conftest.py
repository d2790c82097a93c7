"""Shared fixtures: the installed command run as a subprocess, and the shared corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
EXAMPLES = REPO / "examples"
CORPUS = Path(os.environ.get("COMFYDOCK_RULES_CORPUS", REPO.parent / "shared" / "corpus"))
VECTORS = CORPUS.parent / "vectors"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    if script.exists():
        return [str(script)]
    found = shutil.which("comfydock-rules")
    return [found] if found else [sys.executable, "-m", "comfydock_rules"]


CLI = _command()

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run the installed `comfydock-rules` with the cache directory kept inside tmp_path."""

    def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env["COMFYDOCK_RULES_CACHE_DIR"] = str(tmp_path / "cache")
        full_env.pop("GITHUB_ACTIONS", None)
        if env:
            full_env.update(env)
        return subprocess.run(
            [*CLI, *map(str, args)],
            cwd=cwd or tmp_path,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """In-process runs (the rules cache, --models dbs) never write to the user's cache folder."""
    os.environ["COMFYDOCK_RULES_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "truth.jsonl").is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS} (set COMFYDOCK_RULES_CORPUS)")
    return CORPUS


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not (VECTORS / "quick_hash.json").is_file():
        pytest.skip(f"the quick-hash vectors are not at {VECTORS}")
    return VECTORS


def example_db(tmp_path: Path) -> Path:
    """examples/models indexed by the `index` command into tmp_path/examples.sqlite (once)."""
    db = tmp_path / "examples.sqlite"
    if not db.is_file():
        env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
        subprocess.run([*CLI, "index", EXAMPLES / "models", "--db", db, "-q"], env=env,
                       check=True, capture_output=True)
    return db
