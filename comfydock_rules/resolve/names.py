"""Normalised model names: the form the matcher compares, with tokens sorted into classes.

Two names that differ only in case, separators or a download suffix (" (1)", "_1", "-1",
" - Copy")
share a skeleton and are the same model for our purposes. Everything else is compared token by
token; the token classes (precision, version, size, variant) carry what tells one model from a
look-alike (flux1-dev vs flux1-schnell, fp8 vs fp16, wan2.1 vs wan2.2, 7b vs 14b, i2v vs t2v).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from comfydock_rules.extensions import canonical_extension, extension_of, strip_model_extension
from comfydock_rules.limits import MAX_NAME_CHARS

PRECISION = "precision"
VERSION = "version"
SIZE = "size"
VARIANT = "variant"
WORDS = "words"
"""Not a token class of the rules: the plain words of a name, compared for every auto-pick."""

# Number formats and quantisation schemes. `scaled`, `mixed`, `convrot`... qualify a format:
# fp8_scaled and fp8_e4m3fn are different files, so they belong to the signature too.
PRECISION_WORDS: frozenset[str] = frozenset({
    "fp64", "fp32", "fp16", "bf16", "f32", "f16", "bf32", "tf32",
    "fp8", "fp6", "fp4", "nvfp4", "mxfp4", "int8", "int4", "nf4", "uint8",
    "e4m3fn", "e4m3", "e5m2", "e4m3fnuz", "e5m2fnuz",
    "scaled", "mixed", "fp8mixed", "convrot", "gptq", "awq", "bnb", "w4a8", "w8a8", "w4a16",
})
# Precisions a renamed copy may drop without becoming another model (a full-precision file
# renamed from `t5xxl_fp16` to `t5xxl`). Dropping a quantisation (fp8, int8, q4_k_m) is not benign.
FULL_PRECISIONS: frozenset[str] = frozenset({"fp32", "fp16", "bf16", "f32", "f16"})

# Words that name a different member of a model family, not a different spelling of it.
VARIANT_WORDS: frozenset[str] = frozenset({
    # family members and editions
    "base", "refiner", "dev", "schnell", "pro", "ultra", "turbo", "lightning", "hyper", "lcm",
    "distilled", "distill", "fast", "full", "lite", "light", "mini", "tiny", "small", "medium",
    "large", "huge", "xl", "xxl", "giant", "instruct", "it", "chat", "sft", "dpo", "preview",
    "unconditional", "krea", "kontext", "redux", "fill", "edit", "layered",
    # what the model does
    "i2v", "t2v", "t2i", "i2i", "s2v", "ti2v", "v2v", "fl2v", "flf2v", "ref2v", "a2v", "v2a",
    "inpaint", "inpainting", "inp", "outpaint", "depth", "canny", "openpose", "pose", "scribble",
    "lineart", "softedge", "seg", "normal", "normals", "tile", "blur", "mlsd", "hed", "shuffle",
    "control", "controlnet", "vace", "animate", "camera", "upscaler", "sr",
    # halves of a pair
    "high", "low", "global", "local", "encoder", "decoder", "audio", "video", "image",
    "rgb", "alpha", "shape", "texture", "mv", "multiview", "mono", "stereo", "male", "female",
})

_SUFFIX_STRONG = re.compile(
    r"(?:\s*\(\d{1,3}\)|\s*-\s*copy(?:\s*\(\d{1,3}\))?|\s+copy)$", re.IGNORECASE)
# A bare "_1" or, after a letter, "-1" (Safari's "name-2"): after a digit, "-1" is part of a
# version more often than not (`sd-v1-5`, `lotus-depth-d-v1-1`).
_SUFFIX_TAIL = 32
"""Characters at the end of a stem a download suffix is looked for in (` - Copy (123)` is 13)."""
_SUFFIX_WEAK = re.compile(r"_\d$|(?<=[^\W\d_])-\d$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_QUANT = re.compile(
    r"(?<![a-z0-9])(i?q\d)[_-]?(k[_-][sml]|k|0|1|xxs|xs|s|m|l|nl)?(?![a-z0-9])"
)
_CHUNK_SPLIT = re.compile(r"[^a-z0-9.]+|(?<![0-9])\.|\.(?![0-9])")
_KNOWN = "|".join(
    sorted((re.escape(w) for w in PRECISION_WORDS | VARIANT_WORDS if any(c.isdigit() for c in w)),
           key=len, reverse=True)
)
_TOKEN = re.compile(
    rf"(?:{_KNOWN})(?![a-z])"
    r"|i?q\d(?:k[sml]?|0|1|xxs|xs|nl)?(?![a-z0-9])"
    r"|\d+(?:\.\d+)*[bm](?![a-z])"
    r"|v\d+(?:\.\d+)*"
    r"|x\d+"
    r"|\d+(?:\.\d+)*(?:px|p|k|x|s|steps?)?(?![a-z])"
    r"|\d+(?:\.\d+)*"
    r"|[a-z]+"
)
_SIZE = re.compile(r"\d+(?:\.\d+)*[bm]")
_QUANT_TOKEN = re.compile(r"i?q\d(?:k[sml]?|0|1|xxs|xs|nl)?")
_VARIANT_NUMBER = re.compile(r"\d+(?:\.\d+)*(?:px|p|k|x|s|steps?)|x\d+")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*")


@dataclass(frozen=True)
class Name:
    """A model file name prepared for comparison."""

    original: str
    extension: str
    """Lower-case model extension with the dot, or ''; one spelling per format (`.sft` is
    `.safetensors`)."""
    skeleton: str
    """Letters and digits of the stem, casefolded: equal skeletons differ only in case and
    separators."""
    core: str
    """The skeleton without a download suffix (" (1)", "_1", "-1", " - Copy"); '' when there is
    none."""
    strong_suffix: bool
    """The download suffix is unmistakable (" (1)", " - Copy"), not a bare "_1" or "-1"."""
    tokens: tuple[str, ...]
    key: str
    """Tokens joined by spaces: what Jaro-Winkler compares."""
    sorted_key: str
    """The tokens sorted, then joined: the same words in another order compare equal."""
    precision: frozenset[str]
    version: frozenset[str]
    size: frozenset[str]
    variant: frozenset[str]
    words: frozenset[str] = frozenset()
    """Tokens of no class (`qwen`, `image`, `kj`)."""

    def of_class(self, token_class: str) -> frozenset[str]:
        if token_class in _CLASS_FIELDS:
            values: frozenset[str] = getattr(self, token_class)
            return values
        return frozenset()


_CLASS_FIELDS = frozenset({PRECISION, VERSION, SIZE, VARIANT, WORDS})


@functools.lru_cache(maxsize=65536)
def token_class(token: str) -> str | None:
    """The class of one token, or None for a plain word."""
    if token in PRECISION_WORDS or _QUANT_TOKEN.fullmatch(token):
        return PRECISION
    if token in VARIANT_WORDS or _VARIANT_NUMBER.fullmatch(token):
        return VARIANT
    if _SIZE.fullmatch(token):
        return SIZE
    if _VERSION.fullmatch(token):
        return VERSION
    return None


_NON_ALNUM = re.compile(r"[\W_]+")
# Runs of one letter case or of digits: `JapaneseStyleXL2` -> Japanese, Style, XL, 2.
_RAW_KEY = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[^\W\dA-Z_]+|\d+")


def alnum(text: str) -> str:
    return _NON_ALNUM.sub("", text.casefold())


def _stem_of(name: str) -> str:
    """The file name's stem, at most MAX_NAME_CHARS long: no file system holds a longer name,
    and the matcher's work per name stays bounded whatever a workflow writes."""
    return strip_model_extension(name.replace("\\", "/").rsplit("/", 1)[-1])[:MAX_NAME_CHARS]


