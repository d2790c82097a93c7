"""`comfydock-rules check` end to end: the command on real folders of small model files and
real workflow JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import RunCli, make_models

from comfydock_rules.resources import schema_path


def node(nid: int, ntype: str, widgets: list[Any], mode: int = 0,
         models: list[dict[str, str]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": nid, "type": ntype, "pos": [0, nid * 100], "mode": mode,
                            "properties": {}, "widgets_values": widgets}
    if models:
        data["properties"]["models"] = models
    return data


def write_workflow(path: Path, *nodes: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"nodes": list(nodes), "links": []}, indent=2) + "\n")
    return path


def check_json(run_cli: RunCli, *args: str | Path, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", *args, "--format", "json", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    schema = json.loads(schema_path("report").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    return result.returncode, data


def by_value(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ref["value"]: ref for ref in data["references"]}


def test_each_status_and_flag(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(
        tmp_path / "models",
        "checkpoints/sd_xl_base_1.0.safetensors",
        "loras/SDXL/detail.safetensors",
        "loras/sd15_only_here.safetensors",
        "upscale_models/4x_ultrasharp.pth",
        "diffusion_models/flux1-dev-fp8.safetensors",
        "diffusion_models/flux1-schnell.safetensors",
    )
    write_workflow(
        tmp_path / "wf" / "all.json",
        node(1, "CheckpointLoaderSimple", ["sd_xl_base_1.0.safetensors"]),
        node(2, "LoraLoader", ["detail.safetensors", 1, 1]),
        node(3, "UpscaleModelLoader", ["4x-UltraSharp.pth"]),
        node(4, "UNETLoader", ["flux1-dev.safetensors", "default"]),
        node(5, "VAELoader", ["wan2.2_vae.safetensors"], models=[{
            "name": "wan2.2_vae.safetensors", "url": "https://example.org/wan2.2_vae.safetensors",
            "directory": "vae"}]),
        node(6, "LoraLoaderModelOnly", ["old.safetensors", 1], mode=4),
        node(7, "SomeCustomLoader", ["custom_thing.safetensors"]),
        node(8, "CheckpointLoaderSimple", ["sd15_only_here.safetensors"]),
    )
    code, data = check_json(run_cli, "wf", "--models", "models", cwd=tmp_path)
    assert code == 1
    refs = by_value(data)
    assert refs["sd_xl_base_1.0.safetensors"]["status"] == "exact"
    assert refs["sd_xl_base_1.0.safetensors"]["method"] == "path"
    assert refs["sd_xl_base_1.0.safetensors"]["resolved"]["relative_path"] == (
        "checkpoints/sd_xl_base_1.0.safetensors")
    assert (refs["detail.safetensors"]["status"], refs["detail.safetensors"]["method"]) == (
        "fuzzy", "filename")
    assert refs["4x-UltraSharp.pth"]["status"] == "fuzzy"
    assert refs["flux1-dev.safetensors"]["status"] == "ambiguous"
    assert refs["flux1-dev.safetensors"]["resolved"] is None
    missing = refs["wan2.2_vae.safetensors"]
    assert missing["status"] == "missing"
    assert missing["url"] == "https://example.org/wan2.2_vae.safetensors"
    assert missing["download_directory"] == "vae"
    assert refs["old.safetensors"]["flags"] == ["bypassed"]
    assert refs["old.safetensors"]["gated"] is False
    assert "no_rule" in refs["custom_thing.safetensors"]["flags"]
    assert "wrong_directory" in refs["sd15_only_here.safetensors"]["flags"]
    assert refs["sd15_only_here.safetensors"]["status"] != "exact"
    summary = data["summary"]
    assert summary["references"] == 8 and summary["exact"] == 1 and summary["bypassed"] == 1
    assert data["gate"]["passed"] is False


def test_protected_tokens_never_auto_pick(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(
        tmp_path / "models",
        "diffusion_models/flux1-dev.safetensors",
        "diffusion_models/wan2.1_t2v_14B_fp16.safetensors",
        "checkpoints/model_x_fp8.safetensors",
    )
    write_workflow(
        tmp_path / "wf.json",
        node(1, "UNETLoader", ["flux1-schnell.safetensors", "default"]),
        node(2, "UNETLoader", ["wan2.2_t2v_14B_fp16.safetensors", "default"]),
        node(3, "CheckpointLoaderSimple", ["model_x_fp16.safetensors"]),
    )
    code, data = check_json(run_cli, "wf.json", "--models", "models", cwd=tmp_path)
    assert code == 1
    for ref in data["references"]:
        assert ref["status"] in ("ambiguous", "missing"), ref
        assert ref["resolved"] is None
        assert ref["gated"] is True


def test_clean_run_exits_0_and_quiet_is_silent(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(tmp_path / "models", "checkpoints/a.safetensors", "loras/x/b.safetensors")
    write_workflow(tmp_path / "ok.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"]),
                   node(2, "LoraLoader", ["x\\b.safetensors", 1, 1]))
    loud = run_cli("check", "ok.json", "--models", "models", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert loud.stdout == (
        "2 references in 1 workflow: 2 exact, 0 fuzzy, 0 ambiguous, 0 missing; "
        "gate passed (ambiguous,missing)\n"
    )
    quiet = run_cli("check", "--quiet", "ok.json", "--models", "models", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_text_problem_lines_and_gate_flags(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "w.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"]),
                   node(2, "CheckpointLoaderSimple", ["gone.safetensors"], mode=4))
    result = run_cli("check", "w.json", "--models", "models", cwd=tmp_path)
    assert result.returncode == 0, result.stdout  # bypassed: reported, not gated
    first = result.stdout.splitlines()[0]
    assert first.startswith("w.json:")
    assert first.endswith(": missing: gone.safetensors "
                          "(CheckpointLoaderSimple #2; bypassed, not gated)")
    gated = run_cli("check", "w.json", "--models", "models", "--fail-on", "missing,bypassed",
                    cwd=tmp_path)
    assert gated.returncode == 1
    assert "gate failed: 1 reference (missing,bypassed)" in gated.stdout
    assert run_cli("check", "-q", "w.json", "--models", "models", "--fail-on", "none",
                   cwd=tmp_path).returncode == 0


def test_several_formats_in_one_run_are_deterministic(run_process: RunCli, tmp_path: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    make_models(tmp_path / "models", "checkpoints/a.safetensors", "checkpoints/b_v2.safetensors")
    write_workflow(tmp_path / "wf" / "one.json",
                   node(3, "CheckpointLoaderSimple", ["a.safetensors"]),
                   node(1, "CheckpointLoaderSimple", ["b.safetensors"]),
                   node(2, "CheckpointLoaderSimple", ["c|`<x>`.safetensors"]))
    outputs: list[dict[str, bytes]] = []
    for run in ("first", "second"):
        out = tmp_path / run
        result = run_process(
            "check", "wf", "--models", "models",
            "--format", "json", "--output", out / "r.json",
            "--format", "markdown", "-o", out / "r.md",
            f"--format=sarif={out / 'r.sarif'}",
            "--format", "github", "--output", out / "r.github",
            "--format", "text", "--output", out / "r.txt",
            cwd=tmp_path,
        )
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
    files = outputs[0]
    assert sorted(files) == ["r.github", "r.json", "r.md", "r.sarif", "r.txt"]
    data = json.loads(files["r.json"])
    assert [ref["node_id"] for ref in data["references"]] == ["1", "2", "3"]
    assert json.loads(files["r.sarif"])["version"] == "2.1.0"
    assert b"&lt;x&gt;" in files["r.md"] and b"<x>" not in files["r.md"]
    github = files["r.github"].splitlines()
    assert all(line.startswith(b"::") for line in github[:-1])
    assert github[-1].startswith(b"comfydock-rules: 3 references in 1 workflow")
    assert files["r.txt"].endswith(b"gate failed: 2 references (ambiguous,missing)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--fail-on", "mising"], "unknown status or flag 'mising'"),
        (["--format", "json", "--format", "text"], "only one report can go to stdout"),
        (["--format", "json=a.json", "--output", "b.json"], "no --format before it"),
        (["--index", "nowhere.sqlite"], "nowhere.sqlite"),
        (["--index", "i.sqlite", "--models", "models"], "--index and --models do not go together"),
        (["--index", "i.sqlite", "--db", "x.sqlite"], "--index and --db do not go together"),
        (["--rules", "bad.yaml"], "bad.yaml"),
    ],
)
def test_tool_input_errors_exit_2(run_cli: RunCli, tmp_path: Path, args: list[str],
                                  message: str) -> None:
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "w.json", node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    (tmp_path / "bad.yaml").write_text("version: 1\nnodes: [oops\n")
    extra = [] if "--index" in args else ["--models", "models"]
    result = run_cli("check", "w.json", *extra, *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_paths_and_no_index_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    write_workflow(tmp_path / "w.json", node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    no_paths = run_cli("check", cwd=tmp_path)
    assert no_paths.returncode == 2 and "no workflow files given" in no_paths.stderr
    no_index = run_cli("check", "w.json", cwd=tmp_path)
    assert no_index.returncode == 2 and "no model index" in no_index.stderr


def test_unreadable_workflow_is_reported_and_others_checked(run_cli: RunCli,
                                                            tmp_path: Path) -> None:
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "wf" / "good.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    (tmp_path / "wf" / "broken.json").write_text('{"nodes": [\n  {"id": 1,,}\n]}\n')
    result = run_cli("check", "wf", "--models", "models", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert "wf/broken.json:2:" in result.stderr and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["unreadable_workflows"] == 1
    assert data["errors"][0]["workflow"] == "wf/broken.json"
    assert data["summary"]["exact"] == 1 and data["gate"]["passed"] is False


def test_settings_from_pyproject(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "w.json",
                   node(1, "CheckpointLoaderSimple", ["a.safetensors"]),
                   node(2, "CheckpointLoaderSimple", ["zzz_unknown.safetensors"]))
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.comfydock-rules]\nmodels = ["models"]\n'
        'fail_on = ["ambiguous"]\n'
    )
    result = run_cli("check", "w.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "gate passed (ambiguous)" in result.stdout
    assert run_cli("check", "w.json", "--fail-on", "missing", cwd=tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text('[tool.comfydock-rules]\nfail_on = ["oops"]\n')
    bad = run_cli("check", "w.json", cwd=tmp_path)
    assert bad.returncode == 2
    assert "pyproject.toml:2:1: [tool.comfydock-rules] fail_on: unknown" in bad.stderr


def test_models_on_the_command_line_use_the_db_from_pyproject(run_cli: RunCli,
                                                               tmp_path: Path) -> None:
    """Flags first, then pyproject.toml, setting by setting: `db` still applies to --models."""
    make_models(tmp_path / "models", "checkpoints/a.safetensors")
    write_workflow(tmp_path / "w.json", node(1, "CheckpointLoaderSimple", ["a.safetensors"]))
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.comfydock-rules]\ndb = "idx/models.sqlite"\n')
    result = run_cli("check", "w.json", "--models", "models", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "idx" / "models.sqlite").is_file()
    assert not list((tmp_path / "cache").glob("models-*.sqlite"))


def test_pins_give_pinned_and_stale_pin(run_cli: RunCli, tmp_path: Path) -> None:
    make_models(tmp_path / "models", "checkpoints/renamed_locally.safetensors")
    write_workflow(tmp_path / "wf" / "txt2img.json",
                   node(1, "CheckpointLoaderSimple", ["original.safetensors"]),
                   node(2, "CheckpointLoaderSimple", ["gone.safetensors"]))
    (tmp_path / ".git").mkdir()
    first = run_cli("check", "wf", "--models", "models", "--db", "models.sqlite", "--format",
                    "json", cwd=tmp_path)
    here = json.loads(first.stdout)["references"]
    assert [r["status"] for r in here] == ["missing", "missing"]
    index = run_cli("index", "export", "--db", "models.sqlite", "--out", "snap.json",
                    cwd=tmp_path)
    assert index.returncode == 0, index.stderr
    snap = json.loads((tmp_path / "snap.json").read_text())
    present = snap["files"][0]["hash"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.comfydock.workflows."txt2img".models]\n'
        f'"original.safetensors" = {{hash = "{present}", '
        'nodes = [{node_id = "1", widget_idx = 0}]}\n'
        '"gone.safetensors" = {hash = "00000000deadbeef", '
        'nodes = [{node_id = "2", widget_idx = 0}]}\n'
    )
    code, data = check_json(run_cli, "wf", "--index", "snap.json", cwd=tmp_path)
    refs = by_value(data)
    assert (refs["original.safetensors"]["status"], refs["original.safetensors"]["method"]) == (
        "exact", "pinned")
    assert refs["original.safetensors"]["resolved"]["relative_path"] == (
        "checkpoints/renamed_locally.safetensors")
    assert "stale_pin" in refs["gone.safetensors"]["flags"]
    assert data["summary"]["stale_pin"] == 1
    assert code == 1  # gone.safetensors is still missing


def test_db_without_models_roots_is_an_error(run_cli: RunCli, tmp_path: Path) -> None:
    wf = tmp_path / "wf.json"
    wf.write_text('{"nodes": []}', encoding="utf-8")
    result = run_cli("check", wf, "--db", tmp_path / "other.sqlite")
    assert result.returncode == 2
    assert "--db is the database that --models indexes into" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_fail_on_is_an_error_not_a_switched_off_gate(run_cli: RunCli, tmp_path: Path) -> None:
    wf = tmp_path / "wf.json"
    wf.write_text('{"nodes": []}', encoding="utf-8")
    models = tmp_path / "models"
    models.mkdir()
    result = run_cli("check", wf, "--fail-on", "", "--models", models)
    assert result.returncode == 2
    assert "--fail-on: empty" in result.stderr


def test_a_folder_without_workflows_warns(run_cli: RunCli, tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    models = tmp_path / "models"
    models.mkdir()
    result = run_cli("check", empty, "--models", models)
    assert result.returncode == 0
    assert "warning: no workflow files" in result.stderr
