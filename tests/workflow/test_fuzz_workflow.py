"""Property: any bytes or JSON document given to the workflow reader yields references or one
WorkflowReadError, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.model import ModelRef
from comfydock_rules.rules.load import load_ruleset
from comfydock_rules.workflow.read import read_text, read_workflow

RULES = load_ruleset()
EXAMPLES = 300

_names = st.sampled_from(["CheckpointLoaderSimple", "LoraLoader", "DualCLIPLoader", "Note",
                          "Power Lora Loader (rgthree)", "UNETLoader", "workflow>g", "sg1"])
_text = st.text(max_size=30) | st.sampled_from(["x.safetensors", "a/b.ckpt", "None", ""])
_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_json: Any = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(_text, inner, max_size=4), max_leaves=20)
_node = st.fixed_dictionaries(
    {"id": st.integers(-3, 50) | _text | _json, "type": _names | _json},
    optional={"widgets_values": st.lists(_text | _json, max_size=5)
              | st.dictionaries(_text, _json | st.fixed_dictionaries(
                  {"lora": _text, "on": st.booleans()}), max_size=3),
              "mode": _json | st.sampled_from([0, 2, 4]), "properties": _json,
              "inputs": _json, "class_type": _names | _json},
)
_ui = st.fixed_dictionaries(
    {"nodes": st.lists(_node | _json, max_size=6)},
    optional={"definitions": st.fixed_dictionaries({"subgraphs": st.lists(
        st.fixed_dictionaries({"id": st.just("sg1") | _text,
                               "nodes": st.lists(_node, max_size=3)}), max_size=2)}),
              "extra": st.fixed_dictionaries({"groupNodes": st.dictionaries(
                  st.just("g") | _text, st.fixed_dictionaries(
                      {"nodes": st.lists(_node, max_size=3)}), max_size=2)})},
)
_api = st.dictionaries(st.integers(0, 99).map(str) | _text, st.fixed_dictionaries(
    {"class_type": _names | _json, "inputs": st.dictionaries(
        st.sampled_from(["ckpt_name", "lora_name", "unet_name", "lora_1"]) | _text,
        _json, max_size=3)}) | _json, max_size=5)


def _ok(refs: tuple[ModelRef, ...]) -> None:
    assert all(isinstance(ref.value, str) for ref in refs)
    assert all(isinstance(ref.node_id, str) and ref.node_id for ref in refs)


@settings(max_examples=EXAMPLES, deadline=None)
@given(doc=_ui | _api | _json | st.fixed_dictionaries({"prompt": _api}))
def test_any_json_document(doc: Any) -> None:
    try:
        text = json.dumps(doc)
    except (ValueError, RecursionError):
        return
    try:
        _ok(read_text(text, "wf.json", RULES))
    except WorkflowReadError as exc:
        assert exc.path == "wf.json" and exc.message


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300)
       | st.builds(lambda head, tail: head + tail,
                   st.sampled_from([b"\x89PNG\r\n\x1a\n", b"RIFF\x10\x00\x00\x00WEBPVP8X",
                                    b'{"nodes": [', b"\xef\xbb\xbf", b'{"1": {"class_type"']),
                   st.binary(max_size=200)))
def test_any_bytes_in_a_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wf.json"
        path.write_bytes(data)
        try:
            _ok(read_workflow(path, "wf.json", RULES))
        except WorkflowReadError as exc:
            assert exc.path == "wf.json" and exc.message
            assert "please report this file" not in str(exc), str(exc)
