"""`comfydock-rules rules generate` through the command line, on real object_info dumps
(tests/fixtures/object_info/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES

DUMPS = FIXTURES / "object_info"
REDLIP = DUMPS / "redlip-comfyui-0.3.4x.json"
REDLIP_LISTS = DUMPS / "redlip-comfyui-0.3.4x-models"


def _options(node: str, inp: str) -> list[str]:
    doc = json.loads(REDLIP.read_text(encoding="utf-8"))
    spec = doc[node]["input"]["required"][inp]
    return list(spec[0])


def test_generated_file_validates_loads_explains_and_checks(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "generate", "--object-info", REDLIP, "--models-lists",
                     REDLIP_LISTS, "--output", "generated.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "wrote generated.yaml: 52 inputs matched a folder, 12 unclear" in result.stderr
    text = (tmp_path / "generated.yaml").read_text(encoding="utf-8")
    assert '"LoraLoaderBlockWeight //Inspire":' in text
    assert '"LoraLoader":' not in text  # covered by the built-in rules: not written
    assert "# Inputs that name files but match no folder clearly (no slot):" in text
    assert '"PulidFluxModelLoader"."pulid_file" (widget 0): only 1 matching file' in text

    valid = run_cli("rules", "validate", "generated.yaml")
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith("generated.yaml: ok (")

    explain = run_cli("rules", "explain", "LoraLoaderBlockWeight //Inspire", "--rules",
                      "generated.yaml")
    assert explain.returncode == 0, explain.stderr
    assert "slot 1: widget 1, input lora_name" in explain.stdout
    assert "    source: object_info ac63fe1341e5\n" in explain.stdout
    assert "    note: 22 of 22 options are the files of loras\n" in explain.stdout

    (tmp_path / "models" / "loras").mkdir(parents=True)
    (tmp_path / "models" / "loras" / "AntiBlur.safetensors").write_bytes(b"x" * 64)
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "api.json").write_text(json.dumps({"3": {
        "class_type": "LoraLoaderBlockWeight //Inspire",
        "inputs": {"lora_name": "AntiBlur.safetensors", "strength_model": 1.0}}}),
        encoding="utf-8")
    check = run_cli("check", "wf", "--rules", "generated.yaml", "--models", "models",
                    "--format", "json")
    assert check.returncode == 0, check.stderr
    (ref,) = json.loads(check.stdout)["references"]
    assert (ref["status"], ref["resolved"]["relative_path"]) == (
        "exact", "loras/AntiBlur.safetensors")


def test_all_writes_the_node_types_the_dump_backs_in_full(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("rules", "generate", "--object-info", REDLIP, "--models-lists",
                     REDLIP_LISTS, "--all", "--output", "all.yaml")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "all.yaml").read_text(encoding="utf-8")
    assert '"CLIPLoaderGGUF":\n    - {widget: 0, input: "clip_name", directories: ' \
           '["text_encoders", "clip_gguf"]' in text
    # CheckpointLoader's folders were empty on that machine: not backed, not written
    assert '\n  "CheckpointLoader":' not in text
    assert '#   "CheckpointLoader": not written: the rules\' slot for input "ckpt_name"' in text
    explain = run_cli("rules", "explain", "UnetLoaderGGUF", "--rules", "all.yaml")
    assert "directory unet_gguf -> diffusion_models, unet" in explain.stdout
    assert "source: object_info ac63fe1341e5" in explain.stdout


def test_the_same_dump_gives_the_same_bytes(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("rules", "generate", "--object-info", REDLIP, "--models-lists", REDLIP_LISTS,
            "--all")
    first = run_cli(*args, "--output", "a.yaml")
    second = run_cli(*args, "--output", "a.yaml")
    to_stdout = run_cli(*args, "--output", "-")
    assert first.returncode == second.returncode == to_stdout.returncode == 0
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == to_stdout.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".a.yaml")) == []


def test_diff_shows_additions_and_contradictions(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mine.yaml").write_text(
        'version: 1\nnodes:\n  "LoraLoaderBlockWeight //Inspire":\n'
        '    - {widget: 1, input: lora_name, directories: [vae]}\n', encoding="utf-8")
    result = run_cli("rules", "generate", "--object-info", REDLIP, "--models-lists",
                     REDLIP_LISTS, "--diff", "--rules", "mine.yaml")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ('! "LoraLoaderBlockWeight //Inspire"."lora_name" (widget 1): the dump '
                        'says loras; the rules say vae (mine.yaml:4:7)')
    assert ('+ "LoadTextEncoderShared //Inspire"."model_name1" (widget 0): text_encoders  '
            '[new node type]') in lines
    assert lines[-1].startswith("3 slots of 1 new node types, 0 new slots of known node "
                                "types, 1 contradictions, 48 slots agree;")
    assert "version: 1" not in result.stdout  # --diff alone prints no rule file


def test_folder_lists_from_the_index_of_this_machine(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The dump's own file names laid out as a models folder: the index gives the lists; a
    folder holding both .safetensors and .gguf files serves UNETLoader and the GGUF loader."""
    root = tmp_path / "models"
    for folder, names in (("loras", _options("LoraLoader", "lora_name")),
                          ("text_encoders", _options("CLIPLoaderGGUF", "clip_name")),
                          ("diffusion_models", [*_options("UnetLoaderGGUF", "unet_name"),
                                                "flux1-dev.safetensors", "wan.safetensors"]),
                          ("ultralytics", _options("UltralyticsDetectorProvider", "model_name"))):
        for name in names:
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(name.encode())
    dump = json.loads(REDLIP.read_text(encoding="utf-8"))
    dump["UNETLoader"]["input"]["required"]["unet_name"][0] = [
        "flux1-dev.safetensors", "wan.safetensors"]
    (tmp_path / "dump.json").write_text(json.dumps(dump), encoding="utf-8")
    result = run_cli("rules", "generate", "--object-info", "dump.json", "--models", "models",
                     "--db", "index.sqlite", "--all", "--output", "-")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert ('"UnetLoaderGGUF":\n    - {widget: 0, input: "unet_name", directories: '
            '["diffusion_models"], extensions: [".gguf"]') in out
    assert '"UNETLoader":\n    - {widget: 0, input: "unet_name", directories: ' \
           '["diffusion_models"], source' in out
    assert '"CLIPLoaderGGUF":\n    - {widget: 0, input: "clip_name", directories: ' \
           '["text_encoders"]' in out
    assert '"UltralyticsDetectorProvider":\n    - {widget: 0, input: "model_name", ' \
           'directories: ["ultralytics"]' in out
    assert "the index index.sqlite" in result.stderr


