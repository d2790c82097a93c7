"""Workflow JSON text: decode and parse with precise error positions, and find node lines.

Parsing uses the standard library's C decoder; line numbers are found afterwards, and only for
the node lists that yield references, by decoding those arrays element by element from their
offset in the text. A pure-Python position-tracking parser would be many times slower.
"""

from __future__ import annotations

import json
import re
from typing import Any

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.limits import MAX_JSON_ITEMS, Refused, check_json_items

# A `"nodes": [` key. A match whose opening quote is escaped lies inside a string and is skipped.
_NODES_KEY = re.compile(r'"nodes"\s*:\s*\[')
_WHITESPACE = " \t\n\r"
# `\uD800`-`\uDFFF` escapes: rare in workflows, checked only when present.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def decode_text(data: bytes, display: str, what: str = "") -> str:
    """UTF-8 (a BOM is allowed); other bytes give the line and column of the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, column = position_of(good, len(good))
        raise WorkflowReadError(
            f"{what}is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            display,
            line,
            column,
            hint="save the workflow as UTF-8 JSON",
        ) from None


def parse_json(text: str, display: str, what: str = "") -> Any:
    """`json.loads`, with every failure turned into a one-line WorkflowReadError; a text that
    would parse into more than MAX_JSON_ITEMS values is refused before it is parsed."""
    try:
        check_json_items(text, MAX_JSON_ITEMS, "JSON")
    except Refused as exc:
        raise WorkflowReadError(
            f"{what}{exc}, more than a workflow holds; not read", display,
            hint="docs/security.md lists the bounds") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowReadError(
            f"{what}invalid JSON: {exc.msg}", display, exc.lineno, exc.colno
        ) from None
    except RecursionError:
        raise WorkflowReadError(
            f"{what}JSON nested too deeply to be a workflow", display
        ) from None
    if _SURROGATE.search(text):
        _refuse_lone_surrogates(doc, text, display, what)
    return doc


def _refuse_lone_surrogates(doc: Any, text: str, display: str, what: str) -> None:
    """JSON may escape half a UTF-16 pair (`\\ud800`); such a string is no file name, cannot
    be written as UTF-8 (reports, pyproject.toml) and is refused here, where it came in."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return
    except UnicodeEncodeError:
        pass
    except (RecursionError, ValueError):
        return
    line: int | None = None
    column: int | None = None
    matches = list(_SURROGATE.finditer(text))
    paired = False
    for number, match in enumerate(matches):
        if paired:
            paired = False
            continue
        high = match.group(0)[3].lower() in "89ab"
        following = matches[number + 1] if number + 1 < len(matches) else None
        if (high and following is not None and following.start() == match.end()
                and following.group(0)[3].lower() in "cdef"):
            paired = True
            continue
        line, column = position_of(text, match.start())
        break
    raise WorkflowReadError(
        f"{what}a string holds an unpaired UTF-16 surrogate escape, which no file name can hold",
        display, line, column, hint="save the workflow again from ComfyUI",
    )


def _skip_ws(text: str, idx: int) -> int:
    while idx < len(text) and text[idx] in _WHITESPACE:
        idx += 1
    return idx


def _escaped(text: str, quote: int) -> bool:
    backslashes = 0
    i = quote - 1
    while i >= 0 and text[i] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


def _fingerprint(elements: list[Any]) -> int | None:
    """A hash of the array's JSON text: equal arrays hash equal, so matching is a dict lookup
    (an equality test then confirms it)."""
    try:
        return hash(json.dumps(elements, ensure_ascii=False, check_circular=False))
    except (ValueError, TypeError, RecursionError):
        return None


class NodeLines:
    """Lines where the elements of each `"nodes": [...]` array of a JSON text start.

    Built on first use; `lines_of` matches a parsed node list to its array in the text by
    content, so duplicate keys or odd nesting give None rather than a wrong line. Each part of
    the text is decoded once: a `"nodes"` array inside another one (never a graph the reader
    walks) is not decoded again, and arrays are matched through a dict keyed by their content,
    not by comparing each list with each array.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._arrays: dict[int, list[tuple[list[Any], list[int]]]] | None = None
        self._cache: dict[int, list[int] | None] = {}

    def lines_of(self, nodes: list[Any]) -> list[int] | None:
        key = id(nodes)
        if key in self._cache:
            return self._cache[key]
        if self._arrays is None:
            self._arrays = self._scan()
        found: list[int] | None = None
        fingerprint = _fingerprint(nodes)
        for elements, lines in self._arrays.get(fingerprint, ()) if fingerprint is not None else ():
            if len(elements) == len(nodes) and elements == nodes:
                found = lines
                break
        self._cache[key] = found
        return found

    def _scan(self) -> dict[int, list[tuple[list[Any], list[int]]]]:
        text = self._text
        scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        arrays: list[tuple[list[Any], list[int]]] = []
        offsets: list[tuple[int, int, int]] = []  # (offset, array number, element number)
        decoded_to = 0  # the end of the last array decoded: matches before it lie inside it
        for match in _NODES_KEY.finditer(text):
            if match.start() < decoded_to or _escaped(text, match.start()):
                continue
            elements: list[Any] = []
            starts: list[int] = []
            idx = _skip_ws(text, match.end())
            try:
                while idx < len(text) and text[idx] != "]":
                    obj, end = scan_once(text, idx)
                    starts.append(idx)
                    elements.append(obj)
                    idx = _skip_ws(text, end)
                    if idx < len(text) and text[idx] == ",":
                        idx = _skip_ws(text, idx + 1)
            except (StopIteration, ValueError, RecursionError):
                continue
            decoded_to = idx
            number = len(arrays)
            arrays.append((elements, [0] * len(starts)))
            offsets.extend((start, number, i) for i, start in enumerate(starts))
        offsets.sort()
        line = 1
        previous = 0
        for offset, number, i in offsets:
            line += text.count("\n", previous, offset)
            previous = offset
            arrays[number][1][i] = line
        by_content: dict[int, list[tuple[list[Any], list[int]]]] = {}
        for elements, lines in arrays:
            fingerprint = _fingerprint(elements)
            if fingerprint is not None:
                by_content.setdefault(fingerprint, []).append((elements, lines))
        return by_content
