"""ComfyUI's `extra_model_paths.yaml`: the extra folders each model category is loaded from.

Read the way ComfyUI's utils/extra_config.py reads it: top-level sections; in each, an optional
`base_path` (`~` and environment variables expanded, relative to the YAML file's folder when not
absolute) and `is_default`; every other key is a category whose value holds one folder per line
(YAML `|` blocks), each relative to `base_path` (or to the YAML file's folder without one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.index.scan import Root


def _where(node: Any) -> tuple[int, int]:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _fail(path: Path, node: Any, message: str) -> ToolInputError:
    line, column = _where(node)
    return ToolInputError(message, path=str(path), line=line, column=column,
                          hint="see ComfyUI's extra_model_paths.yaml.example")


def load_extra_model_paths(path: str | Path) -> tuple[Root, ...]:
    """One Root per (category, folder) pair, in file order."""
    import yaml  # lazily: `check` without extra paths must not pay for it

    yaml_path = Path(path)
    try:
        text = yaml_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ToolInputError(f"cannot read extra model paths file: {exc.strerror}",
                             path=str(yaml_path)) from None
    except UnicodeDecodeError:
        raise ToolInputError("extra model paths file is not UTF-8 text",
                             path=str(yaml_path)) from None
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ToolInputError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            path=str(yaml_path),
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    if document is None:
        return ()
    if not isinstance(document, yaml.MappingNode):
        raise _fail(yaml_path, document, "expected sections (a mapping) at the top level")
    yaml_dir = os.path.dirname(os.path.abspath(yaml_path))
    roots: list[Root] = []
    for section_key, section in document.value:
        if isinstance(section, yaml.ScalarNode) and section.tag.endswith(":null"):
            continue  # ComfyUI skips an empty section
        if not isinstance(section, yaml.MappingNode):
            raise _fail(yaml_path, section,
                        f"section '{section_key.value}' must map categories to folders")
        roots.extend(_section(yaml_path, yaml_dir, section))
    return tuple(roots)


def _scalar_text(yaml_path: Path, node: Any, what: str) -> str:
    import yaml

    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith((":null", ":bool")):
        raise _fail(yaml_path, node, f"{what} must be a folder path (text)")
    return str(node.value)


def _section(yaml_path: Path, yaml_dir: str, section: Any) -> list[Root]:
    import yaml

    base_path: str | None = None
    is_default = False
    entries: list[tuple[Any, Any]] = []
    for key_node, value_node in section.value:
        key = str(key_node.value)
        if key == "base_path":
            base = os.path.expandvars(os.path.expanduser(
                _scalar_text(yaml_path, value_node, "base_path").strip()))
            if base and not os.path.isabs(base):
                base = os.path.abspath(os.path.join(yaml_dir, base))
            base_path = base or None
        elif key == "is_default":
            value = yaml.safe_load(yaml.serialize(value_node))
            if not isinstance(value, bool):
                raise _fail(yaml_path, value_node, "is_default must be true or false")
            is_default = value
        else:
            entries.append((key_node, value_node))
    roots: list[Root] = []
    for key_node, value_node in entries:
        category = str(key_node.value)
        text = _scalar_text(yaml_path, value_node, f"'{category}'")
        line, column = _where(value_node)
        for raw in text.split("\n"):
            folder = raw.strip()
            if not folder:
                continue
            if base_path:
                full = os.path.join(base_path, folder)
            elif os.path.isabs(folder):
                full = folder
            else:
                full = os.path.join(yaml_dir, folder)
            roots.append(Root(
                path=Path(os.path.normpath(full)),
                category=category,
                is_default=is_default,
                source=f"{yaml_path}:{line}:{column}",
                required=False,
            ))
    return roots
