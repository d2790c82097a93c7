"""Text for `rules explain` and `rules list`: what the effective rules say and where each part
was written, so a user can find the line to change."""

from __future__ import annotations

from comfydock_rules.model import Slot
from comfydock_rules.rules.build import Built
from comfydock_rules.rules.check import POLICY_KEYS, RawSlot, Setting
from comfydock_rules.rules.diagnose import did_you_mean


def _policy_lines(built: Built, raw: RawSlot) -> list[str]:
    settings: dict[str, Setting] = {
        k: built.defaults.get(k, (None, "built-in default")) for k in POLICY_KEYS}
    for name, _ in raw.directories:
        if name in built.by_directory:
            settings.update(built.by_directory[name])
            break
    settings.update(raw.match)
    return [f"      {POLICY_KEYS[k].removeprefix('match.')}: {{value}}  ({settings[k][1]})"
            for k in POLICY_KEYS]


def _fmt(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _slot_lines(built: Built, slot: Slot, index: int) -> list[str]:
    raw = built.raw[id(slot)]
    lines = [f"  slot {index}: widget {_fmt(slot.widget)}, input {_fmt(slot.input)}"
             f"  ({slot.source})"]
    for name, where in raw.directories:
        folders = built.ruleset.directories.get(name, (name,))
        origin = built.directory_sources.get(name, "not defined by any rule set")
        lines.append(f"    directory {name} -> {', '.join(folders)}  ({where}; alias {origin})")
    lines.append(f"    extensions: {', '.join(slot.extensions) or 'any model extension'}")
    if slot.dict_key:
        lines.append(f"    dict_key: {slot.dict_key}")
    if slot.ignore_values:
        lines.append(f"    ignore values: {', '.join(sorted(slot.ignore_values))}")
    if slot.ignore_patterns:
        lines.append(f"    ignore patterns: {', '.join(p.pattern for p in slot.ignore_patterns)}")
    lines.append("    match:")
    policy = {
        "suggest_min": slot.match.suggest_min,
        "auto_pick_min_score": slot.match.auto_pick_min_score,
        "auto_pick_min_margin": slot.match.auto_pick_min_margin,
        "auto_pick_methods": slot.match.auto_pick_methods,
        "protected": slot.match.protected,
    }
    for key, line in zip(POLICY_KEYS, _policy_lines(built, raw), strict=True):
        lines.append(line.replace("{value}", _fmt(policy[key])))
    if raw.provenance:
        lines.append(f"    source: {raw.provenance}")
    if raw.note:
        lines.append(f"    note: {raw.note}")
    return lines


def explain(built: Built, node_type: str) -> list[str] | None:
    """Lines describing the effective slots of `node_type`; None when no rule covers it."""
    rules = built.ruleset
    if node_type in rules.nodes:
        header = f"{node_type}: exact node type ({built.node_sources.get(node_type, '?')})"
    else:
        found = None
        for pattern, _slots in rules.patterns:
            if pattern.search(node_type):
                found = pattern
                break
        if found is None:
            return None
        header = f"{node_type}: matches pattern re:{found.pattern}"
    lines = [header, f"  rule sets, in load order: {', '.join(rules.sources)}"]
    if rules.generic_names:
        where = ", ".join(layer.name for layer in built.layers if layer.generic_names)
        lines.append(f"  generic file names (the folder is part of their identity): "
                     f"{', '.join(sorted(rules.generic_names))}  ({where})")
    slots = rules.slots_for(node_type)
    for i, slot in enumerate(slots, 1):
        lines.extend(_slot_lines(built, slot, i))
    for raw in built.skipped.get(node_type, []) if node_type in rules.nodes else []:
        lines.append(f"  skipped: widget {_fmt(raw.widget)}, input {_fmt(raw.input)}: "
                     f"{raw.skip}  ({raw.location})")
    if not slots and node_type not in built.skipped:
        lines.append("  no slots: the node type is known and names no model file")
    return lines


def suggestion(built: Built, node_type: str) -> str:
    return did_you_mean(node_type, built.ruleset.nodes)


def listing(built: Built) -> list[str]:
    """Node types and patterns per rule set in load order; `*` marks a later override."""
    lines: list[str] = []
    final = built.node_sources
    for layer in built.layers:
        lines.append(f"{layer.name}: {len(layer.nodes)} node types, "
                     f"{len(layer.patterns)} patterns")
        for node_type in sorted(layer.nodes):
            here = layer.node_locations[node_type]
            mark = "" if final.get(node_type) == here else f"  (overridden: {final[node_type]})"
            skipped = all(r.skip is not None for r in layer.nodes[node_type])
            extra = "  (no model file: skipped)" if skipped and layer.nodes[node_type] else ""
            lines.append(f"  {node_type}{extra}{mark}")
        for pattern in layer.patterns:
            lines.append(f"  {pattern.text}  (pattern)")
    return lines
