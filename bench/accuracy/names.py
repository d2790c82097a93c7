"""Name edits for the benchmark's scenarios: benign renames, confusable variants, look-alikes.

Deliberately independent of comfydock_rules' own name handling, so that the labels do not
inherit the matcher's blind spots.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pth", ".pt", ".bin", ".gguf", ".onnx", ".sft")


def split_ext(name: str) -> tuple[str, str]:
    lower = name.lower()
    for ext in MODEL_EXTENSIONS:
        if lower.endswith(ext):
            return name[: -len(ext)], name[-len(ext):]
    return name, ""


def norm_key(name: str) -> str:
    """Two names with the same key differ only by case, separators and extension."""
    stem, _ = split_ext(name)
    return re.sub(r"[^0-9a-z]", "", stem.casefold())


# --- benign renames -------------------------------------------------------------------------

def _rename_case(stem: str, rng: random.Random) -> str:
    options = [stem.upper(), stem.lower(), stem.title(), stem[:1].swapcase() + stem[1:]]
    options = [o for o in options if o != stem]
    return rng.choice(options) if options else stem


def _rename_separators(stem: str, rng: random.Random) -> str:
    if "_" in stem and "-" not in stem:
        return stem.replace("_", "-")
    if "-" in stem and "_" not in stem:
        return stem.replace("-", "_")
    if "_" in stem and "-" in stem:
        return stem.replace("-", "_") if rng.random() < 0.5 else stem.replace("_", "-")
    return re.sub(r"(?<=[a-z])(?=[0-9])", "_", stem, count=1)


def _rename_spaces(stem: str, rng: random.Random) -> str:
    return re.sub(r"[-_]", " ", stem)


def _rename_download_suffix(stem: str, rng: random.Random) -> str:
    return stem + rng.choice([" (1)", "_1", " (2)", "-1"])


BENIGN_RENAMES: dict[str, Callable[[str, random.Random], str]] = {
    "case": _rename_case,
    "separators": _rename_separators,
    "spaces": _rename_spaces,
    "download_suffix": _rename_download_suffix,
}


def benign_renames(name: str, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, new name) for every benign rename that changes the name, in a seeded order."""
    stem, ext = split_ext(name)
    out: list[tuple[str, str]] = []
    for kind, fn in BENIGN_RENAMES.items():
        new = fn(stem, rng) + ext
        if new != name:
            out.append((kind, new))
    rng.shuffle(out)
    return out


# --- confusable variants --------------------------------------------------------------------

def _swap(pairs: dict[str, str]) -> Callable[[re.Match[str]], str]:
    def repl(m: re.Match[str]) -> str:
        text = m.group(0)
        new = pairs[text.lower()]
        if text.isupper():
            return new.upper()
        if text[:1].isupper():
            return new[:1].upper() + new[1:]
        return new

    return repl


_SIZES = ["1.3", "2", "3", "4", "5", "7", "8", "9", "12", "14", "19", "22", "27", "32"]


def _size_repl(m: re.Match[str]) -> str:
    number, unit = m.group(1), m.group(2)
    if number == "7":
        new = "14"
    elif number == "14":
        new = "7"
    elif number in _SIZES:
        new = _SIZES[(_SIZES.index(number) + 1) % len(_SIZES)]
    else:
        new = "7"
    return new + unit


def _minor_bump(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2)}.{int(m.group(3)) + 1}"


def _major_bump(m: re.Match[str]) -> str:
    return f"{m.group(1)}{int(m.group(2)) + 1}"


_B = r"(?<![a-z0-9])"  # token start
_E = r"(?![a-z0-9])"  # token end

# (token class, pattern, replacement); patterns run on the name case-insensitively.
CONFUSABLE_EDITS: list[tuple[str, str, str | Callable[[re.Match[str]], str]]] = [
    ("variant", _B + r"(dev|schnell)" + _E, _swap({"dev": "schnell", "schnell": "dev"})),
    ("variant", _B + r"(base|refiner)" + _E, _swap({"base": "refiner", "refiner": "base"})),
    ("variant", _B + r"(i2v|t2v)" + _E, _swap({"i2v": "t2v", "t2v": "i2v"})),
    ("variant", _B + r"(high|low)(?=[_-]noise)", _swap({"high": "low", "low": "high"})),
    ("precision", _B + r"(fp8|fp16|bf16|fp32)(?![0-9])",
     _swap({"fp8": "fp16", "fp16": "fp8", "bf16": "fp8", "fp32": "fp16"})),
    ("size", r"(?<![a-z0-9.])(\d+(?:\.\d+)?)([bB])" + _E, _size_repl),
    ("version", r"(?<![a-z0-9])(wan)2\.([12])(?![0-9])",
     lambda m: f"{m.group(1)}2.{3 - int(m.group(2))}"),
    ("version", _B + r"(v1[.-]5|v2[.-]1)(?![0-9])",
     _swap({"v1.5": "v2.1", "v2.1": "v1.5", "v1-5": "v2-1", "v2-1": "v1-5"})),
    ("version", r"(?<![0-9.])(v?)(\d+)\.(\d+)(?![0-9.])(?![bB](?![a-z]))", _minor_bump),
    ("version", r"(?<![a-z])(v)(\d+)(?![0-9.])", _major_bump),
]