def suffix_start(stem: str) -> int:
    """Where a download suffix starts in `stem`, or -1 (cheap tests before the regexes)."""
    if stem.endswith(")") or stem[-4:].casefold() == "copy":
        # Searched in the tail only: a suffix is a few characters, and a search over the whole
        # stem would retry `\s*` from every position (quadratic in a run of spaces).
        offset = max(0, len(stem) - _SUFFIX_TAIL)
        found = _SUFFIX_STRONG.search(stem, offset)
        return found.start() if found else -1
    if len(stem) > 2 and stem[-1].isdigit() and (
            stem[-2] == "_" or (stem[-2] == "-" and stem[-3].isalpha())):
        return len(stem) - 2
    return -1


def spelling(name: str) -> tuple[str, str, frozenset[str]]:
    """(skeleton, core, blocking keys) of a file name: the cheap part of `normalize`, for
    lookup tables over every file of a directory without tokenising each name."""
    stem = _stem_of(name)
    cut = suffix_start(stem)
    runs = _RAW_KEY.findall(stem)
    skeleton = "".join(runs).casefold()
    core = alnum(stem[:cut]) if cut >= 0 else ""
    keys = frozenset(k.casefold() for k in runs if len(k) > 1 or k.isdigit())
    return skeleton, core, keys


