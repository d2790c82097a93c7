"""Every model reference of one workflow file: UI or API format, plain JSON or inside an image.

Node ids: a node inside a subgraph gets the path of instance ids from the root graph joined by
':' (`12:7:3` = node 3 of the subgraph instantiated by node 7 of the subgraph instantiated by
root node 12). A node inside a legacy group node gets `<group node id>:<index in the group
definition>`, the id ComfyUI gives it when it expands the group for execution. Subgraph
definitions that no node instantiates are not read: ComfyUI never loads their models. A widget
promoted to a subgraph node takes the value that node stores for the instance
(workflow/promoted.py); the subgraph node itself yields no reference.

A node type without a rule yields a `no_rule` reference (slot None) for a widget value that
looks like a model file name: a string ending in a model extension, on one line, at most 255
characters, without characters Windows forbids in file names and without ", " or ". " (prose in
a prompt such as "use lora.safetensors, then..." is not a file name). Subgraph nodes, group
node instances and the rules' `text_nodes` (node types that only hold or pass on text:
PrimitiveNode, Note, prompts, ...) never yield `no_rule` references: their values are copies or
prose.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.limits import MAX_EXPANDED_NODES, MAX_WORKFLOW_BYTES, Refused, read_regular
from comfydock_rules.model import DeclaredModel, ModelRef, RuleSet, Slot, reference_sort_key
from comfydock_rules.printable import printable
from comfydock_rules.workflow import images
from comfydock_rules.workflow.declared import node_declared, pick, workflow_declared
from comfydock_rules.workflow.decode import NodeLines, decode_text, parse_json
from comfydock_rules.workflow.promoted import Promoter, Promotion, Promotions
from comfydock_rules.workflow.widgets import Found, api_values, looks_like_model_file, ui_values

__all__ = ["looks_like_model_file", "read_text", "read_workflow", "refs_from_document"]

MAX_SUBGRAPH_DEPTH = 64
_GROUP_PREFIXES = ("workflow/", "workflow>")


def read_workflow(path: Path, display: str, rules: RuleSet) -> tuple[ModelRef, ...]:
    """All references of one file, sorted; WorkflowReadError (and nothing else) when unreadable."""
    try:
        try:
            data = read_regular(path, MAX_WORKFLOW_BYTES, "workflow file")
        except Refused as exc:
            raise WorkflowReadError(f"cannot read the file: {exc}", display) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise WorkflowReadError(f"cannot read the file: {reason}", display) from None
        if images.is_png(data) or images.is_webp(data):
            refs = _read_image(data, display, rules)
        else:
            text = decode_text(data, display)
            refs = refs_from_document(parse_json(text, display), display, rules, NodeLines(text))
    except WorkflowReadError:
        raise
    except RecursionError:
        raise WorkflowReadError("workflow nested too deeply to read", display) from None
    except Exception as exc:  # one odd file must not stop a batch
        raise WorkflowReadError(
            f"could not read this workflow ({type(exc).__name__}: {exc})",
            display,
            hint="please report this file to comfydock-rules",
        ) from None
    return tuple(sorted(refs, key=reference_sort_key))


def read_text(text: str, display: str, rules: RuleSet) -> tuple[ModelRef, ...]:
    """References of workflow JSON already in memory (tests, stdin)."""
    refs = refs_from_document(parse_json(text, display), display, rules, NodeLines(text))
    return tuple(sorted(refs, key=reference_sort_key))


def _read_image(data: bytes, display: str, rules: RuleSet) -> list[ModelRef]:
    first_error: WorkflowReadError | None = None
    for key, text in images.embedded_texts(data, display):
        what = f"embedded {key!r} JSON: "
        try:
            doc = parse_json(text, display, what)
            # Lines inside an embedded text mean nothing in the image file: none are given.
            return refs_from_document(doc, display, rules, None)
        except WorkflowReadError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def refs_from_document(
    doc: Any, display: str, rules: RuleSet, lines: NodeLines | None
) -> list[ModelRef]:
    """References of a parsed document, UI or API format (wrapped `{"prompt": ...}` too)."""
    if isinstance(doc, dict):
        if "nodes" in doc:
            if not isinstance(doc["nodes"], list):
                raise WorkflowReadError("not a workflow: 'nodes' is not a list", display)
            return _UiReader(doc, display, rules, lines).read()
        prompt = doc.get("prompt")
        if isinstance(prompt, dict) and _is_api(prompt):
            return _read_api(prompt, display, rules)
        if _is_api(doc):
            return _read_api(doc, display, rules)
    kind = {list: "a list", str: "a string", type(None): "null"}.get(type(doc), "an object")
    if isinstance(doc, (int, float, bool)):
        kind = "a number" if not isinstance(doc, bool) else "a boolean"
    raise WorkflowReadError(
        f"not a ComfyUI workflow: the top level is {kind}",
        display,
        hint='expected a UI workflow {"nodes": [...]} or API format {"<id>": {"class_type": ...}}',
    )


def _is_api(doc: Mapping[str, Any]) -> bool:
    return any(isinstance(v, dict) and isinstance(v.get("class_type"), str) for v in doc.values())


def _ignored(value: str, slot: Slot | None, rules: RuleSet) -> bool:
    """The rules' `ignore` values and patterns (a pattern must match the whole value)."""
    if value in rules.ignore_values or any(p.fullmatch(value) for p in rules.ignore_patterns):
        return True
    return slot is not None and (
        value in slot.ignore_values or any(p.fullmatch(value) for p in slot.ignore_patterns))


