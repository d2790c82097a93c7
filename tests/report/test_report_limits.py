"""The github and SARIF formats stay within what GitHub accepts and shows: errors first, the rest
counted, never silently dropped (tests/commands/test_large_run.py does it at 30,000 problems)."""

from __future__ import annotations

import gzip
import json

import jsonschema
from report_data import GATE, ref
from test_report_formats import SARIF_SUBSET

from comfydock_rules.model import ModelFile, Resolution
from comfydock_rules.report import github as report_github
from comfydock_rules.report import sarif as report_sarif
from comfydock_rules.report.core import Report, build_report
from comfydock_rules.report.formats import RenderOptions, rendered

FILE = ModelFile("checkpoints/a.safetensors", "1" * 16, 1)


def _report(errors: int, warnings: int, notes: int) -> Report:
    res: list[Resolution] = []
    for i in range(errors):
        res.append(Resolution(ref("w.json", str(1000 + i), f"m{i}.safetensors"), "missing",
                              None, None, None))
    for i in range(warnings):
        res.append(Resolution(ref("w.json", str(2000 + i), f"f{i}.safetensors"), "fuzzy",
                              "filename", 1.0, FILE))
    for i in range(notes):
        res.append(Resolution(ref("w.json", str(3000 + i), f"b{i}.safetensors", mode=4),
                              "missing", None, None, None, (), ("bypassed",)))
    return build_report(res, ["w.json"], fail_on=GATE)


def _levels(text: str) -> list[str]:
    return [line.split(" ", 1)[0][2:] for line in text.splitlines()
            if line.startswith("::") and " file=" in line]


def test_github_prints_each_level_up_to_its_budget_errors_first() -> None:
    text = report_github.render(_report(12, 3, 11), RenderOptions(max_annotations=5))
    assert _levels(text) == ["error"] * 5 + ["warning"] * 3 + ["notice"] * 4
    lines = text.splitlines()
    assert lines[-2].startswith("comfydock-rules: 26 references in 1 workflow: ")
    assert lines[-1] == (
        "::notice title=comfydock-rules%3A more problems::14 of 26 problems not annotated "
        "(7 errors, 7 notices): at most 5 per level here, and GitHub shows at most 10 per level "
        "and step; the JSON and Markdown reports list every problem")


def test_github_within_budget_has_no_notice_and_zero_budget_only_the_summary() -> None:
    report = _report(2, 2, 2)
    lines = report_github.render(report).splitlines()
    assert _levels("\n".join(lines)) == ["error"] * 2 + ["warning"] * 2 + ["notice"] * 2
    assert len(lines) == 7 and "more problems" not in lines[-1]
    only = report_github.render(report, RenderOptions(max_annotations=0)).splitlines()
    assert len(only) == 1 and only[0].endswith("gate failed: 2 references (ambiguous,missing)")


def test_sarif_past_the_results_limit_keeps_errors_first_and_says_so() -> None:
    out = rendered("sarif", _report(4, 3, 2), RenderOptions(sarif_max_results=5))
    data = json.loads(out.text)
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(data)
    run = data["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error"] * 4 + ["warning"]
    assert run["properties"]["comfydockRules"]["omittedResults"] == 4
    assert out.warnings == (
        "sarif: 4 of 9 results left out (2 warnings, 2 notes) to stay within GitHub code "
        "scanning's limits (5 results per run, 10000000 bytes gzip-compressed); errors are kept "
        "first, and the JSON report has every reference",)


def test_sarif_past_the_size_limit_shrinks_until_it_fits() -> None:
    report = _report(300, 100, 0)
    full = report_sarif.render(report)
    limit = len(gzip.compress(full.encode())) // 2
    out = rendered("sarif", report, RenderOptions(sarif_max_gzip_bytes=limit))
    assert len(gzip.compress(out.text.encode(), compresslevel=6)) <= limit
    results = json.loads(out.text)["runs"][0]["results"]
    assert 0 < len(results) < 400
    assert [r["level"] for r in results] == ["error"] * len(results)  # warnings went first
    assert out.warnings and "left out" in out.warnings[0]


def test_sarif_within_limits_is_unchanged_and_quiet() -> None:
    report = _report(3, 2, 1)
    out = rendered("sarif", report)
    assert out.warnings == ()
    assert "properties" not in json.loads(out.text)["runs"][0]
    assert out.text == report_sarif.render(report)
