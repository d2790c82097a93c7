"""Score a JSON report's references against the library's labels, per scenario.

The report is the only input from the tool: whatever produced it (the engine, or the difflib
baseline), the same counting applies.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .library import SCENARIOS, Label, Library, label_lookup_directory
from .names import differing_classes

COUNTS: tuple[str, ...] = (
    "refs", "exact", "picked", "picked_right", "right_first", "wrong_pick", "ambiguous",
    "ambiguous_right_listed", "missing", "not_picked", "variant_listed", "wrong_dir_flagged",
    "no_rule",
)
EXAMPLES_PER_CAUSE = 3
MAX_CAUSES = 12


@dataclass
class Score:
    """Counters per (scenario, bypassed) plus wrong picks by cause with examples."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    causes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    misses: Counter[str] = field(default_factory=Counter)
    """Other failures of a scenario's check (not wrong picks), by what happened."""
    miss_examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unlabelled: int = 0

    def add(self, other: Score) -> None:
        for group, counter in other.counts.items():
            self.counts[group].update(counter)
        self.causes.update(other.causes)
        for cause, items in other.examples.items():
            room = EXAMPLES_PER_CAUSE - len(self.examples[cause])
            self.examples[cause].extend(items[:max(room, 0)])
        self.misses.update(other.misses)
        for cause, items in other.miss_examples.items():
            room = EXAMPLES_PER_CAUSE - len(self.miss_examples[cause])
            self.miss_examples[cause].extend(items[:max(room, 0)])
        self.unlabelled += other.unlabelled

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": {g: {k: c[k] for k in COUNTS} for g, c in sorted(self.counts.items())},
            "wrong_pick_causes": dict(sorted(self.causes.items())),
            "examples": {k: v for k, v in sorted(self.examples.items())},
            "misses": dict(sorted(self.misses.items())),
            "miss_examples": {k: v for k, v in sorted(self.miss_examples.items())},
            "unlabelled_refs": self.unlabelled,
        }


def truth_directories(corpus: Path) -> dict[tuple[str, str, str], str]:
    """(workflow, node_type, value) -> declared directory, from truth.jsonl."""
    out: dict[tuple[str, str, str], str] = {}
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out[(row["workflow"], row["node_type"], row["model_name"])] = row["directory"]
    return out


def label_of(ref: Mapping[str, Any], directories: Mapping[tuple[str, str, str], str],
             labels: Mapping[tuple[str, str], Label]) -> Label | None:
    directory = label_lookup_directory(ref, directories)
    if directory is None:
        return None
    return labels.get((directory, ref["value"]))


def _path(entry: Mapping[str, Any] | None) -> str | None:
    if not entry:
        return None
    value = entry.get("relative_path")
    return value if isinstance(value, str) else None


def _cause(label: Label, picked: str, roles: Mapping[str, tuple[str, str]]) -> str:
    role, _origin = roles.get(picked, ("unknown", ""))
    if role == "target":
        role = "another model's file"
    diff = differing_classes(label.name, picked.rsplit("/", 1)[-1]) or ["no token class"]
    return f"{role}, differs in {'+'.join(diff)}"


def score_references(refs: Iterable[Mapping[str, Any]], library: Library,
                     directories: Mapping[tuple[str, str, str], str]) -> Score:
    labels = library.label_for()
    roles = {f.relative_path: (f.role, f.origin) for f in library.files}
    result = Score()
    for ref in refs:
        label = label_of(ref, directories, labels)
        if label is None:
            result.unlabelled += 1
            continue
        flags = list(ref.get("flags") or [])
        group = f"{label.scenario}{' (bypassed)' if 'bypassed' in flags else ''}"
        c = result.counts[group]
        status = ref.get("status")
        resolved = _path(ref.get("resolved"))
        candidates = [_path(x) for x in ref.get("candidates") or []]
        picked = status in ("exact", "fuzzy")
        c["refs"] += 1
        c["no_rule"] += "no_rule" in flags
        c["wrong_dir_flagged"] += "wrong_directory" in flags
        if picked:
            c["picked"] += 1
            if resolved is not None and resolved == label.target:
                c["picked_right"] += 1
                c["right_first"] += 1
                c["exact"] += status == "exact"
            else:
                c["wrong_pick"] += 1
                cause = _cause(label, resolved or "?", roles)
                result.causes[cause] += 1
                if len(result.examples[cause]) < EXAMPLES_PER_CAUSE:
                    result.examples[cause].append(
                        f"[{label.scenario}] {ref['workflow']} node {ref['node_id']}: "
                        f"{ref['value']!r} -> "
                        f"{resolved!r} ({ref.get('method')}, score {ref.get('score')})")
        else:
            c["not_picked"] += 1
            c["missing"] += status == "missing"
            if status == "ambiguous":
                c["ambiguous"] += 1
                if label.target is not None and label.target in candidates:
                    c["ambiguous_right_listed"] += 1
                if candidates and label.target is not None and candidates[0] == label.target:
                    c["right_first"] += 1
            if label.variant is not None and label.variant in candidates:
                c["variant_listed"] += 1
            miss = _miss(label, status, candidates, flags)
            if miss:
                result.misses[miss] += 1
                if len(result.miss_examples[miss]) < EXAMPLES_PER_CAUSE:
                    shown = ", ".join(str(x) for x in candidates[:3]) or "none"
                    result.miss_examples[miss].append(
                        f"{ref['workflow']} node {ref['node_id']}: {ref['value']!r}; "
                        f"candidates: {shown}")
    return result


