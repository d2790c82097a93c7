"""Settings for `check`: command-line flags first, then `[tool.comfydock-rules]` in the nearest
pyproject.toml, then defaults.

A project keeps its rule files, index snapshot and gate in its pyproject.toml so that the
pre-commit hook and CI need no flags. Read with the stdlib tomllib: it is fast and read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import GateWord

SECTION = "comfydock-rules"
KEYS: tuple[str, ...] = ("db", "extra_model_paths", "fail_on", "index", "models", "rules")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Config:
    """The `[tool.comfydock-rules]` table; paths already made relative to the current folder."""

    rules: tuple[str, ...] = ()
    index: str | None = None
    models: tuple[str, ...] = ()
    db: str | None = None
    extra_model_paths: str | None = None
    fail_on: tuple[GateWord, ...] | None = None
    source: str | None = None
    """The pyproject.toml the settings came from."""


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml, found exactly as the pins are found (one rule for both, so
    settings and pins never come from two different files)."""
    from comfydock_rules.pyproject.pins import find_pyproject as nearest

    return nearest(start or Path.cwd())


def _key_line(text: str, key: str) -> int | None:
    """Best-effort line of `key = ...` inside the section, for error messages."""
    in_section = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.replace(" ", "").strip('"') in (
                f"[tool.{SECTION}]", f'[tool."{SECTION}"]'
            )
            continue
        if in_section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def _display(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _builtin_name(value: str) -> bool:
    """`rules = ["core"]`: a shipped set's name, which the rule loader does not take as a file.

    The built-in sets are loaded before every rule file anyway (a file without `extends`
    extends them), so the name would add nothing; saying so beats "core: file not found".
    """
    if "/" in value or "\\" in value or value.endswith((".yaml", ".yml")):
        return False
    from comfydock_rules.rules.load import BUILTIN_SETS

    return value in BUILTIN_SETS


def load_config(pyproject: Path | None = None) -> Config:
    """Read `[tool.comfydock-rules]`; an absent file or table gives the defaults."""
    path = pyproject if pyproject is not None else find_pyproject()
    if path is None or not path.is_file():
        return Config()
    import tomllib

    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ToolInputError(f"cannot read: {exc.strerror}", path=shown) from exc
    except UnicodeDecodeError as exc:
        raise ToolInputError("not UTF-8 text", path=shown) from exc
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        message = _TOML_POSITION.sub("", str(exc)).strip()
        raise ToolInputError(
            f"invalid TOML: {message}",
            path=shown,
            line=int(found.group(1)) if found else None,
            column=int(found.group(2)) if found else None,
        ) from exc
    tool = data.get("tool")
    table = tool.get(SECTION) if isinstance(tool, dict) else None
    if table is None:
        return Config(source=shown)
    if not isinstance(table, dict):
        raise ToolInputError(f"[tool.{SECTION}] must be a table", path=shown)
    base = path.parent

    def fail(key: str, what: str) -> ToolInputError:
        return ToolInputError(
            f"[tool.{SECTION}] {key}: {what}", path=shown, line=_key_line(text, key), column=1
        )

    for key in sorted(table):
        if key.replace("-", "_") not in KEYS:
            raise fail(key, "unknown setting; known settings: " + ", ".join(KEYS))
    values = {key.replace("-", "_"): value for key, value in table.items()}

    def one_path(key: str) -> str | None:
        value = values.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise fail(key, "must be a path string")
        return _display(base / value)

    def path_list(key: str) -> tuple[str, ...]:
        value = values.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, "must be a list of path strings")
        for v in value:
            if key == "rules" and _builtin_name(v) and not (base / v).exists():
                raise fail(key, f"'{v}' is a built-in rule set, and the built-in sets are "
                           "always loaded first; list your own rule files here (a rule file's "
                           "`extends:` chooses among the built-in sets)")
        return tuple(_display(base / v) for v in value)

    rules = path_list("rules")

    fail_on: Any = values.get("fail_on")
    if fail_on is not None:
        if isinstance(fail_on, str):
            fail_on = fail_on.split(",")
        if not isinstance(fail_on, list) or not all(isinstance(v, str) for v in fail_on):
            raise fail("fail_on", "must be a list of statuses and flags")
        from comfydock_rules.report.core import parse_fail_on

        try:
            fail_on = parse_fail_on(fail_on, source=f"[tool.{SECTION}] fail_on")
        except ToolInputError as exc:
            raise fail("fail_on", exc.message.split(": ", 1)[-1] + f" ({exc.hint})") from exc

    return Config(
        rules=rules,
        index=one_path("index"),
        models=path_list("models"),
        db=one_path("db"),
        extra_model_paths=one_path("extra_model_paths"),
        fail_on=fail_on,
        source=shown,
    )
