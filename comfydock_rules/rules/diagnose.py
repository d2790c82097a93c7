"""Messages that say what is wrong with a rule file, where, and what was expected.

`did_you_mean` keeps typos cheap to fix; `schema_problems` is the slower, second opinion of the
JSON Schema, used by `rules validate` and the tests but never on the pre-commit path.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comfydock_rules.resources import schema_path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        folded = {c.casefold(): c for c in options}
        if word.casefold() in folded:
            close = [folded[word.casefold()]]
    return f" (did you mean '{close[0]}'?)" if close else ""


def expected_one_of(choices: Iterable[str]) -> str:
    return ", ".join(sorted(choices))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def schema_problems(document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Every JSON Schema violation as (path inside the document, message), sorted."""
    import jsonschema

    schema = json.loads(Path(schema_path("rules")).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    found = [(tuple(err.absolute_path), err.message) for err in validator.iter_errors(document)]
    return sorted(found, key=lambda item: (tuple(map(str, item[0])), item[1]))


def position_of(document: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """The line and column of the value at `path` in a document read by rules_yaml."""
    node = document
    pos: tuple[int, int] = getattr(document, "pos", (1, 1))
    for step in path:
        if isinstance(node, dict) and step in node:
            pos = getattr(node, "value_pos", {}).get(step, pos)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            item_pos = getattr(node, "item_pos", [])
            pos = item_pos[step] if step < len(item_pos) else pos
            node = node[step]
        else:
            break
    return pos
