"""Time reading every corpus workflow; baseline: bare `json.loads` of the same files, same run.

    python bench/bench_read.py [CORPUS_WORKFLOWS_DIR] [--repeat N]

Prints files/s and MB/s for the reader (with node line numbers) and for the baseline, and the
reader's cost as a ratio of the baseline. Files are read into memory first, so disk speed and
the page cache do not enter the figures of either side; then each side runs on the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from comfydock_rules.workflow.decode import NodeLines  # noqa: E402
from comfydock_rules.workflow.files import expand_paths  # noqa: E402
from comfydock_rules.workflow.read import read_workflow, refs_from_document  # noqa: E402


def rules_for_bench():  # type: ignore[no-untyped-def]
    from comfydock_rules.rules.load import load_ruleset

    return load_ruleset()


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared/corpus/workflows"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = expand_paths([args.folder])
    texts = [(path.read_bytes().decode("utf-8"), display) for path, display in files]
    megabytes = sum(len(t) for t, _ in texts) / 1e6
    rules = rules_for_bench()

    def baseline() -> None:
        for text, _ in texts:
            json.loads(text)

    refs_count = 0

    def reader() -> None:
        nonlocal refs_count
        refs_count = 0
        for text, display in texts:
            refs_count += len(refs_from_document(json.loads(text), display, rules, NodeLines(text)))

    def from_disk() -> None:
        for path, display in files:
            read_workflow(path, display, rules)

    t_base = best(baseline, args.repeat)
    t_read = best(reader, args.repeat)
    t_disk = best(from_disk, args.repeat)
    n = len(texts)
    print(f"files: {n}, {megabytes:.1f} MB of JSON, {refs_count} references")
    print(f"baseline json.loads:     {t_base:6.3f} s  {n / t_base:8.0f} files/s "
          f"{megabytes / t_base:6.1f} MB/s")
    print(f"reader (in memory):      {t_read:6.3f} s  {n / t_read:8.0f} files/s "
          f"{megabytes / t_read:6.1f} MB/s  ratio {t_read / t_base:.2f}x baseline")
    print(f"read_workflow (files):   {t_disk:6.3f} s  {n / t_disk:8.0f} files/s "
          f"ratio {t_disk / t_base:.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
