"""Property: for any strings a workflow may carry, every report writer gives output that parses
(JSON, SARIF), keeps one line per item (text, GitHub) and lets no markup through (Markdown)."""

from __future__ import annotations

import json
import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from comfydock_rules.model import (
    FLAGS,
    STATUSES,
    Candidate,
    DeclaredModel,
    ModelFile,
    ModelRef,
    Resolution,
)
from comfydock_rules.report import github as report_github
from comfydock_rules.report import json as report_json
from comfydock_rules.report import markdown as report_markdown
from comfydock_rules.report import sarif as report_sarif
from comfydock_rules.report import text as report_text
from comfydock_rules.report.core import ReadProblem, Report, build_report, is_problem, severity

EXAMPLES = 200
_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
_file = st.builds(ModelFile, relative_path=st.builds(lambda d, n: f"{d}/{n}",
                                                      st.sampled_from(["checkpoints", "loras"]),
                                                      _text),
                  hash=st.text("0123456789abcdef", min_size=16, max_size=16),
                  size=st.integers(0, 2**40))


@st.composite
def _resolution(draw: st.DrawFn) -> Resolution:
    status = draw(st.sampled_from(STATUSES))
    ref = ModelRef(
        workflow=draw(st.sampled_from(["a.json", "dir/b c.json"]) | _text),
        node_id=draw(st.integers(0, 999).map(str) | _text),
        node_type=draw(_text), widget_index=draw(st.none() | st.integers(0, 5)),
        input=draw(st.none() | _text), value=draw(_text),
        mode=draw(st.sampled_from([0, 2, 4])), line=draw(st.none() | st.integers(1, 10**6)),
        declared=draw(st.none() | st.builds(DeclaredModel, name=_text,
                                            url=st.none() | _text | st.just("https://x/y"))),
    )
    resolved = draw(_file) if status in ("exact", "fuzzy") else None
    method = {"exact": "path", "fuzzy": "similar"}.get(status)
    candidates = tuple(draw(st.lists(st.builds(Candidate, file=_file,
                                               score=st.floats(0, 1), reason=_text),
                                     max_size=3)))
    flags = tuple(sorted(set(draw(st.lists(st.sampled_from(FLAGS), max_size=2)))))
    return Resolution(ref=ref, status=status, method=method,
                      score=1.0 if resolved else None, resolved=resolved,
                      candidates=candidates, flags=flags,
                      url=draw(st.none() | _text | st.sampled_from(
                          ["https://h/m.safetensors", "https://h/a)b<c>`d", "javascript:x()"])),
                      messages=tuple(draw(st.lists(_text, max_size=2))))


_reports = st.builds(
    lambda res, errors, fail_on: build_report(res, [r.ref.workflow for r in res]
                                              + [e.workflow for e in errors], errors,
                                              fail_on=fail_on),
    st.lists(_resolution(), max_size=6),
    st.lists(st.builds(ReadProblem, workflow=_text, message=_text,
                       line=st.none() | st.integers(1, 99), column=st.none() | st.integers(1, 9)),
             max_size=2),
    st.lists(st.sampled_from(STATUSES + FLAGS), max_size=3, unique=True),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(report=_reports)
def test_every_writer_on_any_strings(report: Report) -> None:
    data = json.loads(report_json.render(report))
    assert [r["value"] for r in data["references"]] == [r.ref.value for r in report.resolutions]

    sarif = json.loads(report_sarif.render(report))
    problems = [r for r in report.resolutions if is_problem(r)]
    assert len(sarif["runs"][0]["results"]) == len(problems) + len(report.errors)

    text = report_text.render(report)
    assert all(ch.isprintable() for line in text.splitlines() for ch in line)
    assert text.endswith("\n")

    github = report_github.render(report)
    lines = github.splitlines()
    annotations = [line for line in lines if re.match(r"^::(error|warning|notice) file=", line)]
    plain = [line for line in lines if not line.startswith("::")]
    assert len(plain) == 1 and plain[0].startswith("comfydock-rules: ")  # the summary
    levels = Counter(severity(r, report.fail_on) for r in problems)
    levels["error"] += len(report.errors)
    shown = Counter(line[2:line.index(" ")] for line in annotations)
    over = any(n > 10 for n in levels.values())
    assert shown["error"] == min(levels["error"], 10)
    assert shown["warning"] == min(levels["warning"], 10)
    assert shown["notice"] == min(levels["note"], 9 if over else 10)
    assert (len(lines) == len(annotations) + 2) == over  # the notice counting the rest
    assert all(ch.isprintable() for line in lines for ch in line)

    markdown = report_markdown.render(report)
    for line in markdown.splitlines():
        line = re.sub(r"\]\(<https?://[^<>\s`]*>\)", "](URL)", line)  # the writer's own links
        for tag in ("<details>", "</details>", "<summary>", "</summary>", "<br>"):
            line = line.replace(tag, "")
        assert "<" not in line, line
        assert not re.search(r"(?<!\\)`", line), line
    # Deterministic: the same report renders byte for byte the same.
    assert report_markdown.render(report) == markdown
    assert report_sarif.render(report) == report_sarif.render(report)
