"""`rules generate`: the verdict for every combo of a dump, and how it compares with the rules in
force (what it adds, what it contradicts, what agrees)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from comfydock_rules.model import RuleSet, Slot
from comfydock_rules.rules.folders import FolderLists
from comfydock_rules.rules.match import Matcher, Verdict
from comfydock_rules.rules.object_info import ObjectInfo
from comfydock_rules.rules.probe import Manifest

ChangeKind = Literal["new node type", "new slot", "agrees", "contradicts", "unconfirmed"]


@dataclass(frozen=True)
class Generated:
    info: ObjectInfo
    lists: FolderLists
    verdicts: tuple[Verdict, ...]
    """One per combo input, in the dump's node type order."""
    min_evidence: int
    reports: tuple[str, ...] = ()
    """What the probes showed about the roots (folders ComfyUI does not read)."""
    probes: str = ""
    """The probe manifest used, if any."""
    probe_roots: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    node_type: str
    verdict: Verdict | None
    """None for `unconfirmed`: a rule slot the dump does not back."""
    rule: Slot | None = None
    detail: str = ""


def generate(info: ObjectInfo, lists: FolderLists, *, min_evidence: int = 2,
             probes: Manifest | None = None, probes_name: str = "",
             directories: Mapping[str, tuple[str, ...]] | None = None) -> Generated:
    """A verdict per combo: by its probes when a manifest is given (inputs without probes, and
    all inputs otherwise, by their files against `lists`)."""
    matcher = Matcher(lists, min_evidence=min_evidence)
    if probes is None:
        return Generated(info, lists, tuple(matcher.match(c) for c in info.combos),
                         min_evidence)
    from comfydock_rules.rules.probe_match import match_with_probes

    verdicts, reports = match_with_probes(info.combos, probes, directories or lists.folders,
                                          matcher)
    return Generated(info, lists, tuple(verdicts), min_evidence, tuple(reports), probes_name,
                     probes.roots)


def folders_of(key: str, rules: RuleSet, lists: FolderLists) -> tuple[str, ...]:
    """The folders a generated directory name stands for."""
    if key in rules.directories:
        return rules.directories[key]
    return tuple(lists.folders.get(key, (key,)))


def compare(gen: Generated, rules: RuleSet,
            skipped: Collection[tuple[str, str | None]] = ()) -> list[Change]:
    """Each slot verdict against the rules in force, and the rule slots the dump leaves
    unconfirmed (their node type is in the dump, but its list was empty or unclear).
    `skipped`: (node type, input) of the rules' skipped slots."""
    changes: list[Change] = []
    confirmed: set[tuple[str, str | None, int | None]] = set()
    in_dump = {v.combo.node_type for v in gen.verdicts}
    for v in gen.verdicts:
        if v.kind != "slot":
            continue
        node = v.combo.node_type
        slots = rules.slots_for(node)
        if not slots and node not in rules.nodes:
            changes.append(Change("new node type", node, v))
            continue
        same = [s for s in slots if s.input == v.combo.input] or [
            s for s in slots if s.input is None and s.widget == v.combo.widget]
        if not same:
            why = ("the rules skip this input" if (node, v.combo.input) in skipped else
                   "the rules have no slot for this input")
            changes.append(Change("new slot", node, v, detail=why))
            continue
        rule = same[0]
        confirmed.add((node, rule.input, rule.widget))
        ours = {f for d in v.directories for f in folders_of(d, rules, gen.lists)}
        problems = []
        if ours != set(rule.directories):
            problems.append(f"the dump says {', '.join(sorted(ours))}; the rules say "
                            f"{', '.join(rule.directories)}")
        if v.combo.widget is not None and rule.widget is not None and (
                v.combo.widget != rule.widget):
            problems.append(f"widget {v.combo.widget} in the dump, {rule.widget} in the rules")
        if v.extensions and rule.extensions and set(v.extensions) != set(rule.extensions):
            problems.append(f"extensions {', '.join(v.extensions)} in the dump, "
                            f"{', '.join(rule.extensions)} in the rules")
        changes.append(Change("contradicts" if problems else "agrees", node, v, rule,
                              "; ".join(problems)))
    for node in sorted(in_dump):
        for rule in rules.nodes.get(node, ()):
            if (node, rule.input, rule.widget) not in confirmed:
                changes.append(Change("unconfirmed", node, None, rule))
    return changes


def diff_lines(gen: Generated, changes: list[Change]) -> list[str]:
    """`rules generate --diff`: additions and contradictions, then the counts."""
    from json import dumps

    out: list[str] = []
    mark = {"contradicts": "!", "new node type": "+", "new slot": "+"}
    order = list(mark)
    def key(c: Change) -> tuple[int, str, int, str]:
        widget = c.verdict.combo.widget if c.verdict else None
        return (order.index(c.kind) if c.kind in mark else 9, c.node_type,
                -1 if widget is None else widget, c.verdict.combo.input if c.verdict else "")

    for c in sorted(changes, key=key):
        if c.kind not in mark or c.verdict is None:
            continue
        v = c.verdict
        where = f"{dumps(c.node_type)}.{dumps(v.combo.input)} (widget {_w(v.combo.widget)})"
        target = ", ".join(v.directories) + (f" [{', '.join(v.extensions)}]"
                                             if v.extensions else "")
        if c.kind == "contradicts":
            assert c.rule is not None
            out.append(f"! {where}: {c.detail} ({c.rule.source})")
        else:
            extra = f"; {c.detail}" if c.detail else ""
            out.append(f"+ {where}: {target}  [{c.kind}{extra}]")
    count = {k: sum(1 for c in changes if c.kind == k)
             for k in ("new node type", "new slot", "agrees", "contradicts", "unconfirmed")}
    nodes_new = len({c.node_type for c in changes if c.kind == "new node type"})
    out.append(f"{count['new node type']} slots of {nodes_new} new node types, "
               f"{count['new slot']} new slots of known node types, {count['contradicts']} "
               f"contradictions, {count['agrees']} slots agree; {count['unconfirmed']} rule "
               "slots of node types in the dump are not confirmed by it (empty or unclear lists)")
    return out


def _w(widget: int | None) -> str:
    return "?" if widget is None else str(widget)
