"""The built-in rule sets, parsed once and kept in the per-user cache as JSON.

Parsing and validating the shipped YAML (about 100 KB) costs more than half of a pre-commit
run's budget, and it gives the same RuleSet every time until the package changes. The cache
file says which inputs it was built from (the shipped rule files' contents, the tool version,
the loader's source files) and a digest of its own body; anything that does not match, or does
not decode, is ignored and rebuilt from the YAML. JSON, not pickle: reading a cache never runs
code. Writing it is best effort: a read-only cache folder only costs the speed-up.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from comfydock_rules import __version__
from comfydock_rules.errors import ToolInputError
from comfydock_rules.model import MatchPolicy, RuleSet, Slot, gate_words
from comfydock_rules.paths import blake2b, cache_dir
from comfydock_rules.resources import rules_dir

FORMAT = "comfydock-rules-builtin-rules"
VERSION = 4
CACHE_NAME = "rules-builtin.json"

_PACKAGE = Path(__file__).resolve().parent.parent
_LOADER_SOURCES: tuple[str, ...] = (
    "model.py", "rules/build.py", "rules/cache.py", "rules/check.py", "rules/diagnose.py",
    "rules/load.py", "rules/yaml.py",
)


def cache_path() -> Path:
    return cache_dir() / CACHE_NAME


def builtin_ruleset(cache: Path | None = None) -> RuleSet:
    """The built-in RuleSet: the cached copy when it is current, else parsed and cached."""
    cache = cache_path() if cache is None else cache
    key = inputs_key(rules_dir())
    cached = read_cache(cache, key)
    if cached is not None:
        return cached
    from comfydock_rules.rules.build import build_ruleset

    ruleset = build_ruleset(())
    write_cache(cache, key, ruleset)
    return ruleset


def inputs_key(rules: Path) -> str:
    """Changes whenever a shipped rule file's content, the version or the loader's code does."""
    digest = blake2b(digest_size=16)
    digest.update(f"{FORMAT}\0{VERSION}\0{__version__}\0".encode())
    try:
        names = sorted(entry.name for entry in os.scandir(rules) if entry.name.endswith(".yaml"))
    except OSError:
        names = []
    for name in names:
        digest.update(name.encode() + b"\0")
        try:
            digest.update((rules / name).read_bytes())
        except OSError:
            digest.update(b"\xffunreadable")
        digest.update(b"\0")
    for source in _LOADER_SOURCES:
        try:
            st = os.stat(_PACKAGE / source)
            digest.update(f"{source}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            digest.update(f"{source}\0missing\0".encode())
    return digest.hexdigest()


def read_cache(cache: Path, key: str) -> RuleSet | None:
    """The cached RuleSet if the file was written for `key` and is intact; None otherwise."""
    try:
        data = cache.read_bytes()
    except OSError:
        return None
    head, newline, body = data.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(head)
        if (not isinstance(header, dict) or header.get("format") != FORMAT
                or header.get("version") != VERSION or header.get("key") != key
                or header.get("digest") != blake2b(body, digest_size=16).hexdigest()):
            return None
        return _decode(json.loads(body))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, re.error):
        return None


def write_cache(cache: Path, key: str, ruleset: RuleSet) -> bool:
    """Write through a temporary file and a rename, so a reader never sees half a cache."""
    body = json.dumps(_encode(ruleset), ensure_ascii=False, separators=(",", ":")).encode()
    header = {"digest": blake2b(body, digest_size=16).hexdigest(), "format": FORMAT,
              "key": key, "version": VERSION}
    from comfydock_rules.atomic import write_atomic

    try:
        write_atomic(cache, json.dumps(header, sort_keys=True).encode() + b"\n" + body,
                     what="the rules cache", make_parents=True)
    except ToolInputError:
        return False
    return True


def _encode(ruleset: RuleSet) -> dict[str, Any]:
    policies: dict[MatchPolicy, int] = {}

    def slot(s: Slot) -> list[Any]:
        index = policies.setdefault(s.match, len(policies))
        return [s.node_type, s.widget, s.input, list(s.directories), list(s.extensions), index,
                s.dict_key, sorted(s.ignore_values), s.source, _regexes(s.ignore_patterns)]

    nodes = [[name, [slot(s) for s in slots]] for name, slots in ruleset.nodes.items()]
    patterns = [[p.pattern, p.flags, [slot(s) for s in slots]] for p, slots in ruleset.patterns]
    return {
        "nodes": nodes,
        "patterns": patterns,
        "policies": [[p.suggest_min, p.auto_pick_min_score, p.auto_pick_min_margin,
                      list(p.auto_pick_methods), list(p.protected)] for p in policies],
        "ignore_values": sorted(ruleset.ignore_values),
        "ignore_patterns": _regexes(ruleset.ignore_patterns),
        "text_nodes": sorted(ruleset.text_nodes),
        "generic_names": sorted(ruleset.generic_names),
        "directories": [[name, list(folders)] for name, folders in ruleset.directories.items()],
        "fail_on": list(ruleset.fail_on),
        "sources": list(ruleset.sources),
        "warnings": list(ruleset.warnings),
    }


def _regexes(patterns: tuple[re.Pattern[str], ...]) -> list[list[Any]]:
    return [[p.pattern, p.flags] for p in patterns]


def _compiled(value: Any) -> tuple[re.Pattern[str], ...]:
    if not isinstance(value, list):
        raise TypeError("expected a list of patterns")
    out = []
    for text, flags in value:
        if not isinstance(text, str) or type(flags) is not int:
            raise TypeError("pattern fields")
        out.append(re.compile(text, flags))
    return tuple(out)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _decode(doc: dict[str, Any]) -> RuleSet:
    policies = [MatchPolicy(a, b, c, _strings(m), _strings(p))
                for a, b, c, m, p in doc["policies"]]

    def slots(items: list[Any]) -> tuple[Slot, ...]:
        out = []
        for (node_type, widget, input_, dirs, exts, policy, dict_key, ignore, source,
             ignore_patterns) in items:
            if not isinstance(node_type, str) or not isinstance(source, str):
                raise TypeError("slot fields")
            if type(policy) is not int or policy < 0:
                raise TypeError("policy index")
            out.append(Slot(node_type, widget, input_, _strings(dirs), _strings(exts),
                            policies[policy], dict_key, frozenset(_strings(ignore)), source,
                            _compiled(ignore_patterns)))
        return tuple(out)

    nodes = {name: slots(items) for name, items in doc["nodes"]}
    patterns = tuple((re.compile(text, flags), slots(items))
                     for text, flags, items in doc["patterns"])
    return RuleSet(
        nodes=nodes,
        patterns=patterns,
        ignore_values=frozenset(_strings(doc["ignore_values"])),
        ignore_patterns=_compiled(doc["ignore_patterns"]),
        text_nodes=frozenset(_strings(doc["text_nodes"])),
        generic_names=frozenset(_strings(doc["generic_names"])),
        directories={name: _strings(folders) for name, folders in doc["directories"]},
        fail_on=gate_words(_strings(doc["fail_on"])),
        sources=_strings(doc["sources"]),
        warnings=_strings(doc["warnings"]),
    )
