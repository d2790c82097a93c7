"""The kinds of problem every annotation format names, each with a stable rule id.

SARIF results and GitHub annotation titles carry the same id (CDR001 is always a missing
model), so a reader can look an annotation up in docs/reports.md and code scanning can track an
alert across runs. Ids are never reused for another meaning; new kinds get new ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from comfydock_rules.model import Resolution


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    key: str
    """The status or flag it stands for; `unreadable` for a workflow that could not be read."""
    short: str
    help: str


KINDS: tuple[Kind, ...] = (
    Kind("CDR000", "unreadable-workflow", "unreadable",
         "A workflow file could not be read",
         "The file is not valid workflow JSON (or an image without an embedded workflow). "
         "Fix or remove the file."),
    Kind("CDR001", "missing-model", "missing",
         "A model reference matches no local model file",
         "No file in the index resolves this reference. Download the model (the workflow may "
         "declare a URL) into the directory named, or point the reference at a file you have."),
    Kind("CDR002", "ambiguous-model", "ambiguous",
         "A model reference has several candidates and none may be picked automatically",
         "Candidates exist, but they tie, differ in a protected token (precision, version, size, "
         "variant), or the policy forbids an automatic pick. Pick one and record it as a pin."),
    Kind("CDR003", "fuzzy-model", "fuzzy",
         "A model reference resolves only by hash, file name or similarity",
         "ComfyUI would not load the reference as written; the engine picked a file by its "
         "policy. Update the workflow, or record the pick as a pin."),
    Kind("CDR004", "stale-pin", "stale_pin",
         "A recorded pin names a file that is no longer present",
         "The hash recorded in pyproject.toml is not in the index any more. Re-pin with --fix."),
    Kind("CDR005", "wrong-directory", "wrong_directory",
         "The model file exists only in a directory this node does not load from",
         "Move the file into one of the node's directories, or fix the rule's directories."),
    Kind("CDR006", "no-rule", "no_rule",
         "A node without a rule has a widget value that looks like a model file",
         "Add a rule for this node type so that its references are checked."),
    Kind("CDR007", "not-as-written", "not_as_written",
         "A recorded pin finds a file ComfyUI would not load under the value as written",
         "The pin in pyproject.toml finds the file (in a subfolder, under another name, or "
         "outside the node's directories), but ComfyUI loads the value as written. Change the "
         "workflow's value to the file's path, or link or move the file to where the value "
         "points."),
)
KIND_INDEX: dict[str, int] = {kind.key: index for index, kind in enumerate(KINDS)}
"""Status or flag -> position in KINDS (SARIF's ruleIndex)."""
UNREADABLE = KINDS[0]
EXACT_FLAG_ORDER: tuple[str, ...] = ("stale_pin", "wrong_directory", "not_as_written", "no_rule")
"""For an exact reference, the first of these flags names its kind."""


def kind_key(res: Resolution) -> str:
    """The status, or for an exact reference the first problem flag."""
    if res.status != "exact":
        return res.status
    for flag in EXACT_FLAG_ORDER:
        if flag in res.flags:
            return flag
    return res.status


def kind_of(res: Resolution) -> Kind:
    """The kind of a problem reference (`report.core.is_problem`)."""
    return KINDS[KIND_INDEX[kind_key(res)]]
