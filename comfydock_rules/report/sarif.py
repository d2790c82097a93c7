"""SARIF 2.1.0 for GitHub code scanning: one result per problem reference, stable rule ids.

Rule ids never change meaning (CDR001 is always a missing model), so code scanning can track an
alert across runs; `partialFingerprints` identify a reference by workflow, node, widget and value.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from comfydock_rules import __version__
from comfydock_rules.model import Resolution
from comfydock_rules.printable import inert_json
from comfydock_rules.report.core import Report, is_problem, problem_message, repo_path, severity
from comfydock_rules.report.formats import DEFAULT_OPTIONS, RenderOptions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# (id, name, status or flag, short description, help)
RULES: tuple[tuple[str, str, str, str, str], ...] = (
    ("CDR000", "unreadable-workflow", "unreadable",
     "A workflow file could not be read",
     "The file is not valid workflow JSON (or an image without an embedded workflow). "
     "Fix or remove the file."),
    ("CDR001", "missing-model", "missing",
     "A model reference matches no local model file",
     "No file in the index resolves this reference. Download the model (the workflow may "
     "declare a URL) into the directory named, or point the reference at a file you have."),
    ("CDR002", "ambiguous-model", "ambiguous",
     "A model reference has several candidates and none may be picked automatically",
     "Candidates exist, but they tie, differ in a protected token (precision, version, size, "
     "variant), or the policy forbids an automatic pick. Pick one and record it as a pin."),
    ("CDR003", "fuzzy-model", "fuzzy",
     "A model reference resolves only by hash, file name or similarity",
     "ComfyUI would not load the reference as written; the engine picked a file by its policy. "
     "Update the workflow, or record the pick as a pin."),
    ("CDR004", "stale-pin", "stale_pin",
     "A recorded pin names a file that is no longer present",
     "The hash recorded in pyproject.toml is not in the index any more. Re-pin with --fix."),
    ("CDR005", "wrong-directory", "wrong_directory",
     "The model file exists only in a directory this node does not load from",
     "Move the file into one of the node's directories, or fix the rule's directories."),
    ("CDR006", "no-rule", "no_rule",
     "A node without a rule has a widget value that looks like a model file",
     "Add a rule for this node type so that its references are checked."),
)
_RULE_INDEX = {rule[2]: index for index, rule in enumerate(RULES)}
_LEVELS = {"error": "error", "warning": "warning", "note": "note"}


def rule_key(res: Resolution) -> str:
    """The status, or for an exact reference the first problem flag."""
    if res.status != "exact":
        return res.status
    for flag in ("stale_pin", "wrong_directory", "no_rule"):
        if flag in res.flags:
            return flag
    return res.status


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
            "ruleId": "CDR000",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": error.message},
            "locations": [_location(uri_of(error.workflow), error.line)],
        })
    for res in report.resolutions:
        if not is_problem(res):
            continue
        key = rule_key(res)
        index = _RULE_INDEX[key]
        uri = uri_of(res.ref.workflow)
        results.append({
            "ruleId": RULES[index][0],
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
            "id": rule_id,
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": short + "."},
            "help": {"text": help_text},
            "defaultConfiguration": {
                "level": "error" if key in report.fail_on or key == "unreadable" else "warning"
            },
            "properties": {"tags": ["comfyui", "models"]},
        }
        for rule_id, name, key, short, help_text in RULES
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


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    text = json.dumps(sarif_dict(report), indent=2, sort_keys=True, ensure_ascii=False)
    return inert_json(text) + "\n"
