"""`check` on real corpus workflows: every model the workflows declare, placed where ComfyUI
looks for it, resolves exactly; removing one makes it missing with its declared URL."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from conftest import RunCli


def _truth(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(corpus / "truth.jsonl", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            rows[row["workflow"]].append(row)
    return rows


def _pick(truth: dict[str, list[dict[str, Any]]]) -> list[str]:
    """A few workflows: one with subgraphs, one with bypassed nodes, one with URLs."""
    chosen: list[str] = []
    for test in (
        lambda rows: any(r["graph"] != "root" for r in rows),
        lambda rows: any(r["node_mode"] == 4 for r in rows),
        lambda rows: all(r["url"] for r in rows) and len(rows) >= 3,
    ):
        name = next(n for n in sorted(truth) if n not in chosen and test(truth[n]))
        chosen.append(name)
    return chosen


def test_declared_models_resolve_exactly(run_process: RunCli, corpus: Path, tmp_path: Path) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    truth = _truth(corpus)
    chosen = _pick(truth)
    files: dict[str, dict[str, Any]] = {}
    for name in chosen:
        for row in truth[name]:
            rel = f"{row['directory']}/{row['widget_value'].replace(chr(92), '/')}"
            files[rel] = {"relative_path": rel, "hash": f"{len(files):016x}", "size": 1}
    dropped = sorted(files)[0]
    snapshot = {"format": "comfydock-rules-index", "version": 1,
                "files": [files[rel] for rel in sorted(files) if rel != dropped]}
    (tmp_path / "index.json").write_text(json.dumps(snapshot), encoding="utf-8")
    paths = [corpus / "workflows" / name for name in chosen]
    result = run_process("check", *paths, "--index", "index.json", "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["workflows"] == 3
    by_key = {(Path(r["workflow"]).name, r["node_id"].split(":")[-1], r["value"]): r
              for r in data["references"]}
    for name in chosen:
        for row in truth[name]:
            key = (Path(name).name, str(row["node_id"]), row["widget_value"])
            ref = by_key.get(key)
            assert ref is not None, key
            rel = f"{row['directory']}/{row['widget_value'].replace(chr(92), '/')}"
            if rel == dropped:
                assert ref["status"] in ("missing", "ambiguous")
                assert ref["url"] == row["url"]
            else:
                assert ref["status"] == "exact", (key, ref)
                assert ref["resolved"]["relative_path"] == rel
            assert ("bypassed" in ref["flags"]) == (row["node_mode"] == 4)
    assert any(":" in r["node_id"] for r in data["references"])  # subgraph node paths
    again = run_process("check", *paths, "--index", "index.json", "--format", "json", cwd=tmp_path)
    assert again.stdout == result.stdout
