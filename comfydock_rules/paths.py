"""Where the tool keeps its per-user cache (index databases, the parsed built-in rules)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

try:  # hashlib would load OpenSSL first; this module is on the pre-commit path
    from _blake2 import blake2b as blake2b
except ImportError:  # pragma: no cover - CPython always builds _blake2
    from hashlib import blake2b as blake2b

ENV_CACHE_DIR = "COMFYDOCK_RULES_CACHE_DIR"


def cache_dir() -> Path:
    """`$COMFYDOCK_RULES_CACHE_DIR`, else the platform's per-user cache folder."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "comfydock-rules" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "comfydock-rules"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "comfydock-rules"


def default_db_path() -> Path:
    return cache_dir() / "index.sqlite"


def models_db_path(roots: Iterable[str | os.PathLike[str]],
                   extra_model_paths: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """The cache db `check --models` uses for this set of roots when no --db is given.

    The index keeps only the roots of its last run, so one shared db would re-hash everything
    each time a user alternates between two projects' models. One db per set of roots (their
    resolved paths and the extra_model_paths files, in any order) keeps each warm.
    """
    keys = {"root\0" + os.path.realpath(root) for root in roots}
    keys |= {"extra\0" + os.path.realpath(path) for path in extra_model_paths}
    text = "\n".join(sorted(keys)).encode("utf-8", "surrogateescape")
    return cache_dir() / f"models-{blake2b(text, digest_size=6).hexdigest()}.sqlite"
