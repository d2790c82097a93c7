"""`comfydock-rules refs`: list the model references of workflows ("which models does it need").

Text output, one line per reference:

    WORKFLOW[:LINE]: NODE_ID NODE_TYPE[WIDGET] VALUE  (FLAGS)

`[WIDGET]` is the widget index (UI format) or `.input` (API format and dict-shaped widgets); a
field inside an object value follows as `.key`. VALUE is printed as a JSON string when it
contains spaces, quotes or control characters. FLAGS: `bypassed` (mode 4), `muted` (mode 2),
`off` (an entry switched off inside a dict-shaped widget), `no_rule` (no rule covers the node
type, but the value looks like a model file), `host H` (a widget promoted to subgraph node H,
whose value runs) and `host H: interior default` (H stores no value: the interior one runs).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from comfydock_rules.commands.streams import err
from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.model import ModelRef, RuleSet
from comfydock_rules.printable import inert_json, printable


def load_rules(files: Sequence[str]) -> RuleSet:
    """`--rules`, else the rule files of [tool.comfydock-rules], as `check` reads them: a node
    type the project's rules cover must not show up here as `no_rule`."""
    from comfydock_rules.rules.load import load_ruleset

    if not files:
        from comfydock_rules.config import load_config

        files = load_config().rules
    return load_ruleset(list(files))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "refs",
        help="list the model references of workflows",
        description=(
            "List every model reference of the given workflow files (UI or API JSON, PNG, "
            "WebP) or folders (searched recursively for .json, .png and .webp). Exit 1 when a "
            "file could not be read (the others are still listed), 2 for bad arguments."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", default=["."],
        help="workflow files or folders (default: the current folder)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--rules", action="append", default=[], metavar="FILE",
                        help="a rule file applied over the built-in rules; repeat the flag for "
                        "more, applied in order (default: [tool.comfydock-rules] rules in the "
                        "nearest pyproject.toml)")
    parser.add_argument("--output", "-o", metavar="FILE", default=None,
                        help="write the list to FILE ('-' or none: stdout)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="list nothing; print only files that cannot be read (exit 1), as "
                        "check --quiet prints only what fails")
    parser.set_defaults(run=run)


def _address(ref: ModelRef) -> str:
    text = f"[{ref.widget_index}]" if ref.widget_index is not None else ""
    if ref.widget_index is None and ref.input is not None:
        text += f".{ref.input}"
    if ref.key is not None:
        text += f".{ref.key}"
    return text


def _shown(value: str) -> str:
    import json

    if value and value.isprintable() and " " not in value and '"' not in value:
        return value
    return printable(json.dumps(value, ensure_ascii=False))


def flags(ref: ModelRef) -> list[str]:
    out = []
    if ref.mode == 4:
        out.append("bypassed")
    elif ref.mode == 2:
        out.append("muted")
    elif ref.mode:
        out.append(f"mode {ref.mode}")
    if not ref.enabled:
        out.append("off")
    if ref.slot is None:
        out.append("no_rule")
    if ref.host is not None:
        out.append(f"host {ref.host}" + (": interior default" if ref.fallback else ""))
    return out


def format_text(refs: Sequence[ModelRef]) -> str:
    lines = []
    for ref in refs:
        where = ref.workflow if ref.line is None else f"{ref.workflow}:{ref.line}"
        node = f"{ref.node_id} {_shown(ref.node_type)}{_address(ref)}"
        line = f"{where}: {node} {_shown(ref.value)}"
        marks = flags(ref)
        if marks:
            line += f"  ({', '.join(marks)})"
        lines.append(printable(line) + "\n")
    return "".join(lines)


def ref_record(ref: ModelRef) -> dict[str, Any]:
    declared = None
    if ref.declared is not None:
        d = ref.declared
        declared = {"directory": d.directory, "hash": d.hash, "hash_type": d.hash_type,
                    "name": d.name, "url": d.url}
    return {
        "bypassed": ref.bypassed,
        "declared": declared,
        "directories": list(ref.slot.directories) if ref.slot is not None else [],
        "enabled": ref.enabled,
        "fallback": ref.fallback,
        "host": ref.host,
        "input": ref.input,
        "key": ref.key,
        "line": ref.line,
        "mode": ref.mode,
        "no_rule": ref.slot is None,
        "node_id": ref.node_id,
        "node_type": ref.node_type,
        "value": ref.value,
        "widget_index": ref.widget_index,
        "workflow": ref.workflow,
    }


def format_json(refs: Sequence[ModelRef]) -> str:
    import json

    records = [ref_record(ref) for ref in refs]
    return inert_json(json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def run(args: argparse.Namespace) -> int:
    from comfydock_rules.commands.roots import check_workflow_paths, known_folders
    from comfydock_rules.workflow.files import list_workflows
    from comfydock_rules.workflow.read import read_workflow

    rules = load_rules(args.rules)
    if not args.quiet:
        for warning in rules.warnings:
            err(f"comfydock-rules: warning: {warning}")
    check_workflow_paths(args.paths, known_folders(rules))
    listed = list_workflows(args.paths)
    for warning in listed.warnings:
        err(f"comfydock-rules: warning: {warning}")
    files = listed.files
    refs: list[ModelRef] = []
    failed = 0
    for path, display in files:
        try:
            refs.extend(read_workflow(path, display, rules))
        except WorkflowReadError as exc:
            failed += 1
            err(f"comfydock-rules: error: {exc}")
    if not args.quiet:
        from comfydock_rules.commands.output import emit

        out = format_json(refs) if args.format == "json" else format_text(refs)
        emit(args.output, out, "the list")
    return 1 if failed else 0
