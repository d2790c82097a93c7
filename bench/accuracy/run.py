"""Resolution-accuracy benchmark: build a labelled library per seed, run `comfydock-rules check`
on the corpus workflows against it, score the JSON report per scenario, beside a difflib baseline.

    python bench/accuracy/run.py --seeds 1,2,3 [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accuracy.baseline import baseline_report
from accuracy.library import Library, build_library, write_library
from accuracy.scorer import (
    Score,
    format_table,
    score_references,
    targets,
    truth_directories,
)

REPO = Path(__file__).resolve().parent.parent.parent
DEFAULT_CORPUS = Path(os.environ.get("COMFYDOCK_RULES_CORPUS", REPO.parent / "shared" / "corpus"))


def command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    if script.exists():
        return [str(script)]
    found = shutil.which("comfydock-rules")
    return [found] if found else [sys.executable, "-m", "comfydock_rules"]


def truth_workflows(corpus: Path) -> list[str]:
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        return sorted({json.loads(line)["workflow"] for line in fh})


def truth_references(corpus: Path) -> list[dict[str, Any]]:
    """References straight from truth.jsonl, for --baseline-only (no check run)."""
    out = []
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.append({"workflow": row["workflow"], "node_id": str(row["node_id"]),
                        "node_type": row["node_type"], "value": row["model_name"],
                        "flags": ["bypassed"] if row["node_mode"] in (2, 4) else []})
    return out


def run_check(corpus: Path, models: Path, work: Path) -> tuple[list[dict[str, Any]], float]:
    """The installed command, as a user runs it; workflow paths in the result are made relative
    to the corpus' workflows/ folder so that they meet truth.jsonl."""
    workflows_dir = corpus / "workflows"
    report_path = work / "report.json"
    args = [*command(), "check", *(str(workflows_dir / w) for w in truth_workflows(corpus)),
            "--models", str(models), "--db", str(work / "index.sqlite"),
            "--format", "json", "--output", str(report_path)]
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(work / "cache"))
    env.pop("GITHUB_ACTIONS", None)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or not report_path.is_file():
        sys.stderr.write(f"check failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}\n")
        raise SystemExit(2)
    data = json.loads(report_path.read_text(encoding="utf-8"))
    refs = data["references"] if isinstance(data, dict) else data
    prefix = str(workflows_dir) + os.sep
    for ref in refs:
        if ref["workflow"].startswith(prefix):
            ref["workflow"] = ref["workflow"][len(prefix):].replace(os.sep, "/")
    return refs, elapsed


def run_seed(corpus: Path, seed: int, scale: float, size: int, keep: Path | None,
             baseline_only: bool) -> tuple[Score, Score, dict[str, Any]]:
    directories = truth_directories(corpus)
    library: Library = build_library(corpus, seed, scale)
    with tempfile.TemporaryDirectory(prefix="comfydock-accuracy-") as tmp:
        work = keep / f"seed{seed}" if keep else Path(tmp)
        if keep and work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        models = work / "models"
        write_library(library, models, size)
        (work / "labels.json").write_text(library.to_json(), encoding="utf-8")
        info: dict[str, Any] = {"seed": seed, "files": len(library.files),
                                "models": len(library.labels)}
        if baseline_only:
            refs = truth_references(corpus)
            engine = Score()
        else:
            refs, elapsed = run_check(corpus, models, work)
            info["check_seconds"] = round(elapsed, 2)
            engine = score_references(refs, library, directories)
        base_start = time.perf_counter()
        base = score_references(baseline_report(refs, library, directories), library,
                                directories)
        info["baseline_seconds"] = round(time.perf_counter() - base_start, 2)
    return engine, base, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the per-directory library sizes (default 1.0)")
    parser.add_argument("--size", type=int, default=256, help="bytes per model file")
    parser.add_argument("--keep", type=Path, help="keep libraries, labels and reports here")
    parser.add_argument("--baseline-only", action="store_true",
                        help="score only the difflib baseline, on truth.jsonl's references")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not (args.corpus / "truth.jsonl").is_file():
        sys.stderr.write(f"no truth.jsonl in {args.corpus} (use --corpus)\n")
        return 2
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        sys.stderr.write(f"--seeds: expected comma-separated integers, got {args.seeds!r}\n")
        return 2

    total_engine, total_base = Score(), Score()
    per_seed: list[dict[str, Any]] = []
    for seed in seeds:
        engine, base, info = run_seed(args.corpus, seed, args.scale, args.size, args.keep,
                                      args.baseline_only)
        total_engine.add(engine)
        total_base.add(base)
        per_seed.append({**info, "engine": engine.to_dict(), "baseline": base.to_dict(),
                         "engine_targets": targets(engine),
                         "baseline_targets": targets(base)})

    if args.json:
        out = {"seeds": seeds, "scale": args.scale, "per_seed": per_seed,
               "all": {"engine": total_engine.to_dict(), "baseline": total_base.to_dict(),
                       "engine_targets": targets(total_engine),
                       "baseline_targets": targets(total_base)}}
        sys.stdout.write(json.dumps(out, indent=1, sort_keys=True) + "\n")
        return 0

    seed_text = ",".join(map(str, seeds))
    blocks = []
    for info in per_seed:
        timing = f", check {info['check_seconds']} s" if "check_seconds" in info else ""
        blocks.append(f"seed {info['seed']}: {info['files']} files, {info['models']} truth "
                      f"models{timing}")
    if not args.baseline_only:
        blocks.append(format_table(total_engine, f"\ncomfydock-rules check, seeds {seed_text}"))
    blocks.append(format_table(total_base, f"\ndifflib baseline (ratio > 0.6), seeds {seed_text}"))
    blocks.append("\ntargets (all seeds)")
    for who, score in (("engine", total_engine), ("baseline", total_base)):
        if who == "engine" and args.baseline_only:
            continue
        for name, t in targets(score).items():
            blocks.append(f"  {who:<9}{'met ' if t['met'] else 'MISS'}  {name}: {t['value']}")
    sys.stdout.write("\n".join(blocks) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
