"""Where the tool keeps its per-user cache (the default index database)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
