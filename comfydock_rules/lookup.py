"""The index held in memory as lookup tables, built once per run.

Exact lookups (path, name, hash) are plain dicts built in one pass. The tables for fuzzy
matching need every name normalised, which costs far more than a one-workflow pre-commit run
should pay, so they are built per directory the first time a reference there needs them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .model import ModelFile
from .names import Name, blocking_keys, normalize

CANDIDATE_CAP = 200
"""Files scored per reference at most, after blocking."""
COMMON_TOKEN = 5000
"""Tokens shared by more files than this in one directory do not help to block."""


@dataclass
class DirectoryTable:
    """Normalised names of one directory and the postings that block candidates."""

    files: list[ModelFile]
    names: list[Name]
    by_skeleton: dict[str, list[int]] = field(default_factory=dict)
    by_core: dict[str, list[int]] = field(default_factory=dict)
    postings: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, files: list[ModelFile]) -> DirectoryTable:
        names = [normalize(f.filename) for f in files]
        table = cls(files, names)
        skel: defaultdict[str, list[int]] = defaultdict(list)
        core: defaultdict[str, list[int]] = defaultdict(list)
        post: defaultdict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(names):
            skel[name.skeleton].append(i)
            if name.core:
                core[name.core].append(i)
            for token in blocking_keys(name):
                post[token].append(i)
        table.by_skeleton = dict(skel)
        table.by_core = dict(core)
        table.postings = dict(post)
        return table

    def candidates(self, name: Name, cap: int = CANDIDATE_CAP) -> list[int]:
        """Indices of the files worth scoring against `name`, most shared tokens first."""
        chosen: set[int] = set()
        for key in (name.skeleton, name.core):
            if key:
                chosen.update(self.by_skeleton.get(key, ()))
                chosen.update(self.by_core.get(key, ()))
        lists = [self.postings[t] for t in sorted(blocking_keys(name)) if t in self.postings]
        useful = [p for p in lists if len(p) <= COMMON_TOKEN]
        if not useful and lists:
            useful = [min(lists, key=len)[:COMMON_TOKEN]]
        counts: Counter[int] = Counter()
        for posting in useful:
            counts.update(posting)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        for index, _ in ranked:
            if len(chosen) >= cap:
                break
            chosen.add(index)
        return sorted(chosen)


class Lookup:
    """All lookups the engine makes, over one list of model files."""

    def __init__(self, files: Iterable[ModelFile]) -> None:
        self.files: tuple[ModelFile, ...] = tuple(sorted(files, key=lambda f: f.relative_path))
        by_path: dict[str, ModelFile] = {}
        by_path_cf: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_name: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_name_cf: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_dir: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_hash: defaultdict[str, list[ModelFile]] = defaultdict(list)
        by_full: defaultdict[str, list[ModelFile]] = defaultdict(list)
        for f in self.files:
            path = f.relative_path
            by_path.setdefault(path, f)
            by_path_cf[path.casefold()].append(f)
            name = f.filename
            by_name[name].append(f)
            by_name_cf[name.casefold()].append(f)
            by_dir[f.directory].append(f)
            by_hash[f.hash.lower()].append(f)
            if f.full_blake3:
                by_full["blake3:" + f.full_blake3.lower()].append(f)
            if f.sha256:
                by_full["sha256:" + f.sha256.lower()].append(f)
        self.by_path = by_path
        self.by_path_cf = dict(by_path_cf)
        self.by_name = dict(by_name)
        self.by_name_cf = dict(by_name_cf)
        self.by_dir = dict(by_dir)
        self.by_hash = dict(by_hash)
        self.by_full = dict(by_full)
        self.directories: tuple[str, ...] = tuple(sorted(self.by_dir))
        self._tables: dict[str, DirectoryTable] = {}

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

    def similar(self, name: Name, directories: Sequence[str],
                cap: int = CANDIDATE_CAP) -> list[tuple[ModelFile, Name]]:
        """Blocked candidates from the given directories, with their normalised names."""
        out: list[tuple[ModelFile, Name]] = []
        for directory in dict.fromkeys(directories):
            if directory not in self.by_dir:
                continue
            table = self.table(directory)
            for index in table.candidates(name, cap):
                out.append((table.files[index], table.names[index]))
        return out
