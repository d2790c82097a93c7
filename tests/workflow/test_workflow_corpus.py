"""The reader over the whole shared corpus: no failure, every truth row found, no wrapper copies."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.model import ModelRef, RuleSet, Slot
from comfydock_rules.workflow.files import expand_paths
from comfydock_rules.workflow.read import read_workflow

Refs = dict[str, tuple[ModelRef, ...]]

# Loader nodes newer than the ComfyUI commit of comfyui_loader_nodes.csv (corpus README).
NEWER_LOADERS = (
    ("LTXAVTextEncoderLoader", 0, "text_encoder", "text_encoders"),
    ("LTXAVTextEncoderLoader", 1, "ckpt_name", "checkpoints"),
    ("LTXVAudioVAELoader", 0, "ckpt_name", "checkpoints"),
    ("LatentUpscaleModelLoader", 0, "model_name", "latent_upscale_models"),
    ("LoadMoGeModel", 0, "model_name", "geometry_estimation"),
    ("LoadDA3Model", 0, "model_name", "geometry_estimation"),
    ("LoadBackgroundRemovalModel", 0, "bg_removal_name", "background_removal"),
    ("ConditioningLoader", 0, "conditioning_name", "embeddings"),
    ("FrameInterpolationModelLoader", 0, "model_name", "frame_interpolation"),
    ("OpticalFlowLoader", 0, "model_name", "optical_flow"),
    ("SAM3DBody_Loader", 0, "model_name", "detection"),
)


def corpus_rules(corpus: Path) -> RuleSet:
    """Slots from the corpus's own loader table, so this test does not depend on rule files."""
    rows = [
        (r["node_type"], int(r["widget_index"]), r["input_name"], r["category"])
        for r in csv.DictReader((corpus / "comfyui_loader_nodes.csv").open(encoding="utf-8"))
    ]
    nodes: dict[str, tuple[Slot, ...]] = {}
    for node_type, widget, name, directory in [*rows, *NEWER_LOADERS]:
        slot = Slot(node_type=node_type, widget=widget, input=name, directories=(directory,))
        nodes[node_type] = (*nodes.get(node_type, ()), slot)
    return RuleSet(nodes=nodes)


def read_all(corpus: Path, rules: RuleSet) -> dict[str, tuple[ModelRef, ...]]:
    out: dict[str, tuple[ModelRef, ...]] = {}
    root = corpus / "workflows"
    for path, _ in expand_paths([str(root)]):
        rel = path.relative_to(root).as_posix()
        out[rel] = read_workflow(path, rel, rules)
    return out


@pytest.fixture(scope="module")
def corpus_refs(corpus: Path) -> dict[str, tuple[ModelRef, ...]]:
    return read_all(corpus, corpus_rules(corpus))


