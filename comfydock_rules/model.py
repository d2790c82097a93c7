"""Plain data passed between the pipeline's stages.

Every stage (index, workflow reader, rules, engine, reports, pyproject) takes and returns these
frozen dataclasses, so each can be tested alone and none needs to know how another works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Status = Literal["exact", "fuzzy", "ambiguous", "missing"]
Method = Literal["pinned", "path", "hash", "filename", "casefold", "similar"]
Flag = Literal["bypassed", "no_rule", "stale_pin", "wrong_directory", "not_as_written"]
TokenClass = Literal["precision", "version", "size", "variant"]
GateWord = Status | Flag
"""What `--fail-on` and the rules' `gate.fail_on` may name."""

STATUSES: tuple[Status, ...] = get_args(Status)
METHODS: tuple[Method, ...] = get_args(Method)
FLAGS: tuple[Flag, ...] = get_args(Flag)
TOKEN_CLASSES: tuple[TokenClass, ...] = get_args(TokenClass)
GATE_WORDS: tuple[GateWord, ...] = STATUSES + FLAGS


def gate_words(words: Iterable[str]) -> tuple[GateWord, ...]:
    """`words` in their order, each checked to be a status or flag (ValueError if not)."""
    out: list[GateWord] = []
    for word in words:
        if word not in GATE_WORDS:
            raise ValueError(f"not a status or flag: {word!r}")
        out.append(word)
    return tuple(out)


@dataclass(frozen=True)
class ModelFile:
    """One file of the index, identified by its quick hash.

    `relative_path` is '/'-separated and starts with the directory (category) the file sits in,
    e.g. `loras/SDXL/detail.safetensors`, whatever root or extra_model_paths entry it came from.
    """

    relative_path: str
    hash: str
    size: int
    full_blake3: str | None = None
    sha256: str | None = None

    @property
    def directory(self) -> str:
        return self.relative_path.split("/", 1)[0]

    @property
    def filename(self) -> str:
        return self.relative_path.rsplit("/", 1)[-1]

    @property
    def path_in_directory(self) -> str:
        """The value ComfyUI shows for this file in a loader's list (`SDXL/detail.safetensors`)."""
        parts = self.relative_path.split("/", 1)
        return parts[1] if len(parts) == 2 else parts[0]


@dataclass(frozen=True)
class DeclaredModel:
    """A `properties.models` entry the ComfyUI frontend stores on a loader node."""

    name: str
    url: str | None = None
    directory: str | None = None
    hash: str | None = None
    hash_type: str | None = None


@dataclass(frozen=True)
class MatchPolicy:
    """How bold the engine may be for one slot (rules: `match`)."""

    suggest_min: float = 0.75
    auto_pick_min_score: float = 0.92
    auto_pick_min_margin: float = 0.05
    auto_pick_methods: tuple[str, ...] = ("hash", "filename", "casefold", "similar")
    protected: tuple[str, ...] = TOKEN_CLASSES


@dataclass(frozen=True)
class TextPattern:
    """How a text slot finds model names inside prose (rules: `text_patterns`).

    Every match of `regex` names a file by its group `name`; `strip` characters come off both
    ends of the name (ComfyUI retries `embedding:x,` as `x`), and when the name as written is
    not a file, the loader tries it with each of `add_extensions` appended, in order.
    """

    name: str
    regex: re.Pattern[str]
    strip: str = ""
    add_extensions: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Requirement:
    """One file a preset needs (rules: `requires`): any of `files`, the first preferred, in
    `directories` (aliases expanded, in search order)."""

    directories: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class Slot:
    """What the rules say about one widget of one node type."""

    node_type: str
    """The exact node type, or the pattern text (`re:...`) the slot came from."""
    widget: int | None
    """Index in a UI node's `widgets_values` list; None when not addressable by position."""
    input: str | None
    """API-format input name; also the key when `widgets_values` is a dict."""
    directories: tuple[str, ...]
    """Directories ComfyUI loads this slot from, aliases already expanded, in search order."""
    extensions: tuple[str, ...] = ()
    """Lower-case extensions with the dot; empty means any model extension."""
    match: MatchPolicy = field(default_factory=MatchPolicy)
    dict_key: str | None = None
    """When set, the value is an object and this field of it names the model (rgthree's
    Power Lora Loader: `lora`); every widget / input whose value is such an object counts."""
    ignore_values: frozenset[str] = frozenset()
    """Values this slot accepts that are not files (VAELoader: `taesd`, `pixel_space`)."""
    source: str = ""
    """`file:line:column` where the slot was defined, for `rules explain` and messages."""

    def loads(self, f: ModelFile) -> bool:
        """Would ComfyUI list `f` for this slot: one of its directories, an accepted extension."""
        from comfydock_rules.extensions import extension_of

        return f.directory in self.directories and (
            not self.extensions or extension_of(f.filename) in self.extensions)
    ignore_patterns: tuple[re.Pattern[str], ...] = ()
    """Values matching one of these whole (`fullmatch`) are not files either."""
    text: TextPattern | None = None
    """A text slot: the value is prose, and each match of this pattern in it names a file."""
    requires: tuple[tuple[str, tuple[Requirement, ...]], ...] = ()
    """A preset slot: value -> the files that preset loads; the value itself is not a file."""


