"""Rule files (YAML) -> one validated, effective RuleSet, with where each setting came from.

Order of precedence: a file's `extends` first, then the file itself; later files override
earlier ones (a node type is replaced as a whole, a `match` setting key by key, a directory alias
name by name); an exact node type beats any pattern, and later files' patterns are tried first.
A file without `extends` builds on the built-in sets (`core`, `custom-nodes`); `extends: []`
starts from nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import MatchPolicy, RuleSet, Slot, gate_words
from comfydock_rules.resources import rules_dir
from comfydock_rules.rules.check import (
    POLICY_KEYS,
    Layer,
    Pattern,
    RawSlot,
    Setting,
    check_layer,
)
from comfydock_rules.rules.diagnose import did_you_mean
from comfydock_rules.rules.load import BUILTIN_SETS
from comfydock_rules.rules.yaml import Pos, load_file


def builtin_path(name: str) -> Path:
    return rules_dir() / f"{name}.yaml"


def builtin_display(name: str) -> str:
    """How a built-in set is named in messages and `Slot.source`: its path in the repository."""
    return f"rules/{name}.yaml"


@dataclass
class Built:
    """The RuleSet plus what `rules explain` and `rules list` need to say where things came from."""

    ruleset: RuleSet
    layers: list[Layer]
    policy_sources: dict[str, str] = field(default_factory=dict)
    """MatchPolicy field -> where the default in force was set ('built-in default' if nowhere)."""
    skipped: dict[str, list[RawSlot]] = field(default_factory=dict)
    raw: dict[int, RawSlot] = field(default_factory=dict)
    """id(Slot) -> the raw slot it was built from."""
    defaults: dict[str, Setting] = field(default_factory=dict)
    by_directory: dict[str, dict[str, Setting]] = field(default_factory=dict)
    directory_sources: dict[str, str] = field(default_factory=dict)
    node_sources: dict[str, str] = field(default_factory=dict)
    """Node type -> `file:line:column` of the definition in force."""


class _Loader:
    def __init__(self, builtin: bool) -> None:
        self.builtin = builtin
        self.layers: list[Layer] = []
        self.loaded: set[str] = set()

    def include(self, ref: str, *, user: bool, parent: Layer | None = None,
                pos: Pos | None = None, stack: tuple[tuple[str, str], ...] = ()) -> None:
        path, display, key = self._resolve(ref, user=user, parent=parent, pos=pos)
        if any(k == key for k, _ in stack):
            chain = " -> ".join([*(d for _, d in stack), display])
            assert parent is not None and pos is not None
            raise ToolInputError(f"extends loop: {chain}; expected rule sets that do not extend "
                                 "each other in a circle", parent.name, pos[0], pos[1])
        if key in self.loaded:
            return
        if parent is not None and not path.is_file():
            assert pos is not None
            hint = did_you_mean(ref, BUILTIN_SETS) if "/" not in ref else ""
            raise ToolInputError(
                f"extends '{ref}': no such rule set{hint}; expected a built-in set "
                f"({', '.join(BUILTIN_SETS)}) or a path relative to this file",
                parent.name, pos[0], pos[1])
        layer = check_layer(load_file(path, display), display)
        extends = layer.extends
        if extends is None:
            extends = [(name, layer_pos(layer)) for name in BUILTIN_SETS] if (
                user and self.builtin) else []
        for name, epos in extends:
            self.include(name, user=user and name not in BUILTIN_SETS, parent=layer, pos=epos,
                         stack=(*stack, (key, display)))
        self.loaded.add(key)
        self.layers.append(layer)

    def _resolve(self, ref: str, *, user: bool, parent: Layer | None,
                 pos: Pos | None) -> tuple[Path, str, str]:
        builtin_ref = (parent is None and not user) or (
            parent is not None and ref in BUILTIN_SETS)
        if builtin_ref:
            return builtin_path(ref), builtin_display(ref), f"builtin:{ref}"
        if parent is None:
            display = os.fspath(ref)
        elif parent.name.startswith("rules/") and not user:
            raise ToolInputError(f"extends '{ref}': built-in sets may only extend built-in sets",
                                 parent.name, *(pos or (1, 1)))
        else:
            display = os.path.normpath(os.path.join(os.path.dirname(parent.name), ref))
        path = Path(display)
        try:
            key = str(path.resolve())
        except OSError:
            key = display
        return path, display, key


def layer_pos(layer: Layer) -> Pos:
    return (1, 1)


def build(files: Sequence[str | Path] = (), *, builtin: bool = True) -> Built:
    """Load, validate and merge; `load_ruleset` without the provenance."""
    loader = _Loader(builtin)
    if not files:
        if builtin:
            for name in BUILTIN_SETS:
                loader.include(name, user=False)
    else:
        for f in files:
            loader.include(os.fspath(f), user=True)
    return _merge(_with_policy_base(loader.layers))


def build_builtin(name: str) -> Built:
    """One built-in set with what it extends, and nothing loaded after it."""
    loader = _Loader(True)
    loader.include(name, user=False)
    return _merge(_with_policy_base(loader.layers))


def _with_policy_base(layers: list[Layer]) -> list[Layer]:
    """Every rule set starts from the policy rules/core.yaml states (match, ignore, text_nodes,
    generic_names, gate), so that the defaults are written in one place; `extends: []` drops
    core's node types and directories, not its policy."""
    core = builtin_display("core")
    if any(layer.name == core for layer in layers):
        return layers
    full = check_layer(load_file(builtin_path("core"), core), core)
    base = Layer(name=core, extends=[], match=full.match, ignore_values=full.ignore_values,
                 ignore_patterns=full.ignore_patterns, text_nodes=full.text_nodes,
                 generic_names=full.generic_names,
                 fail_on=full.fail_on)
    return [base, *layers]