def instance_paths(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Subgraph id -> every node-id path (from the root) of its instances."""
    definitions = doc.get("definitions", {}).get("subgraphs", [])
    subgraphs = {s["id"]: s.get("nodes", []) for s in definitions}
    paths: dict[str, list[str]] = defaultdict(list)

    def walk(nodes: list[dict[str, Any]], prefix: str, depth: int) -> None:
        for node in nodes:
            if node.get("type") in subgraphs and depth < 16:
                path = f"{prefix}{node['id']}"
                paths[node["type"]].append(path)
                walk(subgraphs[node["type"]], path + ":", depth + 1)

    walk(doc["nodes"], "", 0)
    return paths


def test_every_corpus_file_reads(corpus: Path, corpus_refs: Refs) -> None:
    assert len(corpus_refs) == 870
    assert sum(len(refs) for refs in corpus_refs.values()) > 1500


def test_truth_rows_all_found_with_node_paths(
    corpus: Path, corpus_refs: Refs
) -> None:
    rows = [json.loads(line) for line in (corpus / "truth.jsonl").open(encoding="utf-8")]
    assert len(rows) == 1239
    docs: dict[str, dict[str, list[str]]] = {}
    missing = []
    checked = 0
    for row in rows:
        wf = row["workflow"]
        have = {(r.node_id, r.node_type, r.widget_index, r.value) for r in corpus_refs[wf]}
        if row["graph"] == "root":
            expected = [str(row["node_id"])]
        else:
            if wf not in docs:
                doc = json.loads((corpus / "workflows" / wf).read_text(encoding="utf-8"))
                docs[wf] = instance_paths(doc)
            expected = [f"{p}:{row['node_id']}" for p in docs[wf][row["graph"]]]
            assert expected, f"{wf}: subgraph {row['graph']} has no instance"
        for node_path in expected:
            checked += 1
            key = (node_path, row["node_type"], row["widget_index"], row["widget_value"])
            if key not in have:
                missing.append((wf, key))
    assert not missing, missing[:10]
    assert checked >= 1239


def test_nested_subgraph_paths_have_three_levels(
    corpus_refs: Refs
) -> None:
    wf = "workflow_templates_2026-10/3d_triposplat_image_to_gaussian_splat.json"
    deep = [r for r in corpus_refs[wf] if r.node_type == "LoadBackgroundRemovalModel"]
    assert deep and all(r.node_id.count(":") == 2 for r in deep), deep


def test_no_references_from_subgraph_wrappers(
    corpus: Path, corpus_refs: Refs
) -> None:
    wrappers = 0
    for wf, refs in corpus_refs.items():
        if not wf.startswith("workflow_templates"):
            continue
        doc = json.loads((corpus / "workflows" / wf).read_text(encoding="utf-8"))
        ids = {s["id"] for s in doc.get("definitions", {}).get("subgraphs", [])}
        wrappers += sum(1 for n in doc["nodes"] if n.get("type") in ids)
        assert not [r for r in refs if r.node_type in ids], wf
        keys = [(r.node_id, r.widget_index, r.input, r.key) for r in refs]
        assert len(keys) == len(set(keys)), wf
    assert wrappers > 100


def test_lines_point_at_the_node(corpus: Path, corpus_refs: Refs) -> None:
    wf = "workflow_templates_2025-09/2_pass_pose_worship.json"
    lines = (corpus / "workflows" / wf).read_text(encoding="utf-8").splitlines()
    refs = [r for r in corpus_refs[wf]]
    assert refs
    for ref in refs:
        assert ref.line is not None
        # The node object opens on its line; its id follows within a few lines.
        window = "".join(lines[ref.line - 1 : ref.line + 3])
        assert "{" in lines[ref.line - 1]
        assert f'"id": {ref.node_id}' in window.replace('"id":', '"id": ').replace("  ", " ")


def test_ui_and_api_graphs_of_one_image_give_the_same_values(
    corpus_refs: Refs
) -> None:
    pairs = 0
    for wf, refs in corpus_refs.items():
        if not wf.startswith("ComfyUI_examples/") or not wf.endswith(".workflow.json"):
            continue
        api = wf.removesuffix(".workflow.json") + ".prompt.json"
        if api not in corpus_refs:
            continue
        pairs += 1
        api_refs = corpus_refs[api]
        assert all(r.widget_index is None and r.input for r in api_refs), api
        ui_values = {r.value for r in refs if r.slot is not None and not r.bypassed}
        api_values = {r.value for r in api_refs if r.slot is not None}
        assert ui_values == api_values, (wf, ui_values ^ api_values)
    assert pairs == 82


def test_custom_truth_model_files_found_when_rules_cover_them(corpus: Path) -> None:
    try:
        from comfydock_rules.rules.load import load_ruleset
    except ImportError:
        pytest.skip("the rules loader (comfydock_rules.rules.load) is not installed")
    rules = load_ruleset()
    rows = [json.loads(line) for line in (corpus / "custom_truth.jsonl").open(encoding="utf-8")]
    found: dict[str, set[tuple[str, object, str | None, str]]] = {}
    covered = 0
    missing = []
    for row in rows:
        if row["value_kind"] != "model_file":
            continue
        slots = rules.slots_for(row["node_type"])
        api = row["format"] == "api"
        if row["key"] is not None:
            hit = any(s.dict_key == row["key"] for s in slots)
        else:
            hit = any((s.input if api else s.widget) == row[
                "input_name" if api else "widget_index"] for s in slots)
        if not hit:
            continue
        wf = row["workflow"]
        if wf not in found:
            found[wf] = {
                (r.node_id, r.input if api else r.widget_index, r.key, r.value)
                for r in read_workflow(corpus / "workflows" / wf, wf, rules)
            }
        covered += 1
        where = row["input_name"] if api else row["widget_index"]
        if row["key"] is not None and not api:
            where = next((k[1] for k in found[wf] if k[0] == str(row["node_id"])
                          and k[2] == row["key"] and k[3] == row["value"]), where)
        key = (str(row["node_id"]), where, row["key"], row["value"])
        if key not in found[wf]:
            missing.append((wf, key))
    assert covered > 100
    assert not missing, missing[:10]


def test_api_links_are_not_values(corpus_refs: Refs) -> None:
    api_files = [wf for wf in corpus_refs if wf.endswith(".prompt.json")]
    assert len(api_files) >= 82
    for wf in api_files:
        for ref in corpus_refs[wf]:
            assert isinstance(ref.value, str) and ref.line is None


def test_reader_raises_only_workflow_errors_on_mangled_corpus_files(
    corpus: Path, tmp_path: Path
) -> None:
    """Cut real files at arbitrary points: every failure must be a one-line WorkflowReadError."""
    rules = corpus_rules(corpus)
    sources = sorted((corpus / "workflows").rglob("*.json"))[::97]
    for n, source in enumerate(sources):
        data = source.read_bytes()
        for cut in (1, len(data) // 3, len(data) - 2):
            target = tmp_path / f"{n}_{cut}.json"
            target.write_bytes(data[:cut])
            with pytest.raises(WorkflowReadError) as info:
                read_workflow(target, target.name, rules)
            assert "\n" not in str(info.value)
            assert info.value.line is not None


def test_host_values_line_up_with_the_subgraph_inputs_that_reach_widgets(corpus: Path) -> None:
    """Every host that stores values has one per definition input reaching a widget, and where
    the frontend also wrote them by name (`widgets_values_named`), the names agree: the
    positional reading of workflow/promoted.py is the frontend's."""
    from comfydock_rules.workflow.promoted import Promoter

    hosts = named = 0
    for path in sorted((corpus / "workflows").rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
            continue
        definitions = {d["id"]: d for d in doc.get("definitions", {}).get("subgraphs", [])}
        promoter = Promoter(definitions)
        nodes = [*doc["nodes"], *(n for d in definitions.values() for n in d.get("nodes", []))]
        for node in nodes:
            values = node.get("widgets_values")
            if node.get("type") not in definitions or not values:
                continue
            hosts += 1
            inputs = promoter.inputs(node["type"])
            assert len(inputs) == len(values), (path.name, node["id"])
            by_name = node.get("widgets_values_named")
            if isinstance(by_name, dict):
                named += 1
                for entry, value in zip(inputs, values, strict=True):
                    assert by_name.get(entry.name, value) == value, (path.name, entry.name)
    assert hosts >= 116 and named >= 48


def test_promoted_model_values_in_the_corpus(corpus_refs: Refs) -> None:
    """Hosts saved from 1.28 to 1.45 store nothing: their references fall back to the interior;
    the others' come from the host."""
    promoted = [r for refs in corpus_refs.values() for r in refs if r.host is not None]
    fallback = [r for r in promoted if r.fallback]
    assert len(promoted) > 300 and 100 < len(fallback) < len(promoted)
    assert all(r.node_id.startswith(r.host + ":") for r in promoted if r.host is not None)