def _read_api(doc: Mapping[str, Any], display: str, rules: RuleSet) -> list[ModelRef]:
    refs: list[ModelRef] = []
    for node_id, node in doc.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            continue
        inputs = node.get("inputs")
        if not isinstance(inputs, dict):
            continue
        found = api_values(inputs, node["class_type"], rules)
        refs.extend(make_refs(found, rules, workflow=display, node_id=str(node_id),
                              node_type=node["class_type"]))
    return refs


def make_refs(found: list[Found], rules: RuleSet, *, workflow: str, node_id: str,
              node_type: str, mode: int = 0, line: int | None = None,
              own: Mapping[str, DeclaredModel] | None = None,
              declared: Mapping[str, tuple[DeclaredModel, ...]] | None = None,
              ) -> list[ModelRef]:
    """ModelRefs for the values found on one node: ignored values left out, each widget (and
    object field) once."""
    refs: list[ModelRef] = []
    seen: set[tuple[int | None, str | None, str | None]] = set()
    for item in found:
        if _ignored(item.value, item.slot, rules) or (item.widget, item.name, item.key) in seen:
            continue
        seen.add((item.widget, item.name, item.key))
        promotion = item.promotion
        where = line
        if promotion is not None and promotion.has_value and promotion.line is not None:
            where = promotion.line  # the value is written on the subgraph node
        refs.append(ModelRef(
            workflow=workflow, node_id=node_id, node_type=node_type, widget_index=item.widget,
            input=item.name, value=item.value, mode=mode, enabled=item.enabled, line=where,
            key=item.key, declared=pick(item.value, own or {}, declared or {}, item.slot),
            slot=item.slot, host=promotion.host if promotion is not None else None,
            fallback=promotion is not None and (promotion.fallback or not promotion.has_value),
        ))
    return refs


