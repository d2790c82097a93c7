"""The values of one node that the rules make references: by slot, inside object values, and the
`no_rule` values of node types no rule covers.

A UI node's `widgets_values` is a list (by position) or, for some custom nodes, an object (by
input name); an API node's `inputs` is an object. A widget promoted to a subgraph node takes
the value that node stores for the instance (workflow/promoted.py), matched by input name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from comfydock_rules.extensions import has_model_extension
from comfydock_rules.model import RuleSet, Slot
from comfydock_rules.workflow.promoted import Promotion

_NOT_IN_FILE_NAMES = frozenset('<>"|?*\n\r\t')


class Found(NamedTuple):
    """One value a slot (or the `no_rule` scan) picked from a node."""

    widget: int | None
    name: str | None
    value: str
    slot: Slot | None
    key: str | None = None
    enabled: bool = True
    promotion: Promotion | None = None


def looks_like_model_file(value: str) -> bool:
    """The `no_rule` test for a value of a node type the rules do not cover."""
    if len(value) > 255 or not has_model_extension(value):
        return False
    if any(ch in _NOT_IN_FILE_NAMES for ch in value):
        return False
    return ", " not in value and ". " not in value


def unknown(node_type: str, slots: tuple[Slot, ...], rules: RuleSet) -> bool:
    """No rule covers this node type. A rule whose slots are all `skip` covers it (its slots
    are left out of the RuleSet): its values are not model files under the models root."""
    if slots or node_type in rules.text_nodes or node_type in rules.nodes:
        return False
    return not any(pattern.search(node_type) for pattern, _ in rules.patterns)


def _dict_entries(
    values: Iterator[tuple[int | None, str | None, Any]], key: str
) -> Iterator[tuple[int | None, str | None, str, bool]]:
    for index, name, value in values:
        if isinstance(value, dict) and isinstance(value.get(key), str):
            yield index, name, value[key], value.get("on") is not False


def _promoted(value: Any, promotion: Promotion | None) -> Any:
    """The value that runs: the host's when it stores one, else the node's own."""
    return promotion.value if promotion is not None and promotion.has_value else value


def ui_values(widgets: list[Any] | dict[str, Any], node_type: str, rules: RuleSet,
              mine: Mapping[str, Promotion]) -> list[Found]:
    """The values of a UI node (`widgets_values` as a list or an object); `mine` are the
    node's widgets promoted to subgraph nodes, by widget name."""
    slots = rules.slots_for(node_type)
    found: list[Found] = []
    if isinstance(widgets, list):
        entries = list(enumerate(widgets))
        for slot in slots:
            if slot.dict_key is not None:
                items: Iterator[tuple[int | None, str | None, Any]] = (
                    (i, None, v) for i, v in entries)
                for i, _, value, enabled in _dict_entries(items, slot.dict_key):
                    found.append(Found(i, slot.input, value, slot, slot.dict_key, enabled))
            elif slot.widget is not None and 0 <= slot.widget < len(widgets):
                promotion = mine.get(slot.input) if slot.input is not None else None
                value = _promoted(widgets[slot.widget], promotion)
                if isinstance(value, str):
                    found.append(Found(slot.widget, slot.input, value, slot,
                                       promotion=promotion))
        positional: Iterator[tuple[int | None, str | None, Any]] = (
            (i, None, v) for i, v in entries)
    else:
        for slot in slots:
            if slot.dict_key is not None:
                named: Iterator[tuple[int | None, str | None, Any]] = (
                    (None, str(n), v) for n, v in widgets.items())
                for _, name, value, enabled in _dict_entries(named, slot.dict_key):
                    found.append(Found(None, name, value, slot, slot.dict_key, enabled))
            elif slot.input is not None and slot.input in widgets:
                promotion = mine.get(slot.input)
                value = _promoted(widgets[slot.input], promotion)
                if isinstance(value, str):
                    found.append(Found(None, slot.input, value, slot, promotion=promotion))
        positional = ((None, str(n), v) for n, v in widgets.items())
    if unknown(node_type, slots, rules):
        found.extend(_no_rule(positional, mine))
    return found


def _no_rule(values: Iterator[tuple[int | None, str | None, Any]],
             promoted: Mapping[str, Promotion]) -> list[Found]:
    """Values that look like model files. A value a host stores for a promoted widget is known
    by its input name only; the node's own copy of the same value is not listed again."""
    out: list[Found] = []
    for widget_name, promotion in sorted(promoted.items()):
        value = promotion.value if promotion.has_value else None
        if isinstance(value, str) and looks_like_model_file(value):
            out.append(Found(None, widget_name, value, None, promotion=promotion))
    taken = {f.value for f in out}
    for index, name, raw in values:
        if isinstance(raw, str) and raw not in taken and looks_like_model_file(raw):
            out.append(Found(index, name, raw, None))
    return out


def api_values(inputs: dict[str, Any], node_type: str, rules: RuleSet) -> list[Found]:
    """The values of an API-format node, by input name as a UI node's object-shaped
    `widgets_values`; links (`["4", 0]`) are not values."""
    return ui_values(inputs, node_type, rules, {})