def build_ruleset(files: Sequence[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """The effective rules of `files` (each with its `extends`), or of the built-in sets; parsed
    every time (`load.load_ruleset` is the cached entry point)."""
    return build(files, builtin=builtin).ruleset


def _merge(layers: list[Layer]) -> Built:
    directories: dict[str, tuple[tuple[str, ...], str]] = {}
    defaults: dict[str, Setting] = {}
    by_directory: dict[str, dict[str, Setting]] = {}
    nodes: dict[str, list[RawSlot]] = {}
    patterns: list[Pattern] = []
    ignore: set[str] = set()
    ignore_patterns: dict[str, re.Pattern[str]] = {}
    text_nodes: set[str] = set()
    generic_names: set[str] = set()
    fail_on: Setting | None = None
    for layer in layers:
        directories.update(layer.directories)
        defaults.update(layer.match)
        for name, settings in layer.by_directory.items():
            by_directory.setdefault(name, {}).update(settings)
        nodes.update(layer.nodes)
        texts = {p.text for p in layer.patterns}
        patterns = [*layer.patterns, *(p for p in patterns if p.text not in texts)]
        ignore |= layer.ignore_values
        for pattern in layer.ignore_patterns:
            ignore_patterns.setdefault(pattern.pattern, pattern)
        text_nodes |= layer.text_nodes
        generic_names |= layer.generic_names
        if layer.fail_on is not None:
            fail_on = layer.fail_on

    warnings: list[str] = []
    base = MatchPolicy()
    base_values = {f.name: getattr(base, f.name) for f in fields(MatchPolicy)}
    _check_order(defaults, {}, base_values)
    for settings in by_directory.values():
        _check_order(defaults, settings, base_values)
    alias = {name: folders for name, (folders, _) in directories.items()}
    built = Built(RuleSet(nodes={}), layers, defaults=defaults, by_directory=by_directory)
    built.directory_sources = {name: where for name, (_, where) in directories.items()}
    for layer in layers:
        built.node_sources.update(layer.node_locations)
    built.policy_sources = {k: defaults[k][1] if k in defaults else "built-in default"
                            for k in POLICY_KEYS}

    def make(raw: RawSlot) -> Slot:
        expanded: list[str] = []
        for name, where in raw.directories:
            if name not in alias:
                warnings.append(
                    f"{where}: warning: directory '{name}' is not defined by any rule set"
                    f"{did_you_mean(name, alias)}; it is searched as a folder of that name "
                    "(define it under 'directories:')")
            for folder in alias.get(name, (name,)):
                if folder not in expanded:
                    expanded.append(folder)
        settings: dict[str, Setting] = dict(defaults)
        for name, _ in raw.directories:
            if name in by_directory:
                settings.update(by_directory[name])
                break
        settings.update(raw.match)
        _check_order(settings, raw.match, base_values)
        policy = MatchPolicy(**{k: v for k, (v, _) in settings.items()})
        slot = Slot(
            node_type=raw.node_type, widget=raw.widget, input=raw.input,
            directories=tuple(expanded), extensions=raw.extensions, match=policy,
            dict_key=raw.dict_key, ignore_values=raw.ignore_values, source=raw.location,
            ignore_patterns=raw.ignore_patterns)
        built.raw[id(slot)] = raw
        return slot

    effective_nodes: dict[str, tuple[Slot, ...]] = {}
    for node_type in sorted(nodes):
        raws = nodes[node_type]
        effective_nodes[node_type] = tuple(make(r) for r in raws if r.skip is None)
        skipped = [r for r in raws if r.skip is not None]
        if skipped:
            built.skipped[node_type] = skipped
    compiled = []
    for p in patterns:
        compiled.append((p.regex, tuple(make(r) for r in p.slots if r.skip is None)))
    built.ruleset = RuleSet(
        nodes=effective_nodes,
        patterns=tuple(compiled),
        ignore_values=frozenset(ignore),
        ignore_patterns=tuple(ignore_patterns.values()),
        directories=alias,
        text_nodes=frozenset(text_nodes),
        generic_names=frozenset(generic_names),
        fail_on=gate_words(fail_on[0]) if fail_on is not None else (),
        sources=tuple(layer.name for layer in layers),
        warnings=tuple(dict.fromkeys(warnings)),
    )
    return built


def _check_order(settings: dict[str, Setting], specific: dict[str, Setting],
                 base: dict[str, Any]) -> None:
    """min_score below suggest_min, after merging, is blamed on the more specific setting."""
    merged = {**settings, **specific}
    low = merged.get("suggest_min", (base["suggest_min"], "built-in default"))
    high = merged.get("auto_pick_min_score", (base["auto_pick_min_score"], "built-in default"))
    if high[0] >= low[0]:
        return
    if "auto_pick_min_score" in specific:
        blame = high
    elif "suggest_min" in specific:
        blame = low
    else:
        blame = high if high[1] != "built-in default" else low
    where = blame[1]
    path, line, col = _split_location(where)
    raise ToolInputError(
        f"auto_pick.min_score {high[0]} (set at {high[1]}) is below suggest_min {low[0]} (set "
        f"at {low[1]}); expected min_score >= suggest_min", path, line, col)


def _split_location(where: str) -> tuple[str | None, int | None, int | None]:
    parts = where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    return None, None, None
