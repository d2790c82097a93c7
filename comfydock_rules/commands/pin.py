"""`comfydock-rules pin`: record a person's choice of file for a reference, without prompts.

`pin WORKFLOW VALUE TARGET` is the seed's "select a candidate or type a path" step as a batch
command: TARGET (a path in the index, a file in a models root, or a quick hash) is checked
against the index, then written to pyproject.toml as `check --write-pyproject` writes (atomic,
byte-preserving; `--patch FILE` for a diff instead). `pin --from-report report.json --accept
fuzzy` accepts the fuzzy picks of a reviewed report, refusing what changed since (docs/pin.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from comfydock_rules.commands.source import add_index_arguments
from comfydock_rules.errors import ToolInputError

if TYPE_CHECKING:
    from comfydock_rules.commands.pipeline import Resolved
    from comfydock_rules.index.query import IndexEntry
    from comfydock_rules.model import ModelFile, ModelRef
    from comfydock_rules.pyproject.choose import Choice
    from comfydock_rules.pyproject.persist import PersistOptions
    from comfydock_rules.pyproject.pins import PinnedNode

ACCEPT = ("fuzzy",)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "pin",
        help="record which file a workflow's reference means, in pyproject.toml",
        description=(
            "Pin VALUE (a model reference exactly as WORKFLOW writes it) to TARGET: a path in "
            "the index (loras/SDXL/x.safetensors), a file in a models root, or a quick hash. "
            "check then reports the reference exact / pinned. With --from-report, accept the "
            "fuzzy picks of a reviewed JSON report instead."
        ),
        usage="%(prog)s WORKFLOW VALUE TARGET [options]\n"
              "       %(prog)s --from-report REPORT --accept fuzzy [options]",
    )
    parser.add_argument("args", nargs="*", metavar="WORKFLOW VALUE TARGET",
                        help="the workflow file, the reference as written, the file meant")
    parser.add_argument("--from-report", metavar="REPORT",
                        help="a JSON report of 'check --format json' to accept picks from")
    parser.add_argument("--accept", choices=ACCEPT,
                        help="with --from-report: which picks to accept (fuzzy)")
    parser.add_argument("--rules", action="append", metavar="FILE",
                        help="a rule file (YAML) applied after the built-in sets; repeatable")
    group = parser.add_argument_group("pyproject.toml")
    group.add_argument("--pyproject", metavar="PATH", type=Path, default=None,
                       help="the pyproject.toml to write (default: the nearest)")
    group.add_argument("--patch", metavar="FILE", default=None,
                       help="write the change as a unified diff ('-' for stdout) instead")
    add_index_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from comfydock_rules.pyproject.persist import PersistOptions

    options = PersistOptions(pyproject=args.pyproject, patch=args.patch,
                             write_pyproject=args.patch is None)
    if args.from_report:
        if args.args:
            raise ToolInputError("--from-report takes no WORKFLOW VALUE TARGET arguments")
        if args.accept is None:
            raise ToolInputError("--from-report needs --accept fuzzy",
                                 hint="say which picks of the report to accept")
        from comfydock_rules.commands.pin_report import report_choices

        resolved, choices = report_choices(args, options)
    else:
        if args.accept is not None:
            raise ToolInputError("--accept goes with --from-report")
        if len(args.args) != 3:
            raise ToolInputError(
                f"pin takes WORKFLOW VALUE TARGET (got {len(args.args)} argument(s))",
                hint="comfydock-rules pin workflows/x.json lora.safetensors "
                     "loras/SDXL/lora.safetensors",
            )
        workflow, value, target = args.args
        resolved = _resolve(args, workflow, options)
        choices = [_one_choice(resolved, value, target)]
    return _write(options, resolved, choices)


def _resolve(args: argparse.Namespace, workflow: str, options: PersistOptions) -> Resolved:
    from comfydock_rules.commands.pipeline import resolve_paths

    if not Path(workflow).is_file():
        raise ToolInputError("the workflow file does not exist", path=workflow)
    resolved = resolve_paths(args, [workflow], options=options)
    if resolved.read.errors:
        raise ToolInputError("the workflow could not be read, so its references are unknown",
                             path=workflow)
    return resolved


def _one_choice(resolved: Resolved, value: str, target: str) -> Choice:
    from comfydock_rules.pyproject.choose import Choice

    refs = [r.ref for r in resolved.resolutions if r.ref.value == value]
    if not refs:
        raise _no_reference(resolved, value)
    f = _find_target(resolved, target)
    _check_loadable(f, refs)
    return Choice(refs[0].workflow, value, f, _nodes(refs))


def _nodes(refs: list[ModelRef]) -> tuple[PinnedNode, ...]:
    from comfydock_rules.pyproject.persist import node_order, pinned_node

    return tuple(sorted({pinned_node(r) for r in refs}, key=node_order))


def _no_reference(resolved: Resolved, value: str) -> ToolInputError:
    import difflib

    from comfydock_rules.printable import printable

    values = sorted({r.ref.value for r in resolved.resolutions})
    near = difflib.get_close_matches(value, values, n=3, cutoff=0.5)
    workflow = resolved.read.workflows[0][1]
    hint = ("did you mean " + ", ".join(repr(printable(v)) for v in near) + "?") if near else (
        "its references: " + ", ".join(repr(printable(v)) for v in values[:8])
        if values else "it names no model file")
    return ToolInputError(f"the workflow names no reference {printable(value)!r} (the value "
                          "must be exactly as written)", path=workflow, hint=hint)


def _find_target(resolved: Resolved, target: str) -> ModelFile:
    from comfydock_rules.index.query import find_target, read_listing

    listing = read_listing(resolved.index)
    found = find_target(listing, target)
    if not found:
        raise _not_in_index(resolved, target)
    quick = {e.file.hash for e in found}
    same_quick = [e for e in listing.entries if e.file.hash in quick]
    contents = {(e.file.hash, e.file.full_blake3) for e in same_quick}
    if len(contents) > 1:
        raise ToolInputError(
            f"quick hash {', '.join(sorted(quick))} names {len(contents)} different contents "
            "(files that share "
            "their sampled bytes); a pin records the quick hash, so it cannot tell them apart",
            hint="rename or remove one of them: " + ", ".join(
                sorted(e.relative_path for e in same_quick)),
        )
    best: IndexEntry = min(found, key=lambda e: (e.relative_path.count("/"), e.relative_path))
    return best.file


def _not_in_index(resolved: Resolved, target: str) -> ToolInputError:
    from comfydock_rules.printable import printable
    from comfydock_rules.resolve.search import search

    near = search(resolved.files, target, limit=5)
    hint = ("nearest: " + "; ".join(f"{printable(h.file.relative_path)} ({h.score:.2f})"
                                    for h in near)) if near else (
        "nothing in the index looks like it; if the file was just added, run "
        "'comfydock-rules index' (or check --models) again")
    return ToolInputError(f"{printable(target)!r} is not in the index (give a path in the "
                          "index such as loras/x.safetensors, a file under a models root, or "
                          "a quick hash)", path=str(resolved.index), hint=hint)


def _check_loadable(f: ModelFile, refs: list[ModelRef]) -> None:
    """A pin to a file the node cannot load would pass the gate with a model that never runs."""
    for ref in refs:
        slot = ref.slot
        if slot is None or slot.loads(f):
            continue
        raise ToolInputError(
            f"{ref.node_type} #{ref.node_id} loads from "
            f"{', '.join(d + '/' for d in slot.directories)}, "
            f"not from {f.directory}/ ({f.relative_path})",
            path=ref.workflow,
            hint="move the file into one of those folders and index again, or add the "
                 "directory to the node's rule (docs/rules.md)",
        )


def _write(options: PersistOptions, resolved: Resolved, choices: list[Choice]) -> int:
    from comfydock_rules.commands.output import emit
    from comfydock_rules.commands.streams import err, out_lines
    from comfydock_rules.pyproject.choose import plan_choices
    from comfydock_rules.pyproject.persist import write_plan

    plan, notes, counts = plan_choices(resolved.state, choices)
    outcome = write_plan(options, resolved.state, plan, notes, counts)
    if outcome.diff is not None and options.patch is not None:
        emit(options.patch, outcome.diff, "the patch")
    if options.patch is None:
        out_lines(f"{choice.workflow}: {choice.reference} -> {choice.file.relative_path} "
                  f"({choice.file.hash})" for choice in choices)
    for message in outcome.messages:
        err(message)
    return 0
