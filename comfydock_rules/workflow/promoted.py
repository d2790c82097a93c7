"""Widgets promoted to subgraph nodes: which value runs for each instance of a subgraph.

A subgraph input linked to an interior widget shows that widget on every node that instantiates
the subgraph (its host). Where the value the user picks is stored depends on the frontend that
saved the file (Comfy-Org/ComfyUI_frontend; docs/refs.md cites the sources):

- up to 1.27, and again from 1.46 (ADR 0009, PR #12197): the host's `widgets_values`, one entry
  per subgraph input that reaches a widget, in the order of the definition's `inputs`; it wins
  over the interior value, which is only the default (`SubgraphNode._applyPromotedWidgetValues`);
- 1.28 to 1.45 (`properties.proxyWidgets`, PR #5617): nowhere on the host (`widgets_values` is
  empty); the interior widget holds the value, shared by every instance.

So one rule reads all three: a host value that is present (not missing, not null) wins; else
the interior value runs, recursively through nested hosts, and the reference is marked as a
fallback. An outer host's value wins over an inner host's. `proxyWidgets` entries that point at
an interior widget directly (no subgraph input) only mark that widget as shown on the host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from comfydock_rules.limits import MAX_PROMOTIONS, Refused

MAX_LEGACY_PREFIXES = 16
"""`6: 3: name` prefixes stripped from a legacy proxyWidgets name, at most."""
_LEGACY_PREFIX = re.compile(r"\s*\d{1,12}\s*:\s*(.+)", re.S)
_MISSING = object()


@dataclass(frozen=True)
class Promotion:
    """How an interior widget is shown on a host, and the value that runs if the host has one."""

    host: str
    """Path of the outermost subgraph node that shows the widget."""
    value: Any = _MISSING
    """The host's value; `_MISSING` when no host stores one (the interior value runs)."""
    line: int | None = None
    """Line of the node whose `widgets_values` holds `value`."""
    fallback: bool = True
    """`host` stores no value: the one that runs comes from inside (an inner host's, or the
    interior widget's own)."""

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING


Promotions = Mapping[str, Mapping[str, Promotion]]
"""Interior node id -> widget name -> its promotion, for the nodes of one graph."""


@dataclass(frozen=True)
class _Input:
    name: str
    targets: tuple[tuple[str, str], ...]
    """(node id, widget name) of every interior widget the input is linked to."""


def _links(definition: dict[str, Any]) -> dict[Any, tuple[Any, Any, Any, Any]]:
    """Link id -> (origin id, origin slot, target id, target slot); objects or arrays."""
    out: dict[Any, tuple[Any, Any, Any, Any]] = {}
    links = definition.get("links")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict):
            key = link.get("id")
            if isinstance(key, (int, str)) and not isinstance(key, bool):
                out[key] = (link.get("origin_id"), link.get("origin_slot"),
                            link.get("target_id"), link.get("target_slot"))
        elif (isinstance(link, list) and len(link) >= 5
              and isinstance(link[0], (int, str)) and not isinstance(link[0], bool)):
            out[link[0]] = (link[1], link[2], link[3], link[4])
    return out


def _widget_name(node: dict[str, Any], slot: Any) -> tuple[str | None, bool]:
    """Name of the node's input `slot` and whether the input carries a widget."""
    inputs = node.get("inputs")
    if isinstance(slot, bool) or not isinstance(slot, int) or not isinstance(inputs, list):
        return None, False
    if not 0 <= slot < len(inputs) or not isinstance(inputs[slot], dict):
        return None, False
    entry = inputs[slot]
    widget = entry.get("widget")
    if isinstance(widget, dict) and isinstance(widget.get("name"), str):
        return widget["name"], True
    name = entry.get("name")
    return (name, False) if isinstance(name, str) else (None, False)


def proxy_entries(node: dict[str, Any]) -> list[tuple[str, str]]:
    """`properties.proxyWidgets` as (interior node id, widget name): a list or its JSON text,
    `-1` entries (the host's own linked inputs) left out, legacy `6: 3: name` prefixes
    stripped."""
    properties = node.get("properties")
    raw = properties.get("proxyWidgets") if isinstance(properties, dict) else None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return []
    out: list[tuple[str, str]] = []
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, list) or len(entry) < 2:
            continue
        node_id, name = entry[0], entry[-1]
        if not isinstance(node_id, (str, int)) or isinstance(node_id, bool):
            continue
        if not isinstance(name, str) or str(node_id) == "-1":
            continue
        for _ in range(MAX_LEGACY_PREFIXES):
            match = _LEGACY_PREFIX.fullmatch(name)
            if match is None:
                break
            name = match.group(1)
        out.append((str(node_id), name))
    return out


