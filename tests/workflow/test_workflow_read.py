"""The reader on small hand-written workflows, one shape each, and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.model import DeclaredModel, ModelRef, RuleSet, Slot
from comfydock_rules.workflow.read import looks_like_model_file, read_text, read_workflow

WORKFLOWS = FIXTURES / "workflows"


def slot(node_type: str, widget: int | None, name: str | None, directory: str,
         **extra: object) -> Slot:
    return Slot(node_type=node_type, widget=widget, input=name, directories=(directory,),
                **extra)  # type: ignore[arg-type]


RULES = RuleSet(nodes={
    "CheckpointLoaderSimple": (slot("CheckpointLoaderSimple", 0, "ckpt_name", "checkpoints"),),
    "LoraLoader": (slot("LoraLoader", 0, "lora_name", "loras"),),
    "VAELoader": (slot("VAELoader", 0, "vae_name", "vae",
                       ignore_values=frozenset({"taesd"})),),
    "UNETLoader": (slot("UNETLoader", 0, "unet_name", "diffusion_models"),),
    "DictWidgetLoader": (slot("DictWidgetLoader", None, "ckpt", "checkpoints"),),
    "Power Lora Loader (rgthree)": (
        slot("Power Lora Loader (rgthree)", None, None, "loras", dict_key="lora"),),
}, ignore_values=frozenset({"", "None"}),
    text_nodes=frozenset({"PrimitiveNode", "CLIPTextEncode", "Note"}))


def read(name: str) -> tuple[ModelRef, ...]:
    return read_workflow(WORKFLOWS / name, name, RULES)


def rows(refs: tuple[ModelRef, ...]) -> list[tuple[object, ...]]:
    return [(r.node_id, r.node_type, r.widget_index, r.input, r.value) for r in refs]


def test_ui_basic_slots_modes_and_declared_models() -> None:
    refs = read("ui_basic.json")
    assert rows(refs) == [
        ("3", "VAELoader", 0, "vae_name", "sdxl_vae.safetensors"),
        ("4", "CheckpointLoaderSimple", 0, "ckpt_name", "sd_xl_base_1.0.safetensors"),
        ("6", "SomeCustomLoader", 0, None, "custom/model.pth"),
        ("8", "DictWidgetLoader", None, "ckpt", "dict.safetensors"),
        ("10", "LoraLoader", 0, "lora_name", "SDXL\\detail.safetensors"),
    ]
    by_id = {r.node_id: r for r in refs}
    assert by_id["3"].mode == 2 and by_id["3"].bypassed
    assert by_id["10"].mode == 4 and by_id["10"].bypassed
    assert not by_id["4"].bypassed
    assert by_id["10"].lookup_value == "SDXL/detail.safetensors"
    assert by_id["6"].slot is None  # no_rule
    assert by_id["4"].declared == DeclaredModel(
        name="sd_xl_base_1.0.safetensors",
        url="https://huggingface.co/stabilityai/sdxl/resolve/main/sd_xl_base_1.0.safetensors",
        directory="checkpoints", hash="abc123", hash_type="sha256")
    assert by_id["10"].declared is None  # properties: null is read as no declarations


def test_ui_lines_are_where_the_node_object_starts() -> None:
    lines = (WORKFLOWS / "ui_basic.json").read_text(encoding="utf-8").splitlines()
    for ref in read("ui_basic.json"):
        assert ref.line is not None
        assert lines[ref.line - 1].strip() == "{"
        assert lines[ref.line].strip() == f'"id": {ref.node_id},'


def test_nested_subgraphs_get_node_paths_and_wrappers_add_nothing() -> None:
    refs = read("ui_subgraph.json")
    assert rows(refs) == [
        ("12:7:3", "UNETLoader", 0, "unet_name", "flux1-dev.safetensors"),
        ("12:8", "VAELoader", 0, "vae_name", "ae.safetensors"),
        ("13:7:3", "UNETLoader", 0, "unet_name", "flux1-dev.safetensors"),
        ("13:8", "VAELoader", 0, "vae_name", "ae.safetensors"),
    ]
    # A bypassed wrapper bypasses what it contains.
    assert [r.mode for r in refs] == [0, 0, 4, 4]
    text = (WORKFLOWS / "ui_subgraph.json").read_text(encoding="utf-8").splitlines()
    assert '"id": 3,' in text[refs[0].line]  # type: ignore[index]


def test_group_nodes_expand_with_instance_values() -> None:
    refs = read("ui_group.json")
    assert rows(refs) == [
        ("20:0", "CheckpointLoaderSimple", 0, "ckpt_name", "group_ckpt.safetensors"),
        ("20:1", "LoraLoader", 0, "lora_name", "group_lora.safetensors"),
        ("21:0", "CheckpointLoaderSimple", 0, "ckpt_name", "dreamshaper_8.safetensors"),
    ]


def test_dict_entries_of_power_lora_loader() -> None:
    refs = read("ui_power_lora.json")
    assert [(r.widget_index, r.key, r.value, r.enabled, r.bypassed) for r in refs] == [
        (2, "lora", "SDXL/detail.safetensors", True, False),
        (3, "lora", "SDXL/off.safetensors", False, True),
    ]


def test_api_format_by_input_name_without_links() -> None:
    refs = read("api.json")
    assert [(r.node_id, r.input, r.key, r.value, r.enabled, r.slot is None) for r in refs] == [
        ("4", "ckpt_name", None, "v1-5-pruned-emaonly.safetensors", True, False),
        ("10", "lora_name", None, "add_detail.safetensors", True, False),
        ("12", "lora_1", "lora", "a.safetensors", True, False),
        ("12", "lora_2", "lora", "b.safetensors", False, False),
        ("13", "model_path", None, "custom.gguf", True, True),
    ]
    assert all(r.widget_index is None and r.line is None for r in refs)


def test_api_wrapped_in_prompt() -> None:
    refs = read("api_wrapped.json")
    assert rows(refs) == [("1", "UNETLoader", None, "unet_name", "wan2.1_t2v_14B_fp16.safetensors")]


def test_no_rule_heuristic() -> None:
    assert looks_like_model_file("SDXL/detail_v1.safetensors")
    assert looks_like_model_file("动漫 Cute_v1.0.safetensors")
    assert not looks_like_model_file("a photo, lora.safetensors")
    assert not looks_like_model_file("Use it. then x.safetensors")
    assert not looks_like_model_file("line one\nx.safetensors")
    assert not looks_like_model_file("x.png")
    assert not looks_like_model_file("a" * 300 + ".pt")


def test_a_rule_with_only_skipped_slots_is_no_no_rule() -> None:
    """rules_load keeps such a node type with no slots (`skip:` in custom-nodes.yaml)."""
    rules = RuleSet(nodes={"DownloadAndLoadSAM2Model": ()})
    ui = json.dumps({"nodes": [
        {"id": 1, "type": "DownloadAndLoadSAM2Model", "widgets_values": ["sam2_hiera_small.pt"]},
        {"id": 2, "type": "OtherLoader", "widgets_values": ["x.safetensors"]}]})
    api = json.dumps({"1": {"class_type": "DownloadAndLoadSAM2Model",
                            "inputs": {"model": "sam2_hiera_small.pt"}}})
    assert [r.node_type for r in read_text(ui, "ui.json", rules)] == ["OtherLoader"]
    assert read_text(api, "api.json", rules) == ()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


BAD_INPUT = [
    ("invalid.json", '{\n  "nodes": [\n    {"id": 1,, }\n  ]\n}', "invalid JSON", (3, 14)),
    ("list.json", "[1, 2]", "top level is a list", None),
    ("string.json", '"hello"', "top level is a string", None),
    ("other.json", '{"name": "package", "version": "1.0"}', "not a ComfyUI workflow", None),
    ("nodes_null.json", '{"nodes": null}', "'nodes' is not a list", None),
    ("no_id.json", '{"nodes": [\n {"type": "VAELoader", "widgets_values": ["x"]}]}',
     "no 'id'", (2, None)),
    ("no_type.json", '{"nodes": [{"id": 1}]}', "no 'type'", None),
    ("node_int.json", '{"nodes": [1]}', "is not an object", None),
    ("deep.json", "[" * 100000 + "]" * 100000, "nested too deeply", None),
    ("empty.json", "", "invalid JSON", (1, 1)),
    ("cycle.json", json.dumps({"nodes": [{"id": 1, "type": "s1"}], "definitions": {
        "subgraphs": [{"id": "s1", "nodes": [{"id": 2, "type": "s1"}]}]}}),
     "contains itself", None),
]


@pytest.mark.parametrize(("name", "text", "message", "where"), BAD_INPUT)
def test_bad_input_gives_one_line_workflow_error(
    tmp_path: Path, name: str, text: str, message: str, where: tuple[int, int | None] | None
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(WorkflowReadError) as info:
        read_workflow(path, name, RULES)
    error = info.value
    assert message in str(error)
    assert str(error).startswith(name)
    assert "\n" not in str(error)
    assert error.exit_code == 1
    if where is not None:
        assert error.line == where[0]
        if where[1] is not None:
            assert error.column == where[1]


def test_non_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.json", b'{"nodes": [\n {"id": 1, "type": "caf'
                 + b"\xe9" + b'"}]}')
    with pytest.raises(WorkflowReadError) as info:
        read_workflow(path, "latin1.json", RULES)
    assert "not UTF-8" in str(info.value)
    assert (info.value.line, info.value.column) == (2, 24)


def test_utf8_bom_and_non_ascii_values(tmp_path: Path) -> None:
    doc = {"nodes": [{"id": 1, "type": "LoraLoader", "widgets_values": ["動漫\\可爱.safetensors"]}]}
    path = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(doc).encode("utf-8"))
    (ref,) = read_workflow(path, "bom.json", RULES)
    assert ref.value == "動漫\\可爱.safetensors" and ref.line == 1


def test_unreadable_path_is_a_workflow_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowReadError) as info:
        read_workflow(tmp_path, "folder", RULES)
    assert "cannot read" in str(info.value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.sampled_from(["", "None", "x.safetensors", "a b.ckpt", "s1", "workflow>G", "lora"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["id", "type", "mode", "nodes", "widgets_values", "properties",
                         "models", "name", "definitions", "subgraphs", "extra", "groupNodes",
                         "G", "class_type", "inputs", "prompt", "on", "lora", "ckpt"]),
        inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=JSON_VALUES)
def test_any_json_gives_references_or_a_workflow_error(doc: object) -> None:
    text = json.dumps(doc, indent=1)
    try:
        refs = read_text(text, "fuzz.json", RULES)
    except WorkflowReadError as exc:
        assert "\n" not in str(exc) and "report this file" not in str(exc)
    else:
        assert all(isinstance(r.value, str) for r in refs)


NODE = st.fixed_dictionaries(
    {"id": st.integers(0, 5) | st.sampled_from(["a", ""]),
     "type": st.sampled_from(["LoraLoader", "s1", "s2", "workflow>G", "Power Lora Loader (rgthree)",
                              "Custom"])},
    optional={"mode": st.integers(0, 4) | st.none(), "widgets_values": JSON_VALUES,
              "properties": JSON_VALUES},
)
UI_DOC = st.fixed_dictionaries(
    {"nodes": st.lists(NODE, max_size=4)},
    optional={
        "definitions": st.fixed_dictionaries({"subgraphs": st.lists(st.fixed_dictionaries(
            {"id": st.sampled_from(["s1", "s2"]), "nodes": st.lists(NODE, max_size=3)}),
            max_size=2)}),
        "extra": st.fixed_dictionaries({"groupNodes": st.fixed_dictionaries(
            {"G": st.fixed_dictionaries({"nodes": st.lists(NODE, max_size=3)})})}),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=UI_DOC)
def test_any_ui_shaped_document_reads_or_fails_cleanly(doc: object) -> None:
    text = json.dumps(doc, indent=1)
    try:
        refs = read_text(text, "fuzz.json", RULES)
    except WorkflowReadError as exc:
        assert "\n" not in str(exc) and "report this file" not in str(exc)
    else:
        keys = [(r.node_id, r.widget_index, r.input, r.key) for r in refs]
        lists = [doc["nodes"]]  # type: ignore[index]
        lists += [g["nodes"] for g in doc.get("definitions", {}).get("subgraphs", [])]  # type: ignore[attr-defined]
        if all(len({str(n["id"]) for n in nodes}) == len(nodes) for nodes in lists):
            assert len(keys) == len(set(keys))
        assert all(r.line is not None for r in refs)
