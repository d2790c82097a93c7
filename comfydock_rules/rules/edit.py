"""Edit a rule file in place without losing its comments (ruamel.yaml round trip)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comfydock_rules.atomic import write_atomic
from comfydock_rules.errors import ToolInputError
from comfydock_rules.rules.check import check_layer
from comfydock_rules.rules.yaml import load_text


def add_node_slot(path: Path, node_type: str, *, widget: int | None, input_name: str | None,
                  directories: Sequence[str], extensions: Sequence[str] = (),
                  source: str | None = None) -> str:
    """Insert one slot under `nodes:` and return the new text; the file is written atomically
    only when the result still validates."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    display = os.fspath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ToolInputError(f"cannot read rule file: {exc.strerror}", display) from None
    check_layer(load_text(text, display), display)  # refuse to edit a broken file
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the shipped files and docs
    try:
        doc: Any = yaml.load(text)
    except YAMLError as exc:  # pragma: no cover - load_text found syntax errors first
        raise ToolInputError(f"YAML error: {exc}", display) from None
    if widget is None and input_name is None:
        raise ToolInputError("add-node needs --widget or --input")
    slot = CommentedMap()
    if widget is not None:
        slot["widget"] = widget
    if input_name is not None:
        slot["input"] = input_name
    slot["directories"] = _flow(CommentedSeq(directories))
    if extensions:
        slot["extensions"] = _flow(CommentedSeq(extensions))
    if source:
        slot["source"] = source
    slot.fa.set_flow_style()

    nodes = doc.get("nodes")
    if nodes is None:
        nodes = CommentedMap()
        doc["nodes"] = nodes
    slots = nodes.get(node_type)
    if slots is None:
        slots = CommentedSeq()
        nodes[node_type] = slots
    for existing in slots:
        same_widget = widget is not None and existing.get("widget") == widget
        same_input = input_name is not None and existing.get("input") == input_name
        if same_widget or same_input:
            raise ToolInputError(
                f"{node_type} already has a slot for widget {existing.get('widget')} / input "
                f"{existing.get('input')}; edit that slot instead", display)
    slots.append(slot)
    out = io.StringIO()
    yaml.dump(doc, out)
    new_text = out.getvalue()
    check_layer(load_text(new_text, display), display)
    write_atomic(path, new_text, what="the rule file", display=display)
    return new_text


def _flow(seq: Any) -> Any:
    seq.fa.set_flow_style()
    return seq
