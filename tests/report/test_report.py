"""The gate and the counts every report format shares."""

from __future__ import annotations

import pytest
from report_data import GATE, resolutions, sample_report

from comfydock_rules.errors import ToolInputError
from comfydock_rules.report.core import (
    ReadProblem,
    build_report,
    exit_code,
    is_gated,
    parse_fail_on,
    summary,
)


def test_parse_fail_on_orders_and_validates() -> None:
    assert parse_fail_on("ambiguous, MISSING") == ("ambiguous", "missing")
    assert parse_fail_on("missing,ambiguous") == ("ambiguous", "missing")
    assert parse_fail_on("none") == ()
    assert parse_fail_on([]) == ()
    with pytest.raises(ToolInputError, match="empty"):
        parse_fail_on("")
    assert parse_fail_on(["fuzzy", "stale_pin", "bypassed"]) == ("fuzzy", "bypassed", "stale_pin")
    with pytest.raises(ToolInputError, match="unknown status or flag 'mising'"):
        parse_fail_on("mising")


def test_sorted_by_workflow_then_node_path_then_widget() -> None:
    report = sample_report()
    keys = [(r.ref.workflow, r.ref.node_id) for r in report.resolutions]
    assert keys == [
        ("workflows/a b,c:d.json", "2"),
        ("workflows/a b,c:d.json", "9:3"),
        ("workflows/a b,c:d.json", "10"),
        ("workflows/a b,c:d.json", "11"),
        ("workflows/b.json", "4"),
        ("workflows/b.json", "5"),
        ("workflows/b.json", "6"),
    ]
    assert report.workflows == ("workflows/a b,c:d.json", "workflows/b.json")


def test_summary_counts_every_status_and_flag() -> None:
    counts = summary(sample_report())
    assert counts["exact"] == 2
    assert counts["fuzzy"] == 1
    assert counts["ambiguous"] == 1
    assert counts["missing"] == 3
    assert counts["bypassed"] == 1
    assert counts["stale_pin"] == 1
    assert counts["no_rule"] == 1
    assert counts["wrong_directory"] == 0
    assert counts["references"] == 7
    assert counts["workflows"] == 2
    assert counts["gate_failures"] == 3  # ambiguous, missing with URL, missing no_rule


def test_bypassed_is_reported_not_gated_unless_asked() -> None:
    bypassed = next(r for r in resolutions() if "bypassed" in r.flags)
    assert not is_gated(bypassed, ("missing", "ambiguous"))
    assert is_gated(bypassed, ("missing", "bypassed"))
    # `bypassed` alone gates nothing: the status must be in the list too.
    assert not is_gated(bypassed, ("bypassed",))


def test_flags_gate_on_their_own() -> None:
    stale = next(r for r in resolutions() if "stale_pin" in r.flags)
    assert not is_gated(stale, ("missing", "ambiguous"))
    assert is_gated(stale, ("stale_pin",))


def test_exit_codes() -> None:
    assert exit_code(sample_report()) == 1
    assert exit_code(sample_report(fail_on=())) == 0
    assert exit_code(sample_report(fail_on=("fuzzy",))) == 1
    clean = build_report([r for r in resolutions() if r.status == "exact"], ["w.json"],
                         fail_on=GATE)
    assert exit_code(clean) == 0
    unreadable = build_report([], ["w.json"], [ReadProblem("w.json", "not JSON", 1, 1)],
                              fail_on=GATE)
    assert exit_code(unreadable) == 1
