"""Locate the rule files and schemas shipped with the package (installed or in a checkout)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(installed: str, checkout: str) -> Path:
    # A wheel installs rules/ and schemas/ as package folders; an editable install or a
    # checkout keeps them at the repository's top level.
    path = _PACKAGE / installed
    if path.is_dir():
        return path
    return _PACKAGE.parent / checkout


def rules_dir() -> Path:
    return _shipped("rulesets", "rules")


def schemas_dir() -> Path:
    return _shipped("schemas", "schemas")


def schema_path(name: str) -> Path:
    """`name` such as `rules` gives `schemas/rules.schema.json`."""
    return schemas_dir() / f"{name}.schema.json"
