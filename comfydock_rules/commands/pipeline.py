"""The stages `check` runs, for the commands that need the same answers (`models orphans`,
`pin`, `link`): workflows read by the rules, the index, the recorded pins, the engine's
resolutions. One place, so every command sees exactly what `check` reports."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.commands.streams import err
from comfydock_rules.errors import ToolInputError

if TYPE_CHECKING:
    from comfydock_rules.config import Config
    from comfydock_rules.model import ModelFile, ModelRef, Resolution, RuleSet
    from comfydock_rules.pyproject.persist import PersistOptions, PinState
    from comfydock_rules.report.core import ReadProblem


@dataclass(frozen=True)
class Read:
    workflows: tuple[tuple[Path, str], ...]
    """(path, display) of every workflow file found."""
    refs: tuple[ModelRef, ...]
    errors: tuple[ReadProblem, ...]


@dataclass(frozen=True)
class Resolved:
    read: Read
    ruleset: RuleSet
    index: Path
    files: tuple[ModelFile, ...]
    state: PinState
    resolutions: tuple[Resolution, ...]


def pyproject_path(args: argparse.Namespace) -> Path | None:
    given = getattr(args, "pyproject", None)
    if not given:
        return None
    path = Path(given)
    return path / "pyproject.toml" if path.is_dir() else path


def load_rules(args: argparse.Namespace, config: Config, *, quiet: bool) -> RuleSet:
    from comfydock_rules.rules.load import load_ruleset

    ruleset = load_ruleset(getattr(args, "rules", None) or config.rules)
    if not quiet:
        for warning in ruleset.warnings:
            err(f"comfydock-rules: warning: {warning}")
    return ruleset


def read_workflows(paths: Sequence[str], ruleset: RuleSet, *, quiet: bool = False) -> Read:
    """Every workflow under `paths` read; an unreadable one is printed on stderr and kept as a
    ReadProblem, the others still read. Entries of folders that are not read (named pipes,
    links out of the folder) are warned about unless `quiet`."""
    from comfydock_rules.errors import WorkflowReadError
    from comfydock_rules.report.core import ReadProblem
    from comfydock_rules.workflow.files import list_workflows
    from comfydock_rules.workflow.read import read_workflow

    listed = list_workflows(paths)
    workflows = listed.files
    if not quiet:
        for warning in listed.warnings:
            err(f"comfydock-rules: warning: {warning}")
    if not workflows:
        # A CI job pointed at the wrong folder would otherwise pass without checking anything.
        err("comfydock-rules: warning: no workflow files (.json, .png, .webp) under "
            + ", ".join(paths))
    refs: list[ModelRef] = []
    errors: list[ReadProblem] = []
    for path, display in workflows:
        try:
            refs.extend(read_workflow(path, display, ruleset))
        except WorkflowReadError as exc:
            err(str(exc) if exc.path else f"{display}: {exc}")
            errors.append(ReadProblem(display, exc.message, exc.line, exc.column))
    return Read(tuple(workflows), tuple(refs), tuple(errors))


def resolve_paths(args: argparse.Namespace, paths: Sequence[str], *,
                  options: PersistOptions | None = None, quiet: bool = False) -> Resolved:
    """`check`'s stages for `paths`, from the flags in `args` (rules, models, pyproject)."""
    from comfydock_rules.commands.source import index_path
    from comfydock_rules.config import load_config
    from comfydock_rules.index.load import load_index
    from comfydock_rules.pyproject import persist
    from comfydock_rules.resolve.engine import resolve_all

    if not paths:
        raise ToolInputError("no workflow files given", hint="give workflow files or folders")
    from comfydock_rules.commands.roots import check_workflow_paths, known_folders

    config = load_config(pyproject_path(args))
    ruleset = load_rules(args, config, quiet=quiet)
    known = known_folders(ruleset)
    check_workflow_paths(paths, known)
    read = read_workflows(paths, ruleset, quiet=quiet)
    index = index_path(args, config, quiet=quiet, known=known)
    files = tuple(load_index(index))
    if options is None:
        options = persist.PersistOptions(pyproject=pyproject_path(args))
    state = persist.load_pins(options, read.workflows)
    resolutions = resolve_all(read.refs, files, state.pins,
                              generic_names=ruleset.generic_names)
    return Resolved(read, ruleset, index, files, state, resolutions)
