"""The cached built-in rule sets: equal to a fresh parse, used only when current and intact."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, RunCli

from comfydock_rules.model import RuleSet
from comfydock_rules.resources import rules_dir
from comfydock_rules.rules import cache as rules_cache
from comfydock_rules.rules.load import load_ruleset


@pytest.fixture(scope="module")
def fresh() -> RuleSet:
    return load_ruleset(())


def test_cached_ruleset_equals_a_fresh_parse(tmp_path: Path, fresh: RuleSet) -> None:
    cache = tmp_path / "rules.json"
    first = rules_cache.builtin_ruleset(cache)
    assert cache.is_file()
    second = rules_cache.builtin_ruleset(cache)
    assert first == fresh
    assert second == fresh
    assert list(second.nodes) == list(fresh.nodes)
    assert list(second.directories) == list(fresh.directories)
    assert [p.pattern for p, _ in second.patterns] == [p.pattern for p, _ in fresh.patterns]
    # The cached copy came from the file, not from a parse kept in memory.
    assert rules_cache.read_cache(cache, rules_cache.inputs_key(rules_dir())) == fresh


def _write_raw(cache: Path, key: str, body: bytes, digest: str | None = None) -> None:
    from comfydock_rules.paths import blake2b

    header = {"digest": digest or blake2b(body, digest_size=16).hexdigest(),
              "format": rules_cache.FORMAT, "key": key, "version": rules_cache.VERSION}
    cache.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _poisoned_body(fresh: RuleSet) -> bytes:
    """A well-formed cache body whose rules know no node types and fail on nothing."""
    doc = rules_cache._encode(RuleSet(nodes={}, directories=dict(fresh.directories),
                                      fail_on=()))
    return json.dumps(doc).encode()


def test_a_stale_cache_is_not_used_and_is_replaced(tmp_path: Path, fresh: RuleSet) -> None:
    cache = tmp_path / "rules.json"
    _write_raw(cache, "0" * 32, _poisoned_body(fresh))  # built from other rule files
    assert rules_cache.read_cache(cache, "0" * 32) is not None  # it would decode
    got = rules_cache.builtin_ruleset(cache)
    assert got == fresh
    header = json.loads(cache.read_bytes().partition(b"\n")[0])
    assert header["key"] == rules_cache.inputs_key(rules_dir())


@pytest.mark.parametrize("damage", ["bad digest", "truncated", "garbage", "wrong shape",
                                    "empty", "no header line"])
def test_a_damaged_cache_is_not_used(tmp_path: Path, fresh: RuleSet, damage: str) -> None:
    cache = tmp_path / "rules.json"
    key = rules_cache.inputs_key(rules_dir())
    body = _poisoned_body(fresh)
    if damage == "bad digest":
        _write_raw(cache, key, body, digest="f" * 32)
    elif damage == "truncated":
        _write_raw(cache, key, body)
        cache.write_bytes(cache.read_bytes()[:-40])
    elif damage == "garbage":
        cache.write_bytes(b"\x00\xff" * 500)
    elif damage == "wrong shape":  # intact and current, but not what this version writes
        _write_raw(cache, key, json.dumps({"nodes": [[1, 2, 3]], "policies": "x"}).encode())
    elif damage == "empty":
        cache.write_bytes(b"")
    else:
        cache.write_bytes(body)
    assert rules_cache.read_cache(cache, key) is None
    assert rules_cache.builtin_ruleset(cache) == fresh
    assert rules_cache.read_cache(cache, key) == fresh  # rewritten


def test_key_follows_rule_file_contents(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(rules_dir(), copy)
    before = rules_cache.inputs_key(copy)
    assert rules_cache.inputs_key(copy) == before
    core = copy / "core.yaml"
    stat = core.stat()
    text = core.read_bytes()
    core.write_bytes(text.replace(b"checkpoints", b"checkpointz", 1))
    os.utime(core, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: content counts
    assert core.stat().st_size == stat.st_size
    assert rules_cache.inputs_key(copy) != before


def test_unwritable_cache_still_gives_the_rules(tmp_path: Path, fresh: RuleSet) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    cache = blocker / "rules.json"
    assert rules_cache.builtin_ruleset(cache) == fresh
    assert not rules_cache.write_cache(cache, "k", fresh)
    assert list(tmp_path.iterdir()) == [blocker]


def test_warm_cache_skips_the_yaml_parser(tmp_path: Path) -> None:
    code = ("import sys\nfrom comfydock_rules.rules.load import load_ruleset\n"
            "rules = load_ruleset(())\nprint(len(rules.nodes), 'yaml' in sys.modules)\n")
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(2)]
    assert runs[0][1] == "True"  # cold: parsed the YAML and wrote the cache
    assert runs[1] == [runs[0][0], "False"]
    assert (tmp_path / "cache" / rules_cache.CACHE_NAME).is_file()


def test_check_output_is_the_same_cold_warm_and_stale(run_process: RunCli, tmp_path: Path,
                                                      fresh: RuleSet) -> None:
    # A process per run: each has its own string hash seed, so set order cannot hide.
    args = ("check", "--models", EXAMPLES / "models", "--format", "json",
            *sorted((EXAMPLES / "workflows").glob("*.json")))
    cold = run_process(*args)
    cache = tmp_path / "cache" / rules_cache.CACHE_NAME
    assert cache.is_file()
    warm = run_process(*args)
    _write_raw(cache, "0" * 32, _poisoned_body(fresh))
    stale = run_process(*args)
    assert cold.returncode == warm.returncode == stale.returncode == 1
    assert cold.stdout == warm.stdout == stale.stdout
    assert json.loads(cold.stdout)["summary"]["references"] > 0
    assert '"status": "exact"' in cold.stdout


def test_user_rule_files_bypass_the_cache(tmp_path: Path, fresh: RuleSet) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text("version: 1\nextends: []\nnodes:\n  MyLoader:\n    - widget: 0\n"
                     "      directories: [loras]\n", encoding="utf-8")
    got = load_ruleset([rules])
    assert list(got.nodes) == ["MyLoader"]
    assert got != fresh
