"""The index held in memory as lookup tables, built once per run.

Exact lookups (path, name, hash) are plain dicts built in one pass. The tables for fuzzy
matching need every name normalised, which costs far more than a one-workflow pre-commit run
should pay, so they are built per directory the first time a reference there needs them.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from comfydock_rules.model import ModelFile
from comfydock_rules.resolve.names import Name, normalize, spelling

CANDIDATE_CAP = 64
"""Files scored per reference at most, after blocking."""
COMMON_TOKEN = 5000
"""Tokens shared by more files than this in one directory do not help to block."""


class DirectoryTable:
    """One directory's files with the keys that block candidates; names normalised on demand.

    Building costs one cheap pass (skeleton, download-suffix core, letter and digit runs) per
    file; the full normalisation runs only for files that some reference actually scores.
    """

    def __init__(self, files: list[ModelFile]) -> None:
        self.files = files
        self._names: list[Name | None] = [None] * len(files)
        skel: defaultdict[str, list[int]] = defaultdict(list)
        core: defaultdict[str, list[int]] = defaultdict(list)
        post: defaultdict[str, list[int]] = defaultdict(list)
        for i, f in enumerate(files):
            skeleton, stripped, keys = spelling(f.relative_path)
            skel[skeleton].append(i)
            if stripped:
                core[stripped].append(i)
            for key in keys:
                post[key].append(i)
        self.by_skeleton = dict(skel)
        self.by_core = dict(core)
        self.postings = dict(post)

    @classmethod
    def build(cls, files: list[ModelFile]) -> DirectoryTable:
        return cls(files)

    def name(self, index: int) -> Name:
        name = self._names[index]
        if name is None:
            name = normalize(self.files[index].filename)
            self._names[index] = name
        return name

    def candidates(self, value: str, cap: int = CANDIDATE_CAP) -> list[int]:
        """Indices of the files worth scoring against `value`, most shared keys first."""
        skeleton, stripped, keys = spelling(value)
        chosen: set[int] = set()
        for key in (skeleton, stripped):
            if key:
                chosen.update(self.by_skeleton.get(key, ()))
                chosen.update(self.by_core.get(key, ()))
        lists = [self.postings[k] for k in sorted(keys) if k in self.postings]
        useful = [p for p in lists if len(p) <= COMMON_TOKEN]
        if not useful and lists:
            useful = [min(lists, key=len)[:COMMON_TOKEN]]
        counts: Counter[int] = Counter()
        for posting in useful:
            counts.update(posting)
        # Most shared keys first, ties by index: two sorts in C (the second is stable even
        # reversed) instead of a Python key per item; thousands of items per reference at scale.
        ranked = sorted(counts)
        ranked.sort(key=counts.__getitem__, reverse=True)
        for index in ranked:
            if len(chosen) >= cap:
                break
            chosen.add(index)
        return sorted(chosen)


class Lookup:
    """All lookups the engine makes, over one list of model files.

    Only the by-path table is built up front: when every reference loads as written (the usual
    pre-commit run) nothing else is needed. The others are built in one pass on first use.
    """

    def __init__(self, files: Iterable[ModelFile]) -> None:
        self.files: tuple[ModelFile, ...] = tuple(files)
        by_path: dict[str, ModelFile] = {}
        for f in self.files:
            # the first of duplicate paths by hash, whatever the input order
            old = by_path.get(f.relative_path)
            if old is None or f.hash < old.hash:
                by_path[f.relative_path] = f
        self.by_path = by_path
        self._tables: dict[str, DirectoryTable] = {}

    @functools.cached_property
    def _names(self) -> tuple[dict[str, list[ModelFile]], dict[str, list[ModelFile]],
                              dict[str, list[ModelFile]]]:
        by_name: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_name_cf: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_dir: defaultdict[str, list[ModelFile]] = defaultdict(list)
        for path in sorted(self.by_path):
            f = self.by_path[path]
            directory, _, rest = path.partition("/")
            name = rest.rsplit("/", 1)[-1] if rest else directory
            by_name[name].append(f)
            by_name_cf[name.casefold()].append(f)
            by_dir[directory].append(f)
        return dict(by_name), dict(by_name_cf), dict(by_dir)

    @property
    def by_name(self) -> dict[str, list[ModelFile]]:
        return self._names[0]

    @property
    def by_name_cf(self) -> dict[str, list[ModelFile]]:
        return self._names[1]

    @property
    def by_dir(self) -> dict[str, list[ModelFile]]:
        """Files of each directory, sorted by relative path."""
        return self._names[2]

    @functools.cached_property
    def directories(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_dir))

    @functools.cached_property
    def _hashes(self) -> tuple[dict[str, list[ModelFile]], dict[str, list[ModelFile]]]:
        by_hash: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_full: defaultdict[str, list[ModelFile]] = defaultdict(list)
        for path in sorted(self.by_path):
            f = self.by_path[path]
            by_hash[f.hash.lower()].append(f)
            if f.full_blake3:
                by_full["blake3:" + f.full_blake3.lower()].append(f)
            if f.sha256:
                by_full["sha256:" + f.sha256.lower()].append(f)
        return dict(by_hash), dict(by_full)

    @property
    def by_hash(self) -> dict[str, list[ModelFile]]:
        return self._hashes[0]

    @property
    def by_full(self) -> dict[str, list[ModelFile]]:
        """`sha256:<hex>` and `blake3:<hex>` (full-file hashes) to files."""
        return self._hashes[1]

    @classmethod
    def build(cls, files: Sequence[ModelFile]) -> Lookup:
        return cls(files)

    def table(self, directory: str) -> DirectoryTable:
        table = self._tables.get(directory)
        if table is None:
            table = DirectoryTable.build(self.by_dir.get(directory, []))
            self._tables[directory] = table
        return table

    def by_declared_hash(self, value: str, hash_type: str | None) -> list[ModelFile]:
        """Files whose hash equals a workflow's declared hash (sha256, blake3 or quick hash)."""
        value = value.strip().lower()
        kind = (hash_type or "").strip().lower()
        if kind in ("sha256", "blake3"):
            return list(self.by_full.get(f"{kind}:{value}", ()))
        if len(value) == 16:
            return list(self.by_hash.get(value, ()))
        if len(value) == 64:
            return list(self.by_full.get(f"sha256:{value}", ())) + list(
                self.by_full.get(f"blake3:{value}", ()))
        return []

    def similar(self, value: str, directories: Sequence[str],
                cap: int = CANDIDATE_CAP) -> list[tuple[ModelFile, Name]]:
        """Blocked candidates from the given directories, with their normalised names."""
        out: list[tuple[ModelFile, Name]] = []
        for directory in dict.fromkeys(directories):
            if directory not in self.by_dir:
                continue
            table = self.table(directory)
            for index in table.candidates(value, cap):
                out.append((table.files[index], table.name(index)))
        return out
