"""Generic file names, and the folders that tell apart files published under them.

Libraries fix the file names they save weights under: diffusers writes every model as
`diffusion_pytorch_model.safetensors`, transformers `model.safetensors` / `pytorch_model.bin`,
trainers `last.safetensors`. Users keep such files apart by folder
(`controlnet/instantid/diffusion_pytorch_model.safetensors`), so for them the name is no evidence
of which model a file holds: the folder is part of its identity. The list of generic stems is
rule data (`generic_names`); this module decides whether a name is one of them and whether a
file's folders are the ones a reference names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from comfydock_rules.extensions import strip_model_extension
from comfydock_rules.resolve.names import PRECISION, alnum, suffix_start, token_class, tokenize

GENERIC_REASON = "generic file name: the folder is part of its identity"

# `model-00001-of-00002`, `diffusion_pytorch_model.fp16-00003-of-00004`: one shard of a set.
_SHARD = re.compile(r"[-_.]\d{1,6}-of-\d{1,6}$", re.IGNORECASE)


def generic_key(name: str) -> str:
    """The part of a file name that says which generic name it is: the stem without case,
    separators, precision tokens (`model_fp16`, `diffusion_pytorch_model.fp16`), a shard suffix
    (`-00001-of-00002`), trailing counters (`last-000004`, `consolidated.00`) and a download
    suffix (` (1)`). '' when nothing is left."""
    stem = strip_model_extension(name.replace("\\", "/").rsplit("/", 1)[-1])
    cut = suffix_start(stem)
    if cut > 0:
        stem = stem[:cut]
    stem = _SHARD.sub("", stem)
    tokens = [t for t in tokenize(stem) if token_class(t) != PRECISION]
    while tokens and tokens[-1].isdigit():
        tokens.pop()
    return "".join(tokens)


def generic_keys(stems: Iterable[str]) -> frozenset[str]:
    """Keys of the rules' `generic_names`; a stem that keys to '' (only a precision) is dropped."""
    return frozenset(key for key in map(generic_key, stems) if key)


def is_generic(name: str, keys: frozenset[str]) -> bool:
    return bool(keys) and generic_key(name) in keys


def folder_keys(path: str) -> tuple[str, ...]:
    """The folders of a '/'-separated path below its directory (the last segment is the file),
    each casefolded without separators: `SDXL/Instant-ID/x.bin` -> ('sdxl', 'instantid')."""
    return tuple(key for key in map(alnum, path.split("/")[:-1]) if key)


def folders_match(named: tuple[str, ...], folders: tuple[str, ...]) -> bool:
    """The folders a reference names end the file's folders: `instantid/x` is in
    `SDXL/instantid/x`, not in `x` nor in `SDXL/x`. A reference that names none matches none."""
    if not named or len(folders) < len(named):
        return False
    return folders[-len(named):] == named


def folder_evidence(named: tuple[str, ...], folders: tuple[str, ...]) -> int:
    """How many of the folders a reference names the file's folders hold (for ranking only)."""
    if not named:
        return 0
    present = set(folders)
    return sum(1 for key in named if key in present)
