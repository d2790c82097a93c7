"""A matrix of broken rule files: each error names the file, line and column, what is wrong and
what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from comfydock_rules.errors import ToolInputError
from comfydock_rules.rules.load import load_ruleset

BROKEN = FIXTURES / "rules" / "broken"
GOOD = FIXTURES / "rules" / "good"

# file, (line, column), fragments the message must contain
CASES: list[tuple[str, tuple[int, int], tuple[str, ...]]] = [
    ("syntax.yaml", (5, 1), ("YAML syntax error", "flow mapping", "started at line 4, column 7")),
    ("duplicate_key.yaml", (5, 3), ("duplicate key 'MyLoader'", "first written at line 3")),
    ("unknown_top_key.yaml", (2, 1), ("unknown key 'node'", "did you mean 'nodes'?")),
    ("unknown_slot_key.yaml", (5, 7), ("unknown key 'directory'", "did you mean 'directories'?")),
    ("widget_type.yaml", (4, 16), ("widget must be a widget index", "got a string ('zero')")),
    ("threshold_range.yaml", (3, 16), ("suggest_min is 1.5, outside [0, 1]",)),
    ("min_score_below.yaml", (4, 26), ("min_score 0.7 is below suggest_min 0.8",)),
    ("min_score_slot.yaml", (5, 72), ("min_score 0.5", "below suggest_min 0.75",
                                      "rules/core.yaml:")),
    ("pattern_compile.yaml", (3, 12), ("does not compile", "missing ), unterminated subpattern")),
    ("ignore_pattern_compile.yaml", (3, 35), ("ignore.patterns: the regular expression does "
                                              "not compile", "missing ), unterminated")),
    ("pattern_prefix.yaml", (3, 12), ("'LoraLoader' is not a pattern", "re:<regular expression>")),
    ("extends_missing.yaml", (2, 17), ("extends './not-there.yaml': no such rule set",)),
    ("extends_typo.yaml", (2, 11), ("extends 'cor'", "did you mean 'core'?")),
    ("loop_a.yaml", (4, 5), ("extends loop", "loop_a.yaml -> ", "loop_b.yaml -> ")),
    ("newer_version.yaml", (1, 10), ("version 2 is newer than this tool reads",
                                     "upgrade comfydock-rules")),
    ("missing_version.yaml", (1, 1), ("missing key 'version'",)),
    ("nodes_not_list.yaml", (3, 13), ("must be a list of slots, got a mapping",)),
    ("no_directories.yaml", (4, 7), ("has no 'directories'", "skip: <reason>")),
    ("bad_method.yaml", (4, 21), ("unknown value 'fuzzy'", "casefold, filename, hash, similar")),
    ("bad_extension.yaml", (4, 54), ("'safetensors' is not an extension",)),
    ("bad_fail_on.yaml", (3, 22), ("unknown value 'ambigous'", "did you mean 'ambiguous'?")),
    ("no_widget.yaml", (4, 7), ("names no widget",)),
    ("empty.yaml", (1, 1), ("the rule file is empty",)),
    ("protected_class.yaml", (4, 36), ("unknown value 'colour'",)),
    ("empty_input.yaml", (4, 26), ("input must be a non-empty string, got an empty string",)),
    ("generic_folder.yaml", (4, 5), ("'clip_vision/model' is not a file stem",)),
    ("generic_extension.yaml", (2, 23), ("'model.safetensors' has a model extension",
                                          "expected the stem only ('model')")),
]


@pytest.mark.parametrize(("name", "where", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_broken_rule_file_points_at_the_spot(name: str, where: tuple[int, int],
                                              fragments: tuple[str, ...]) -> None:
    with pytest.raises(ToolInputError) as info:
        load_ruleset([BROKEN / name], builtin=False)
    err = info.value
    assert err.exit_code == 2
    assert (err.line, err.column) == where, str(err)
    assert err.path is not None and err.path.endswith(".yaml")
    for fragment in fragments:
        assert fragment in err.message, err.message


def test_at_least_fifteen_distinct_broken_files() -> None:
    assert len({c[0] for c in CASES}) >= 15
    on_disk = {p.name for p in BROKEN.glob("*.yaml")} - {"loop_b.yaml"}
    assert on_disk == {c[0] for c in CASES}


def test_loop_is_reported_in_the_file_that_closes_it() -> None:
    with pytest.raises(ToolInputError) as info:
        load_ruleset([BROKEN / "loop_a.yaml"], builtin=False)
    assert info.value.path is not None and info.value.path.endswith("loop_b.yaml")


def test_undefined_directory_is_a_warning_with_its_position() -> None:
    rules = load_ruleset([GOOD / "undefined_directory.yaml"])
    assert len(rules.warnings) == 1
    warning = rules.warnings[0]
    assert warning.endswith(
        "undefined_directory.yaml:5:52: warning: directory 'lora' is not defined by any rule "
        "set (did you mean 'loras'?); it is searched as a folder of that name (define it "
        "under 'directories:')")
    assert rules.nodes["MyLoader"][0].directories == ("lora",)


def test_missing_rule_file_is_exit_2_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ToolInputError) as info:
        load_ruleset([tmp_path / "nope.yaml"])
    assert info.value.path == str(tmp_path / "nope.yaml")
    assert "rule file not found" in str(info.value)