def confusable_variants(name: str) -> list[tuple[str, str]]:
    """(token class, variant name) for each edit that applies to the name's stem, one edit each."""
    stem, ext = split_ext(name)
    out: list[tuple[str, str]] = []
    seen: set[str] = {stem}
    for token_class, pattern, repl in CONFUSABLE_EDITS:
        regex = re.compile(pattern, re.IGNORECASE)
        if not regex.search(stem):
            continue
        new = regex.sub(repl, stem, count=1)
        if new not in seen:
            seen.add(new)
            out.append((token_class, new + ext))
    return out


# --- token classes (for explaining wrong picks) ----------------------------------------------

_CLASS_PATTERNS: dict[str, re.Pattern[str]] = {
    "precision": re.compile(r"(?<![a-z0-9])(fp8|fp16|bf16|fp32|fp4|nvfp4|int8|int4|"
                            r"q\d_k(?:_[msl])?|e4m3fn|e5m2)(?![0-9])", re.IGNORECASE),
    "size": re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?[bm])(?![a-z0-9])", re.IGNORECASE),
    "version": re.compile(r"(?<![0-9.])(v?\d+(?:[._]\d+)*)(?![0-9])(?![bm](?![a-z]))",
                          re.IGNORECASE),
    "variant": re.compile(r"(?<![a-z0-9])(dev|schnell|base|refiner|i2v|t2v|s2v|high|low|"
                          r"inpaint(?:ing)?|turbo|lightning|distill(?:ed)?|fill|edit|lora|vae)"
                          r"(?![a-z0-9])", re.IGNORECASE),
}


def token_classes(name: str) -> dict[str, list[str]]:
    stem, _ = split_ext(name)
    lowered = stem.lower()
    return {cls: sorted(m.group(1) for m in pat.finditer(lowered))
            for cls, pat in _CLASS_PATTERNS.items()}


def differing_classes(a: str, b: str) -> list[str]:
    """Token classes in which two names differ (a rough, matcher-independent view)."""
    ta, tb = token_classes(a), token_classes(b)
    return [cls for cls in _CLASS_PATTERNS if ta[cls] != tb[cls]]


# --- look-alikes ------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[^-_. ]+|[-_. ]")
_EXTRA_SEGMENTS = ["lora", "pruned", "ema", "v2", "rank32", "8steps", "scaled", "merged",
                   "comfy", "alt", "nsfw", "style", "detail", "v1.1", "test", "extracted"]


def _segments(stem: str) -> list[str]:
    return _SEGMENT.findall(stem)


def look_alike(a: str, b: str, rng: random.Random) -> tuple[str, str]:
    """(kind, name): a plausible new name from two real names of one directory.

    Kinds: `swap` (a word replaced by a word of the other name), `splice` (head of one, tail of
    the other), `suffix` (an extra segment such as `_lora`, `-v2`), `prefix` (a word of the other
    name in front). `suffix` and `prefix` keep the whole real name inside the new one.
    """
    stem_a, ext = split_ext(a)
    stem_b, _ = split_ext(b)
    sa, sb = _segments(stem_a), _segments(stem_b)
    words_a = [i for i, s in enumerate(sa) if s not in "-_. "]
    words_b = [s for s in sb if s not in "-_. "]
    mode = rng.randrange(4)
    if mode == 0 and len(words_a) > 1 and words_b:
        i = rng.choice(words_a[1:])
        sa[i] = rng.choice(words_b)
        kind, stem = "swap", "".join(sa)
    elif mode == 1 and len(sa) > 2 and len(sb) > 2:
        stem = "".join(sa[: rng.randrange(1, len(sa))]) + "".join(sb[rng.randrange(1, len(sb)):])
        kind = "splice"
    elif mode == 2:
        sep = "_" if "_" in stem_a else "-"
        kind, stem = "suffix", stem_a + sep + rng.choice(_EXTRA_SEGMENTS)
    else:
        sep = "_" if "_" in stem_a else "-"
        kind = "prefix" if words_b else "suffix"
        stem = rng.choice(words_b) + sep + stem_a if words_b else stem_a + "_alt"
    stem = re.sub(r"([-_. ])[-_. ]+", r"\1", stem)
    return kind, stem.strip("-_. ") + ext
