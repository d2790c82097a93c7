"""Property: any rule file text gives a RuleSet or one ToolInputError (exit 2), never another
exception."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import RuleSet
from comfydock_rules.rules.load import load_ruleset

EXAMPLES = 150
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
_scalar = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | _text
_any: Any = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(_text, inner, max_size=3), max_leaves=10)
_slot = st.fixed_dictionaries({}, optional={
    "widget": st.integers(-1, 5) | _any, "input": _text | _any,
    "directories": st.lists(st.sampled_from(["checkpoints", "loras", "nope"]) | _text,
                            max_size=2) | _any,
    "extensions": st.lists(st.sampled_from([".safetensors", "gguf"]) | _text, max_size=2),
    "match": st.fixed_dictionaries({}, optional={"suggest_min": _any | st.floats(0, 1),
                                                 "auto_pick": _any}),
    "key": _text, "ignore": _any})
_doc = st.fixed_dictionaries({}, optional={
    "version": st.sampled_from([1, 2, "1"]) | _any,
    "extends": st.lists(st.sampled_from(["core", "custom-nodes", "nope"]) | _text, max_size=2)
    | _any,
    "directories": st.dictionaries(_text, st.lists(_text, max_size=2) | _any, max_size=2),
    "match": _any, "nodes": st.dictionaries(_text, st.lists(_slot, max_size=2) | _any,
                                            max_size=3),
    "patterns": st.lists(st.fixed_dictionaries({"node": st.sampled_from(
        ["re:^.*Lora.*$", "re:(", "re:a{99999}"]) | _text}) | _slot, max_size=2) | _any,
    "ignore": _any, "gate": st.fixed_dictionaries({"fail_on": st.lists(st.sampled_from(
        ["missing", "ambiguous", "bogus"]), max_size=2) | _any}),
}) | _any


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            assert isinstance(load_ruleset([path]), RuleSet)
        except ToolInputError as exc:
            assert exc.exit_code == 2 and exc.message
            assert "Traceback" not in str(exc)


@settings(max_examples=EXAMPLES, deadline=None)
@given(doc=_doc)
def test_any_rule_document(doc: Any) -> None:
    _load(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=_text | st.sampled_from(["version: 1\nnodes: {A: [{widget: 0}]", "- a\n b: c",
                                     "&a [*a]", "x: !!python/object:os.system ls",
                                     "a: &x [*x, *x]", "\t", "version: 1\n" + "  " * 50 + "x"]))
def test_any_rule_text(text: str) -> None:
    _load(text)
