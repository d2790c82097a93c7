"""`comfydock-rules check`: resolve every model reference of the given workflows and report.

The pipeline's stages are imported inside `run`, so that `--help` and argument errors stay
instant and a pre-commit run pays only for what it uses.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfydock_rules.commands.output import STDOUT
from comfydock_rules.commands.source import add_index_arguments
from comfydock_rules.commands.streams import err
from comfydock_rules.errors import ToolInputError
from comfydock_rules.report.formats import FORMATS, GITHUB_ANNOTATIONS_PER_LEVEL

if TYPE_CHECKING:
    from comfydock_rules.config import Config
    from comfydock_rules.model import ModelFile
    from comfydock_rules.pyproject.persist import PersistOptions

_EPILOG = """\
reports: --format FMT [--output FILE], repeatable; each --output belongs to the --format just
before it (or write --format FMT=FILE). A format without a file, or with the file '-', goes to
stdout (only one may). Without --format: text on stdout. Files are written whole (through a
temporary file), so a reader never sees half a report.
  comfydock-rules check wf/ --index models.json --format json --output r.json --format markdown

gate: --fail-on takes a comma list of statuses (exact, fuzzy, ambiguous, missing) and flags
(no_rule, stale_pin, wrong_directory, not_as_written, bypassed); default: the rules' gate,
normally missing,ambiguous; 'none' never fails. References on bypassed or muted nodes are
reported but never fail the gate unless 'bypassed' is in the list.

settings: flags first, then [tool.comfydock-rules] in the nearest pyproject.toml (rules, index,
models, db, extra_model_paths, fail_on), then defaults. Without --index or --models the
default index (built by 'comfydock-rules index') is used.

--models without --db (or db in pyproject.toml) indexes into a database of its own per set of
roots: models-<hash of the resolved roots and extra_model_paths files>.sqlite in the cache
folder ($COMFYDOCK_RULES_CACHE_DIR moves it). Alternating between two projects' models keeps
both warm: only new or changed files are read.

exit codes: 0 gate passed; 1 gate failed or a workflow could not be read; 2 the tool could not
do its job (arguments, rule files, index).
"""


class _Report(argparse.Action):
    """Keep --format and --output in the order given, so that each pair stays a pair."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        events: list[tuple[str, str]] = list(getattr(namespace, "report_events", None) or [])
        events.append((self.dest, str(values)))
        namespace.report_events = events


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="check workflows' model references and report (the pre-commit / CI gate)",
        description=(
            "Resolve every model reference of the workflow files against the index and report "
            "each as exact, fuzzy, ambiguous or missing."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="workflow files or folders (JSON, PNG, WebP)"
    )
    add_index_arguments(parser)
    parser.add_argument(
        "--rules", action="append", metavar="FILE",
        help="a rule file (YAML) applied after the built-in sets; repeat the flag for more, "
        "applied in order",
    )
    parser.add_argument(
        "--fail-on", metavar="STATUSES", help="comma list of statuses and flags that fail the gate"
    )
    parser.add_argument(
        "--format", dest="format", action=_Report, metavar="FMT[=FILE]",
        help="report format: " + ", ".join(FORMATS) + " (repeatable)",
    )
    parser.add_argument(
        "--output", "-o", dest="output", action=_Report, metavar="FILE",
        help="file for the --format before it ('-' for stdout)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true",
        help="text: print only what fails the gate; nothing when it passes",
    )
    parser.add_argument(
        "--max-annotations", type=_count, default=GITHUB_ANNOTATIONS_PER_LEVEL, metavar="N",
        help="github: annotations per level (error, warning, notice), errors first; a notice "
        f"counts the rest (default: {GITHUB_ANNOTATIONS_PER_LEVEL}, what GitHub shows per step)",
    )
    _add_pyproject_arguments(parser)
    parser.set_defaults(run=run, report_events=None)


def _add_pyproject_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "pyproject.toml",
        "Record resolutions as reference -> content hash pins (docs/pyproject.md).",
    )
    group.add_argument(
        "--pyproject", metavar="PATH", type=Path, default=None,
        help="the pyproject.toml to read pins from and record them in; created when missing "
        "(default: the nearest pyproject.toml from the current folder up to the repository's "
        "root; when there is none, --patch and the writing flags create one at the "
        "repository's root, or in the current folder outside a repository)",
    )
    group.add_argument(
        "--patch", metavar="FILE", default=None,
        help="write the change to pyproject.toml as a unified diff ('-' for stdout); "
        "apply it with 'git apply' or 'patch -p1'",
    )
    group.add_argument(
        "--write-pyproject", action="store_true",
        help="record the exact and fuzzy resolutions in pyproject.toml",
    )
    group.add_argument(
        "--fix", action="store_true",
        help="as --write-pyproject, and exit 1 when the file changed (for pre-commit)",
    )
    group.add_argument(
        "--prune", action="store_true",
        help="also remove pins for references no longer in their workflow "
        "(writes in place unless --patch is given)",
    )


def persist_options(args: argparse.Namespace) -> PersistOptions:
    from comfydock_rules.pyproject.persist import PersistOptions

    return PersistOptions(
        pyproject=args.pyproject, patch=args.patch, write_pyproject=args.write_pyproject,
        fix=args.fix, prune=args.prune,
    )


