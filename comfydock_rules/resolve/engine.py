"""The resolution engine: every model reference to exact, fuzzy, ambiguous or missing.

Order for one reference (docs/matching.md): recorded pin, the path as ComfyUI loads it, a hash
the workflow declares, the same file name elsewhere in the slot's directories, a case-only
difference, name similarity. The first step that finds something decides; a later step never
overrides an earlier one. Refs repeat across workflows, so each distinct (slot, value, pin,
declared hash) is resolved once and the answer copied to every ref that shares it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from comfydock_rules.extensions import extension_of, format_twins
from comfydock_rules.limits import MAX_NAME_CHARS
from comfydock_rules.model import (
    Candidate,
    Flag,
    MatchPolicy,
    Method,
    ModelFile,
    ModelRef,
    Resolution,
    Status,
    reference_sort_key,
)
from comfydock_rules.resolve.generic import (
    GENERIC_REASON,
    folder_evidence,
    folder_keys,
    folders_match,
    generic_keys,
    is_generic,
)
from comfydock_rules.resolve.lookup import Lookup
from comfydock_rules.resolve.names import normalize
from comfydock_rules.resolve.similarity import confusable_variant, reason, similarity

MAX_CANDIDATES = 5
DEFAULT_POLICY = MatchPolicy()


@dataclasses.dataclass(frozen=True)
class _Outcome:
    """What the ref-independent part of a resolution found."""

    status: Status
    method: Method | None
    score: float | None
    resolved: ModelFile | None
    candidates: tuple[Candidate, ...] = ()
    flags: frozenset[Flag] = frozenset()
    messages: tuple[str, ...] = ()


def _sort_key(ref: ModelRef) -> tuple[object, ...]:
    # reference_sort_key, then fields that tell apart refs it considers equal, so that the
    # output order never depends on the input order.
    return (*reference_sort_key(ref), ref.mode, ref.enabled, ref.line or 0, ref.node_type)


def _prefer_key(f: ModelFile, named: tuple[str, ...] = ()) -> tuple[int, int, str]:
    """Among paths of one model, or files of one name: the one in the folders the reference
    names (`SDXL/` for `SDXL/lightning.safetensors`), then the shallowest, then by path."""
    return (-folder_evidence(named, folder_keys(f.path_in_directory)),
            f.relative_path.count("/"), f.relative_path)


def _depth_name(f: ModelFile) -> str:
    return f.relative_path.rsplit("/", 1)[0] + "/" if "/" in f.relative_path else ""


class Engine:
    """Resolves refs against one Lookup; remembers answers for repeated (slot, value)."""

    def __init__(self, lookup: Lookup, generic_names: Iterable[str] = ()) -> None:
        self.lookup = lookup
        self.generic = generic_keys(generic_names)
        self._cache: dict[tuple[object, ...], _Outcome] = {}

    def resolve(self, ref: ModelRef, pin: str | None = None) -> Resolution:
        declared = ref.declared
        key = (
            ref.slot, ref.lookup_value, ref.node_type, pin,
            declared.hash if declared else None, declared.hash_type if declared else None,
        )
        outcome = self._cache.get(key)
        if outcome is None:
            outcome = self._resolve(ref, pin)
            self._cache[key] = outcome
        flags = set(outcome.flags)
        if ref.bypassed:
            flags.add("bypassed")
        url = None
        download_directory = None
        if outcome.status in ("missing", "ambiguous") and declared is not None:
            # A reviewer choosing between candidates wants the declared source as much as
            # someone downloading a missing file.
            url = declared.url
            download_directory = declared.directory
        if (outcome.status == "missing" and download_directory is None
                and ref.slot is not None and ref.slot.directories):
            download_directory = ref.slot.directories[0]
        return Resolution(
            ref=ref,
            status=outcome.status,
            method=outcome.method,
            score=outcome.score,
            resolved=outcome.resolved,
            candidates=outcome.candidates,
            flags=tuple(sorted(flags)),
            url=url,
            download_directory=download_directory,
            messages=outcome.messages,
        )

    # -- the steps -------------------------------------------------------------------------

    def _resolve(self, ref: ModelRef, pin: str | None) -> _Outcome:
        lk = self.lookup
        slot = ref.slot
        value = ref.lookup_value
        basename = value.rsplit("/", 1)[-1]
        policy = slot.match if slot is not None else DEFAULT_POLICY
        directories = slot.directories if slot is not None else lk.directories
        dirset = frozenset(directories)
        extensions = frozenset(slot.extensions) if slot is not None else frozenset()
        flags: set[Flag] = set() if slot is not None else {"no_rule"}
        messages: list[str] = []
        # A generic name (diffusion_pytorch_model, model, last) says nothing about which model a
        # file holds: a file of that name is this reference's only in the folders it names.
        named = folder_keys(value)
        generic = is_generic(basename, self.generic)

        def loadable(f: ModelFile) -> bool:
            return f.directory in dirset and (
                not extensions or extension_of(f.filename) in extensions)

        def identity(f: ModelFile) -> bool:
            return not generic or folders_match(named, folder_keys(f.path_in_directory))

        # 1. a recorded pin, wherever its file lives now
        if pin:
            hits = lk.by_hash.get(pin.strip().lower())
            if hits:
                pick = min(hits, key=lambda f: (
                    not loadable(f), f.path_in_directory != value, *_prefer_key(f)))
                where = "" if loadable(pick) else " (outside the directories this node loads from)"
                if not loadable(pick) or pick.path_in_directory != value:
                    # The pin finds the file; ComfyUI, given the value as written, would not.
                    flags.add("not_as_written")
                return _Outcome("exact", "pinned", 1.0, pick,
                                (Candidate(pick, 1.0, f"recorded pin {pin}{where}"),),
                                frozenset(flags))
            flags.add("stale_pin")
            messages.append(f"recorded hash {pin} is no longer in the index")

        # 2. the path as ComfyUI would load it
        for directory in directories:
            f = lk.by_path.get(f"{directory}/{value}")
            if f is not None and loadable(f):
                return _Outcome("exact", "path", 1.0, f,
                                (Candidate(f, 1.0, f"loads as written from {directory}/"),),
                                frozenset(flags), tuple(messages))

        # `ae.sft` and `ae.safetensors` are one name: two spellings of one format
        spellings = (basename, *format_twins(basename))
        same_name = [f for name in spellings for f in lk.by_name.get(name, ())]
        elsewhere: list[Candidate] = []
        if slot is not None and not any(loadable(f) and identity(f) for f in same_name):
            for f in same_name:
                if f.directory not in dirset and identity(f):
                    elsewhere.append(Candidate(
                        f, 1.0,
                        f"same name in {f.directory}/, which {ref.node_type} does not load from"))
            if elsewhere:
                flags.add("wrong_directory")

        def finish(outcome: _Outcome) -> _Outcome:
            cands = list(outcome.candidates)
            if elsewhere:
                n_elsewhere = min(len(elsewhere), max(1, MAX_CANDIDATES - len(cands)))
                cands = cands[: MAX_CANDIDATES - n_elsewhere] + elsewhere[:n_elsewhere]
            return dataclasses.replace(
                outcome, candidates=tuple(cands[:MAX_CANDIDATES]), flags=frozenset(flags),
                messages=tuple(messages) + outcome.messages)

        # 3. a hash the workflow declares
        declared = ref.declared
        if declared is not None and declared.hash:
            found = lk.by_declared_hash(declared.hash, declared.hash_type)
            hits = [f for f in found if loadable(f)]
            if hits:
                kind = declared.hash_type or "hash"
                return finish(self._by_identity(
                    hits, "hash", policy, lambda f: f"same {kind} as declared, in {_where(f)}"))

        def spelled(f: ModelFile) -> str:
            if f.filename.casefold() == basename.casefold():
                return ""
            return (f" ({extension_of(f.filename)} and {extension_of(basename)} are one "
                    "format)")

        # 4. the same file name elsewhere in the slot's directories
        hits = [f for f in same_name if loadable(f)]
        if hits:
            return finish(self._named(
                hits, identity, value, "filename", policy,
                lambda f: f"same file name in {_where(f)}{spelled(f)}"))

        # 5. a case-only difference
        folded = [f for name in spellings for f in lk.by_name_cf.get(name.casefold(), ())]
        hits = [f for f in folded if loadable(f)]
        if hits:
            return finish(self._named(
                hits, identity, value, "casefold", policy,
                lambda f: f"same name up to case in {_where(f)}{spelled(f)}"))

        # 6. name similarity; not for a node without a rule: nothing says which directory it
        # loads from, and a look-alike from any directory is a guess, not a candidate
        if slot is None:
            return finish(_Outcome("missing", None, None, None))
        if len(basename) > MAX_NAME_CHARS:
            # No file system holds such a name; comparing it would only cost time.
            return finish(_Outcome("missing", None, None, None, messages=(
                f"the file name is {len(basename):,} characters long, more than the "
                f"{MAX_NAME_CHARS} any file system allows; not compared with the index",)))
        # a file named as written elsewhere takes one of the candidate places
        room = MAX_CANDIDATES - (1 if elsewhere else 0)
        return finish(self._similar(value, directories, loadable, policy, room,
                                    named, identity if generic else None))

    def _named(self, hits: list[ModelFile], identity: Callable[[ModelFile], bool],
               value: str, method: Method, policy: MatchPolicy,
               why: Callable[[ModelFile], str]) -> _Outcome:
        """Files of the reference's name (steps 4 and 5). For a generic name only those in the
        folders the reference names may be picked; the others are listed after them."""
        named = folder_keys(value)
        ours = [f for f in hits if identity(f)]
        others: dict[str, ModelFile] = {}
        for f in sorted((f for f in hits if not identity(f)), key=lambda f: _prefer_key(f, named)):
            others.setdefault(f.hash, f)
        listed = tuple(Candidate(f, 1.0, f"{why(f)}; {GENERIC_REASON}")
                       for f in sorted(others.values(), key=lambda f: _prefer_key(f, named)))
        if ours:
            outcome = self._by_identity(ours, method, policy, why, named)
            seen = {c.file.hash for c in outcome.candidates}
            extra = tuple(c for c in listed if c.file.hash not in seen)
            return dataclasses.replace(
                outcome, candidates=(outcome.candidates + extra)[:MAX_CANDIDATES])
        folder, _, name = value.rpartition("/")
        where = (f"no file of this name is in a folder {folder}/" if named
                 else "the reference names no folder")
        return _Outcome("ambiguous", None, 1.0, None, listed[:MAX_CANDIDATES], messages=(
            f"{name} is a {GENERIC_REASON}, and {where}; record the one meant",))

    def _by_identity(self, hits: list[ModelFile], method: Method, policy: MatchPolicy,
                     why: Callable[[ModelFile], str],
                     named: tuple[str, ...] = ()) -> _Outcome:
        """Files found by name or hash: one model (one hash) is a pick, several are a choice."""
        groups: dict[str, list[ModelFile]] = {}
        for f in sorted(hits, key=lambda f: _prefer_key(f, named)):
            groups.setdefault(f.hash, []).append(f)
        firsts = sorted((g[0] for g in groups.values()), key=lambda f: _prefer_key(f, named))
        cands = tuple(Candidate(f, 1.0, why(f)) for f in firsts[:MAX_CANDIDATES])
        if len(groups) > 1:
            return _Outcome("ambiguous", None, 1.0, None, cands, messages=(
                f"{len(groups)} different models match by {method}; record the one meant",))
        if method not in policy.auto_pick_methods:
            return _Outcome("ambiguous", None, 1.0, None, cands, messages=(
                f"found by {method}, which this slot's policy does not auto-pick",))
        return _Outcome("fuzzy", method, 1.0, firsts[0], cands)

    def _similar(self, value: str, directories: Sequence[str],
                 loadable: Callable[[ModelFile], bool], policy: MatchPolicy,
                 room: int = MAX_CANDIDATES, named: tuple[str, ...] = (),
                 identity: Callable[[ModelFile], bool] | None = None) -> _Outcome:
        name = normalize(value)
        protected = policy.protected
        scored: list[_Scored] = []
        for f, other in self.lookup.similar(value, directories):
            if not loadable(f):
                continue
            sim = similarity(name, other, protected, policy.suggest_min)
            variant = confusable_variant(name, other, protected) if (
                sim.conflicts or sim.score < policy.suggest_min) else None
            if sim.score < policy.suggest_min:
                # A confusable variant stays listed whatever its score: it is the file a
                # reviewer must see (`t5-refiner` for `t5-base`), and it is never picked.
                if variant is None:
                    continue
                sim = similarity(name, other, protected)
            tier, text, why_not = sim.tier(), reason(sim), ""
            if sim.conflicts:
                why_not = "its name differs in a protected token class"
            elif sim.download_suffix:
                why_not = ("its name adds a download suffix: a name clash happened, which says "
                           "nothing about its content")
            if identity is not None and not identity(f):
                tier, text = max(tier, 1), f"{text}; {GENERIC_REASON}"
                why_not = why_not or GENERIC_REASON
            evidence = folder_evidence(named, folder_keys(f.path_in_directory))
            scored.append(_Scored(tier, sim.score, evidence, f.relative_path, f, text, why_not,
                                  variant))
        if not scored:
            return _Outcome("missing", None, None, None)
        scored.sort(key=_rank)
        best_per_hash: dict[str, _Scored] = {}
        for item in scored:
            best_per_hash.setdefault(item.file.hash, item)
        ranked = sorted(best_per_hash.values(), key=_rank)
        if max(item.score for item in ranked) < policy.suggest_min:
            # only confusable variants below the suggestion threshold: still missing
            return _Outcome("missing", None, None, None, _shortlist(ranked, None, room), messages=(
                "no candidate scores "
                f"{policy.suggest_min:.2f} or more; listed: names that differ only in "
                "protected tokens, never picked",))
        # The first ranked is the pick, if anything is: a download-suffix copy ranked first
        # blocks a lower-scoring clean reading of the name rather than let it be picked. Its
        # rivals for the margin are the other readings of the name (tier 0); a sibling that
        # differs in a protected class is not a rival reading, it is another model.
        best = ranked[0]
        rivals = [item for item in ranked[1:] if item.tier == 0]
        runner = rivals[0] if rivals else None
        why_not = best.why_not
        if why_not:
            pass
        elif best.score < policy.auto_pick_min_score:
            why_not = f"score {best.score:.2f} is below {policy.auto_pick_min_score:.2f}"
        elif runner is not None and round(
                best.score - runner.score, 4) < policy.auto_pick_min_margin:
            why_not = f"{runner.path} scores within {policy.auto_pick_min_margin:.2f}"
        elif "similar" not in policy.auto_pick_methods:
            why_not = "this slot's policy does not auto-pick by similarity"
        if why_not:
            return _Outcome("ambiguous", None, best.score, None, _shortlist(ranked, None, room),
                            messages=(f"best candidate {best.path} not picked: {why_not}",))
        cands = _shortlist(ranked, best, room)
        picked = [c for c in cands if c.file == best.file]
        cands = tuple(picked) + tuple(c for c in cands if c.file != best.file)
        return _Outcome("fuzzy", "similar", best.score, best.file, cands)


class _Scored(NamedTuple):
    tier: int
    """Similarity.tier (0 the same name up to spelling, 1 probably the same weights, 2 another
    model); a generic name outside the folders the reference names is at least 1."""
    score: float
    evidence: int
    """How many of the folders the reference names hold the file (ranking only)."""
    path: str
    file: ModelFile
    reason: str
    why_not: str
    """Why it may not be picked ('' when it may)."""
    variant: str | None
    """The class swapped when a confusable variant (similarity.confusable_variant): always
    listed, never picked."""


def _rank(item: _Scored) -> tuple[int, float, int, str]:
    """Readings of the name first (same spelling, download suffixes, other formats), then
    files that probably hold the same weights (a full precision one name states), then other
    models (`mm_sd_v15_v2.safetensors` for `mm_sd_v15_v2.ckpt` before the other release
    `mm_sd_v15.ckpt`); by score within each; at equal scores the file in the folders the
    reference names first."""
    return (item.tier, -item.score, -item.evidence, item.path)


def _shortlist(ranked: Sequence[_Scored], pick: _Scored | None,
               room: int = MAX_CANDIDATES) -> tuple[Candidate, ...]:
    """The best `room` candidates, but the pick (or, with none, the first ranked when it probably
    holds the same weights: a download-suffix copy) and confusable variants first claim their
    places: a variant ranked sixth behind look-alikes is still the one file a reviewer must see.
    The best variant of each class comes first (for `flux1-dev-fp8`: `flux1-schnell-fp8` as
    well as `flux1-dev-Q8_0`, not five quantisations)."""
    if pick is None and ranked and ranked[0].tier < 2:
        pick = ranked[0]
    per_class: dict[str | None, int] = {}
    order: list[tuple[int, int, _Scored]] = []
    for position, item in enumerate(ranked):
        if item.variant is not None and item is not pick:
            nth = per_class.get(item.variant, 0)
            per_class[item.variant] = nth + 1
            order.append((nth, position, item))
    must = ([pick] if pick is not None else []) + [item for _, _, item in sorted(order)]
    must = must[:room]
    chosen = set(map(id, must))
    rest = [item for item in ranked if id(item) not in chosen]
    keep = set(map(id, must + rest[: room - len(must)]))
    return tuple(Candidate(item.file, item.score, item.reason)
                 for item in ranked if id(item) in keep)


def _where(f: ModelFile) -> str:
    return _depth_name(f) or f.relative_path


def resolve_all(
    refs: Sequence[ModelRef],
    files: Sequence[ModelFile],
    pins: Mapping[tuple[str, str], str] | None = None,
    *,
    generic_names: Iterable[str],
    lookup: Lookup | None = None,
) -> tuple[Resolution, ...]:
    """One Resolution per ref, in report order. `generic_names` are the rules' generic file
    stems (`RuleSet.generic_names`; pass () for none). Pass `lookup` to reuse tables across
    calls."""
    engine = Engine(lookup if lookup is not None else Lookup.build(files), generic_names)
    pins = pins or {}
    return tuple(
        engine.resolve(ref, pins.get((ref.workflow, ref.value)))
        for ref in sorted(refs, key=_sort_key)
    )
