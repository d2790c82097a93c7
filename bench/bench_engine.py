"""Speed of the resolution engine alone (no process start, no index reading, no reports).

Synthetic model libraries are built from the corpus's real names (truth.jsonl in their declared
directories, model_list.csv at its save_path) plus generated look-alikes (token edits of real
names, so blocking and scoring see realistic candidate sets); refs come from the corpus
workflows read with the built-in rules. Sizes:

1. 786 official workflows against 20,000 files (target: under 3 s in total);
2. 10,000 workflows (the corpus refs repeated, a fifth of values edited) against 100,000 files
   (target: under 30 s, memory under 1 GB);
3. one workflow against 20,000 files (part of the 0.3 s pre-commit budget).

Baseline in the same run: the seed's approach, difflib.SequenceMatcher of each ref against every
file of its slot's directories, on a sample of refs; printed as refs/s and as a ratio.

    python bench/bench_engine.py [--seed 1] [--baseline-refs 200] [--skip-large]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import difflib
import gc
import hashlib
import random
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from comfydock_rules.model import ModelFile, ModelRef  # noqa: E402
from comfydock_rules.resolve.engine import resolve_all  # noqa: E402
from comfydock_rules.resolve.lookup import Lookup  # noqa: E402
from comfydock_rules.rules.load import load_ruleset  # noqa: E402
from comfydock_rules.workflow.read import read_workflow  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import WORDS, library_paths  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"


def library(size: int, seed: int) -> list[ModelFile]:
    return [
        ModelFile(path, hashlib.blake2b(path.encode(), digest_size=8).hexdigest(), 1000)
        for path in library_paths(size, seed, CORPUS)
    ]


def corpus_refs() -> tuple[list[ModelRef], list[list[ModelRef]]]:
    rules = load_ruleset()
    per_workflow: list[list[ModelRef]] = []
    with (CORPUS / "manifest.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            path = CORPUS / "workflows" / row["file"]
            try:
                per_workflow.append(list(read_workflow(path, row["file"], rules)))
            except Exception:  # a bench counts what it can read
                per_workflow.append([])
    return [r for refs in per_workflow for r in refs], per_workflow


def many_refs(per_workflow: list[list[ModelRef]], n_workflows: int, seed: int) -> list[ModelRef]:
    rng = random.Random(seed)
    out: list[ModelRef] = []
    for k in range(n_workflows):
        template = per_workflow[k % len(per_workflow)]
        for ref in template:
            value = ref.value
            if k >= len(per_workflow) and rng.random() < 0.2:
                stem, _, ext = value.rpartition(".")
                value = f"{stem}_{rng.choice(WORDS)}{rng.randrange(1, 50)}.{ext}"
            out.append(dataclasses.replace(ref, workflow=f"w{k}/{ref.workflow}", value=value))
    return out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(refs: list[ModelRef], files: list[ModelFile]) -> tuple[float, float, int]:
    gc.collect()
    start = time.perf_counter()
    lookup = Lookup.build(files)
    built = time.perf_counter()
    out = resolve_all(refs, [], lookup=lookup, generic_names=load_ruleset().generic_names)
    done = time.perf_counter()
    assert len(out) == len(refs)
    return built - start, done - start, sum(r.status in ("exact", "fuzzy") for r in out)


def baseline(refs: list[ModelRef], files: list[ModelFile]) -> float:
    """The seed's matcher: SequenceMatcher ratio against every file of the slot's directories."""
    by_dir: dict[str, list[ModelFile]] = {}
    for f in files:
        by_dir.setdefault(f.directory, []).append(f)
    start = time.perf_counter()
    for ref in refs:
        dirs = ref.slot.directories if ref.slot else tuple(by_dir)
        best = 0.0
        for d in dirs:
            for f in by_dir.get(d, ()):
                best = max(best, difflib.SequenceMatcher(
                    None, ref.value.lower(), f.filename.lower()).ratio())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-refs", type=int, default=200)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()

    refs, per_workflow = corpus_refs()
    files20 = library(20_000, args.seed)
    distinct = len({(r.slot, r.value) for r in refs})
    print(f"corpus: {len(per_workflow)} workflows, {len(refs)} refs, {distinct} distinct")

    build, total, resolved = timed(refs, files20)
    print(f"786 workflows x 20,000 files: {total:.3f} s total (tables {build:.3f} s), "
          f"{len(refs) / total:,.0f} refs/s, {resolved} exact or fuzzy  [target < 3 s]")

    one = max(per_workflow, key=len)
    build1, total1, _ = timed(one, files20)
    print(f"1 workflow ({len(one)} refs) x 20,000 files: {total1 * 1000:.1f} ms "
          f"(tables {build1 * 1000:.1f} ms)  [budget: part of 0.3 s]")

    rng = random.Random(args.seed)
    sample = rng.sample(refs, min(args.baseline_refs, len(refs)))
    base = baseline(sample, files20)
    _, ours, _ = timed(sample, files20)
    print(f"baseline (difflib vs every file of the slot's directories), {len(sample)} refs x "
          f"20,000 files: {base:.3f} s = {len(sample) / base:,.0f} refs/s; engine on the same "
          f"refs {ours:.3f} s = {len(sample) / ours:,.0f} refs/s; ratio {base / ours:.1f}x")

    if not args.skip_large:
        del files20
        files100 = library(100_000, args.seed + 1)
        big = many_refs(per_workflow, 10_000, args.seed)
        distinct = len({(r.slot, r.value) for r in big})
        before = rss_mib()
        build, total, resolved = timed(big, files100)
        print(f"10,000 workflows ({len(big):,} refs, {distinct:,} distinct) x 100,000 files: "
              f"{total:.2f} s (tables {build:.2f} s), {len(big) / total:,.0f} refs/s; "
              f"peak RSS {rss_mib():.0f} MiB (before the run {before:.0f} MiB)  "
              f"[target < 30 s, < 1 GB]")


if __name__ == "__main__":
    main()