@dataclass(frozen=True)
class RuleSet:
    """The effective rules after `extends` and overrides; built by the rules loader."""

    nodes: Mapping[str, tuple[Slot, ...]]
    patterns: tuple[tuple[re.Pattern[str], tuple[Slot, ...]], ...] = ()
    ignore_values: frozenset[str] = frozenset()
    """Values no slot treats as a file (rules: `ignore.values`)."""
    ignore_patterns: tuple[re.Pattern[str], ...] = ()
    """Values no slot treats as a file when one of these matches them whole (`ignore.patterns`:
    core's `\\s+` makes a blank value no reference, like the empty one)."""
    directories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    text_nodes: frozenset[str] = frozenset()
    """Node types whose string widgets hold or pass on text: never `no_rule` references."""
    generic_names: frozenset[str] = frozenset()
    """File stems libraries save every model under (`diffusion_pytorch_model`, `model`): for
    such a name the folder is part of a file's identity (rules: `generic_names`)."""
    fail_on: tuple[GateWord, ...] = ()
    """The rules' `gate.fail_on`; the loader always sets it (rules/core.yaml states the default)."""
    sources: tuple[str, ...] = ()
    """Rule files (or built-in set names) in load order."""
    warnings: tuple[str, ...] = ()
    """Problems that do not stop a run (`file:line:column: ...`), e.g. an undefined directory."""

    def slots_for(self, node_type: str) -> tuple[Slot, ...]:
        """An exact node name beats a pattern; the first matching pattern wins."""
        slots = self.nodes.get(node_type)
        if slots is not None:
            return slots
        for pattern, pattern_slots in self.patterns:
            if pattern.search(node_type):
                return pattern_slots
        return ()


@dataclass(frozen=True)
class ModelRef:
    """One model reference: a widget / input value of one node of one workflow."""

    workflow: str
    """The workflow file's path as given on the command line (or found under a folder given)."""
    node_id: str
    """Node id; for nodes inside subgraphs, the path of instance ids joined by ':' (`12:7:3`)."""
    node_type: str
    widget_index: int | None
    """Position in `widgets_values` (UI format); None for API format and dict-shaped widgets."""
    input: str | None
    """Input name when known (always for API format)."""
    value: str
    """Exactly as written in the workflow."""
    mode: int = 0
    """ComfyUI node mode: 0 active, 2 muted, 4 bypassed."""
    enabled: bool = True
    """False for an entry switched off inside a dict-shaped widget (`"on": false`)."""
    line: int | None = None
    """1-based line of the node's definition in the file (UI format JSON), for annotations."""
    key: str | None = None
    """For dict-shaped widgets: the field holding the value (`lora`)."""
    declared: DeclaredModel | None = None
    slot: Slot | None = None
    """The rule slot that made this a reference; None means the `no_rule` flag."""
    host: str | None = None
    """For a widget promoted to a subgraph node: the path of the outermost subgraph node that
    shows it, where a user sets the value for this instance."""
    fallback: bool = False
    """The promoting subgraph node stores no value of its own, so the interior node's value
    runs: it is shared by every instance of the subgraph."""
    pattern: str | None = None
    """For a reference found inside text: the name of the text pattern that found it."""
    preset: str | None = None
    """For a file a preset needs (rules: `requires`): the preset value as written."""
    alternatives: tuple[str, ...] = ()
    """Other names that satisfy this reference, tried after `value` in order (the name with an
    extension appended; a preset's other accepted files)."""

    @property
    def bypassed(self) -> bool:
        return self.mode in (2, 4) or not self.enabled

    @property
    def lookup_value(self) -> str:
        """The value as ComfyUI compares it: '/' separators, no leading './'."""
        value = self.value.replace("\\", "/")
        while value.startswith("./"):
            value = value[2:]
        return value


@dataclass(frozen=True)
class Candidate:
    file: ModelFile
    score: float
    reason: str
    """Method and why, e.g. `filename` or `similar: differs in precision (fp8 vs fp16)`."""


@dataclass(frozen=True)
class Resolution:
    ref: ModelRef
    status: Status
    method: Method | None
    """Set for exact and fuzzy; None otherwise."""
    score: float | None
    resolved: ModelFile | None
    candidates: tuple[Candidate, ...] = ()
    """Best first, at most 5."""
    flags: tuple[Flag, ...] = ()
    """Sorted."""
    url: str | None = None
    """Where the workflow says the model comes from (declared URL), for a missing or ambiguous
    reference."""
    download_directory: str | None = None
    messages: tuple[str, ...] = ()


def node_path_key(node_id: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for node paths: numeric ids in numeric order, others after them."""
    key: list[tuple[int, int | str]] = []
    for part in node_id.split(":"):
        key.append((0, int(part)) if part.isascii() and part.isdigit() else (1, part))
    return tuple(key)


def reference_sort_key(ref: ModelRef) -> tuple[object, ...]:
    """Reports are sorted by workflow, then node path, then widget (then input, key, value)."""
    return (
        ref.workflow,
        node_path_key(ref.node_id),
        -1 if ref.widget_index is None else ref.widget_index,
        ref.input or "",
        ref.key or "",
        ref.value,
    )
