"""Property: patching pins into any pyproject keeps everything else, reads back what was written,
and a second identical patch changes nothing."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from comfydock_rules.errors import ToolInputError
from comfydock_rules.pyproject.patch import PatchPlan, PinWrite, patched_text
from comfydock_rules.pyproject.pins import PinnedNode, RecordedModel, pins_from_data

EXAMPLES = 150
_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)
_hash = st.text("0123456789abcdef", min_size=16, max_size=16)
_base = st.sampled_from([
    "", '[project]\nname = "demo"\n', '# comment\r\n[project]\r\nname = "x"\r\n',
    '[tool.other]\nkeep = [1, 2]\n\n[tool.comfydock.models.required]\n',
    '[tool.comfydock.workflows."a b".models]\n"old.safetensors" = {hash = "0123456789abcdef"}\n',
])


@settings(max_examples=EXAMPLES, deadline=None)
@given(base=_base, workflow=_text, reference=_text, hash_=_hash,
       node_id=st.integers(0, 999).map(str) | _text, widget=st.none() | st.integers(0, 9))
def test_patch_round_trips(base: str, workflow: str, reference: str, hash_: str, node_id: str,
                           widget: int | None) -> None:
    nodes = (PinnedNode(node_id=node_id, widget_idx=widget),)
    plan = PatchPlan(pins=(PinWrite(workflow, reference, hash_, nodes),),
                     models=(RecordedModel(hash_, filename=reference, size=1,
                                           relative_path=f"checkpoints/{reference}"),))
    try:
        new = patched_text(base, plan)
    except ToolInputError as exc:
        assert exc.message
        return
    data = tomllib.loads(new)
    old = tomllib.loads(base)
    # Everything outside our tables is kept as it was.
    assert {k: v for k, v in data.items() if k != "tool"} == {
        k: v for k, v in old.items() if k != "tool"}
    assert {k: v for k, v in data.get("tool", {}).items() if k != "comfydock"} == {
        k: v for k, v in old.get("tool", {}).items() if k != "comfydock"}
    workflows, registry = pins_from_data(data, "pyproject.toml")
    pin = workflows[workflow][reference]
    assert pin.hash == hash_ and pin.nodes == nodes
    assert registry[hash_].filename == reference
    assert patched_text(new, plan) == new