def tokenize(stem: str) -> tuple[str, ...]:
    """Split on separators, lower-to-upper case changes and letter/digit boundaries.

    Dotted numbers stay whole (`2.1`, `v1.5`), as do tokens that name a class (`fp16`, `i2v`,
    `q4_k_m` -> `q4km`, `14b`, `480p`).
    """
    text = _CAMEL.sub(" ", stem).casefold()
    text = _QUANT.sub(lambda m: m.group(1) + (m.group(2) or "").replace("_", "").replace("-", ""),
                      text)
    tokens: list[str] = []
    for chunk in _CHUNK_SPLIT.split(text):
        if chunk:
            tokens.extend(_TOKEN.findall(chunk))
    return tuple(tokens)


def _version_form(token: str) -> str:
    return token[1:] if token.startswith("v") else token


def normalize(name: str) -> Name:
    """Normalise a file name or a path (only the last segment counts)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    ext = canonical_extension(extension_of(base))
    stem = strip_model_extension(base)
    if stem == base:
        ext = ""
    stem = stem[:MAX_NAME_CHARS]
    cut = suffix_start(stem)
    strong = cut >= 0 and not _SUFFIX_WEAK.search(stem)
    core = alnum(stem[:cut]) if cut >= 0 else ""
    tokens = tokenize(stem[:cut] if strong else stem)
    classes: dict[str, set[str]] = {
        PRECISION: set(), VERSION: set(), SIZE: set(), VARIANT: set(), WORDS: set()}
    next_count: dict[tuple[str, str], int] = {}
    for token in tokens:
        cls = token_class(token) or WORDS
        value = _version_form(token) if cls == VERSION else token
        # A repeated token counts again (`wan_Wan21_...` is not `Wan21_...`): the second
        # occurrence is kept as `wan×2`. Only this token adds `token×n` values, and it adds
        # them in order, so the next free n is remembered instead of searched for (a name of
        # one token repeated would otherwise cost quadratic time).
        if value in classes[cls]:
            n = next_count.get((cls, token), 2)
            next_count[(cls, token)] = n + 1
            value = f"{token}×{n}"
        classes[cls].add(value)
    return Name(
        original=name,
        extension=ext,
        skeleton=alnum(stem),
        core=core,
        strong_suffix=strong,
        tokens=tokens,
        key=" ".join(tokens),
        sorted_key=" ".join(sorted(tokens)),
        precision=frozenset(classes[PRECISION]),
        version=frozenset(classes[VERSION]),
        size=frozenset(classes[SIZE]),
        variant=frozenset(classes[VARIANT]),
        words=frozenset(classes[WORDS]),
    )


def same_spelling(a: Name, b: Name) -> bool:
    """Only case, separators or a download suffix tell these names apart."""
    if a.extension != b.extension:
        return False
    if a.skeleton == b.skeleton:
        return True
    if (a.core and a.core == b.skeleton) or (b.core and b.core == a.skeleton):
        return True
    return bool(a.strong_suffix and b.strong_suffix and a.core == b.core)

