"""Shared fixtures: the command run in this process or as the installed command in a
subprocess, and the shared corpus."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import cast

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
EXAMPLES = REPO / "examples"
CORPUS = Path(os.environ.get("COMFYDOCK_RULES_CORPUS", REPO.parent / "shared" / "corpus"))
VECTORS = CORPUS.parent / "vectors"
SARIF_SCHEMA = Path(os.environ.get("COMFYDOCK_RULES_SARIF_SCHEMA",
                                   CORPUS.parent / "sarif-schema-2.1.0.json"))
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
"""The OASIS SARIF 2.1.0 schema (errata 01, sarif-2.1/schema/sarif-schema-2.1.0.json of
oasis-tcs/sarif-spec). Not in this repository: it comes under the OASIS IPR Policy, not an
open-source licence, so the tests read it from where it is kept and skip without it."""


def make_models(root: Path, *relative: str) -> Path:
    """Real small files at `root/<relative>`, each with its own content (so its own hash)."""
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"test model {rel}\n")
    return root


def _command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    if script.exists():
        return [str(script)]
    found = shutil.which("comfydock-rules")
    return [found] if found else [sys.executable, "-m", "comfydock_rules"]


CLI = _command()

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
"""run_cli / run_process: (*args, cwd=None, env=None, input=None) -> CompletedProcess[str]."""


def cli_env(cache: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a test run: ours, the cache folder given, never GitHub's annotations."""
    full_env = dict(os.environ)
    full_env["COMFYDOCK_RULES_CACHE_DIR"] = str(cache)
    full_env.pop("GITHUB_ACTIONS", None)
    if env:
        full_env.update(env)
    return full_env


def run_subprocess(args: Sequence[str | Path], *, cwd: Path, cache: Path,
                   env: Mapping[str, str] | None = None,
                   input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `comfydock-rules` in a process of its own."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        env=cli_env(cache, env),
        input=input,
        capture_output=True,
        text=True,
        timeout=600,
    )


MEMORY_CAP = 512 * 1024 * 1024
"""Address space a hostile input may make the command use (RLIMIT_AS, docs/security.md)."""
TIME_CAP = 5.0
"""Seconds a hostile input may make the command run."""


def _cap_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_bounded(args: Sequence[str | Path], *, cwd: Path, cache: Path,
                env: Mapping[str, str] | None = None, stdout: int | None = None,
                prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, limited to MEMORY_CAP of address space
    and TIME_CAP seconds: what every hostile input must end within. A run over the time cap
    fails the test with subprocess.TimeoutExpired; one over the memory cap dies with a
    MemoryError the test sees. `stdout` may be a file descriptor (/dev/full); `prefix` a
    wrapper command (unshare)."""
    proc = subprocess.run(
        [*prefix, *CLI, *map(str, args)],
        cwd=cwd, env=cli_env(cache, env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE,
        preexec_fn=_cap_memory, timeout=TIME_CAP,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode,
        (proc.stdout or b"").decode("utf-8", errors="backslashreplace"),
        proc.stderr.decode("utf-8", errors="backslashreplace"))


# A child Python's standard streams on a pipe: its stdin and stdout use the encoding and error
# handler ours were given (both follow the locale), its stderr backslashreplace. subprocess.run
# decodes what it captured with the default text encoding, strictly, and turns \r\n and \r into
# \n; the in-process run below hands the tests the same strings.
_STDIO = (getattr(sys.__stdout__, "encoding", None) or "utf-8",
          getattr(sys.__stdout__, "errors", None) or "strict")
_PIPE_ENCODING = io.TextIOWrapper(io.BytesIO()).encoding


class _Captured(io.BytesIO):
    """What the command wrote; still readable if the command closes the stream."""

    def close(self) -> None:
        pass


def _stream(errors: str, data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(_Captured(data), encoding=_STDIO[0], errors=errors, newline="\n",
                            write_through=True)


def _captured_text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    data = cast(_Captured, stream.buffer).getvalue()
    return data.decode(_PIPE_ENCODING).replace("\r\n", "\n").replace("\r", "\n")


def _clear_function_caches() -> None:
    """Each run starts as a new process would: no functools cache of the package kept."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "comfydock_rules" or name.startswith("comfydock_rules.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


@contextlib.contextmanager
def _process_state(cwd: Path, env: Mapping[str, str]) -> Iterator[None]:
    """cwd, environment, signal handlers and warning filters as given, then as they were."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        with warnings.catch_warnings():
            yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in saved_signals.items():
            if handler is not None:
                signal.signal(sig, handler)


def run_in_process(args: Sequence[str | Path], *, cwd: Path, cache: Path,
                   env: Mapping[str, str] | None = None,
                   input: str | None = None) -> subprocess.CompletedProcess[str]:
    """`comfydock_rules.cli.main(args)` in this process, seen from outside as a subprocess run.

    stdin, stdout and stderr are in-memory streams (not terminals), the working directory and the
    environment are the given ones for the run only, and argparse's exits become exit codes. An
    exception the command does not handle fails the test with its own traceback.
    """
    from comfydock_rules.cli import main

    argv = [str(arg) for arg in args]
    full_env = cli_env(cache, env)
    # A child's stdout is a pipe, so argparse wraps help at 80 columns unless COLUMNS is set;
    # here it would ask the terminal pytest runs in.
    full_env.setdefault("COLUMNS", "80")
    stdin = _stream(_STDIO[1], (input or "").encode(_STDIO[0], _STDIO[1]))
    stdout = _stream(_STDIO[1])
    stderr = _stream("backslashreplace")
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    code: str | int | None
    _clear_function_caches()
    with _process_state(cwd, full_env):
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit status 1
        stderr.write(f"{code}\n")
        code = 1
    return subprocess.CompletedProcess(["comfydock-rules", *argv], code,
                                       _captured_text(stdout), _captured_text(stderr))


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run the command in this process, the cache folder and the default cwd inside tmp_path."""

    def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_in_process(args, cwd=cwd or tmp_path, cache=tmp_path / "cache", env=env,
                              input=input)

    return run


@pytest.fixture
def run_process(tmp_path: Path) -> RunCli:
    """Run the installed `comfydock-rules` in a subprocess, as run_cli does in this process.

    For what only a real process shows: locks held by another process, determinism across
    processes (each has its own string hash seed), the console script itself.
    """

    def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_subprocess(args, cwd=cwd or tmp_path, cache=tmp_path / "cache", env=env,
                              input=input)

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
def sarif_schema() -> dict[str, object]:
    """The official SARIF 2.1.0 JSON schema, checked to be that file byte for byte."""
    import hashlib
    import json

    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"the official SARIF 2.1.0 schema is not at {SARIF_SCHEMA} "
                    "(set COMFYDOCK_RULES_SARIF_SCHEMA)")
    data = SARIF_SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SARIF_SCHEMA_SHA256, (
        f"{SARIF_SCHEMA} is not the OASIS SARIF 2.1.0 (errata 01) schema")
    schema: dict[str, object] = json.loads(data)
    return schema


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not (VECTORS / "quick_hash.json").is_file():
        pytest.skip(f"the quick-hash vectors are not at {VECTORS}")
    return VECTORS


def example_db(tmp_path: Path) -> Path:
    """examples/models indexed by the `index` command into tmp_path/examples.sqlite (once)."""
    db = tmp_path / "examples.sqlite"
    if not db.is_file():
        done = run_in_process(["index", EXAMPLES / "models", "--db", db, "-q"], cwd=tmp_path,
                              cache=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
    return db
