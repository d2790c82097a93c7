"""`comfydock-rules rules`: validate, explain, list, edit and generate rule files."""

from __future__ import annotations

import argparse
import os
import sys

from comfydock_rules.commands.streams import err, out_lines
from comfydock_rules.errors import ToolInputError

EPILOG = """\
examples:
  comfydock-rules rules validate                 # the built-in sets
  comfydock-rules rules validate my-rules.yaml   # exit 2 with file:line:column on a problem
  comfydock-rules rules explain VAELoader --rules my-rules.yaml
  comfydock-rules rules list
  comfydock-rules rules add-node my-rules.yaml MyLoader --widget 0 --input model_name \\
      --directory checkpoints
  comfydock-rules rules generate --object-info object_info.json --models-lists lists/ --diff
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rules", help="validate, explain, list and edit rule files",
        description="Work with rule files (YAML). See docs/rules.md for the format.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=_no_action, rules_parser=parser)
    actions = parser.add_subparsers(dest="rules_command", metavar="ACTION",
                                    parser_class=type(parser))

    validate = actions.add_parser(
        "validate", help="check rule files (no files: the built-in sets); exit 0 or 2")
    validate.add_argument("files", nargs="*", metavar="FILE")
    validate.add_argument("--no-builtin", action="store_true",
                          help="a file without 'extends' does not build on the built-in sets")
    validate.set_defaults(run=run_validate)

    explain = actions.add_parser(
        "explain", help="the effective slots of a node type and where each setting came from")
    explain.add_argument("node_type", metavar="NODE_TYPE")
    _rules_option(explain)
    explain.set_defaults(run=run_explain)

    listing = actions.add_parser("list", help="node types covered, by rule set")
    _rules_option(listing)
    listing.set_defaults(run=run_list)

    add = actions.add_parser(
        "add-node", help="add a slot for a node type to a rule file, keeping its comments")
    add.add_argument("file", metavar="FILE")
    add.add_argument("node_type", metavar="NODE_TYPE")
    add.add_argument("--widget", type=int, metavar="N", help="UI widget index")
    add.add_argument("--input", metavar="NAME", help="API input name")
    add.add_argument("--directory", action="append", required=True, metavar="DIR",
                     help="directory the node loads from (repeat for more)")
    add.add_argument("--extension", action="append", default=[], metavar=".EXT")
    add.add_argument("--source", metavar="TEXT", help="where the fact came from")
    add.set_defaults(run=run_add_node)

    from comfydock_rules.commands import rules_generate

    rules_generate.register_actions(actions, _rules_option)


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", metavar="FILE",
                        help="a rule file; repeat the flag for more, applied in order (default: "
                        "[tool.comfydock-rules] rules in the nearest pyproject.toml, else the "
                        "built-in sets)")


def _no_action(args: argparse.Namespace) -> int:
    args.rules_parser.print_help(sys.stderr)
    return 2


def _rule_files(args: argparse.Namespace) -> list[str]:
    if args.rules:
        return list(args.rules)
    try:
        from comfydock_rules.config import load_config
    except ImportError:  # pragma: no cover - the config module ships with the package
        return []
    return list(load_config().rules)


def _error_line(exc: ToolInputError) -> str:
    loc = exc.location()
    text = f"{loc}: error: {exc.message}" if loc else f"error: {exc.message}"
    if exc.hint:
        text += f" ({exc.hint})"
    return text


def run_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from comfydock_rules.rules.build import build, build_builtin, builtin_display, builtin_path
    from comfydock_rules.rules.diagnose import position_of, schema_problems
    from comfydock_rules.rules.load import BUILTIN_SETS
    from comfydock_rules.rules.yaml import load_file

    targets: list[tuple[str, Path, str | None]]
    if args.files:
        targets = [(os.fspath(f), Path(f), None) for f in args.files]
    else:
        targets = [(builtin_display(n), builtin_path(n), n) for n in BUILTIN_SETS]
    failed = False
    warnings: list[str] = []
    for display, path, name in targets:
        try:
            # each built-in set is counted with what it extends, not with the sets after it
            built = (build_builtin(name) if name is not None
                     else build([display], builtin=not args.no_builtin))
            doc = load_file(path, display)
        except ToolInputError as exc:
            err(_error_line(exc))
            failed = True
            continue
        problems = schema_problems(doc)
        for where, message in problems:
            line, col = position_of(doc, where)
            err(f"{display}:{line}:{col}: error: does not match the schema: {message}")
            failed = True
        warnings.extend(w for w in built.ruleset.warnings if w not in warnings)
        if not problems:
            rules = built.ruleset
            out_lines([f"{display}: ok ({len(rules.nodes)} node types, "
                       f"{len(rules.patterns)} patterns with what it extends)"])
    for warning in warnings:
        err(warning)
    return 2 if failed else 0


def run_explain(args: argparse.Namespace) -> int:
    from comfydock_rules.rules.build import build
    from comfydock_rules.rules.explain import explain, suggestion

    built = build(_rule_files(args))
    lines = explain(built, args.node_type)
    if lines is None:
        err(f"comfydock-rules: no rule covers node type '{args.node_type}'"
            f"{suggestion(built, args.node_type)}; add one with 'comfydock-rules rules add-node'")
        return 1
    out_lines(lines)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from comfydock_rules.rules.build import build
    from comfydock_rules.rules.explain import listing

    built = build(_rule_files(args))
    out_lines(listing(built))
    return 0


def run_add_node(args: argparse.Namespace) -> int:
    from pathlib import Path

    from comfydock_rules.rules.edit import add_node_slot

    if args.widget is None and args.input is None:
        raise ToolInputError("rules add-node: give --widget N and/or --input NAME")
    if args.widget is not None and args.widget < 0:
        raise ToolInputError(f"rules add-node: --widget {args.widget}: expected an index >= 0")
    add_node_slot(Path(args.file), args.node_type, widget=args.widget, input_name=args.input,
                  directories=args.directory, extensions=args.extension, source=args.source)
    out_lines([f"{args.file}: added {args.node_type} slot "
               f"(widget {args.widget}, input {args.input})"])
    return 0