class _UiReader:
    """Walks the root graph, subgraph instances (recursively) and group node instances."""

    def __init__(self, doc: dict[str, Any], display: str, rules: RuleSet,
                 lines: NodeLines | None) -> None:
        self.doc = doc
        self.display = display
        self.rules = rules
        self.lines = lines
        self.refs: list[ModelRef] = []
        self.declared = workflow_declared(doc)
        self.expanded = 0
        """Nodes visited so far, over every subgraph and group node instance (`expand`)."""
        self.subgraphs: dict[str, list[Any]] = {}
        by_id: dict[str, dict[str, Any]] = {}
        definitions = doc.get("definitions")
        subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
        for definition in subgraphs if isinstance(subgraphs, list) else ():
            if isinstance(definition, dict) and isinstance(definition.get("id"), str):
                nodes = definition.get("nodes")
                self.subgraphs[definition["id"]] = nodes if isinstance(nodes, list) else []
                by_id[definition["id"]] = definition
        self.promoter = Promoter(by_id)
        extra = doc.get("extra")
        groups = extra.get("groupNodes") if isinstance(extra, dict) else None
        self.groups: dict[str, list[Any]] = {}
        if isinstance(groups, dict):
            for name, group in groups.items():
                if isinstance(group, dict) and isinstance(group.get("nodes"), list):
                    self.groups[name] = group["nodes"]

    def read(self) -> list[ModelRef]:
        self._graph(self.doc["nodes"], "", 0, (), {})
        return self.refs

    def expand(self, count: int, nodes: list[Any], index: int, path: str) -> None:
        """Count `count` more nodes against MAX_EXPANDED_NODES: the one budget of a workflow's
        expansion. Every walk over the nodes of an instance (subgraph, group node) counts here,
        so definitions that instantiate each other many times over (2 instances of 2 instances
        of ... 40 deep) stop at the bound instead of expanding exponentially."""
        self.expanded += count
        if self.expanded > MAX_EXPANDED_NODES:
            raise WorkflowReadError(
                f"the subgraph and group node instances expand to more than "
                f"{MAX_EXPANDED_NODES:,} nodes (at node {printable(path)}); not read",
                self.display, self._where(nodes, index),
                hint="a real workflow expands to a few hundred nodes; docs/security.md lists "
                "the bounds")

    def _line(self, nodes: list[Any], index: int) -> int | None:
        if self.lines is None:
            return None
        found = self.lines.lines_of(nodes)
        return found[index] if found is not None and index < len(found) else None

    def _where(self, nodes: list[Any], index: int) -> int | None:
        # For errors: the line is worth finding even for a list without references.
        return self._line(nodes, index)

    def _graph(self, nodes: list[Any], prefix: str, outer_mode: int,
               stack: tuple[str, ...], promotions: Promotions,
               instance: tuple[list[Any], int] | None = None) -> None:
        if instance is not None:
            self.expand(len(nodes), instance[0], instance[1], prefix.rstrip(":"))
        else:
            self.expand(len(nodes), nodes, 0, "the root graph")
        for index, node in enumerate(nodes):
            if not isinstance(node, dict):
                where = "graph " + printable(stack[-1]) if stack else "the workflow"
                raise WorkflowReadError(
                    f"node #{index + 1} of {where} is not an object",
                    self.display, self._where(nodes, index))
            node_id = node.get("id")
            if isinstance(node_id, bool) or not isinstance(node_id, (int, str)) or node_id == "":
                raise WorkflowReadError(
                    "node has no 'id'" if node_id is None else f"node id {node_id!r} is invalid",
                    self.display, self._where(nodes, index),
                    hint="the file may have been edited by hand; reopen and save it in ComfyUI")
            node_type = node.get("type")
            if not isinstance(node_type, str):
                raise WorkflowReadError(
                    f"node {printable(str(node_id))} has no 'type'", self.display,
                    self._where(nodes, index))
            mode = node.get("mode")
            own_mode = mode if isinstance(mode, int) and not isinstance(mode, bool) else 0
            effective = own_mode or outer_mode
            path = f"{prefix}{node_id}"
            if node_type in self.subgraphs:
                if node_type in stack or len(stack) >= MAX_SUBGRAPH_DEPTH:
                    raise WorkflowReadError(
                        f"subgraph {printable(node_type)} contains itself (node {printable(path)})",
                        self.display, self._where(nodes, index))
                try:
                    inner = self.promoter.inner(
                        node, node_type, path, promotions,
                        functools.partial(self._line, nodes, index))
                except Refused as exc:
                    raise WorkflowReadError(
                        f"{exc} (at node {printable(path)}); not read", self.display,
                        self._where(nodes, index),
                        hint="docs/security.md lists the bounds") from None
                self._graph(self.subgraphs[node_type], path + ":", effective,
                            (*stack, node_type), inner, (nodes, index))
            elif node_type.startswith(_GROUP_PREFIXES) and node_type[9:] in self.groups:
                self.expand(len(self.groups[node_type[9:]]), nodes, index, path)
                self._group(node, self.groups[node_type[9:]], path, effective)
            else:
                self._node(node, node_type, path, effective, nodes, index, None,
                           promotions.get(str(node_id), {}))

    def _group(self, instance: dict[str, Any], inner: list[Any], path: str, mode: int) -> None:
        """A group node's widgets_values are its inner nodes' widgets_values, concatenated."""
        sizes = [
            len(n["widgets_values"]) if isinstance(n, dict)
            and isinstance(n.get("widgets_values"), list) else 0
            for n in inner
        ]
        own = instance.get("widgets_values")
        spread = isinstance(own, list) and len(own) == sum(sizes)
        start = 0
        for index, node in enumerate(inner):
            if not isinstance(node, dict) or not isinstance(node.get("type"), str):
                continue
            values = own[start : start + sizes[index]] if spread and isinstance(own, list) else None
            start += sizes[index]
            inner_mode = node.get("mode")
            effective = inner_mode if isinstance(inner_mode, int) and inner_mode else mode
            self._node(node, node["type"], f"{path}:{index}", effective, inner, index, values,
                       {})

    def _node(self, node: dict[str, Any], node_type: str, path: str, mode: int,
              nodes: list[Any], index: int, values: list[Any] | None,
              promotions: Mapping[str, Promotion]) -> None:
        widgets = values if values is not None else node.get("widgets_values")
        if not isinstance(widgets, (list, dict)) or not widgets:
            return
        found = ui_values(widgets, node_type, self.rules, promotions)
        if found:
            self.refs.extend(make_refs(
                found, self.rules, workflow=self.display, node_id=path, node_type=node_type,
                mode=mode, line=self._line(nodes, index), own=node_declared(node),
                declared=self.declared))
