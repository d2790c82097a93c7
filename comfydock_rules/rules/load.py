"""The one way every command gets its rules: `load_ruleset`.

Light on purpose (the pre-commit path imports it): the built-in sets come from the cache when it
is current (rules/cache.py); anything else is parsed and validated by rules/build.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from comfydock_rules.model import RuleSet

BUILTIN_SETS: tuple[str, ...] = ("core", "custom-nodes")


def load_ruleset(files: Sequence[str | Path] = (), *, builtin: bool = True) -> RuleSet:
    """The effective rules: the built-in sets, then `files` in order (each with its `extends`).

    With `builtin=False`, a file without `extends` starts from nothing instead of the built-ins.
    """
    if files or not builtin:
        from comfydock_rules.rules.build import build_ruleset

        return build_ruleset(files, builtin=builtin)
    from comfydock_rules.rules.cache import builtin_ruleset

    return builtin_ruleset()
