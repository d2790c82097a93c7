"""Reading pins from pyproject.toml: lookup, workflow names, schema and parse errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfydock_rules.errors import ToolInputError
from comfydock_rules.pyproject.pins import (
    PinnedNode,
    find_pyproject,
    read_pins,
    workflow_name,
    workflow_names,
)

PINNED = """\
[project]
name = "demo"

[tool.comfydock.models.required]
"0123456789abcdef" = {filename = "a.safetensors", size = 12, relative_path = "loras/a.safetensors"}

[tool.comfydock.workflows."my flow".models]
"a.safetensors" = {hash = "0123456789abcdef", nodes = [{node_id = "12:3", widget_idx = 1}]}
"api.safetensors" = {hash = "fedcba9876543210", nodes = [{node_id = "7", input = "ckpt_name"}]}
"""


def test_nearest_pyproject_is_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_pyproject(deep) == tmp_path.absolute() / "pyproject.toml"
    (tmp_path / "a" / "pyproject.toml").write_text("")
    assert find_pyproject(deep) == tmp_path.absolute() / "a" / "pyproject.toml"
    # A repository's root ends the search: an outer project's file is not this one's.
    (tmp_path / "a" / "pyproject.toml").unlink()
    (tmp_path / "a" / ".git").mkdir()
    assert find_pyproject(deep) is None


def test_workflow_name_is_the_stem() -> None:
    assert workflow_name(Path("user/default/workflows/flux dev.json")) == "flux dev"
    assert workflow_name("examples/sdxl.workflow.json") == "sdxl.workflow"
    assert workflow_name("img/out.png") == "out"


def test_two_files_sharing_a_name_are_reported(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "flow.json").write_text("{}")
    pairs = [
        (tmp_path / "a" / "flow.json", "a/flow.json"),
        (tmp_path / "b" / "flow.json", "b/flow.json"),
    ]
    names, clashes = workflow_names(pairs)
    assert names == {"a/flow.json": "flow", "b/flow.json": "flow"}
    assert clashes == {"flow": ["a/flow.json", "b/flow.json"]}
    # The same file named twice (another spelling of its path) is not a clash.
    same = [
        (tmp_path / "a" / "flow.json", "a/flow.json"),
        (tmp_path / "a" / ".." / "a" / "flow.json", "x"),
    ]
    assert workflow_names(same)[1] == {}


def test_pins_and_registry_are_read(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PINNED)
    pins = read_pins(path, "pyproject.toml")
    assert pins.text == PINNED
    flow = pins.workflows["my flow"]
    assert flow["a.safetensors"].hash == "0123456789abcdef"
    assert flow["a.safetensors"].nodes == (PinnedNode("12:3", 1),)
    assert flow["api.safetensors"].nodes == (PinnedNode("7", None, "ckpt_name"),)
    model = pins.registry["0123456789abcdef"]
    assert (model.filename, model.size, model.relative_path) == (
        "a.safetensors", 12, "loras/a.safetensors",
    )


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    pins = read_pins(tmp_path / "pyproject.toml", "pyproject.toml")
    assert pins.text == "" and not pins.workflows and not pins.registry


def test_parse_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\nversion = = 1\n')
    with pytest.raises(ToolInputError) as caught:
        read_pins(path, "pyproject.toml")
    err = caught.value
    assert (err.path, err.line, err.column) == ("pyproject.toml", 3, 11)
    assert str(err).startswith("pyproject.toml:3:11: the pyproject does not parse as TOML")
    assert err.exit_code == 2


def test_not_utf8_is_refused_with_position(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[project]\nname = "d\xe9mo"\n')
    with pytest.raises(ToolInputError) as caught:
        read_pins(path, "pyproject.toml")
    assert (caught.value.line, caught.value.column) == (2, 10)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[tool]\ncomfydock = 3\n', "tool.comfydock: expected a table"),
        ('[tool.comfydock.workflows.f.models]\nx = {nodes = []}\n',
         "tool.comfydock.workflows.f.models.x: the pin needs a `hash` string"),
        ('[tool.comfydock.workflows.f.models]\n"a b" = {hash = "h", nodes = [{widget_idx = 0}]}\n',
         'tool.comfydock.workflows.f.models."a b".nodes: each node needs a node_id'),
    ],
)
def test_schema_errors_name_the_key(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(ToolInputError) as caught:
        read_pins(path, "pyproject.toml")
    assert where in str(caught.value)
