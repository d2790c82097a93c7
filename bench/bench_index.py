"""Index speed: cold and warm runs over many small files, and large sparse files against os.pread.

    python bench/bench_index.py                    # 20,000 small files, 8 sparse files of 1 GiB
    python bench/bench_index.py --small 2000 --large 2   # a quick run

Prints figures; it asserts nothing. Targets (docs/performance.md): cold >= 5,000 files/s,
warm re-index of 20,000 unchanged files <= 0.5 s, large files within 1.25x of a baseline that
reads the very same byte ranges with plain os.pread in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from comfydock_rules.hashing import MIB, quick_hash_ranges
from comfydock_rules.index_db import Root, update_index
from comfydock_rules.index_load import load_index


def make_small(root: Path, count: int) -> int:
    total = 0
    for number in range(count):
        directory = ("loras", "checkpoints", "vae", "embeddings")[number % 4]
        folder = root / directory / f"d{number % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        size = 512 + (number * 37) % 3584
        (folder / f"file-{number:06d}.safetensors").write_bytes(
            number.to_bytes(4, "little") * (size // 4))
        total += size
    return total


def make_large(root: Path, count: int, size: int) -> None:
    folder = root / "diffusion_models"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        with open(folder / f"large-{number}.safetensors", "wb") as stream:
            stream.truncate(size)
            for offset in (0, size // 2, size - 8):
                stream.seek(offset)
                stream.write(number.to_bytes(8, "little"))


def pread_baseline(root: Path) -> tuple[float, int]:
    started = time.perf_counter()
    total = 0
    for path in sorted((root / "diffusion_models").iterdir()):
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            for offset, length in quick_hash_ranges(size):
                total += len(os.pread(fd, length, offset))
        finally:
            os.close(fd)
    return time.perf_counter() - started, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", type=int, default=20_000, help="small files (default 20000)")
    parser.add_argument("--large", type=int, default=8, help="large sparse files (default 8)")
    parser.add_argument("--large-mib", type=int, default=1024, help="size of each (MiB)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="large-file rounds (best kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        base = Path(tmp)
        small_root = base / "small"
        written = make_small(small_root, args.small)
        db = base / "small.sqlite"
        cold = update_index([Root.plain(small_root)], db, workers=args.workers)
        print(f"small files: {args.small} ({written / MIB:.1f} MiB), workers "
              f"{args.workers or 'default'}")
        print(f"  cold index: {cold.seconds:.3f} s = {args.small / cold.seconds:,.0f} files/s "
              f"({cold.new} new)")
        warm = [update_index([Root.plain(small_root)], db, workers=args.workers)
                for _ in range(args.repeat)]
        print(f"  warm re-index (nothing changed), best of {args.repeat}: "
              f"{min(w.seconds for w in warm):.3f} s ({warm[0].bytes_read} bytes read)")
        started = time.perf_counter()
        files = load_index(db)
        print(f"  load_index: {len(files)} rows in {time.perf_counter() - started:.3f} s")

        if args.large:
            large_root = base / "large"
            make_large(large_root, args.large, args.large_mib * MIB)
            (base / "empty").mkdir()
            best_base = best_index = float("inf")
            per_file = 0.0
            for round_number in range(args.repeat):
                seconds, _ = pread_baseline(large_root)
                best_base = min(best_base, seconds)
                # A database that exists already: the files are new to it, but the one-off cost of
                # creating a database file (about 40 ms of fsyncs) is not the files' cost.
                large_db = base / f"large-{round_number}.sqlite"
                update_index([Root.plain(base / "empty")], large_db)
                summary = update_index([Root.plain(large_root)], large_db, workers=args.workers)
                best_index = min(best_index, summary.seconds)
                per_file = summary.bytes_read / args.large
            print(f"large sparse files: {args.large} x {args.large_mib} MiB, best of {args.repeat}")
            print(f"  bytes read per file: {per_file:,.0f} ({per_file / MIB:.1f} MiB)")
            print(f"  os.pread baseline (same ranges, one thread): {best_base:.3f} s")
            print(f"  index (files new to the db): {best_index:.3f} s; "
                  f"ratio {best_index / best_base:.2f}x")


if __name__ == "__main__":
    main()
