"""Settings: `[tool.comfydock-rules]` in the nearest pyproject.toml, and --format/--output pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfydock_rules.commands.check import report_targets
from comfydock_rules.config import find_pyproject, load_config
from comfydock_rules.errors import ToolInputError


def test_targets_pair_each_output_with_the_format_before_it() -> None:
    assert report_targets(None) == [("text", None)]
    assert report_targets([("format", "json"), ("output", "r.json"), ("format", "markdown")]) \
        == [("json", "r.json"), ("markdown", None)]
    assert report_targets([("format", "sarif=a.sarif"), ("format", "GitHub")]) == [
        ("sarif", "a.sarif"), ("github", None)]
    assert report_targets([("output", "r.txt")]) == [("text", "r.txt")]
    with pytest.raises(ToolInputError, match="no --format before it"):
        report_targets([("format", "json"), ("output", "a"), ("output", "b")])
    with pytest.raises(ToolInputError, match="same --output file"):
        report_targets([("format", "json=a"), ("format", "text=a")])
    with pytest.raises(ToolInputError, match="no file after '='"):
        report_targets([("format", "json=")])


def test_nearest_pyproject_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.comfydock-rules]\nindex = 'outer.json'\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_pyproject(repo / "sub") is None
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_pyproject(repo / "sub") == (repo / "pyproject.toml").absolute()


def test_load_config_resolves_paths_next_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.comfydock-rules]\n"
        'rules = ["rules/mine.yaml", "studio"]\n'
        'index = "ci/index.json"\n'
        'models = "models"\n'
        'fail_on = "missing, stale_pin"\n'
        'extra-model-paths = "extra.yaml"\n'
    )
    monkeypatch.chdir(tmp_path / "sub")
    config = load_config(path)

    def at(shown: str | None) -> Path:
        return Path(shown or "").resolve()

    assert at(config.rules[0]) == tmp_path / "rules" / "mine.yaml"
    assert at(config.rules[1]) == tmp_path / "studio"  # a bare name is a file next to it too
    assert at(config.index) == tmp_path / "ci" / "index.json"
    assert [at(m) for m in config.models] == [tmp_path / "models"]
    assert at(config.extra_model_paths) == tmp_path / "extra.yaml"
    assert config.fail_on == ("missing", "stale_pin")
    assert config.source is not None and at(config.source) == path


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("[tool.comfydock-rules]\nindx = 'x'\n", "indx: unknown setting", 2),
        ("[tool.comfydock-rules]\nmodels = [1]\n", "models: must be a list", 2),
        ("[tool.comfydock-rules]\n\nfail_on = ['nope']\n", "fail_on: unknown status", 3),
        ("[tool.comfydock-rules\n", "invalid TOML", 1),
        # The rule loader takes files only: a built-in set's name used to fail later as
        # "core: rule file not found", resolved against the current folder.
        ("[tool.comfydock-rules]\nrules = ['core']\n", "'core' is a built-in rule set", 2),
    ],
)
def test_bad_settings_name_the_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(ToolInputError) as caught:
        load_config(path)
    assert message in caught.value.message
    assert caught.value.line == line


def test_no_section_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n")
    config = load_config(path)
    assert (config.index, config.models, config.rules, config.fail_on) == (None, (), (), None)


def test_settings_and_pins_come_from_one_pyproject_through_a_symlink(tmp_path: Path) -> None:
    """cwd = project/wf, a link into another project: both stages must pick the same file."""
    from comfydock_rules.pyproject.pins import find_pyproject as pins_pyproject

    project, other = tmp_path / "project", tmp_path / "other"
    (other / "wf").mkdir(parents=True)
    project.mkdir()
    for folder in (project, other):
        (folder / ".git").mkdir()
        (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "wf").symlink_to(other / "wf")
    start = project / "wf"
    assert find_pyproject(start) == pins_pyproject(start) == project / "pyproject.toml"
