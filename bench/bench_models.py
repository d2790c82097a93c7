"""`comfydock-rules models duplicates` over a 20,000-file index: does it answer from the index?

Builds a library of real tiny files named after the corpus's real models (bench/synthetic.py),
1 in 20 a copy of another file and 1 in 100 a hard link to one, indexes it with the real
`index` code, then times, best and median of --repeat runs:

1. `load_index` alone: the read every command of the index pays (the baseline);
2. `read_listing` (the index's rows plus disk paths, devices and inodes);
3. `shared_entries`: the rows of quick hashes held more than once, selected by SQLite (what
   `models duplicates` reads), and `find_duplicates` over them (grouping, full hashes from the
   index);
4. the installed `comfydock-rules models duplicates --format json` in a process of its own,
   against `comfydock-rules --version` (interpreter start-up, which nothing can avoid).

Target (docs/performance.md): the command answers in under 0.5 s at 20,000 files, computing no
full hash (the index already holds every one a shared quick hash needs). Prints figures;
asserts nothing.

    python bench/bench_models.py [--files 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import library_paths

from comfydock_rules.index.duplicates import find_duplicates
from comfydock_rules.index.load import load_index
from comfydock_rules.index.query import read_listing, shared_entries
from comfydock_rules.index.scan import Root
from comfydock_rules.index.update import update_index


def _command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    return [str(script)] if script.exists() else [sys.executable, "-m", "comfydock_rules"]


def build(root: Path, count: int) -> tuple[int, int]:
    """`count` files; returns (copies, hard links) made."""
    copies = links = 0
    paths = library_paths(count, seed=15)
    for number, rel in enumerate(paths):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if number % 20 == 19:
            shutil.copyfile(root / paths[number - 7], target)
            copies += 1
        elif number % 100 == 50:
            os.link(root / paths[number - 3], target)
            links += 1
        else:
            target.write_bytes(number.to_bytes(4, "little") * (64 + number % 200))
    return copies, links


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        out.append(time.perf_counter() - started)
    return out


def show(label: str, times: list[float], baseline: float | None = None) -> None:
    best, median = min(times), statistics.median(times)
    ratio = f"  ({best / baseline:.2f}x the baseline)" if baseline else ""
    print(f"{label:<44} best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "models"
        copies, links = build(root, args.files)
        db = Path(tmp) / "index.sqlite"
        summary = update_index([Root.plain(root)], db)
        print(f"library: {summary.files_seen} files ({copies} copies, {links} hard links), "
              f"indexed in {summary.seconds:.1f} s")
        found = find_duplicates(read_listing(db).entries)
        print(f"duplicates: {len(found.groups)} groups, {found.reclaimable} bytes reclaimable, "
              f"{found.hashed_files} full hashes computed, {len(found.unconfirmed)} unconfirmed")

        base = timed(lambda: load_index(db), args.repeat)
        show("load_index (baseline)", base)
        show("read_listing", timed(lambda: read_listing(db), args.repeat), min(base))
        listing = read_listing(db)
        show("find_duplicates over the whole listing",
             timed(lambda: find_duplicates(listing.entries), args.repeat), min(base))
        show("shared_entries (the rows duplicates reads)",
             timed(lambda: shared_entries(db), args.repeat), min(base))
        show("shared_entries + find_duplicates",
             timed(lambda: find_duplicates(shared_entries(db)), args.repeat), min(base))

        env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(Path(tmp) / "cache"))

        def run(*argv: str) -> None:
            subprocess.run([*_command(), *argv], check=True, capture_output=True, env=env)

        start = timed(lambda: run("--version"), args.repeat)
        show("comfydock-rules --version (start-up)", start)
        show("comfydock-rules models duplicates --format json",
             timed(lambda: run("models", "duplicates", "--index", str(db), "--format", "json"),
                   args.repeat), min(start))


if __name__ == "__main__":
    main()
