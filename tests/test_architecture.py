"""The package's shape, as docs/architecture.md states it: subpackages that follow the pipeline,
dependencies in one direction, and argv / stdout / exit codes only in the commands."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "comfydock_rules"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
MAX_LINES = 450
MAX_TOP_LEVEL_MODULES = 12
# What each subpackage may import from the others (the flat core is open to all).
ALLOWED: dict[str, set[str]] = {
    "commands": {"index", "link", "pyproject", "report", "resolve", "rules", "workflow"},
    "index": set(),
    "link": set(),
    "pyproject": set(),
    "report": set(),
    "resolve": set(),
    "rules": set(),
    "workflow": set(),
}
# Only these touch argv, the standard streams and the exit code.
INTERFACE = {"cli.py", "__main__.py"}
_SYS_NAMES = {"argv", "stdout", "stderr", "stdin", "exit"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _owner(path: Path) -> str | None:
    """The subpackage a module belongs to, None for the flat core."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def _imported_subpackages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "comfydock_rules" else [
                f"comfydock_rules.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "comfydock_rules" and len(parts) > 1 and parts[1] in SUBPACKAGES:
                found.add(parts[1])
    return found


def test_the_package_has_pipeline_subpackages_and_a_small_flat_core() -> None:
    assert set(ALLOWED) == set(SUBPACKAGES)
    assert len(SUBPACKAGES) >= 5
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, sorted(top)
    for name in SUBPACKAGES:
        # Importing a subpackage must not import anything: the pre-commit path stays lean.
        assert (PACKAGE / name / "__init__.py").read_text(encoding="utf-8") == "", name


def test_no_module_is_longer_than_the_limit() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_subpackages_import_only_what_the_pipeline_allows() -> None:
    wrong: dict[str, set[str]] = {}
    for path in _modules():
        owner = _owner(path)
        if owner is None:
            continue
        extra = _imported_subpackages(path) - ALLOWED[owner] - {owner}
        if extra:
            wrong[str(path.relative_to(PACKAGE))] = extra
    assert not wrong


def test_the_subpackage_graph_has_no_cycle() -> None:
    graph = {name: set() for name in SUBPACKAGES}
    for path in _modules():
        owner = _owner(path)
        if owner is not None:
            graph[owner] |= _imported_subpackages(path) - {owner}
    done: set[str] = set()

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, " -> ".join((*stack, node))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, (*stack, node))
        done.add(node)

    for name in SUBPACKAGES:
        visit(name, ())


def test_only_the_commands_touch_argv_streams_and_exit_codes() -> None:
    offenders: list[str] = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "commands" or str(rel) in INTERFACE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "sys" and node.attr in _SYS_NAMES):
                offenders.append(f"{rel}:{node.lineno} sys.{node.attr}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"print", "input", "exit"}):
                offenders.append(f"{rel}:{node.lineno} {node.func.id}()")
    assert not offenders
