"""Widgets promoted to subgraph nodes: the value that runs per instance, on files saved by each
frontend era (tests/fixtures/workflows/real/SOURCE.md) and the frontend's own browser-test
workflows (tests/fixtures/workflows/frontend/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

from comfydock_rules.model import ModelRef, RuleSet, Slot
from comfydock_rules.rules.load import load_ruleset
from comfydock_rules.workflow.promoted import proxy_entries
from comfydock_rules.workflow.read import read_text, read_workflow

REAL = FIXTURES / "workflows" / "real"
FRONTEND = FIXTURES / "workflows" / "frontend"


def read(path: Path, rules: RuleSet | None = None) -> list[ModelRef]:
    return list(read_workflow(path, path.name, rules or load_ruleset()))


def rows(refs: list[ModelRef]) -> list[tuple[str, str, str | None, bool]]:
    return [(r.node_id, r.value, r.host, r.fallback) for r in refs]


def node_line(path: Path, node_id: int) -> int:
    """The line where the root node with this id opens (`{` two lines above its `"id"`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == f'"id": {node_id},'
              and lines[i - 1].strip() == "{")
    return at  # 1-based line of the "{" above


def test_two_instances_with_different_promoted_checkpoints_give_two_references() -> None:
    path = REAL / "3d_hunyuan3d_image_to_model_three_instances.json"
    refs = read(path)
    assert rows(refs) == [
        ("91:54", "hunyuan3d-dit-v2_fp16.safetensors", "91", False),
        ("92:54", "hunyuan3d-dit-v2-mv_fp16.safetensors", "92", False),
        # Host 93 stores no values: the interior default runs, and is marked as such.
        ("93:54", "hunyuan3d-dit-v2_fp16.safetensors", "93", True),
    ]
    assert {r.node_type for r in refs} == {"ImageOnlyCheckpointLoader"}
    # A host's value is written on the host: its line is the host's.
    assert refs[0].line == node_line(path, 91)
    assert refs[1].line == node_line(path, 92)
    assert refs[2].line not in (node_line(path, 91), node_line(path, 92), node_line(path, 93))


def test_saves_of_each_frontend_era_give_the_value_that_runs() -> None:
    # <= 1.27: the host stores per-instance values; they are the ones that run.
    old = REAL / "sd3.5_large_depth.json"
    promoted = [r for r in read(old) if r.host is not None]
    assert rows(promoted) == [
        ("68:87", "lotus-depth-d-v1-1.safetensors", "68", False),
        ("68:89", "vae-ft-mse-840000-ema-pruned.safetensors", "68", False),
    ]
    assert {r.line for r in promoted} == {node_line(old, 68)}
    # 1.28 - 1.45 (proxyWidgets): hosts store nothing; the interior values run.
    proxy = read(REAL / "flux_dev_checkpoint_example.json")
    assert rows(proxy) == [
        ("56:47", "ae.safetensors", "56", True),
        ("56:48", "flux1-dev.safetensors", "56", True),
        ("56:49", "clip_l.safetensors", "56", True),
        ("56:49", "t5xxl_fp16.safetensors", "56", True),
    ]
    # >= 1.46: the host's values again.
    new = read(REAL / "3d_hunyuan3d_image_to_model.json")
    assert rows(new) == [("91:54", "hunyuan3d-dit-v2_fp16.safetensors", "91", False)]


def test_stale_interior_value_under_a_host_value_is_never_reported() -> None:
    path = FRONTEND / "missing_model_promoted_widget_resolved_host.json"
    refs = read(path)
    assert rows(refs) == [("2:1", "resolved_model.safetensors", "2", False)]
    assert "fake_model.safetensors" in path.read_text(encoding="utf-8")  # the stale interior


def test_outermost_host_value_wins_two_levels_deep() -> None:
    refs = read(FRONTEND / "missing_model_nested_promoted_widget_resolved_host.json")
    assert rows(refs) == [("3:2:1", "resolved_model.safetensors", "3", False)]


def test_values_of_sibling_instances_do_not_leak() -> None:
    refs = read(FRONTEND / "missing_model_nested_promoted_widget_two_hosts.json")
    assert rows(refs) == [
        ("3:2:1", "resolved_model.safetensors", "3", False),
        ("4:2:1", "fake_model.safetensors", "4", False),
    ]


def test_hosts_without_values_fall_back_to_the_leaf_through_nested_hosts() -> None:
    refs = read(FRONTEND / "nested_subgraph_installed_model.json")
    assert rows(refs) == [("205:76:203", "lotus-depth-d-v1-1.safetensors", "205", True)]


def test_null_or_missing_host_entry_means_no_override() -> None:
    text = (FRONTEND / "missing_model_promoted_widget_resolved_host.json").read_text(
        encoding="utf-8")
    for stored in ([None], []):
        doc = json.loads(text)
        doc["nodes"][0]["widgets_values"] = stored
        refs = read_text(json.dumps(doc), "wf.json", load_ruleset())
        assert rows(list(refs)) == [("2:1", "fake_model.safetensors", "2", True)]


