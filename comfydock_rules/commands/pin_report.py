"""`pin --from-report REPORT --accept fuzzy`: the fuzzy picks of a reviewed report, accepted in
one step, but only while they still hold.

The report is checked against schemas/report.schema.json first. Then its workflows are resolved
again, now: every accepted pick must still be there with the same value, still fuzzy, still the
same file. Anything else (a workflow edited, moved or gone, a file re-indexed under another
hash, a pick that changed) is stale: the whole report is refused and each stale pick named, so
that nothing is recorded that the reviewer did not see.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfydock_rules.errors import ToolInputError

if TYPE_CHECKING:
    from comfydock_rules.commands.pipeline import Resolved
    from comfydock_rules.pyproject.choose import Choice
    from comfydock_rules.pyproject.persist import PersistOptions

MAX_STALE_SHOWN = 20


def _load(path: str) -> dict[str, Any]:
    import jsonschema

    from comfydock_rules.resources import schema_path

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolInputError(f"cannot read the report: {exc}", path=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolInputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno,
                             column=exc.colno) from None
    schema = json.loads(schema_path("report").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ToolInputError(f"not a comfydock-rules JSON report: at {where}: {error.message}",
                             path=path,
                             hint="give the file 'check --format json --output FILE' wrote")
    assert isinstance(data, dict)
    return data


def _key(workflow: str, node_id: str, widget: int | None, name: str | None,
         key: str | None) -> tuple[object, ...]:
    return (workflow, node_id, widget, name, key)


def report_choices(args: argparse.Namespace,
                   options: PersistOptions) -> tuple[Resolved, list[Choice]]:
    from comfydock_rules.commands.pipeline import resolve_paths
    from comfydock_rules.printable import printable
    from comfydock_rules.pyproject.choose import Choice
    from comfydock_rules.pyproject.persist import node_order, pinned_node

    data = _load(args.from_report)
    accepted = [r for r in data["references"]
                if r["status"] in args.accept.split(",") and r["resolved"] is not None]
    if not accepted:
        raise ToolInputError(f"the report has no {args.accept} picks to accept",
                             path=args.from_report)
    stale: list[str] = []
    workflows = sorted({r["workflow"] for r in accepted})
    present = [w for w in workflows if Path(w).is_file()]
    stale += [f"{printable(w)}: the workflow is not there any more" for w in workflows
              if w not in present]
    if not present:
        raise _stale(args.from_report, stale)
    resolved = resolve_paths(args, present, options=options)
    now = {_key(r.ref.workflow, r.ref.node_id, r.ref.widget_index, r.ref.input, r.ref.key): r
           for r in resolved.resolutions}
    by_value: dict[tuple[str, str], list[Any]] = {}
    for res in resolved.resolutions:
        by_value.setdefault((res.ref.workflow, res.ref.value), []).append(res)
    choices: dict[tuple[str, str], Choice] = {}
    for item in accepted:
        if item["workflow"] not in present:
            continue
        where = (f"{printable(item['workflow'])}: {printable(item['value'])} "
                 f"({printable(item['node_type'])} #{printable(item['node_id'])})")
        found = now.get(_key(item["workflow"], item["node_id"], item["widget_index"],
                             item["input"], item["key"]))
        if found is None or found.ref.value != item["value"]:
            stale.append(f"{where}: the node or its value changed in the workflow")
            continue
        res = found
        expected = item["resolved"]["hash"]
        if res.resolved is None or res.resolved.hash != expected or res.status != item["status"]:
            got = (f"{res.status} {res.resolved.relative_path}" if res.resolved is not None
                   else res.status)
            stale.append(f"{where}: the report picked {item['resolved']['relative_path']} "
                         f"({expected}); it resolves to {got} now")
            continue
        same = by_value[(res.ref.workflow, res.ref.value)]
        if len({r.resolved.hash if r.resolved else None for r in same}) != 1:
            stale.append(f"{where}: the value resolves to different files in different nodes")
            continue
        nodes = tuple(sorted({pinned_node(r.ref) for r in same}, key=node_order))
        choices[(res.ref.workflow, res.ref.value)] = Choice(
            res.ref.workflow, res.ref.value, res.resolved, nodes)
    if stale:
        raise _stale(args.from_report, stale)
    return resolved, [choices[k] for k in sorted(choices)]


def _stale(path: str, stale: list[str]) -> ToolInputError:
    shown = stale[:MAX_STALE_SHOWN]
    more = f"; and {len(stale) - len(shown)} more" if len(stale) > len(shown) else ""
    return ToolInputError(
        f"the report is stale, nothing was pinned: {'; '.join(shown)}{more}", path=path,
        hint="run check again and review the new report",
    )
