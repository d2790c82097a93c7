"""Find index files by part of their name, ranked by the engine's own name matching.

`models search` asks what a reviewer asks before pinning a file: which of my files is this?
The answers come in three tiers, each ranked by the engine's similarity score (the same
normalisation, token classes and reasons `check` prints, docs/matching.md):

1. the same path or file name (up to case), as the engine's exact steps find it;
2. a path that contains the query (letters and digits, case and separators ignored), the
   seed's "file name or path contains" search;
3. look-alike names from the engine's blocked candidates, scoring at least `SIMILAR_MIN`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from comfydock_rules.extensions import strip_model_extension
from comfydock_rules.model import TOKEN_CLASSES, ModelFile
from comfydock_rules.resolve.lookup import Lookup
from comfydock_rules.resolve.names import Name, normalize
from comfydock_rules.resolve.similarity import reason, similarity

SIMILAR_MIN = 0.6
"""Look-alikes below this score are noise for a search."""
SCORED_MAX = 5000
"""Containment hits scored at most (the best by path length first): a one-letter query
matches nearly everything, and scoring 100,000 names would take seconds."""
_NON_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class SearchHit:
    file: ModelFile
    score: float
    reason: str
    tier: int
    """0 same name, 1 the path contains the query, 2 a look-alike name."""


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.casefold())


def _in_directory(f: ModelFile, prefix: str | None) -> bool:
    return prefix is None or f.relative_path.startswith(prefix)


def search(files: Sequence[ModelFile], query: str, *, directory: str | None = None,
           limit: int = 10, lookup: Lookup | None = None) -> tuple[SearchHit, ...]:
    """The best `limit` files for `query`, best first (tier, then score, then path)."""
    text = query.replace("\\", "/").strip().strip("/")
    if not text or limit < 1:
        return ()
    lk = lookup if lookup is not None else Lookup.build(files)
    prefix = directory.replace("\\", "/").strip("/") + "/" if directory else None
    top = [prefix.split("/", 1)[0]] if prefix else list(lk.directories)
    wanted = normalize(text)
    protected = TOKEN_CLASSES
    hits: dict[str, SearchHit] = {}

    def add(f: ModelFile, score: float, why: str, tier: int) -> None:
        if not _in_directory(f, prefix):
            return
        old = hits.get(f.relative_path)
        if old is None or (tier, -score) < (old.tier, -old.score):
            hits[f.relative_path] = SearchHit(f, score, why, tier)

    # 1. the same path or name, as the engine's exact steps see it
    basename = text.rsplit("/", 1)[-1]
    exact = lk.by_path.get(text)
    if exact is not None:
        add(exact, 1.0, "same path", 0)
    for d in top:
        f = lk.by_path.get(f"{d}/{text}")
        if f is not None:
            add(f, 1.0, f"loads as written from {d}/", 0)
    for f in lk.by_name.get(basename, []):
        add(f, 1.0, "same file name", 0)
    for f in lk.by_name_cf.get(basename.casefold(), []):
        add(f, 1.0, "same name up to case", 0)

    def name_of(f: ModelFile) -> Name:
        # A query without an extension is compared with names without theirs: `flux1-dev`
        # asks for `flux1-dev.safetensors` as much as for `flux1-dev.gguf`.
        return normalize(f.filename if wanted.extension else strip_model_extension(f.filename))

    # 2. the path contains the query
    needle = _squash(text)
    if needle:
        contained = [f for f in lk.files if _in_directory(f, prefix)
                     and f.relative_path not in hits and needle in _squash(f.relative_path)]
        contained.sort(key=lambda f: (len(f.relative_path), f.relative_path))
        for f in contained[:SCORED_MAX]:
            sim = similarity(wanted, name_of(f), protected)
            add(f, sim.score, f"path contains '{text}'; {reason(sim)}", 1)

    # 3. look-alike names from the engine's blocked candidates
    for f, name in lk.similar(text, top):
        if f.relative_path in hits:
            continue
        sim = similarity(wanted, name if wanted.extension else name_of(f), protected,
                         SIMILAR_MIN)
        if sim.score >= SIMILAR_MIN:
            add(f, sim.score, reason(sim), 2)

    ranked = sorted(hits.values(), key=lambda h: (h.tier, -h.score, h.file.relative_path))
    return tuple(ranked[:limit])
