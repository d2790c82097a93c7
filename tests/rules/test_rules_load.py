"""The built-in rule sets against the corpus, the schema, and the precedence rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from comfydock_rules.model import MatchPolicy
from comfydock_rules.resources import rules_dir, schema_path
from comfydock_rules.rules.build import build, builtin_path
from comfydock_rules.rules.diagnose import schema_problems
from comfydock_rules.rules.load import load_ruleset

RULES = FIXTURES / "rules"
GOOD = RULES / "good"


@pytest.fixture(scope="module")
def builtin():  # type: ignore[no-untyped-def]
    return load_ruleset()


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_builtin_sets_load_without_warnings(builtin) -> None:  # type: ignore[no-untyped-def]
    assert builtin.warnings == ()
    assert builtin.sources == ("rules/core.yaml", "rules/custom-nodes.yaml")
    assert builtin.fail_on == ("missing", "ambiguous")
    assert {"", "None"} <= builtin.ignore_values


def test_folder_aliases_expand_in_search_order(builtin) -> None:  # type: ignore[no-untyped-def]
    assert builtin.slots_for("CLIPLoader")[0].directories == ("text_encoders", "clip")
    assert builtin.slots_for("UNETLoader")[0].directories == ("diffusion_models", "unet")
    assert builtin.slots_for("ControlNetLoader")[0].directories == ("controlnet", "t2i_adapter")
    assert builtin.directories["clip"] == ("text_encoders", "clip")


def test_vae_loader_builtin_values_are_ignored(builtin) -> None:  # type: ignore[no-untyped-def]
    (slot,) = builtin.slots_for("VAELoader")
    assert slot.ignore_values == {"taesd", "taesdxl", "taesd3", "taef1", "pixel_space"}
    assert slot.source.startswith("rules/core.yaml:")


def test_every_core_csv_row_is_a_slot(corpus: Path, builtin) -> None:  # type: ignore[no-untyped-def]
    import csv

    rows = list(csv.DictReader((corpus / "comfyui_loader_nodes.csv").open(encoding="utf-8")))
    assert len(rows) == 34
    for row in rows:
        slots = builtin.nodes[row["node_type"]]
        matching = [s for s in slots if s.widget == int(row["widget_index"])]
        assert matching, row
        assert matching[0].input == row["input_name"]
        assert row["category"] in matching[0].directories


def test_truth_rows_agree_with_the_builtin_rules(corpus: Path, builtin) -> None:  # type: ignore[no-untyped-def]
    rows = _jsonl(corpus / "truth.jsonl")
    assert len(rows) == 1239
    for row in rows:
        node_type = str(row["node_type"])
        assert node_type in builtin.nodes, node_type
        by_widget = {s.widget: s for s in builtin.nodes[node_type]}
        slot = by_widget.get(row["widget_index"])  # type: ignore[call-overload]
        assert slot is not None, (node_type, row["widget_index"])
        assert row["directory"] in slot.directories, (node_type, row["directory"])


def test_custom_truth_model_files_are_covered(corpus: Path) -> None:
    """Each model-file value is resolved by a slot, or its slot is skipped on purpose (a
    fixed-list name the pack downloads into its own folder, outside the models root)."""
    built = build()
    rows = [r for r in _jsonl(corpus / "custom_truth.jsonl") if r["value_kind"] == "model_file"]
    assert len(rows) == 276
    skipped = 0
    for row in rows:
        node_type = str(row["node_type"])
        if any(r.widget == row["widget_index"] and r.skip.startswith("fixed-list")
               for r in built.skipped.get(node_type, []) if r.skip):
            skipped += 1
            continue
        slots = built.ruleset.slots_for(node_type)
        if row["key"]:
            hit = [s for s in slots if s.dict_key == row["key"]]
        elif row["format"] == "api":
            hit = [s for s in slots if s.input == row["input_name"]]
        else:
            hit = [s for s in slots if s.widget == row["widget_index"]]
        assert hit, (row["node_type"], row["input_name"], row["widget_index"])
        assert hit[0].directories
        assert str(row["value"]) not in hit[0].ignore_values
    assert skipped < 10


def test_not_a_file_slots_are_known_but_never_resolved(builtin) -> None:  # type: ignore[no-untyped-def]
    # fixed-list: sam2 downloads its own files by fixed name; hf-repo-id; dir-name
    for node_type in ("DownloadAndLoadSAM2Model", "DownloadAndLoadFlorence2Model",
                      "Florence2ModelLoader"):
        assert node_type in builtin.nodes
        assert builtin.nodes[node_type] == ()
    # IPAdapterInsightFaceLoader's model_name is a pack name; only that slot is skipped
    assert all(s.widget != 1 for s in builtin.slots_for("IPAdapterInsightFaceLoader"))


def test_rgthree_power_lora_loader_is_dict_shaped(builtin) -> None:  # type: ignore[no-untyped-def]
    (slot,) = builtin.slots_for("Power Lora Loader (rgthree)")
    assert (slot.widget, slot.input, slot.dict_key) == (None, None, "lora")
    assert slot.directories == ("loras",)


def test_registered_folders_map_to_the_index_directory(builtin) -> None:  # type: ignore[no-untyped-def]
    (slot,) = builtin.slots_for("UltralyticsDetectorProvider")
    assert slot.directories == ("ultralytics",)  # values are bbox/x.pt -> ultralytics/bbox/x.pt
    assert builtin.slots_for("UnetLoaderGGUF")[0].extensions == (".gguf",)
    assert builtin.slots_for("UnetLoaderGGUF")[0].directories == ("diffusion_models", "unet")
    assert builtin.slots_for("LoadFluxControlNet")[0].directories == ("xlabs/controlnets",)
    assert builtin.slots_for("IPAdapterModelLoader")[0].directories == ("ipadapter",)


def test_custom_nodes_file_names_its_sources() -> None:
    text = (rules_dir() / "custom-nodes.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    for node_type, slots in doc["nodes"].items():
        for slot in slots:
            assert "@" in slot["source"], node_type
    assert "https://github.com/city96/ComfyUI-GGUF @ " in text


@pytest.mark.parametrize("name", ["core", "custom-nodes"])
def test_shipped_sets_match_the_schema(name: str) -> None:
    path = rules_dir() / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/rules.schema.json\n")
    assert (path.parent / "../schemas/rules.schema.json").resolve() == schema_path("rules")
    assert schema_problems(yaml.safe_load(text)) == []


@pytest.mark.parametrize("name", ["unknown_slot_key.yaml", "threshold_range.yaml",
                                  "pattern_prefix.yaml", "bad_method.yaml", "newer_version.yaml",
                                  "no_directories.yaml", "no_widget.yaml"])
def test_schema_also_refuses_broken_files(name: str) -> None:
    doc = yaml.safe_load((RULES / "broken" / name).read_text(encoding="utf-8"))
    assert schema_problems(doc)


def test_precedence_extends_then_file_then_later_file() -> None:
    rules = load_ruleset([GOOD / "user.yaml"])
    # extends [core] only: custom-nodes is not loaded
    assert rules.sources[0] == "rules/core.yaml" and len(rules.sources) == 2
    assert "UnetLoaderGGUF" not in rules.nodes
    # the file overrides core's LoraLoaderModelOnly as a whole
    (lora,) = rules.nodes["LoraLoaderModelOnly"]
    assert lora.source.endswith("user.yaml:20:7")
    assert lora.match.suggest_min == 0.9
    # per-directory override beats the file default; slot override beats both
    assert rules.slots_for("LoraLoader")[0].match.suggest_min == 0.85
    assert rules.slots_for("CheckpointLoaderSimple")[0].match.suggest_min == 0.8
    # a folder with '/' stays a subfolder of the models root
    assert rules.nodes["StudioCheckpointLoader"][0].directories == ("checkpoints",
                                                                     "studio/models")

    later = load_ruleset([GOOD / "later.yaml"])
    assert later.nodes["StudioCheckpointLoader"][0].widget == 1
    # the later file's pattern is tried before the earlier file's
    assert later.slots_for("StudioVaeLoader")[0].widget == 2


def test_exact_node_name_beats_a_pattern() -> None:
    rules = load_ruleset([GOOD / "user.yaml"])
    assert rules.slots_for("LoraLoader")[0].node_type == "LoraLoader"
    assert rules.slots_for("MyLoraLoaderX")[0].node_type == "re:^.*LoraLoader.*$"
    assert rules.slots_for("StudioUpscaleLoader")[0].directories == ("studio/models",)


def test_file_without_extends_builds_on_the_builtin_sets(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text("version: 1\nnodes:\n  Mine:\n    - {widget: 0, directories: [loras]}\n",
                   encoding="utf-8")
    rules = load_ruleset([own])
    assert rules.sources == ("rules/core.yaml", "rules/custom-nodes.yaml", str(own))
    assert "UnetLoaderGGUF" in rules.nodes and "Mine" in rules.nodes
    alone = tmp_path / "alone.yaml"
    alone.write_text("version: 1\nextends: []\nnodes:\n  Mine:\n    - {widget: 0, "
                     "directories: [loras]}\n", encoding="utf-8")
    only = load_ruleset([alone])
    assert set(only.nodes) == {"Mine"}
    assert only.warnings  # 'loras' is not defined without core
    assert set(load_ruleset([own], builtin=False).nodes) == {"Mine"}


def test_text_nodes_come_from_the_rules(tmp_path: Path) -> None:
    """Which node types hold prose is rule data: a user file can add its own."""
    from comfydock_rules.workflow.read import refs_from_document

    doc = {"nodes": [{"id": 1, "type": "MyPromptBox", "mode": 0,
                      "widgets_values": ["portrait.safetensors"]}]}
    plain = load_ruleset()
    assert "CLIPTextEncode" in plain.text_nodes and "ShowText|pysssss" in plain.text_nodes
    assert [r.slot for r in refs_from_document(doc, "w.json", plain, None)] == [None]  # no_rule
    own = tmp_path / "text.yaml"
    own.write_text("version: 1\ntext_nodes: [MyPromptBox]\n", encoding="utf-8")
    assert refs_from_document(doc, "w.json", load_ruleset([own]), None) == []


def test_generic_names_come_from_the_rules_and_files_add_to_them(tmp_path: Path) -> None:
    """Which file names carry no identity is rule data (rules/core.yaml), extended by users."""
    core = yaml.safe_load(builtin_path("core").read_text(encoding="utf-8"))
    plain = load_ruleset()
    assert plain.generic_names == frozenset(core["generic_names"])
    assert {"diffusion_pytorch_model", "model", "pytorch_model", "last"} <= plain.generic_names
    own = tmp_path / "generic.yaml"
    own.write_text("version: 1\ngeneric_names: [weights, net_g]\n", encoding="utf-8")
    assert load_ruleset([own]).generic_names == plain.generic_names | {"weights", "net_g"}
    alone = tmp_path / "alone.yaml"
    alone.write_text("version: 1\nextends: []\n", encoding="utf-8")
    assert load_ruleset([alone]).generic_names == plain.generic_names


def test_a_set_starting_from_nothing_keeps_the_policy_core_states(tmp_path: Path) -> None:
    """`extends: []` drops core's node types, not its gate, thresholds or ignore values: the
    defaults are written once, in rules/core.yaml."""
    core = yaml.safe_load(builtin_path("core").read_text(encoding="utf-8"))
    alone = tmp_path / "alone.yaml"
    alone.write_text("version: 1\nextends: []\nnodes:\n  Mine:\n    - {widget: 0, "
                     "directories: [loras]}\n", encoding="utf-8")
    rules = load_ruleset([alone])
    assert list(rules.nodes) == ["Mine"]
    assert list(rules.fail_on) == core["gate"]["fail_on"]
    assert rules.ignore_values == frozenset(core["ignore"]["values"])
    assert rules.text_nodes == frozenset(core["text_nodes"])
    policy = rules.nodes["Mine"][0].match
    assert policy.suggest_min == core["match"]["suggest_min"]
    assert policy.auto_pick_min_score == core["match"]["auto_pick"]["min_score"]
    assert list(policy.protected) == core["match"]["protected"]
    # The dataclass defaults (used for references no rule covers) say the same as core.yaml.
    assert MatchPolicy() == rules.nodes["Mine"][0].match
