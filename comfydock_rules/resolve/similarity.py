"""How alike two model names are, and whether they disagree on what makes a model itself.

The score mixes Jaro-Winkler on the normalised names (catches spelling drift) with token
agreement (a missing or extra word costs a lot, so `qwen_image` is not `qwen_image_edit`).
A protected-class conflict does not lower the score; it forbids an automatic pick, so a report
can still offer `flux1-schnell` as a candidate for `flux1-dev` without ever choosing it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from comfydock_rules.resolve.names import (
    FULL_PRECISIONS,
    PRECISION,
    WORDS,
    Name,
    same_spelling,
    token_class,
)

SAME_SKELETON_SCORE = 0.99
"""Names that differ only in case or separators."""
DOWNLOAD_SUFFIX_SCORE = 0.97
"""Names that differ by a download suffix such as " (1)"."""
DROPPED_PRECISION_FACTOR = 0.95
"""One name drops a full precision (fp16, bf16, fp32) that the other carries."""
CLASS_TOKEN_WEIGHT = 0.5
OTHER_EXTENSION_FACTOR = 0.85
"""Another file format (.ckpt for .safetensors) is offered, never picked by name alone."""
MAX_SWAPPED_TOKENS = 2
"""A confusable variant swaps at most this many tokens of one class (`v1-5` -> `v2-1`)."""
MAX_SWAPPED_PRECISION_TOKENS = 3
"""... or of a number format, on either side (`bf16` -> `fp8_e4m3fn_scaled`)."""


@dataclass(frozen=True)
class Conflict:
    token_class: str
    ref_values: tuple[str, ...]
    file_values: tuple[str, ...]

    def describe(self) -> str:
        ref = "/".join(self.ref_values) or "none"
        other = "/".join(self.file_values) or "none"
        return f"differs in {self.token_class}: {other} vs {ref}"


@dataclass(frozen=True)
class Similarity:
    score: float
    conflicts: tuple[Conflict, ...] = ()
    same_spelling: bool = False
    download_suffix: bool = False
    """Same spelling once a download suffix (" (1)", "_1") is taken off one name: a name clash
    happened, which says nothing about the content, so such a file is offered, never picked."""

    def tier(self) -> int:
        """For ranking candidates: 0 the same name up to spelling (a download suffix included,
        though such a copy is never picked); 1 probably the same weights under another name (a
        full precision that only one name states: `mm_sd_v15_v2-fp16` for `mm_sd_v15_v2`, with
        or without another format); 2 another model (another version, variant, size, word or
        quantisation)."""
        if not self.conflicts:
            return 0
        if all(c.token_class == PRECISION and not (c.ref_values and c.file_values)
               and set(c.ref_values or c.file_values) <= FULL_PRECISIONS
               for c in self.conflicts):
            return 1
        return 2


def conflicts(ref: Name, other: Name, protected: Iterable[str]) -> tuple[Conflict, ...]:
    """Protected token classes whose values differ between the names.

    A class present on one side only is a conflict too (`flux1` vs `flux1-dev`, `sd_xl_1.0` vs
    `sd_xl_base_1.0`, `flux1-dev` vs `flux1-dev-fp8`). That includes a dropped full precision:
    `t5xxl` may be a renamed copy of `t5xxl_fp16`, but real model lists carry both
    `X.safetensors` and `X-bf16.safetensors` as different files, so it is offered (scored as
    if the precision were not there), never picked.
    """
    found: list[Conflict] = []
    for cls in sorted(set(protected)):
        mine = ref.of_class(cls)
        theirs = other.of_class(cls)
        if mine == theirs:
            continue
        found.append(Conflict(cls, tuple(sorted(mine)), tuple(sorted(theirs))))
    return tuple(found)


def confusable_variant(ref: Name, other: Name, protected: Iterable[str]) -> str | None:
    """The class when `other` is `ref` with a few tokens of one protected class swapped for
    others, else None.

    `t5-refiner` for `t5-base`, `flux1-schnell` for `flux1-dev`, `lens_fp8_scaled` for
    `lens_bf16`: exactly the files a reviewer must see beside a reference that does not resolve,
    whatever the score (one swapped word is a large share of a short name), and never a pick.
    A format may take more tokens than the one it replaces (`fp16` -> `fp8_e4m3fn`); in the
    other classes the swap is token for token (`v1-5` -> `v2-1`).
    """
    mine = Counter(ref.tokens)
    theirs = Counter(other.tokens)
    only_mine = mine - theirs
    only_theirs = theirs - mine
    n_mine = sum(only_mine.values())
    n_theirs = sum(only_theirs.values())
    if not n_mine or not n_theirs:
        return None
    # One class only: `flux1-dev-F16` for `flux2_dev_fp8mixed` swaps a version and a precision,
    # another model in another format, not a variant of this one.
    classes = {token_class(t) for t in (*only_mine, *only_theirs)}
    (cls,) = classes if len(classes) == 1 else (None,)
    if cls is None or cls not in set(protected):
        return None
    if cls == PRECISION:
        return cls if max(n_mine, n_theirs) <= MAX_SWAPPED_PRECISION_TOKENS else None
    return cls if n_mine == n_theirs <= MAX_SWAPPED_TOKENS else None


def _weight(token: str) -> float:
    # Class tokens (fp16, v1.5, 14b, dev) say less about which model family a file belongs to
    # than its words do; whether they differ is judged by the conflict check, not the score.
    return CLASS_TOKEN_WEIGHT if token_class(token) is not None else 1.0


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    """Weighted Dice coefficient of two token multisets."""
    total = sum(map(_weight, a)) + sum(map(_weight, b))
    if total == 0:
        return 1.0
    left: dict[str, int] = {}
    for t in a:
        left[t] = left.get(t, 0) + 1
    common = 0.0
    for t in b:
        n = left.get(t, 0)
        if n:
            left[t] = n - 1
            common += _weight(t)
    return 2.0 * common / total


def similarity(ref: Name, other: Name, protected: Iterable[str],
               floor: float = 0.0) -> Similarity:
    """Score in [0, 1], rounded to 4 places so reports are stable across platforms.

    Below `floor` the caller drops the candidate anyway: once token agreement alone rules it
    out, the score is an upper bound and no conflicts are computed.
    """
    import jellyfish

    if same_spelling(ref, other):
        if ref.skeleton == other.skeleton:
            return Similarity(SAME_SKELETON_SCORE, (), True)
        return Similarity(DOWNLOAD_SUFFIX_SCORE, (), True, download_suffix=True)
    mine = list(ref.tokens)
    theirs = list(other.tokens)
    factor = 1.0
    if not ref.precision and other.precision and other.precision <= FULL_PRECISIONS:
        theirs = [t for t in theirs if t not in other.precision]
        factor *= DROPPED_PRECISION_FACTOR
    elif not other.precision and ref.precision and ref.precision <= FULL_PRECISIONS:
        mine = [t for t in mine if t not in ref.precision]
        factor *= DROPPED_PRECISION_FACTOR
    if ref.extension != other.extension:
        factor *= OTHER_EXTENSION_FACTOR
    dice = _dice(mine, theirs)
    if (0.5 + 0.5 * dice) * factor < floor:
        return Similarity(round((0.5 + 0.5 * dice) * factor, 4))
    if factor == 1.0:
        key_a, key_b, sorted_a, sorted_b = ref.key, other.key, ref.sorted_key, other.sorted_key
    else:
        key_a, key_b = " ".join(mine), " ".join(theirs)
        sorted_a, sorted_b = " ".join(sorted(mine)), " ".join(sorted(theirs))
    jw = jw_sorted = 0.0
    if key_a and key_b:
        jw = jellyfish.jaro_winkler_similarity(key_a, key_b)
        if jw < 1.0 and (sorted_a != key_a or sorted_b != key_b):
            jw_sorted = jellyfish.jaro_winkler_similarity(sorted_a, sorted_b)
    score = (0.5 * max(jw, jw_sorted) + 0.5 * dice) * factor
    # Plain words always count: a benign rename never adds or drops one, and an extra word
    # (`ltx-2.5-video-vae-conv-bf16` for `ltx-2.5-video-vae-bf16`) is another file.
    found = conflicts(ref, other, (*protected, WORDS))
    return Similarity(round(score, 4), found, False)


def reason(sim: Similarity) -> str:
    """The candidate's reason text: `similar 0.94; differs in precision: fp8 vs fp16`."""
    if sim.same_spelling:
        if sim.score == SAME_SKELETON_SCORE:
            return f"similar {sim.score:.2f}; same name up to case and separators"
        return f"similar {sim.score:.2f}; same name up to a download suffix"
    text = f"similar {sim.score:.2f}"
    for conflict in sim.conflicts:
        text += f"; {conflict.describe()}"
    return text
