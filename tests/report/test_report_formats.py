"""Each report format renders the shared sample: it parses, escapes untrusted text, is stable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from report_data import GATE, HOSTILE, resolutions, sample_report

from comfydock_rules.report import github as report_github
from comfydock_rules.report import json as report_json
from comfydock_rules.report import markdown as report_markdown
from comfydock_rules.report import sarif as report_sarif
from comfydock_rules.report import text as report_text
from comfydock_rules.report.core import build_report
from comfydock_rules.report.formats import RenderOptions
from comfydock_rules.resources import schema_path


def test_json_matches_schema_and_is_canonical() -> None:
    text = report_json.render(sample_report())
    data = json.loads(text)
    schema = json.loads(schema_path("report").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fuzzy = next(r for r in data["references"] if r["status"] == "fuzzy")
    assert fuzzy["score"] == 0.9346
    assert fuzzy["resolved"] == {
        "relative_path": "checkpoints/sd_xl_base_1.0.safetensors",
        "hash": "1111111111111111",
        "size": 6938078334,
    }
    missing = next(r for r in data["references"] if r["url"])
    assert missing["download_directory"] == "checkpoints"
    assert missing["gated"] is True
    assert data["gate"] == {"fail_on": ["ambiguous", "missing"], "failures": 3, "passed": False}
    assert [r["node_id"] for r in data["references"]][:4] == ["2", "9:3", "10", "11"]


def test_every_format_is_deterministic() -> None:
    for module in (report_json, report_markdown, report_github, report_sarif, report_text):
        first = module.render(sample_report())  # type: ignore[attr-defined]
        second = module.render(  # type: ignore[attr-defined]
            build_report(resolutions(), ["workflows/b.json", "workflows/a b,c:d.json"],
                         fail_on=GATE)
        )
        assert first == second, module.__name__


def test_text_lines_and_quiet() -> None:
    text = report_text.render(sample_report())
    lines = text.splitlines()
    assert lines[0] == (
        "workflows/a b,c:d.json:12: fuzzy: sd_xl_base.safetensors "
        "(CheckpointLoaderSimple #2; not gated) -> use sd_xl_base_1.0.safetensors "
        "(similar, score 0.93)"
    )
    assert "workflows/a b,c:d.json: ambiguous: flux1.safetensors (UNETLoader #9:3) -> " \
        "candidates: flux1-dev.safetensors (0.90), flux1-schnell.safetensors (0.90)" in lines
    assert any("missing: gone.safetensors" in line and "bypassed, not gated" in line
               for line in lines)
    assert "\r" not in text and len(lines) == 7  # 6 problems (the exact one hidden) + summary
    assert lines[-1].startswith("7 references in 2 workflows: 2 exact, 1 fuzzy, 1 ambiguous, 3 ")
    assert lines[-1].endswith("gate failed: 3 references (ambiguous,missing)")
    quiet = report_text.render(sample_report(), RenderOptions(quiet=True)).splitlines()
    assert len(quiet) == 4 and all("not gated" not in line for line in quiet)
    assert report_text.render(sample_report(fail_on=()), RenderOptions(quiet=True)) == ""


def _table_cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_escapes_untrusted_text() -> None:
    text = report_markdown.render(sample_report())
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "](javascript" not in text and "\\[l\\]\\(javascript\\:1\\)" in text
    hostile_rows = [line for line in text.splitlines() if "javascript" in line]
    # the problem row, and the workflow row that names what stands in the way
    assert len(hostile_rows) == 2
    assert len(_table_cells(hostile_rows[1])) == 6  # pipes escaped: the row keeps its columns
    assert len(_table_cells(hostile_rows[0])) == 4
    assert "\\`c\\`" in text and "\\$y\\$" in text and "\\*z\\*" in text
    assert "[m%20(1).safetensors](<https://huggingface.co/x/resolve/main/m%20(1).safetensors>)" \
        not in text  # the link label is the reference's file name, escaped
    assert "](<https://huggingface.co/x/resolve/main/m%20(1).safetensors>)" in text
    assert HOSTILE not in text
    # problems come before the folded exact references
    assert text.index("## Problems") < text.index("<details>")
    assert text.count("<details>") == 1


def test_markdown_refuses_to_link_odd_urls() -> None:
    assert report_markdown.link("x", "javascript:alert(1)") == "javascript\\:alert\\(1\\)"
    assert report_markdown.link("x", "https://a.b/c d") == "https\\://a.b/c d"
    assert report_markdown.link("x_y", "https://a.b/c") == "[x\\_y](<https://a.b/c>)"


def test_markdown_stays_under_the_limit_and_says_so() -> None:
    many = [r for r in resolutions() if r.status == "missing" and not r.flags] * 2000
    report = build_report(many, ["w.json"], fail_on=GATE)
    text = report_markdown.render(report, RenderOptions(markdown_limit=64 * 1024))
    assert len(text.encode("utf-8")) < 64 * 1024
    assert "Report cut:" in text and "the JSON report has every reference" in text
    full = report_markdown.render(build_report(many[:3], ["w.json"], fail_on=GATE))
    assert "Report cut" not in full


def test_github_commands_escape_like_the_toolkit() -> None:
    assert report_github.escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert report_github.escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"
    lines = report_github.render(sample_report()).splitlines()
    assert len(lines) == 7  # six annotations, then the summary line
    pattern = re.compile(r"^::(error|warning|notice) file=[^,:]+(,line=\d+)?,title=[^,:]+::.+$")
    for line in lines[:-1]:
        assert pattern.match(line), line
        assert "\r" not in line
    # errors (what fails the gate) first, then warnings, then notices
    assert [line.split(" ", 1)[0] for line in lines[:-1]] == [
        "::error", "::error", "::error", "::warning", "::warning", "::notice"]
    assert lines[3].startswith(
        "::warning file=workflows/a b%2Cc%3Ad.json,line=12,"
        "title=comfydock-rules CDR003 fuzzy-model::"
    )
    assert lines[-1] == ("comfydock-rules: 7 references in 2 workflows: 2 exact, 1 fuzzy, "
                         "1 ambiguous, 3 missing; of all 7: 1 bypassed, 1 no_rule, 1 stale_pin; "
                         "gate failed: 3 references (ambiguous,missing)")
    assert any(line.startswith("::error ") and "%0D%0A# [l]" in line for line in lines)
    assert any(line.startswith("::notice ") and "gone.safetensors" in line for line in lines)


# The parts of SARIF 2.1.0 that GitHub code scanning requires of an upload.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "help"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": {
                                                    "type": "object", "required": ["text"]},
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations", "level"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {"uri": {
                                                            "type": "string",
                                                            "pattern": "^[^/\\\\][^\\\\]*$"}},
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {"startLine": {
                                                            "type": "integer", "minimum": 1}},
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_has_the_shape_code_scanning_requires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    data = json.loads(report_sarif.render(sample_report()))
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(data)
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [f"CDR00{i}" for i in range(8)]
    ids = {rule["name"]: rule["id"] for rule in rules}
    assert ids["missing-model"] == "CDR001" and ids["ambiguous-model"] == "CDR002"
    results = run["results"]
    assert len(results) == 6
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    # paths relative to the repository root (the folder holding .git), '/'-separated and
    # percent-encoded, as a URI reference must be
    assert uris == {"sub/workflows/a%20b%2Cc%3Ad.json", "sub/workflows/b.json"}
    ambiguous = next(r for r in results if r["ruleId"] == "CDR002")
    assert ambiguous["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    stale = next(r for r in results if r["ruleId"] == "CDR004")
    assert stale["level"] == "warning"
    fingerprints = [r["partialFingerprints"]["comfydockReference/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