class Promoter:
    """Knows every subgraph definition of one workflow; works out promotions per instance."""

    def __init__(self, definitions: Mapping[str, dict[str, Any]]) -> None:
        self.definitions = definitions
        self._inputs: dict[str, tuple[_Input, ...]] = {}
        self._proxies: dict[int, list[tuple[str, str]]] = {}
        self.made = 0
        """Promotions worked out so far, over every instance (bounded by MAX_PROMOTIONS)."""

    def inputs(self, definition_id: str, visiting: frozenset[str] = frozenset()
               ) -> tuple[_Input, ...]:
        """The definition's inputs that reach a widget, in definition order: the ones a host's
        `widgets_values` has an entry for."""
        cached = self._inputs.get(definition_id)
        if cached is not None:
            return cached
        definition = self.definitions.get(definition_id)
        if definition is None or definition_id in visiting:
            return ()
        visiting = visiting | {definition_id}
        links = _links(definition)
        nodes = definition.get("nodes")
        by_id = {str(n.get("id")): n for n in nodes if isinstance(n, dict)} if isinstance(
            nodes, list) else {}
        declared = definition.get("inputs")
        input_node = definition.get("inputNode")
        origin = input_node.get("id", -10) if isinstance(input_node, dict) else -10
        found: list[_Input] = []
        for position, entry in enumerate(declared if isinstance(declared, list) else ()):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            link_ids = entry.get("linkIds")
            if not isinstance(link_ids, list):
                link_ids = [key for key, (o, slot, _, _) in links.items()
                            if o == origin and slot == position]
            targets: list[tuple[str, str]] = []
            for link_id in link_ids:
                if not isinstance(link_id, (int, str)) or link_id not in links:
                    continue
                _, _, target_id, target_slot = links[link_id]
                target = by_id.get(str(target_id))
                if target is None:
                    continue
                name, has_widget = _widget_name(target, target_slot)
                if name is None:
                    continue
                if not has_widget and target.get("type") in self.definitions:
                    # A nested host's input reaches a widget when its own definition's does.
                    inner = self.inputs(str(target["type"]), visiting)
                    has_widget = any(i.name == name for i in inner)
                if has_widget:
                    targets.append((str(target_id), name))
            if targets:
                found.append(_Input(entry["name"], tuple(dict.fromkeys(targets))))
        result = tuple(found)
        self._inputs[definition_id] = result
        return result

    def inner(self, host: dict[str, Any], definition_id: str, path: str, outer: Promotions,
              line: Callable[[], int | None]) -> dict[str, dict[str, Promotion]]:
        """Promotions for the nodes inside one instance: `host` at `path`, itself shown on
        outer hosts as `outer` says. `line()` gives the host's line when a value is taken.
        Refused past MAX_PROMOTIONS over the whole workflow."""
        from_outer_by_name = outer.get(str(host.get("id")), {})
        values = host.get("widgets_values")
        own: list[Any] = values if isinstance(values, list) else []
        overrides = _quarantined(host)
        out: dict[str, dict[str, Promotion]] = {}
        for index, entry in enumerate(self.inputs(definition_id)):
            from_outer = from_outer_by_name.get(entry.name)
            shown_on = from_outer.host if from_outer is not None else path
            if from_outer is not None and from_outer.has_value:
                promotion = from_outer
            elif entry.name in overrides:
                promotion = Promotion(shown_on, overrides[entry.name], line(),
                                      from_outer is not None)
            elif index < len(own) and own[index] is not None:
                promotion = Promotion(shown_on, own[index], line(), from_outer is not None)
            else:
                promotion = Promotion(shown_on)
            for node_id, name in entry.targets:
                out.setdefault(node_id, {}).setdefault(name, promotion)
        proxies = self._proxies.get(id(host))
        if proxies is None:  # the same host dict serves every instance of its graph
            proxies = self._proxies[id(host)] = proxy_entries(host)
        for node_id, name in proxies:
            from_outer = from_outer_by_name.get(name)
            out.setdefault(node_id, {}).setdefault(
                name, from_outer if from_outer is not None else Promotion(path))
        self.made += sum(len(widgets) for widgets in out.values())
        if self.made > MAX_PROMOTIONS:
            raise Refused(f"the subgraph instances show more than {MAX_PROMOTIONS:,} promoted "
                          "widgets")
        return out


def _quarantined(host: dict[str, Any]) -> dict[str, Any]:
    """Host values the frontend kept aside while repairing legacy `-1` proxyWidgets entries
    (`properties.proxyWidgetErrorQuarantine`), by input name; the last entry wins."""
    properties = host.get("properties")
    raw = properties.get("proxyWidgetErrorQuarantine") if isinstance(properties, dict) else None
    out: dict[str, Any] = {}
    for entry in raw if isinstance(raw, list) else ():
        if not isinstance(entry, dict) or "hostValue" not in entry:
            continue
        original = entry.get("originalEntry")
        if (isinstance(original, list) and len(original) >= 2 and str(original[0]) == "-1"
                and isinstance(original[-1], str) and entry["hostValue"] is not None):
            out[original[-1]] = entry["hostValue"]
    return out