def _miss(label: Label, status: object, candidates: list[str | None],
          flags: list[str]) -> str:
    """Why a reference that was not picked still fails its scenario's check ('' if it passes)."""
    if label.scenario in ("subfolder", "renamed"):
        if status == "missing" or label.target not in candidates:
            return f"{label.scenario}: {status}, right file not a candidate"
        if candidates[0] != label.target:
            return f"{label.scenario}: ambiguous, right file not first"
    if label.scenario == "present":
        return f"present: {status}"
    if label.scenario == "confusable" and label.variant not in candidates:
        return f"confusable: {status}, variant not listed"
    if label.scenario == "wrong_directory" and "wrong_directory" not in flags:
        return "wrong_directory: not flagged"
    return ""


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f}%" if d else "    -"


# The figure that matters most for each scenario, and its name.
def scenario_check(scenario: str, c: Counter[str]) -> tuple[str, int]:
    if scenario == "present":
        return "exact, right file", c["exact"]
    if scenario in ("subfolder", "renamed"):
        return "right file picked or first", c["right_first"]
    if scenario == "wrong_directory":
        return "not picked, flagged", min(c["not_picked"], c["wrong_dir_flagged"])
    if scenario == "confusable":
        return "not picked, variant listed", c["variant_listed"]
    return "not picked", c["not_picked"]


def format_table(score: Score, title: str) -> str:
    head = (f"{'scenario':<28}{'refs':>6}{'exact':>7}{'picked':>8}{'right':>7}{'1st':>6}"
            f"{'WRONG':>7}{'wrong%':>8}{'ambig':>7}{'∋right':>8}{'missing':>9}  check")
    lines = [title, head, "-" * len(head)]
    order = [s for s in SCENARIOS] + [f"{s} (bypassed)" for s in SCENARIOS]
    for group in order:
        c = score.counts.get(group)
        if not c:
            continue
        name, hit = scenario_check(group.split(" ", 1)[0], c)
        lines.append(
            f"{group:<28}{c['refs']:>6}{c['exact']:>7}{c['picked']:>8}{c['picked_right']:>7}"
            f"{c['right_first']:>6}{c['wrong_pick']:>7}{_pct(c['wrong_pick'], c['refs']):>8}"
            f"{c['ambiguous']:>7}{c['ambiguous_right_listed']:>8}{c['missing']:>9}  "
            f"{name}: {hit}/{c['refs']} {_pct(hit, c['refs']).strip()}")
    total = Counter[str]()
    for c in score.counts.values():
        total.update(c)
    lines.append(f"{'all':<28}{total['refs']:>6}{total['exact']:>7}{total['picked']:>8}"
                 f"{total['picked_right']:>7}{total['right_first']:>6}{total['wrong_pick']:>7}"
                 f"{_pct(total['wrong_pick'], total['refs']):>8}{total['ambiguous']:>7}"
                 f"{total['ambiguous_right_listed']:>8}{total['missing']:>9}")
    if score.unlabelled:
        lines.append(f"({score.unlabelled} references without a truth label not scored)")
    if score.causes:
        lines.append("wrong auto-picks by cause (the picked file; token classes as the "
                     "benchmark sees them):")
        ranked = sorted(score.causes.items(), key=lambda kv: (-kv[1], kv[0]))
        for cause, n in ranked[:MAX_CAUSES]:
            lines.append(f"  {n:>5}  {cause}")
            for example in score.examples[cause][:2]:
                lines.append(f"           e.g. {example}")
        if len(ranked) > MAX_CAUSES:
            rest = sum(n for _, n in ranked[MAX_CAUSES:])
            lines.append(f"  {rest:>5}  in {len(ranked) - MAX_CAUSES} other causes (--json)")
    if score.misses:
        lines.append("other misses of a scenario's check:")
        for miss, n in sorted(score.misses.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:>5}  {miss}")
            for example in score.miss_examples[miss][:2]:
                lines.append(f"           e.g. {example}")
    return "\n".join(lines)


def targets(score: Score) -> dict[str, dict[str, Any]]:
    """The issue's targets, each with the figure and whether it is met (active references)."""
    def get(s: str) -> Counter[str]:
        return score.counts.get(s, Counter())

    wrong = sum(c["wrong_pick"] for c in score.counts.values())
    renamed = get("subfolder") + get("renamed")
    present = get("present")
    conf = get("confusable")
    out: dict[str, dict[str, Any]] = {
        "zero wrong auto-picks (all refs, bypassed too)": {
            "value": wrong, "met": wrong == 0},
        "subfolder+renamed: right file picked or first >= 98%": {
            "value": _pct(renamed["right_first"], renamed["refs"]).strip(),
            "met": renamed["refs"] > 0 and renamed["right_first"] >= 0.98 * renamed["refs"]},
        "present: exact accuracy 100%": {
            "value": _pct(present["exact"], present["refs"]).strip(),
            "met": present["refs"] > 0 and present["exact"] == present["refs"]},
        "confusable: ambiguous/missing with the variant listed 100%": {
            "value": _pct(min(conf["variant_listed"], conf["not_picked"]), conf["refs"]).strip(),
            "met": conf["refs"] > 0 and conf["variant_listed"] == conf["refs"]},
    }
    return out
