"""A ComfyUI `GET /object_info` dump -> the combo inputs whose options may be file lists.

ComfyUI's server.py (`node_info`) writes each node type's `INPUT_TYPES()` as
`input: {required, optional, hidden}` and, since 2024-08, the declaration order as `input_order`.
A combo is either the legacy `[[option, ...], {...}]` or `["COMBO", {"options": [...]}]`
(comfy_api's `Combo.Input.as_dict`); a combo without `options` is a remote one whose list the
frontend fetches itself. docs/rules.md ("Generating rules from object_info") cites both.

The widget index is the position in a UI node's `widgets_values`: widget inputs only (required,
then optional), each seed (`control_after_generate`, or an INT named seed / noise_seed) and each
upload combo taking one extra value. After an input whose kind or width is unknown the position
is not certain, and the combo gets `widget=None` (the slot still works for API files by name).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from comfydock_rules.errors import ToolInputError

MAX_BYTES = 256 * 1024 * 1024
"""The largest dump read (real ones are 0.3-5 MB)."""
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})
SEED_NAMES = frozenset({"seed", "noise_seed"})
UPLOAD_KEYS = ("image_upload", "audio_upload", "video_upload", "file_upload", "upload")
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
SECTIONS = ("required", "optional")

Form = Literal["list", "COMBO", "dynamic"]


@dataclass(frozen=True)
class ComboInput:
    """One combo input of one node type, with the options it offered on that machine."""

    node_type: str
    input: str
    widget: int | None
    """Index in `widgets_values`; None when the position is not certain (see `why`)."""
    options: tuple[str, ...]
    """The string options as the server sent them (Windows dumps use '\\' separators)."""
    form: Form
    python_module: str
    why: str = ""
    """Why `widget` is None."""


@dataclass(frozen=True)
class ObjectInfo:
    path: str
    sha256: str
    node_types: int
    combos: tuple[ComboInput, ...]
    """Sorted by node type, then widget order."""
    has_input_order: bool


def read_object_info(path: Path, display: str | None = None) -> ObjectInfo:
    """Parse a dump; a file that is not one raises ToolInputError naming it."""
    display = display or os.fspath(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ToolInputError(f"object_info dump is {size} bytes, more than the "
                                 f"{MAX_BYTES} this tool reads", display)
        data = path.read_bytes()
    except OSError as exc:
        raise ToolInputError(f"cannot read object_info dump: {exc.strerror}", display) from None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ToolInputError("object_info dump is not UTF-8 text", display) from None
    except json.JSONDecodeError as exc:
        raise ToolInputError(f"not JSON: {exc.msg}", display, exc.lineno, exc.colno,
                             hint="save the body of GET /object_info as it is") from None
    return parse_object_info(doc, display, hashlib.sha256(data).hexdigest())


def parse_object_info(doc: Any, display: str, sha256: str = "") -> ObjectInfo:
    if not isinstance(doc, dict) or not doc:
        raise ToolInputError("expected a JSON object of node types (the body of GET "
                             "/object_info)", display)
    outputs = _output_types(doc)
    combos: list[ComboInput] = []
    ordered = False
    for node_type in sorted(doc):
        info = doc[node_type]
        if not isinstance(info, dict) or not isinstance(info.get("input", {}), dict):
            raise ToolInputError(f"node type {json.dumps(node_type)}: expected an object with "
                                 "an 'input' object", display,
                                 hint="save the body of GET /object_info as it is")
        ordered = ordered or isinstance(info.get("input_order"), dict)
        combos.extend(_node_combos(str(node_type), info, outputs))
    return ObjectInfo(display, sha256, len(doc), tuple(combos), ordered)


def _output_types(doc: dict[str, Any]) -> frozenset[str]:
    """Every type some node outputs: an input of such a type is a socket, not a widget."""
    found: set[str] = set()
    for info in doc.values():
        outputs = info.get("output") if isinstance(info, dict) else None
        if isinstance(outputs, list):
            found.update(o for o in outputs if isinstance(o, str))
    return frozenset(found - WIDGET_TYPES)


def _node_combos(node_type: str, info: dict[str, Any],
                 outputs: frozenset[str]) -> list[ComboInput]:
    specs: dict[str, Any] = info.get("input") or {}
    raw_order = info.get("input_order")
    order: dict[str, Any] = raw_order if isinstance(raw_order, dict) else {}
    module = str(info.get("python_module") or "")
    combos: list[ComboInput] = []
    widget = 0
    why = ""
    for section in SECTIONS:
        entries = specs.get(section)
        if not isinstance(entries, dict):
            continue
        listed = order.get(section)
        names: list[Any] = listed if isinstance(listed, list) else list(entries)
        for name in names:
            if name not in entries:
                continue
            spec = entries[name]
            kind, options, extra = _classify(str(name), spec, outputs)
            if kind == "socket":
                continue
            if options is not None:
                form: Form = "list" if isinstance(spec[0], list) else (
                    "dynamic" if spec[0] == DYNAMIC_COMBO else "COMBO")
                combos.append(ComboInput(node_type, str(name), None if why else widget,
                                         options, form, module, why))
            if kind == "unknown" and not why:
                why = f"after input {name!r}, whose widget width is not known"
            widget += 1 + extra
    return combos


def _classify(name: str, spec: Any, outputs: frozenset[str]
              ) -> tuple[Literal["widget", "socket", "unknown"], tuple[str, ...] | None, int]:
    """(kind, options when a combo with a list, extra widget values after it)."""
    if not isinstance(spec, list) or not spec:
        return "unknown", None, 0
    kind = spec[0]
    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    upload = 1 if any(opts.get(k) is True for k in UPLOAD_KEYS) else 0
    if isinstance(kind, list):
        return "widget", _strings(kind), upload
    if not isinstance(kind, str) or opts.get("forceInput") is True:
        return "socket", None, 0
    if kind in ("COMBO", DYNAMIC_COMBO):
        options = opts.get("options")
        if kind == DYNAMIC_COMBO or "remote" in opts:
            # nested inputs follow a dynamic combo; a remote one has a refresh button
            return "unknown", None, 0
        extra = upload + (1 if opts.get("control_after_generate") else 0)
        return "widget", _strings(options) if isinstance(options, list) else None, extra
    if kind in WIDGET_TYPES or "widgetType" in opts:
        seed = opts.get("control_after_generate") or (kind == "INT" and name in SEED_NAMES)
        return "widget", None, 1 if seed else 0
    if kind in outputs or kind == "*" or (kind.isupper() and not opts.get("default")):
        return "socket", None, 0
    return "unknown", None, 0


def _strings(options: list[Any]) -> tuple[str, ...] | None:
    """Only string options can be file names (ComfyUI also allows ints, floats, booleans); a
    list of only those is no file list (None), an empty list is an empty folder's."""
    strings = tuple(o for o in options if isinstance(o, str))
    return strings if strings or not options else None
