"""The seam `check` calls: load_pins before resolving, apply after (hand-built resolutions)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from comfydock_rules.cli import build_parser
from comfydock_rules.commands.check import persist_options
from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import ModelFile, ModelRef, Resolution
from comfydock_rules.pyproject import persist

SDXL = ModelFile("checkpoints/sd_xl_base_1.0.safetensors", "aaaaaaaaaaaaaaaa", 6938078334)
LORA = ModelFile("loras/SDXL/detail.safetensors", "bbbbbbbbbbbbbbbb", 228)
BASE = "# kept\n[project]\nname = \"demo\"\n"


def _args(*argv: str) -> persist.PersistOptions:
    """The options `check` builds from these flags."""
    return persist_options(build_parser().parse_args(["check", *argv]))


def _res(workflow: str, node: str, value: str, file: ModelFile | None, status: str = "exact",
         method: str | None = "path", widget: int | None = 0,
         flags: tuple[str, ...] = ()) -> Resolution:
    ref = ModelRef(workflow, node, "Loader", widget, None if widget is not None else "ckpt_name",
                   value)
    return Resolution(ref, status, method if file else None, 1.0 if file else None, file,
                      flags=flags)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(BASE)
    (tmp_path / "workflows").mkdir()
    for name in ("txt2img", "upscale"):
        (tmp_path / "workflows" / f"{name}.json").write_text("{}")
    return tmp_path


WF = [(Path("workflows/txt2img.json"), "workflows/txt2img.json"),
      (Path("workflows/upscale.json"), "workflows/upscale.json")]
T2I, UP = WF[0][1], WF[1][1]


def _run(*argv: str, resolutions: list[Resolution]) -> persist.PersistOutcome:
    args = _args(*argv)
    return persist.apply(args, persist.load_pins(args, WF), resolutions)


def _data(project: Path) -> dict[str, object]:
    return tomllib.loads((project / "pyproject.toml").read_text())


def test_nothing_is_written_without_a_flag(project: Path) -> None:
    outcome = _run(resolutions=[_res(T2I, "4", "sd_xl_base_1.0.safetensors", SDXL)])
    assert outcome == persist.PersistOutcome()
    assert (project / "pyproject.toml").read_text() == BASE


def test_partial_resolution_records_only_what_resolved(project: Path) -> None:
    resolutions = [
        _res(T2I, "4", "sd_xl_base_1.0.safetensors", SDXL),
        _res(T2I, "10", "sd_xl_base_1.0.safetensors", SDXL),
        _res(T2I, "7", "detail_v1.safetensors", LORA, "fuzzy", "similar"),
        _res(T2I, "8", "missing.safetensors", None, "missing"),
        _res(T2I, "9", "either.safetensors", None, "ambiguous"),
    ]
    outcome = _run("--write-pyproject", resolutions=resolutions)
    assert outcome.messages == ("pyproject.toml: recorded 2 resolutions",)
    assert outcome.changed
    text = (project / "pyproject.toml").read_text()
    assert text.startswith(BASE)
    pins = _data(project)["tool"]["comfydock"]["workflows"]["txt2img"]["models"]  # type: ignore[index]
    assert sorted(pins) == ["detail_v1.safetensors", "sd_xl_base_1.0.safetensors"]
    assert pins["sd_xl_base_1.0.safetensors"] == {
        "hash": SDXL.hash,
        "nodes": [{"node_id": "4", "widget_idx": 0}, {"node_id": "10", "widget_idx": 0}],
    }
    # Second run over its own output: byte for byte the same, nothing to say.
    again = _run("--fix", resolutions=resolutions)
    assert again == persist.PersistOutcome()
    assert (project / "pyproject.toml").read_text() == text


def test_two_workflows_one_model_share_one_registry_entry(project: Path) -> None:
    _run("--write-pyproject", resolutions=[
        _res(T2I, "4", "sd_xl_base_1.0.safetensors", SDXL),
        _res(UP, "2", "SDXL/base.safetensors", SDXL, "fuzzy", "hash"),
    ])
    comfydock = _data(project)["tool"]["comfydock"]  # type: ignore[index]
    assert comfydock["models"]["required"] == {
        SDXL.hash: {"filename": "sd_xl_base_1.0.safetensors", "size": 6938078334,
                    "relative_path": "checkpoints/sd_xl_base_1.0.safetensors"},
    }
    assert comfydock["workflows"]["upscale"]["models"]["SDXL/base.safetensors"]["hash"] == (
        SDXL.hash
    )


def test_fix_exits_1_only_when_it_changed_the_file(project: Path) -> None:
    resolutions = [_res(T2I, "4", "sd_xl_base_1.0.safetensors", SDXL)]
    assert _run("--fix", resolutions=resolutions).changed is True
    assert _run("--fix", resolutions=resolutions).changed is False


def test_loaded_pins_feed_the_engine(project: Path) -> None:
    _run("--write-pyproject", resolutions=[_res(UP, "3", 'odd "name"\n.pt', LORA)])
    state = persist.load_pins(_args(), WF)
    assert state.pins == {(UP, 'odd "name"\n.pt'): LORA.hash}


def test_stale_pin_is_kept_until_re_resolved(project: Path) -> None:
    _run("--write-pyproject", resolutions=[_res(T2I, "4", "sd.safetensors", SDXL)])
    before = (project / "pyproject.toml").read_text()
    # The file is gone: the engine flags stale_pin, nothing resolves. The pin stays.
    stale = [_res(T2I, "4", "sd.safetensors", None, "missing", flags=("stale_pin",))]
    assert _run("--fix", resolutions=stale) == persist.PersistOutcome()
    assert (project / "pyproject.toml").read_text() == before
    # Another file now resolves it: the pin moves to it, the registry gains the new model.
    moved = [_res(T2I, "4", "sd.safetensors", LORA, "fuzzy", "filename", flags=("stale_pin",))]
    outcome = _run("--fix", resolutions=moved)
    assert outcome.changed
    assert outcome.messages == (
        f"pyproject.toml: pin for 'sd.safetensors' in workflow 'txt2img' moved from {SDXL.hash}"
        f" (not in the index) to {LORA.hash}",
        "pyproject.toml: updated 1 pin",
    )
    comfydock = _data(project)["tool"]["comfydock"]  # type: ignore[index]
    assert comfydock["workflows"]["txt2img"]["models"]["sd.safetensors"]["hash"] == LORA.hash
    assert set(comfydock["models"]["required"]) == {SDXL.hash, LORA.hash}
    # --prune drops the registry entry that no pin names any more.
    _run("--prune", resolutions=[_res(T2I, "4", "sd.safetensors", LORA, "exact", "pinned")])
    assert set(_data(project)["tool"]["comfydock"]["models"]["required"]) == {LORA.hash}  # type: ignore[index]


def test_unused_pins_are_reported_and_pruned_only_on_request(project: Path) -> None:
    _run("--write-pyproject", resolutions=[
        _res(T2I, "4", "sd.safetensors", SDXL), _res(T2I, "5", "lora.pt", LORA),
    ])
    now = [_res(T2I, "4", "sd.safetensors", SDXL, "exact", "pinned")]
    outcome = _run(resolutions=now)
    assert outcome.messages == (
        "pyproject.toml: pin for 'lora.pt' in workflow 'txt2img' names no reference in the "
        "workflow any more (remove it with --prune)",
    )
    assert not outcome.changed
    pruned = _run("--prune", resolutions=now)
    assert pruned.changed
    comfydock = _data(project)["tool"]["comfydock"]  # type: ignore[index]
    assert list(comfydock["workflows"]["txt2img"]["models"]) == ["sd.safetensors"]
    assert list(comfydock["models"]["required"]) == [SDXL.hash]


def test_patch_only_leaves_the_file_alone(project: Path) -> None:
    outcome = _run("--patch", "out.diff",
                   resolutions=[_res(T2I, "4", "sd.safetensors", SDXL)])
    assert (project / "pyproject.toml").read_text() == BASE
    diff = outcome.diff or ""
    assert diff.startswith("--- a/pyproject.toml\n+++ b/pyproject.toml\n")
    assert '+"sd.safetensors" = {hash = "aaaaaaaaaaaaaaaa"' in diff
    assert outcome.messages == ("pyproject.toml: recorded 1 resolution (in the patch out.diff)",)
    assert not outcome.changed


def test_api_format_nodes_record_the_input_name(project: Path) -> None:
    _run("--write-pyproject", resolutions=[_res(T2I, "4", "sd.safetensors", SDXL, widget=None)])
    text = (project / "pyproject.toml").read_text()
    assert 'nodes = [{node_id = "4", input = "ckpt_name"}]' in text


def test_shared_workflow_name_is_an_error_when_it_matters(project: Path) -> None:
    (project / "other").mkdir()
    (project / "other" / "txt2img.json").write_text("{}")
    both = [*WF, (Path("other/txt2img.json"), "other/txt2img.json")]
    # Only reading, no pins for that name: nothing to merge, no error.
    assert persist.load_pins(_args(), both).pins == {}
    with pytest.raises(ToolInputError, match="would share the workflow name 'txt2img'") as caught:
        persist.load_pins(_args("--write-pyproject"), both)
    assert caught.value.exit_code == 2


def test_unparsable_pyproject_is_refused(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project\nname = 1\n")
    with pytest.raises(ToolInputError) as caught:
        persist.load_pins(_args("--fix"), WF)
    assert caught.value.exit_code == 2
    assert caught.value.location() == "pyproject.toml:1:9"


def test_no_pyproject_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tmp_path may sit below a folder holding a pyproject.toml; use an explicit missing path.
    monkeypatch.chdir(tmp_path)
    state = persist.load_pins(_args("--pyproject", "sub"), WF)
    assert state.pins == {}
    os.mkdir(tmp_path / "sub")
    outcome = _run("--pyproject", "sub", "--write-pyproject",
                   resolutions=[_res(T2I, "4", "sd.safetensors", SDXL)])
    assert outcome.changed
    assert tomllib.loads((tmp_path / "sub" / "pyproject.toml").read_text())["tool"]
