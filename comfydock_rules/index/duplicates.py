"""Files the index holds more than once: same quick hash, confirmed by a full-file hash.

The quick hash samples a file, so two files sharing it are only candidates; the index already
computes the full BLAKE3 of every file whose quick hash is shared (docs/index.md, "Collisions"),
so a current index answers from its own columns. A full hash missing from the index (an index
written before it kept them, a snapshot) is computed here for those files only, and a group
that cannot be confirmed is listed apart, never counted as space to reclaim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from comfydock_rules.index.query import IndexEntry


@dataclass(frozen=True)
class DuplicateGroup:
    """One content stored at several locations."""

    hash: str
    """The quick hash."""
    full_hash: str | None
    """`blake3:<hex>` or `sha256:<hex>`: what confirmed the group; None when unconfirmed."""
    size: int
    entries: tuple[IndexEntry, ...]
    """Sorted by path."""
    copies: int
    """Distinct files on disk: locations that are links to one file (same device and inode)
    count once."""
    computed: bool = False
    """The full hash was computed now, not read from the index."""

    @property
    def reclaimable(self) -> int:
        """Bytes freed by keeping one copy (links to one file free nothing)."""
        return self.size * (self.copies - 1) if self.full_hash else 0


@dataclass(frozen=True)
class Duplicates:
    groups: tuple[DuplicateGroup, ...]
    """Confirmed groups, the most reclaimable first (then by hash)."""
    unconfirmed: tuple[DuplicateGroup, ...]
    """Same quick hash, but no full hash known or computable for every member."""
    hashed_files: int
    """Files whose full BLAKE3 was computed by this call."""

    @property
    def reclaimable(self) -> int:
        return sum(group.reclaimable for group in self.groups)


Hasher = Callable[[str], str]
"""Full BLAKE3 (hex) of the file at a disk path; raises OSError when it cannot be read."""


def _blake3(path: str) -> str:
    from comfydock_rules.index.hashing import full_blake3

    return full_blake3(path)[0]


def _copies(entries: Sequence[IndexEntry]) -> int:
    seen: set[tuple[int, int]] = set()
    count = 0
    for entry in entries:
        identity = entry.identity
        if identity is None:
            count += 1
        elif identity not in seen:
            seen.add(identity)
            count += 1
    return count


def find_duplicates(entries: Sequence[IndexEntry], hasher: Hasher | None = None) -> Duplicates:
    """Group `entries` by content. `hasher` computes a missing full BLAKE3 (default: read the
    file); it is called only for files of a quick hash shared by several locations."""
    by_quick: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        by_quick.setdefault(entry.file.hash, []).append(entry)
    compute = hasher or _blake3
    groups: list[DuplicateGroup] = []
    unconfirmed: list[DuplicateGroup] = []
    hashed = 0
    for quick in sorted(by_quick):
        members = by_quick[quick]
        if len(members) < 2:
            continue
        keyed: dict[str, list[IndexEntry]] = {}
        loose: list[IndexEntry] = []
        computed = False
        kind = _shared_kind(members)
        for entry in sorted(members, key=lambda e: e.relative_path):
            key = _full_key(entry, kind)
            if key is None and entry.disk_path is not None:
                try:
                    key = "blake3:" + compute(entry.disk_path).lower()
                    hashed += 1
                    computed = True
                except OSError:
                    key = None
            if key is None:
                loose.append(entry)
            else:
                keyed.setdefault(key, []).append(entry)
        for key in sorted(keyed):
            same = keyed[key]
            if len(same) > 1:
                groups.append(DuplicateGroup(quick, key, same[0].file.size, tuple(same),
                                             _copies(same), computed))
        if loose and len(loose) + sum(map(len, keyed.values())) > 1:
            unconfirmed.append(DuplicateGroup(quick, None, members[0].file.size,
                                              tuple(sorted(members, key=lambda e: e.relative_path)),
                                              _copies(members)))
    groups.sort(key=lambda g: (-g.reclaimable, g.hash, g.full_hash or ""))
    return Duplicates(tuple(groups), tuple(unconfirmed), hashed)


def _shared_kind(members: Sequence[IndexEntry]) -> str:
    """The full hash every member has: BLAKE3 (what the index confirms collisions with) when
    all have it, else SHA-256 when all have that, else BLAKE3 (computed where missing)."""
    if all(e.file.full_blake3 for e in members):
        return "blake3"
    if all(e.file.sha256 for e in members):
        return "sha256"
    return "blake3"


def _full_key(entry: IndexEntry, kind: str) -> str | None:
    value = entry.file.full_blake3 if kind == "blake3" else entry.file.sha256
    return f"{kind}:{value.lower()}" if value else None