def test_inner_host_value_counts_when_the_outer_host_has_none() -> None:
    doc = json.loads((FRONTEND / "missing_model_nested_promoted_widget_resolved_host.json")
                     .read_text(encoding="utf-8"))
    doc["nodes"][0]["widgets_values"] = []
    inner_host = doc["definitions"]["subgraphs"][0]["nodes"][0]
    inner_host["widgets_values"] = ["inner_choice.safetensors"]
    refs = read_text(json.dumps(doc), "wf.json", load_ruleset())
    # The outer host shows it, but stores nothing: a fallback to the inner host's value.
    assert rows(list(refs)) == [("3:2:1", "inner_choice.safetensors", "3", True)]


def test_per_instance_values_of_a_real_1_24_save() -> None:
    # Three instances of one subgraph; the hosts hold "Alpha\n", "Beta\n", "Gamma\n" while the
    # interior CLIPTextEncode holds "". Read with a plain slot on the text widget.
    rules = RuleSet(nodes={"CLIPTextEncode": (Slot("CLIPTextEncode", 0, "text", ("x",)),)})
    refs = read(FRONTEND / "subgraph-multi-instance-promoted-text-values.json", rules)
    assert rows(refs) == [("11:10", "Alpha\n", "11", False), ("12:10", "Beta\n", "12", False),
                          ("13:10", "Gamma\n", "13", False)]


def test_legacy_proxy_widget_names_lose_their_id_prefixes() -> None:
    doc = json.loads((FRONTEND / "nested-subgraph-legacy-prefixed-proxy-widgets.json")
                     .read_text(encoding="utf-8"))
    host = doc["nodes"][0]
    assert host["properties"]["proxyWidgets"] == [["6", "6: 3: string_a"]]
    assert proxy_entries(host) == [("6", "string_a")]
    inner = doc["definitions"]["subgraphs"][0]["nodes"][1]
    assert proxy_entries(inner) == []  # "-1": the host's own linked input
    as_text = {"properties": {"proxyWidgets": json.dumps([["7", "ckpt_name"]])}}
    assert proxy_entries(as_text) == [("7", "ckpt_name")]


def test_interior_widget_promoted_by_proxy_widgets_alone_is_marked() -> None:
    doc = json.loads((FRONTEND / "missing_model_promoted_widget_resolved_host.json")
                     .read_text(encoding="utf-8"))
    definition = doc["definitions"]["subgraphs"][0]
    definition["inputs"], definition["links"] = [], []
    doc["nodes"][0]["widgets_values"] = []
    doc["nodes"][0]["properties"]["proxyWidgets"] = [["1", "ckpt_name"]]
    refs = read_text(json.dumps(doc), "wf.json", load_ruleset())
    assert rows(list(refs)) == [("2:1", "fake_model.safetensors", "2", True)]


def test_nodes_that_are_not_promoted_carry_no_host() -> None:
    refs = read(REAL / "sd3.5_large_depth.json")
    plain = [r for r in refs if ":" not in r.node_id]
    assert plain and all(r.host is None and not r.fallback for r in plain)


def test_promoted_widgets_are_bounded_over_all_instances() -> None:
    """A subgraph showing 1,000 widgets, instantiated 300 times: 300,000 promotions, over
    MAX_PROMOTIONS, although only 600 nodes are expanded. Refused with the host's line."""
    from comfydock_rules.errors import WorkflowReadError
    from comfydock_rules.limits import MAX_EXPANDED_NODES, MAX_PROMOTIONS

    widgets = 1000
    inputs = [{"name": f"w{i}", "type": "INT", "linkIds": [i]} for i in range(widgets)]
    links = [{"id": i, "origin_id": -10, "origin_slot": i, "target_id": 1, "target_slot": i,
              "type": "INT"} for i in range(widgets)]
    inner = {"id": 1, "type": "Wide", "widgets_values": [0] * widgets,
             "inputs": [{"name": f"w{i}", "widget": {"name": f"w{i}"}, "link": i}
                        for i in range(widgets)]}
    definition = {"id": "wide", "inputs": inputs, "links": links, "nodes": [inner]}
    hosts = [{"id": n, "type": "wide", "widgets_values": []} for n in range(1, 301)]
    doc = {"nodes": hosts, "definitions": {"subgraphs": [definition]}}
    assert 300 * widgets > MAX_PROMOTIONS and MAX_EXPANDED_NODES > 300 * 2
    text = json.dumps(doc, indent=1)
    try:
        read_text(text, "wide.json", load_ruleset())
    except WorkflowReadError as exc:
        assert "promoted widgets" in exc.message and exc.line is not None
    else:
        raise AssertionError("300,000 promotions were worked out")
