"""Plain-Python validation of one parsed rule file into a `Layer` (fast path, no jsonschema).

Every problem raises ToolInputError with the file, line and column of the offending key or value,
what is wrong and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.extensions import has_model_extension, strip_model_extension
from comfydock_rules.model import FLAGS, STATUSES, TOKEN_CLASSES
from comfydock_rules.rules.diagnose import did_you_mean, expected_one_of, type_name
from comfydock_rules.rules.yaml import Pos, YList, YMap

FORMAT_VERSION = 1
PICK_METHODS: tuple[str, ...] = ("hash", "filename", "casefold", "similar")

TOP_KEYS = ("version", "extends", "description", "directories", "match", "nodes", "patterns",
            "ignore", "text_nodes", "generic_names", "gate")
MATCH_KEYS = ("suggest_min", "auto_pick", "protected")
TOP_MATCH_KEYS = (*MATCH_KEYS, "by_directory")
AUTO_PICK_KEYS = ("min_score", "min_margin", "methods")
SLOT_KEYS = ("widget", "input", "directories", "extensions", "match", "dict_key", "ignore",
             "skip", "source", "note")
PATTERN_KEYS = ("node", *SLOT_KEYS)
IGNORE_KEYS = ("values", "patterns")
GATE_KEYS = ("fail_on",)

# Policy settings flattened: name in MatchPolicy terms -> how it is spelled in YAML.
POLICY_KEYS = {
    "suggest_min": "match.suggest_min",
    "auto_pick_min_score": "match.auto_pick.min_score",
    "auto_pick_min_margin": "match.auto_pick.min_margin",
    "auto_pick_methods": "match.auto_pick.methods",
    "protected": "match.protected",
}

Setting = tuple[Any, str]
"""A value and the `file:line:column` it was written at."""


@dataclass
class RawSlot:
    node_type: str
    widget: int | None
    input: str | None
    directories: list[tuple[str, str]]
    """Directory names as written, each with its location."""
    extensions: tuple[str, ...]
    match: dict[str, Setting]
    dict_key: str | None
    ignore_values: frozenset[str]
    ignore_patterns: tuple[re.Pattern[str], ...]
    skip: str | None
    provenance: str | None
    note: str | None
    location: str


@dataclass
class Pattern:
    text: str
    regex: re.Pattern[str]
    slots: list[RawSlot]
    location: str


@dataclass
class Layer:
    """One rule file, validated, before `extends` and overrides are applied."""

    name: str
    extends: list[tuple[str, Pos]] | None
    directories: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    match: dict[str, Setting] = field(default_factory=dict)
    by_directory: dict[str, dict[str, Setting]] = field(default_factory=dict)
    nodes: dict[str, list[RawSlot]] = field(default_factory=dict)
    node_locations: dict[str, str] = field(default_factory=dict)
    patterns: list[Pattern] = field(default_factory=list)
    ignore_values: frozenset[str] = frozenset()
    ignore_patterns: tuple[re.Pattern[str], ...] = ()
    text_nodes: frozenset[str] = frozenset()
    generic_names: frozenset[str] = frozenset()
    fail_on: Setting | None = None


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path

    def loc(self, pos: Pos) -> str:
        return f"{self.path}:{pos[0]}:{pos[1]}"

    def fail(self, message: str, pos: Pos) -> ToolInputError:
        return ToolInputError(message, self.path, pos[0], pos[1])

    def mapping(self, value: Any, pos: Pos, what: str, keys: tuple[str, ...]) -> YMap:
        if not isinstance(value, YMap):
            raise self.fail(f"{what} must be a mapping, got {type_name(value)}; expected keys: "
                            f"{expected_one_of(keys)}", pos)
        for key in value:
            if key not in keys:
                raise self.fail(
                    f"unknown key '{key}' in {what}{did_you_mean(str(key), keys)}; expected one "
                    f"of: {expected_one_of(keys)}", value.key_pos[key])
        return value

    def string_list(self, value: Any, pos: Pos, what: str, *, allow_empty: bool = True,
                    choices: tuple[str, ...] | None = None) -> list[tuple[str, Pos]]:
        if not isinstance(value, YList):
            raise self.fail(f"{what} must be a list of strings, got {type_name(value)}", pos)
        if not value and not allow_empty:
            raise self.fail(f"{what} must not be empty; expected at least one entry", pos)
        out: list[tuple[str, Pos]] = []
        for item, item_pos in zip(value, value.item_pos, strict=True):
            if not isinstance(item, str):
                raise self.fail(f"{what} entries must be strings, got {type_name(item)} "
                                f"({item!r}); quote it", item_pos)
            if choices is not None and item not in choices:
                raise self.fail(f"{what}: unknown value '{item}'{did_you_mean(item, choices)}; "
                                f"expected one of: {expected_one_of(choices)}", item_pos)
            out.append((item, item_pos))
        return out

    def string(self, value: Any, pos: Pos, what: str, *, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(f"{what} must be a non-empty string, got {type_name(value)}", pos)
        return value

    def fraction(self, value: Any, pos: Pos, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{what} must be a number between 0 and 1, got {type_name(value)}",
                            pos)
        if not 0.0 <= float(value) <= 1.0:
            raise self.fail(f"{what} is {value}, outside [0, 1]; expected a number between 0 "
                            "and 1", pos)
        return float(value)

    # --- sections -------------------------------------------------------------------------

    def match(self, value: Any, pos: Pos, what: str, keys: tuple[str, ...]) -> YMap:
        m = self.mapping(value, pos, what, keys)
        return m

    def policy(self, m: YMap, what: str) -> dict[str, Setting]:
        out: dict[str, Setting] = {}
        if "suggest_min" in m:
            p = m.value_pos["suggest_min"]
            out["suggest_min"] = (self.fraction(m["suggest_min"], p, f"{what}.suggest_min"),
                                  self.loc(p))
        if "auto_pick" in m:
            ap = self.mapping(m["auto_pick"], m.value_pos["auto_pick"], f"{what}.auto_pick",
                              AUTO_PICK_KEYS)
            for key in ("min_score", "min_margin"):
                if key in ap:
                    p = ap.value_pos[key]
                    out[f"auto_pick_{key}"] = (
                        self.fraction(ap[key], p, f"{what}.auto_pick.{key}"), self.loc(p))
            if "methods" in ap:
                p = ap.value_pos["methods"]
                methods = self.string_list(ap["methods"], p, f"{what}.auto_pick.methods",
                                           choices=PICK_METHODS)
                out["auto_pick_methods"] = (tuple(v for v, _ in methods), self.loc(p))
        if "protected" in m:
            p = m.value_pos["protected"]
            classes = self.string_list(m["protected"], p, f"{what}.protected",
                                       choices=TOKEN_CLASSES)
            out["protected"] = (tuple(v for v, _ in classes), self.loc(p))
        if "suggest_min" in out and "auto_pick_min_score" in out:
            self.order(out, m)
        return out

    def order(self, out: dict[str, Setting], m: YMap) -> None:
        if out["auto_pick_min_score"][0] < out["suggest_min"][0]:
            p = m["auto_pick"].value_pos["min_score"]
            raise self.fail(
                f"auto_pick.min_score {out['auto_pick_min_score'][0]} is below suggest_min "
                f"{out['suggest_min'][0]}; expected min_score >= suggest_min (a pick must also "
                "be a suggestion)", p)

    def regex(self, text: str, pos: Pos, what: str) -> re.Pattern[str]:
        """Every regular expression of a rule file is compiled here (node patterns, ignore
        patterns, text patterns), so that what is accepted is decided in one place."""
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.fail(f"{what}: the regular expression does not compile: {exc.msg} "
                            f"at position {exc.pos}; expected a Python regular expression",
                            pos) from None

    def ignore(self, value: Any, pos: Pos,
               what: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        m = self.mapping(value, pos, what, IGNORE_KEYS)
        values: frozenset[str] = frozenset()
        if "values" in m:
            values = frozenset(v for v, _ in self.string_list(
                m["values"], m.value_pos["values"], f"{what}.values"))
        patterns: list[re.Pattern[str]] = []
        if "patterns" in m:
            listed = self.string_list(m["patterns"], m.value_pos["patterns"],
                                      f"{what}.patterns")
            for text, p in listed:
                if not text:
                    raise self.fail(f"{what}.patterns: an empty pattern; expected a regular "
                                    "expression such as '\\s+' (matched against the whole "
                                    "value)", p)
                patterns.append(self.regex(text, p, f"{what}.patterns"))
        return values, tuple(patterns)

    def slot(self, value: Any, pos: Pos, node_type: str, what: str,
             keys: tuple[str, ...] = SLOT_KEYS) -> RawSlot:
        s = self.mapping(value, pos, what, keys)
        widget: int | None = None
        if "widget" in s:
            w = s["widget"]
            if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 0):
                raise self.fail(f"{what}.widget must be a widget index (an integer >= 0) or "
                                f"null, got {type_name(w)} ({w!r})", s.value_pos["widget"])
            widget = w
        input_name = (self.string(s["input"], s.value_pos["input"], f"{what}.input",
                                  nullable=True) if "input" in s else None)
        dict_key = (self.string(s["dict_key"], s.value_pos["dict_key"], f"{what}.dict_key")
                    if "dict_key" in s else None)
        skip = (self.string(s["skip"], s.value_pos["skip"], f"{what}.skip")
                if "skip" in s else None)
        if widget is None and input_name is None and dict_key is None:
            raise self.fail(f"{what} names no widget: expected 'widget' (UI widget index), "
                            "'input' (API input name) or 'dict_key'", s.pos)
        dirs: list[tuple[str, str]] = []
        if "directories" in s:
            listed = self.string_list(s["directories"], s.value_pos["directories"],
                                      f"{what}.directories", allow_empty=skip is not None)
            dirs = [(d, self.loc(p)) for d, p in listed]
        elif skip is None:
            raise self.fail(f"{what} has no 'directories'; expected the directories ComfyUI "
                            "loads it from, e.g. directories: [loras] (or 'skip: <reason>' "
                            "when the value is not a model file)", s.pos)
        extensions: tuple[str, ...] = ()
        if "extensions" in s:
            exts = self.string_list(s["extensions"], s.value_pos["extensions"],
                                    f"{what}.extensions")
            for ext, p in exts:
                if not ext.startswith(".") or len(ext) < 2 or "/" in ext:
                    raise self.fail(f"{what}.extensions: '{ext}' is not an extension; expected "
                                    "a dot and letters such as '.safetensors'", p)
            extensions = tuple(sorted({e.lower() for e, _ in exts}))
        policy: dict[str, Setting] = {}
        if "match" in s:
            m = self.mapping(s["match"], s.value_pos["match"], f"{what}.match", MATCH_KEYS)
            policy = self.policy(m, f"{what}.match")
        ignore, ignore_patterns = (
            self.ignore(s["ignore"], s.value_pos["ignore"], f"{what}.ignore")
            if "ignore" in s else (frozenset(), ()))
        provenance = (self.string(s["source"], s.value_pos["source"], f"{what}.source")
                      if "source" in s else None)
        note = (self.string(s["note"], s.value_pos["note"], f"{what}.note")
                if "note" in s else None)
        return RawSlot(node_type, widget, input_name, dirs, extensions, policy, dict_key,
                       ignore, ignore_patterns, skip, provenance, note, self.loc(s.pos))


def check_layer(doc: Any, path: str, *, newest: int = FORMAT_VERSION) -> Layer:
    """Validate one parsed rule file; the first problem raises ToolInputError."""
    c = _Checker(path)
    if doc is None:
        raise c.fail("the rule file is empty; expected at least 'version: 1'", (1, 1))
    top = c.mapping(doc, getattr(doc, "pos", (1, 1)), "the rule file", TOP_KEYS)
    if "version" not in top:
        raise c.fail(f"missing key 'version'; expected 'version: {FORMAT_VERSION}' at the top",
                     top.pos)
    version = top["version"]
    vpos = top.value_pos["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise c.fail(f"version must be a positive integer, got {type_name(version)} "
                     f"({version!r}); expected 'version: {FORMAT_VERSION}'", vpos)
    if version > newest:
        raise c.fail(f"rule format version {version} is newer than this tool reads (version "
                     f"{newest}); upgrade comfydock-rules, or write version {newest}", vpos)

    extends: list[tuple[str, Pos]] | None = None
    if "extends" in top:
        raw = top["extends"]
        epos = top.value_pos["extends"]
        extends = [(raw, epos)] if isinstance(raw, str) else c.string_list(raw, epos, "extends")
    layer = Layer(name=path, extends=extends)

    if "description" in top:
        c.string(top["description"], top.value_pos["description"], "description")

    if "directories" in top:
        d = top["directories"]
        dpos = top.value_pos["directories"]
        if not isinstance(d, YMap):
            raise c.fail(f"directories must be a mapping of name -> list of folders, got "
                         f"{type_name(d)}", dpos)
        for name, folders in d.items():
            fpos = d.value_pos[name]
            if not isinstance(name, str):
                raise c.fail(f"directory names must be strings, got {type_name(name)}",
                             d.key_pos[name])
            listed = c.string_list(folders, fpos, f"directories.{name}", allow_empty=False)
            for folder, p in listed:
                if folder.startswith("/") or folder.endswith("/") or "\\" in folder or (
                        ".." in folder.split("/")):
                    raise c.fail(f"directories.{name}: '{folder}' is not a folder relative to "
                                 "the models root; expected e.g. 'loras' or 'ultralytics/bbox'",
                                 p)
            layer.directories[name] = (tuple(f for f, _ in listed), c.loc(d.key_pos[name]))

    if "match" in top:
        m = c.mapping(top["match"], top.value_pos["match"], "match", TOP_MATCH_KEYS)
        layer.match = c.policy(m, "match")
        if "by_directory" in m:
            bd = m["by_directory"]
            bpos = m.value_pos["by_directory"]
            if not isinstance(bd, YMap):
                raise c.fail(f"match.by_directory must be a mapping of directory -> match "
                             f"settings, got {type_name(bd)}", bpos)
            for name, sub in bd.items():
                what = f"match.by_directory.{name}"
                sm = c.mapping(sub, bd.value_pos[name], what, MATCH_KEYS)
                layer.by_directory[str(name)] = c.policy(sm, what)

    if "nodes" in top:
        n = top["nodes"]
        npos = top.value_pos["nodes"]
        if not isinstance(n, YMap):
            raise c.fail(f"nodes must be a mapping of node type -> list of slots, got "
                         f"{type_name(n)}", npos)
        for node_type, slots in n.items():
            spos = n.value_pos[node_type]
            if not isinstance(node_type, str):
                raise c.fail(f"node types must be strings, got {type_name(node_type)}; quote "
                             "it", n.key_pos[node_type])
            if not isinstance(slots, YList):
                raise c.fail(f"nodes.{node_type} must be a list of slots, got "
                             f"{type_name(slots)}; expected e.g. "
                             "[{widget: 0, input: ckpt_name, directories: [checkpoints]}]", spos)
            layer.nodes[node_type] = [
                c.slot(s, p, node_type, f"nodes.{node_type}[{i}]")
                for i, (s, p) in enumerate(zip(slots, slots.item_pos, strict=True))]
            layer.node_locations[node_type] = c.loc(n.key_pos[node_type])

    if "patterns" in top:
        plist = top["patterns"]
        ppos = top.value_pos["patterns"]
        if not isinstance(plist, YList):
            raise c.fail(f"patterns must be a list, got {type_name(plist)}", ppos)
        by_text: dict[str, Pattern] = {}
        for i, (entry, p) in enumerate(zip(plist, plist.item_pos, strict=True)):
            what = f"patterns[{i}]"
            e = c.mapping(entry, p, what, PATTERN_KEYS)
            if "node" not in e:
                raise c.fail(f"{what} has no 'node'; expected node: \"re:<regular expression>\"",
                             e.pos)
            text = c.string(e["node"], e.value_pos["node"], f"{what}.node")
            assert text is not None
            tpos = e.value_pos["node"]
            if not text.startswith("re:"):
                raise c.fail(f"{what}.node '{text}' is not a pattern; expected "
                             f"\"re:<regular expression>\" (list exact node names under nodes:)",
                             tpos)
            regex = c.regex(text[3:], tpos, f"{what}.node")
            slot = c.slot(e, p, text, what, PATTERN_KEYS)
            if text in by_text:
                by_text[text].slots.append(slot)
            else:
                by_text[text] = Pattern(text, regex, [slot], c.loc(p))
                layer.patterns.append(by_text[text])

    if "ignore" in top:
        layer.ignore_values, layer.ignore_patterns = c.ignore(
            top["ignore"], top.value_pos["ignore"], "ignore")

    if "text_nodes" in top:
        names = c.string_list(top["text_nodes"], top.value_pos["text_nodes"], "text_nodes")
        layer.text_nodes = frozenset(name for name, _ in names)

    if "generic_names" in top:
        stems = c.string_list(top["generic_names"], top.value_pos["generic_names"],
                              "generic_names")
        for stem, p in stems:
            if "/" in stem or "\\" in stem or not stem.strip():
                raise c.fail(f"generic_names: '{stem}' is not a file stem; expected a file name "
                             "without folders, such as 'diffusion_pytorch_model'", p)
            if has_model_extension(stem):
                raise c.fail(f"generic_names: '{stem}' has a model extension; expected the stem "
                             f"only ('{strip_model_extension(stem)}'): every extension counts",
                             p)
        layer.generic_names = frozenset(stem for stem, _ in stems)

    if "gate" in top:
        g = c.mapping(top["gate"], top.value_pos["gate"], "gate", GATE_KEYS)
        if "fail_on" in g:
            p = g.value_pos["fail_on"]
            fail_on = c.string_list(g["fail_on"], p, "gate.fail_on",
                                    choices=(*STATUSES, *FLAGS))
            layer.fail_on = (tuple(v for v, _ in fail_on), c.loc(p))
    return layer