def report_targets(events: Sequence[tuple[str, str]] | None) -> list[tuple[str, str | None]]:
    """[('format', 'json'), ('output', 'r.json'), ('format', 'text')] ->
    [('json', 'r.json'), ('text', None)]; no --format at all -> [('text', None)]."""
    targets: list[tuple[str, str | None]] = []
    open_pair = False
    for kind, value in events or ():
        if kind == "format":
            name, eq, path = value.partition("=")
            name = name.strip().lower()
            if name not in FORMATS:
                raise ToolInputError(
                    f"--format: unknown format {name!r}", hint="use " + ", ".join(FORMATS)
                )
            if eq and not path:
                raise ToolInputError(f"--format {value}: no file after '='")
            targets.append((name, None if path == STDOUT else path or None))
            open_pair = not eq
        else:
            out = None if value == STDOUT else value
            if not targets:
                targets.append(("text", out))
            elif open_pair:
                targets[-1] = (targets[-1][0], out)
            else:
                raise ToolInputError(
                    f"--output {value}: no --format before it to write",
                    hint="give --format FMT --output FILE pairs",
                )
            open_pair = False
    if not targets:
        targets.append(("text", None))
    to_stdout = [name for name, path in targets if path is None]
    if len(to_stdout) > 1:
        raise ToolInputError(
            "only one report can go to stdout, got " + ", ".join(to_stdout),
            hint="give the others an --output FILE",
        )
    files = [path for _, path in targets if path is not None]
    if len(set(files)) != len(files):
        raise ToolInputError("two reports would write the same --output file")
    return targets


def _load_models(
    args: argparse.Namespace, config: Config, known: frozenset[str]
) -> tuple[ModelFile, ...]:
    from comfydock_rules.commands.source import index_path
    from comfydock_rules.index import load as index_load

    return tuple(index_load.load_index(index_path(args, config, quiet=args.quiet, known=known)))


def run(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.output import emit
    from comfydock_rules.config import load_config
    from comfydock_rules.report.core import build_report, exit_code, parse_fail_on
    from comfydock_rules.report.formats import RenderOptions, rendered

    targets = report_targets(args.report_events)
    fail_on_flag = parse_fail_on(args.fail_on) if args.fail_on is not None else None
    pyproject = Path(args.pyproject) if getattr(args, "pyproject", None) else None
    if pyproject is not None and pyproject.is_dir():
        pyproject = pyproject / "pyproject.toml"
    config = load_config(pyproject)
    if not args.paths:
        raise ToolInputError(
            "no workflow files given", hint="give workflow files or folders to check"
        )

    from comfydock_rules.commands.pipeline import load_rules, read_workflows
    from comfydock_rules.commands.roots import check_workflow_paths, known_folders

    ruleset = load_rules(args, config, quiet=args.quiet)
    check_workflow_paths(args.paths, known_folders(ruleset))
    if fail_on_flag is not None:
        fail_on = fail_on_flag
    elif config.fail_on is not None:
        fail_on = config.fail_on
    else:
        fail_on = parse_fail_on(list(ruleset.fail_on), source="rules gate.fail_on")

    read = read_workflows(args.paths, ruleset, quiet=args.quiet)
    workflows, refs, errors = list(read.workflows), read.refs, list(read.errors)
    files = _load_models(args, config, known_folders(ruleset))

    from comfydock_rules.pyproject import persist

    pins_options = persist_options(args)
    state = persist.load_pins(pins_options, workflows)

    from comfydock_rules.resolve.engine import resolve_all

    resolutions = resolve_all(tuple(refs), files, state.pins,
                              generic_names=ruleset.generic_names)
    report = build_report(
        resolutions, (display for _, display in workflows), errors, fail_on=fail_on
    )
    render_options = RenderOptions(quiet=args.quiet, max_annotations=args.max_annotations)
    for name, out in targets:
        output = rendered(name, report, render_options)
        emit(out, output.text, "the report")
        for warning in output.warnings:
            err(f"comfydock-rules: warning: {warning}")

    code = exit_code(report)
    outcome = persist.apply(pins_options, state, resolutions)
    if outcome.diff is not None and pins_options.patch is not None:
        emit(pins_options.patch, outcome.diff, "the patch")
    for message in outcome.messages:
        err(message)
    if pins_options.fix and outcome.changed:
        code = max(code, 1)  # as formatters do under pre-commit: the file changed
        if os.environ.get("PRE_COMMIT"):
            err(_pre_commit_note(state.display))
    return code


def _pre_commit_note(pyproject: str) -> str:
    """pre-commit stashes unstaged edits while hooks run and rolls a hook's fix back when the
    stash no longer applies over it ("Stashed changes conflicted with hook auto-fixes"); the
    hook cannot see the stash, so it says when that happens and what to do."""
    return (
        f"{pyproject}: changed by --fix under pre-commit; if {pyproject} also has unstaged "
        "edits, pre-commit rolls this change back ('Stashed changes conflicted with hook "
        f"auto-fixes... Rolling back fixes'): stage {pyproject} (git add) or stash its edits, "
        "then commit again"
    )
