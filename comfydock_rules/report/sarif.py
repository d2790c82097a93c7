"""SARIF 2.1.0 for GitHub code scanning: one result per problem reference, stable rule ids.

Rule ids never change meaning (CDR001 is always a missing model, report/kinds.py), so code
scanning can track an alert across runs; `partialFingerprints` identify a reference by workflow,
node, widget and value. A run stays within code scanning's limits (RenderOptions: results per
run, gzip-compressed size): past them, errors are kept first, then warnings, then notes, the run's
`properties` count what was left out, and a warning says so on stderr.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any
from urllib.parse import quote

from comfydock_rules import __version__
from comfydock_rules.model import Resolution
from comfydock_rules.printable import inert_json
from comfydock_rules.report.core import Report, is_problem, problem_message, repo_path, severity
from comfydock_rules.report.formats import DEFAULT_OPTIONS, Rendered, RenderOptions
from comfydock_rules.report.kinds import KIND_INDEX, KINDS, UNREADABLE, kind_key

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVELS = {"error": "error", "warning": "warning", "note": "note"}
_PRIORITY = {"error": 0, "warning": 1, "note": 2}


def _fingerprint(res: Resolution, uri: str) -> str:
    ref = res.ref
    text = "\x00".join(
        (uri, ref.node_id, str(ref.widget_index), ref.input or "", ref.key or "", ref.value)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _location(uri: str, line: int | None) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": line if line and line > 0 else 1},
        }
    }


def sarif_dict(report: Report) -> dict[str, Any]:
    uris: dict[str, str] = {}

    def uri_of(workflow: str) -> str:
        if workflow not in uris:
            # A URI reference (RFC 3986): spaces, `|`, `<`, ... in a file name are %-encoded.
            uris[workflow] = quote(repo_path(workflow), safe="/")
        return uris[workflow]

    results: list[dict[str, Any]] = []
    for error in report.errors:
        results.append({
            "ruleId": UNREADABLE.id,
            "ruleIndex": KIND_INDEX[UNREADABLE.key],
            "level": "error",
            "message": {"text": error.message},
            "locations": [_location(uri_of(error.workflow), error.line)],
        })
    for res in report.resolutions:
        if not is_problem(res):
            continue
        index = KIND_INDEX[kind_key(res)]
        uri = uri_of(res.ref.workflow)
        results.append({
            "ruleId": KINDS[index].id,
            "ruleIndex": index,
            "level": _LEVELS[severity(res, report.fail_on)],
            "message": {"text": problem_message(res)},
            "locations": [_location(uri, res.ref.line)],
            "partialFingerprints": {"comfydockReference/v1": _fingerprint(res, uri)},
            "properties": {
                "status": res.status,
                "flags": sorted(res.flags),
                "nodeId": res.ref.node_id,
                "nodeType": res.ref.node_type,
                "value": res.ref.value,
            },
        })
    rules = [
        {
            "id": kind.id,
            "name": kind.name,
            "shortDescription": {"text": kind.short},
            "fullDescription": {"text": kind.short + "."},
            "help": {"text": kind.help},
            "defaultConfiguration": {
                "level": "error" if kind.key in report.fail_on or kind is UNREADABLE
                else "warning"
            },
            "properties": {"tags": ["comfyui", "models"]},
        }
        for kind in KINDS
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "comfydock-rules",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _dumps(doc: dict[str, Any]) -> str:
    return inert_json(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _gzip_size_over(text: str, limit: int) -> int:
    """0 when `text` fits in `limit` bytes gzip-compressed, else its compressed size."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return 0
    # Level 6, the zlib default the upload-sarif action compresses with.
    size = len(gzip.compress(data, compresslevel=6, mtime=0))
    return size if size > limit else 0


def _kept(results: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first `count` results by level (errors, warnings, notes), in report order."""
    if count >= len(results):
        return results
    ranked = sorted(range(len(results)),
                    key=lambda i: (_PRIORITY.get(results[i]["level"], 3), i))
    return [results[i] for i in sorted(ranked[:count])]


def _with_results(doc: dict[str, Any], kept: list[dict[str, Any]],
                  left_out: int) -> dict[str, Any]:
    """`doc` with its run's results replaced; the run's properties count what was left out."""
    run = dict(doc["runs"][0], results=kept)
    if left_out:
        run["properties"] = {"comfydockRules": {
            "omittedResults": left_out,
            "reason": "GitHub code scanning limits; the JSON report has every reference",
        }}
    return dict(doc, runs=[run])


def render_with_warnings(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Rendered:
    doc = sarif_dict(report)
    results: list[dict[str, Any]] = doc["runs"][0]["results"]
    count = min(len(results), max(options.sarif_max_results, 0))
    while True:
        kept = _kept(results, count)
        text = _dumps(_with_results(doc, kept, len(results) - len(kept)))
        size = _gzip_size_over(text, options.sarif_max_gzip_bytes)
        if not size or not kept:
            break
        # Results are much alike in size: shrink in proportion, a little more than needed.
        count = min(len(kept) - 1, int(len(kept) * options.sarif_max_gzip_bytes / size * 0.95))
    left_out = len(results) - len(kept)
    if not left_out:
        return Rendered(text)
    counts = {level: 0 for level in _PRIORITY}
    for result in results:
        counts[result["level"]] += 1
    for result in kept:
        counts[result["level"]] -= 1
    detail = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items() if n)
    return Rendered(text, (
        f"sarif: {left_out} of {len(results)} results left out ({detail}) to stay within "
        f"GitHub code scanning's limits ({options.sarif_max_results} results per run, "
        f"{options.sarif_max_gzip_bytes} bytes gzip-compressed); errors are kept first, and "
        "the JSON report has every reference",
    ))


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return render_with_warnings(report, options).text
