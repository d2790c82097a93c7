"""How long loading the built-in rule sets takes (the pre-commit path pays it on every run).

Prints the median of N runs of parsing and validating them (`rules.build.build_ruleset()`,
which `load_ruleset()` calls when its cache is cold) beside two baselines measured in the same
run:
the bare C parse of both files (yaml.load with CSafeLoader, no positions, no validation) and the
pure-Python SafeLoader. Usage: python bench/bench_rules.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import yaml

from comfydock_rules.resources import rules_dir
from comfydock_rules.rules.build import build_ruleset as load_ruleset


def median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    texts = [(rules_dir() / f"{name}.yaml").read_text(encoding="utf-8")
             for name in ("core", "custom-nodes")]
    c_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def bare_c() -> object:
        return [yaml.load(t, Loader=c_loader) for t in texts]

    def bare_py() -> object:
        return [yaml.load(t, Loader=yaml.SafeLoader) for t in texts]

    start = time.perf_counter()
    rules = load_ruleset()
    first = (time.perf_counter() - start) * 1000
    full = median_ms(load_ruleset, n)
    c_ms = median_ms(bare_c, n)
    py_ms = median_ms(bare_py, n)
    slots = sum(len(s) for s in rules.nodes.values())
    print(f"built-in sets: {len(rules.nodes)} node types, {slots} slots, "
          f"libyaml: {c_loader is not yaml.SafeLoader}")
    print(f"build_ruleset() first call:           {first:7.1f} ms")
    print(f"build_ruleset() median of {n}:         {full:7.1f} ms")
    print(f"baseline: bare CSafeLoader parse:     {c_ms:7.1f} ms  (load/parse = {full / c_ms:.2f})")
    print(f"baseline: pure-Python SafeLoader:     {py_ms:7.1f} ms  (load/python = "
          f"{full / py_ms:.2f})")


if __name__ == "__main__":
    main()