def test_bad_inputs_exit_2_naming_the_file(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "broken.json").write_text('{"KSampler": {"input": ', encoding="utf-8")
    broken = run_cli("rules", "generate", "--object-info", "broken.json")
    assert broken.returncode == 2
    assert broken.stderr.startswith("comfydock-rules: error: broken.json:1:24: not JSON: ")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    shape = run_cli("rules", "generate", "--object-info", "list.json")
    assert shape.returncode == 2
    assert "list.json: expected a JSON object of node types" in shape.stderr
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "loras.json").write_text('{"a": 1}', encoding="utf-8")
    lists = run_cli("rules", "generate", "--object-info", REDLIP, "--models-lists", "lists")
    assert lists.returncode == 2
    assert "loras.json: expected a JSON array of names" in lists.stderr
    missing = run_cli("rules", "generate", "--object-info", REDLIP, "--models-lists", "nope")
    assert missing.returncode == 2 and "nope: --models-lists: not a folder" in missing.stderr
    zero = run_cli("rules", "generate", "--object-info", REDLIP, "--min-evidence", "0")
    assert zero.returncode == 2 and "--min-evidence 0: expected 1 or more" in zero.stderr
    for result in (broken, shape, lists, missing, zero):
        assert "Traceback" not in result.stderr


def test_hostile_names_stay_inside_their_quotes(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Node types, inputs and option values from a dump are data: a line break or YAML syntax
    in them neither ends a comment nor adds a key."""
    dump = json.loads(REDLIP.read_text(encoding="utf-8"))
    evil = 'Evil\nnodes: {}\n# "x'
    entry = dump["LoraLoaderBlockWeight //Inspire"]
    spec = entry["input"]["required"].pop("lora_name")
    spec[0] = ["sentinel\u2028line", *spec[0]]
    entry["input"]["required"]["lora\nname"] = spec
    entry["input_order"]["required"] = [
        "lora\nname" if n == "lora_name" else n for n in entry["input_order"]["required"]]
    dump[evil] = entry
    dump["CR Multi-ControlNet Stack"]["input"]["optional"]["controlnet_1"][0] = ["x\n# y.pt"]
    (tmp_path / "evil.json").write_text(json.dumps(dump), encoding="utf-8")
    result = run_cli("rules", "generate", "--object-info", "evil.json", "--models-lists",
                     REDLIP_LISTS, "--output", "evil.yaml")
    assert result.returncode == 0, result.stderr
    valid = run_cli("rules", "validate", "evil.yaml")
    assert valid.returncode == 0, valid.stderr
    from comfydock_rules.rules.load import load_ruleset

    rules = load_ruleset([tmp_path / "evil.yaml"])
    (slot,) = rules.nodes[evil]
    assert slot.input == "lora\nname"
    assert slot.ignore_values == {"sentinel\u2028line"}

    import shutil

    shutil.copytree(REDLIP_LISTS, tmp_path / "lists")
    (tmp_path / "lists" / "pulid.json").rename(tmp_path / "lists" / "pulid\nnodes: {}.json")
    keyed = run_cli("rules", "generate", "--object-info", "evil.json", "--models-lists",
                    "lists", "--output", "keyed.yaml")
    assert keyed.returncode == 0, keyed.stderr
    assert "pulid\\nnodes: {}.json is not named as a folder key; left out" in keyed.stderr
    assert run_cli("rules", "validate", "keyed.yaml").returncode == 0


def test_docs_show_the_real_output(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """docs/rules.md's generate example, run on the same dump and lists."""
    import shutil

    from conftest import REPO

    shutil.copy(REDLIP, tmp_path / "object_info.json")
    shutil.copytree(REDLIP_LISTS, tmp_path / "lists")
    docs = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    wrote = run_cli("rules", "generate", "--object-info", "object_info.json", "--models-lists",
                    "lists", "--output", "generated-rules.yaml")
    diff = run_cli("rules", "generate", "--object-info", "object_info.json", "--models-lists",
                   "lists", "--diff")
    explain = run_cli("rules", "explain", "LoraLoaderBlockWeight //Inspire", "--rules",
                      "generated-rules.yaml")
    head = (tmp_path / "generated-rules.yaml").read_text(encoding="utf-8").splitlines()[:15]
    for line in [*wrote.stderr.splitlines(), *diff.stdout.splitlines(), *head,
                 *explain.stdout.splitlines()]:
        assert f"   {line}\n" in docs or not line, line
