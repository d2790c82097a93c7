"""Index speed: cold and warm runs over many small files, and large real files against os.pread.

    python bench/bench_index.py              # 20,000 small files; 12 real files of 64-256 MiB
    python bench/bench_index.py --small 2000 --large 4 --repeat 3   # a quick run

Prints figures. Targets (docs/performance.md): cold >= 5,000 files/s, warm re-index of 20,000
unchanged files <= 0.5 s, large files within 1.25x of a baseline that reads the very same byte
ranges with plain os.pread on as many threads, in the same run. The large files are written
with random bytes (not sparse: a hole reads at memory speed) and evicted from the page cache
before every cold pass with posix_fadvise(DONTNEED), so both sides read from the disk. The
files (about 2 GB by default) live in a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from blake3 import blake3

from comfydock_rules.index.hashing import MIB, quick_hash_ranges
from comfydock_rules.index.load import load_index
from comfydock_rules.index.scan import Root
from comfydock_rules.index.update import default_workers, update_index


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


LARGE_SIZES_MIB = (64, 96, 128, 160, 192, 224, 256)


def make_large(root: Path, count: int, max_mib: int) -> list[Path]:
    """Real (not sparse) files of pseudo-random bytes, 64..max_mib MiB, flushed to the disk so
    that their pages are clean and can be evicted from the page cache."""
    folder = root / "diffusion_models"
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(16 * MIB)
    sizes = [s for s in LARGE_SIZES_MIB if s <= max_mib] or [max_mib]
    paths = []
    for number in range(count):
        size = sizes[number % len(sizes)] * MIB
        path = folder / f"large-{number:02d}.safetensors"
        with open(path, "wb", buffering=0) as stream:
            stream.write(number.to_bytes(8, "little"))
            left = size - 8
            step = 0
            while left > 0:
                # Rotate the block so no two MiB of the file (or of two files) are alike.
                cut = (number * 7919 + step * 104_729) % len(block)
                piece = (block[cut:] + block[:cut])[:left]
                stream.write(piece)
                left -= len(piece)
                step += 1
            os.fsync(stream.fileno())
        paths.append(path)
    return paths


def evict(paths: list[Path]) -> None:
    """Drop the files' (clean) pages from the page cache: the next read comes from the disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def prime(paths: list[Path]) -> None:
    """Bring the sampled ranges into the page cache (a warm pass)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            for offset, length in quick_hash_ranges(os.fstat(fd).st_size):
                os.pread(fd, length, offset)
        finally:
            os.close(fd)


def pread_one(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        return sum(len(os.pread(fd, length, offset))
                   for offset, length in quick_hash_ranges(size))
    finally:
        os.close(fd)


def pread_baseline(paths: list[Path], workers: int) -> tuple[float, int]:
    """The same byte ranges read with plain os.pread, one file per task on `workers` threads
    (the index's own pool size), nothing else: no hashing, no database."""
    started = time.perf_counter()
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            total = sum(pool.map(pread_one, paths))
    else:
        total = sum(map(pread_one, paths))
    return time.perf_counter() - started, total


def hash_floor(paths: list[Path], workers: int) -> float:
    """Seconds to BLAKE3 the same ranges already in memory on `workers` threads: what the
    index must spend on top of reading, whatever the reads cost."""
    samples = []
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            samples.append([os.pread(fd, n, o) for o, n in quick_hash_ranges(size)])
        finally:
            os.close(fd)

    def one(parts: list[bytes]) -> str:
        hasher = blake3()
        for part in parts:
            hasher.update(part)
        return hasher.hexdigest()

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, samples))
        best = min(best, time.perf_counter() - started)
    return best


def eviction_check(path: Path) -> tuple[float, float]:
    """(cold, warm) seconds to read one file's sampled ranges: evicting must make it slower."""
    evict([path])
    cold = pread_baseline([path], 1)[0]
    warm = pread_baseline([path], 1)[0]
    return cold, warm


def large_rounds(base: Path, paths: list[Path], workers: int, repeat: int,
                 cold: bool) -> tuple[list[float], list[float], int]:
    """Alternate baseline and index, each from the same cache state; (baseline s, index s)."""
    root = base / "large"
    (base / "empty").mkdir(exist_ok=True)
    baseline: list[float] = []
    indexed: list[float] = []
    read = 0
    for round_number in range(repeat):
        # A database that exists already: the files are new to it, but the one-off cost of
        # creating a database file (about 40 ms of fsyncs) is not the files' cost.
        db = base / f"large-{'cold' if cold else 'warm'}-{round_number}.sqlite"
        update_index([Root.plain(base / "empty")], db)
        for step in (("baseline", "index") if round_number % 2 == 0 else ("index", "baseline")):
            if cold:
                evict(paths)
            else:
                prime(paths)
            if step == "baseline":
                baseline.append(pread_baseline(paths, workers)[0])
            else:
                summary = update_index([Root.plain(root)], db, workers=workers)
                if summary.new != len(paths):
                    raise RuntimeError(f"expected {len(paths)} new files: {summary}")
                indexed.append(summary.seconds)
                read = summary.bytes_read
    return baseline, indexed, read


def small_part(base: Path, args: argparse.Namespace) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", type=int, default=20_000, help="small files (default 20000)")
    parser.add_argument("--large", type=int, default=12, help="large real files (default 12)")
    parser.add_argument("--large-mib", type=int, default=256,
                        help="largest file (MiB, default 256; sizes cycle 64..256)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5,
                        help="warm re-index and large-file rounds (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        base = Path(tmp)
        if args.small:
            small_part(base, args)
        if args.large:
            workers = args.workers or default_workers()
            paths = make_large(base / "large", args.large, args.large_mib)
            total_mib = sum(p.stat().st_size for p in paths) / MIB
            print(f"large files: {args.large} real files, 64-{args.large_mib} MiB "
                  f"({total_mib:,.0f} MiB on disk), {workers} workers, {args.repeat} rounds")
            cold_s, warm_s = eviction_check(paths[0])
            print(f"  eviction check (15 MiB of one file, one thread): cold {cold_s * 1e3:.1f} ms,"
                  f" warm {warm_s * 1e3:.1f} ms ({cold_s / warm_s:.1f}x)")
            for label, cold in (("cold (evicted before every pass)", True),
                                ("warm (ranges in the page cache)", False)):
                baseline, indexed, read = large_rounds(base, paths, workers, args.repeat, cold)
                print(f"  {label}:")
                print(f"    bytes read per file: {read / len(paths):,.0f} "
                      f"({read / len(paths) / MIB:.1f} MiB)")
                print(f"    os.pread baseline: best {min(baseline):.3f} s, "
                      f"median {statistics.median(baseline):.3f} s")
                print(f"    index:             best {min(indexed):.3f} s, "
                      f"median {statistics.median(indexed):.3f} s")
                print(f"    ratio: best/best {min(indexed) / min(baseline):.2f}x, "
                      f"median/median "
                      f"{statistics.median(indexed) / statistics.median(baseline):.2f}x")
            floor = hash_floor(paths, workers)
            print(f"  BLAKE3 alone of the same bytes from memory, {workers} threads: {floor:.3f} s "
                  f"(the index's cost on top of the reads)")


if __name__ == "__main__":
    main()
