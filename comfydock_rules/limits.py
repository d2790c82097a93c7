"""Bounds on what untrusted input may cost, in one place.

A size cap alone bounds nothing that expands: 64 KB of zlib inflate to hundreds of MiB, a few KB
of subgraph definitions expand exponentially, a megabyte of `[],` parses into a million lists.
So every expansion has a bound of its own, far above what real workflows need (docs/security.md
gives each bound with the largest value measured in real workflows and the margin), and every
file given to the tool is read through `read_regular`: without blocking, only when it is a
regular file, and never past its cap.
"""

from __future__ import annotations

import os
import stat

MiB = 1024 * 1024

MAX_WORKFLOW_BYTES = 64 * MiB
"""A workflow file (JSON, PNG or WebP)."""
MAX_EMBEDDED_TEXT_BYTES = 32 * MiB
"""The JSON text one PNG chunk or WebP EXIF string holds, after inflating."""
MAX_JSON_ITEMS = 2_000_000
"""Values, keys and containers one workflow's JSON may parse into (at most ~75 bytes each)."""
MAX_EXPANDED_NODES = 20_000
"""Nodes of one workflow after subgraph and group-node instances are expanded."""
MAX_PROMOTIONS = 200_000
"""Interior widgets shown on subgraph instances, summed over every instance of one workflow
(each is worked out per instance; real workflows have a few hundred)."""
MAX_NAME_CHARS = 255
"""A model file name (the last path segment): no common file system allows a longer one."""
MAX_NODE_TYPE_CHARS = 256
"""Node types longer than this match no rule pattern (`re:`): patterns run on short input."""
MAX_EXIF_ENTRIES = 1024
"""IFD0 entries of a WebP's EXIF block that are looked at."""
MAX_RULE_FILE_BYTES = 8 * MiB
"""One rule file (YAML)."""
MAX_YAML_NODES = 200_000
"""Nodes of one rule file after YAML aliases are expanded (what validation walks)."""
MAX_CONFIG_BYTES = 16 * MiB
"""pyproject.toml and extra_model_paths.yaml."""
MAX_TOML_DEPTH = 100
"""Arrays and inline tables nested in pyproject.toml (the stdlib parser recurses)."""
MAX_SNAPSHOT_BYTES = 1024 * MiB
"""An index snapshot (JSON): the tool's own input, sized for millions of model files."""
MAX_SNAPSHOT_ITEMS = 40_000_000
"""Values, keys and containers of an index snapshot (about 12 per model file)."""


class Refused(Exception):
    """An input over a bound or of a kind the tool does not read; `str()` says which and why."""


def size_text(count: int) -> str:
    if count >= MiB:
        return f"{count / MiB:.0f} MiB" if count % MiB == 0 else f"{count / MiB:.1f} MiB"
    return f"{count} bytes"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `limit` bytes.

    Opened with O_NONBLOCK, so a named pipe cannot hang the run, and checked with fstat on the
    open descriptor (what is read is what was checked). Raises Refused for anything but a
    regular file and for a file over the limit; OSError when it cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{_kind(st.st_mode)}, not a regular file; a {what} is read only "
                          "from a regular file")
        if st.st_size > limit:
            raise Refused(f"the {what} is {size_text(st.st_size)}, more than the "
                          f"{size_text(limit)} one may be")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, 16 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise Refused(f"the {what} grew past the {size_text(limit)} one may be while it "
                          "was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def json_items(text: str) -> int:
    """An upper bound of the values, keys and containers `json.loads(text)` would build.

    Every value and key after the first follows one of `[ { , :`; counting them (in C, over the
    whole text, strings included) can only over-count, so a text under the bound cannot parse
    into more objects than the bound.
    """
    return text.count(",") + text.count(":") + text.count("[") + text.count("{") + 1


def check_json_items(text: str, limit: int, what: str) -> None:
    if len(text) >= limit and json_items(text) > limit:
        raise Refused(f"the {what} would parse into more than {limit:,} values "
                      f"(about {json_items(text):,})")
