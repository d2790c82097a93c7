"""Audit the rule sets against the ComfyUI frontend's and ComfyGit's model-folder maps.

Every (node type, input, folder) the two maps name must be covered here by a rule that loads from
that folder, by a skipped slot (the value is not a model file under the models root), by a node
type known to name no model file (`NodeType: []`), or by an entry of tools/maps/explained.yaml
that says why we disagree. Anything else is printed as UNEXPLAINED and the exit code is 1, as is
an explanation that no longer matches a difference (stale).

    python tools/audit_maps.py                       # the vendored copies in tools/maps/
    python tools/audit_maps.py --frontend path/to/modelNodeMappings.ts \\
        --comfygit path/to/comfygit_core/configs/comfyui_models.py
    python tools/audit_maps.py --markdown            # the coverage table of docs/rules.md

--frontend takes the frontend's src/platform/assets/mappings/modelNodeMappings.ts or the
vendored JSON; --comfygit takes comfygit-core's configs/comfyui_models.py or the vendored JSON,
so the audit can be re-run against newer versions of both maps.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAPS = REPO / "tools" / "maps"
FRONTEND = MAPS / "frontend_model_node_mappings.json"
COMFYGIT = MAPS / "comfygit_node_map.json"
EXPLAINED = MAPS / "explained.yaml"

_TS_ROW = re.compile(r"\[\s*'((?:[^'\\]|\\.)*)'\s*,\s*'((?:[^'\\]|\\.)*)'\s*,\s*"
                     r"'((?:[^'\\]|\\.)*)'\s*,?\s*\]")


@dataclass(frozen=True)
class Row:
    """One claim of a map: `node` loads `slot` (an input name, or `widget N`) from `folder`."""

    source: str
    folder: str
    node: str
    slot: str


@dataclass(frozen=True)
class Finding:
    row: Row
    status: str
    """agree, skipped, no-file, disagreed, UNEXPLAINED."""
    detail: str


def read_frontend(path: Path) -> list[Row]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ts":
        start = text.find("MODEL_NODE_MAPPINGS")
        if start < 0:
            raise SystemExit(f"{path}: no MODEL_NODE_MAPPINGS found")
        body = re.sub(r"//[^\n]*", "", text[start:])
        rows = [tuple(m.groups()) for m in _TS_ROW.finditer(body)]
    else:
        rows = [tuple(r) for r in json.loads(text)["rows"]]
    return [Row("frontend", folder, node, key) for folder, node, key in rows]


def read_comfygit(path: Path) -> list[Row]:
    if path.suffix == ".py":
        tables: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = (node.targets[0] if isinstance(node, ast.Assign) else
                      node.target if isinstance(node, ast.AnnAssign) else None)
            if isinstance(target, ast.Name) and node.value is not None:
                tables[target.id] = ast.literal_eval(node.value)
        config = tables["COMFYUI_MODELS_CONFIG"]
        assert isinstance(config, dict)
        mappings = config["node_directory_mappings"]
        indices = config.get("node_widget_indices", {})
        multi = tables.get("MULTI_MODEL_WIDGET_CONFIGS", {})
    else:
        doc = json.loads(path.read_text(encoding="utf-8"))
        mappings = doc["node_directory_mappings"]
        indices = doc["node_widget_indices"]
        multi = doc["multi_model_widget_configs"]
    assert isinstance(multi, dict)
    rows = []
    for node, folders in mappings.items():
        # As comfygit's ModelConfig builds its static slots: every widget gets all folders.
        for widget in multi.get(node) or [indices.get(node, 0)]:
            rows.append(Row("comfygit", "+".join(folders), node, f"widget {widget}"))
    return rows


def read_explained(path: Path) -> dict[tuple[str, str, str, str], str]:
    import yaml

    out: dict[tuple[str, str, str, str], str] = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        slot = (f"widget {entry['widget']}" if "widget" in entry else str(entry.get("input", "")))
        out[(entry["source"], entry["node"], slot, entry["folder"])] = entry["reason"]
    return out


def _covers(theirs: list[str], ours: tuple[str, ...]) -> bool:
    """Each of their folders is one of ours or below one (a subfolder holds the same files)."""
    return all(any(f == d or f.startswith(d + "/") for d in ours) for f in theirs)


def audit(rows: list[Row], rule_files: list[str],
          explained: dict[tuple[str, str, str, str], str]) -> tuple[list[Finding], list[str]]:
    from comfydock_rules.rules.build import build

    built = build(rule_files) if rule_files else build()
    findings = []
    used: set[tuple[str, str, str, str]] = set()
    for row in rows:
        key = (row.source, row.node, row.slot, row.folder)
        status, detail = _judge(row, built)
        if status == "differs":
            if key in explained:
                used.add(key)
                status, detail = "disagreed", explained[key]
            else:
                status = "UNEXPLAINED"
        elif key in explained:
            used.add(key)  # explained although it agrees: reported as stale below
            status, detail = "UNEXPLAINED", f"{detail}; but tools/maps/explained.yaml still " \
                                                "explains it as a disagreement (stale entry)"
        findings.append(Finding(row, status, detail))
    stale = [f"{' '.join(k)}: explained, but no map row differs like this"
             for k in sorted(explained) if k not in used]
    return findings, stale


def _judge(row: Row, built: object) -> tuple[str, str]:
    from comfydock_rules.rules.build import Built

    assert isinstance(built, Built)
    rules = built.ruleset
    slots = rules.slots_for(row.node)
    skipped = built.skipped.get(row.node, [])
    known = row.node in rules.nodes
    if not known and not slots:
        return "differs", "no rule for this node type"
    if row.slot == "":
        if not slots:
            return ("skipped" if skipped else "no-file"), "the node type names no model file"
        return "differs", "they say the node has no file widget; our rule has slots"
    if row.slot.startswith("widget "):
        widget = int(row.slot.split()[1])
        ours = [s for s in slots if s.widget == widget]
        ours_skipped = [r for r in skipped if r.widget == widget]
    else:
        ours = [s for s in slots if s.input == row.slot]
        ours_skipped = [r for r in skipped if r.input == row.slot]
    if ours_skipped and not ours:
        return "skipped", f"skip: {ours_skipped[0].skip}"
    if not ours:
        return "differs", "our rule for this node type has no slot for it"
    theirs: list[str] = []
    for name in row.folder.split("+"):
        theirs.extend(rules.directories.get(name, (name,)))
    folders = ours[0].directories
    if _covers(theirs, folders):
        return "agree", f"{', '.join(folders)}"
    return "differs", f"they: {', '.join(theirs)}; ours: {', '.join(folders)}"


def report(findings: list[Finding], stale: list[str]) -> tuple[str, int]:
    lines = []
    counts: dict[str, int] = defaultdict(int)
    for f in sorted(findings, key=lambda f: (f.status != "UNEXPLAINED", f.row.source,
                                             f.row.node, f.row.slot, f.row.folder)):
        counts[f.status] += 1
        if f.status == "agree":
            continue
        lines.append(f"{f.status:11} {f.row.source:8} {f.row.node} [{f.row.slot or '-'}] "
                     f"{f.row.folder}: {f.detail}")
    for text in stale:
        lines.append(f"STALE       {text}")
    bad = counts["UNEXPLAINED"] + len(stale)
    summary = ", ".join(f"{counts[s]} {s}" for s in
                        ("agree", "skipped", "no-file", "disagreed", "UNEXPLAINED"))
    lines.append(f"{len(findings)} map rows: {summary}; {len(stale)} stale explanations")
    lines.append(f"{bad} unexplained differences")
    return "\n".join(lines) + "\n", bad


def markdown(findings: list[Finding]) -> str:
    """Node types per folder: built-in, skipped (or known to name no file), disagreed; each
    marked with the map that names it (F frontend, G ComfyGit)."""
    table: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set)))
    letter = {"frontend": "F", "comfygit": "G"}
    column = {"agree": "built-in", "skipped": "skipped", "no-file": "skipped",
              "disagreed": "disagreed"}
    for f in findings:
        for folder in f.row.folder.split("+"):
            cell = table[folder][column.get(f.status, "UNEXPLAINED")]
            cell[f.row.node].add(letter[f.row.source])
    out = ["| folder | built-in | skipped (no file to resolve) | disagreed |",
           "|---|---|---|---|"]
    for folder in sorted(table, key=str.casefold):
        cells = []
        for name in ("built-in", "skipped", "disagreed"):
            nodes = table[folder][name]
            cells.append(", ".join(f"`{node}` ({', '.join(sorted(nodes[node]))})"
                                   for node in sorted(nodes, key=str.casefold)) or "-")
        out.append(f"| `{folder}` | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frontend", type=Path, default=FRONTEND)
    parser.add_argument("--comfygit", type=Path, default=COMFYGIT)
    parser.add_argument("--explained", type=Path, default=EXPLAINED)
    parser.add_argument("--rules", nargs="+", default=[], metavar="FILE",
                        help="rule files (default: the built-in sets)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the coverage table (folder -> node types) instead")
    args = parser.parse_args(argv)
    rows = read_frontend(args.frontend) + read_comfygit(args.comfygit)
    findings, stale = audit(rows, args.rules, read_explained(args.explained))
    text, bad = report(findings, stale)
    sys.stdout.write(markdown(findings) if args.markdown else text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
