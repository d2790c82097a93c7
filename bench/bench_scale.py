"""The whole `comfydock-rules check` at the large size of the speed targets.

10,000 workflow files against a 100,000-file index snapshot, run as CI runs it:

    comfydock-rules check DIR --index SNAPSHOT --format json --output FILE

(target: under 30 s wall, peak memory under 1 GB). bench_engine.py measures the engine alone at
this size; this adds process start, the workflow reader, the index load and the JSON report.

Inputs, deterministic from --seed, written to a temporary folder and removed afterwards:
- the snapshot: every real name of the corpus (truth.jsonl in its declared directory,
  model_list.csv at its save_path; some moved into a subfolder or renamed), then generated
  look-alikes of real names (token edits such as fp16 -> fp8_e4m3fn, dev -> schnell, an extra
  word, a number, a subfolder) up to --files;
- the workflows: copies of the corpus workflows under distinct names; after the first copy of
  each, a fifth of the model values are edited (most renamed with an extra word, some replaced
  by a name no file has), so the fuzzy and missing paths run on thousands of distinct values.

Figures: wall seconds and peak RSS of the child (getrusage(RUSAGE_CHILDREN) after it exits,
each measured command in a fresh child so the maxima do not mix), and the stage split from one
extra child that runs the same stages as `check` in process with a clock around each.
Baselines in the same run: `python -c pass` and `comfydock-rules --version`. Prints figures;
asserts nothing.

    python bench/bench_scale.py [--workflows 10000] [--files 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import CORPUS, WORDS, library_paths  # noqa: E402

MODEL_VALUE = re.compile(r"\.(safetensors|ckpt|pt|pth|bin|gguf|sft|onnx)$", re.IGNORECASE)

# Runs in a child: the stages `check` runs (commands/check.run), each timed, without the CLI layer.
STAGES = r"""
import sys, time, resource
from pathlib import Path
t0 = time.perf_counter()
from comfydock_rules.rules.load import load_ruleset
from comfydock_rules.workflow.files import expand_paths
from comfydock_rules.workflow.read import read_workflow
from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.index.load import load_index
from comfydock_rules.resolve.engine import resolve_all
from comfydock_rules.report.core import build_report, parse_fail_on
from comfydock_rules.report import json as report_json
marks = [("imports", time.perf_counter())]
workflows = expand_paths([sys.argv[1]])
rules = load_ruleset(())
marks.append(("find files, rules", time.perf_counter()))
refs = []
for path, display in workflows:
    try:
        refs.extend(read_workflow(path, display, rules))
    except WorkflowReadError:
        pass
marks.append(("read workflows", time.perf_counter()))
files = load_index(Path(sys.argv[2]))
marks.append(("load snapshot", time.perf_counter()))
res = resolve_all(tuple(refs), files, {}, generic_names=rules.generic_names)
marks.append(("resolve", time.perf_counter()))
report = build_report(res, (d for _, d in workflows), (),
                      fail_on=parse_fail_on(list(rules.fail_on)))
marks.append(("build report", time.perf_counter()))
text = report_json.render(report)
marks.append(("render JSON", time.perf_counter()))
Path(sys.argv[3]).write_text(text, encoding="utf-8")
marks.append(("write", time.perf_counter()))
prev = t0
for name, t in marks:
    print(f"{name}\t{t - prev:.3f}")
    prev = t
print(f"refs\t{len(refs)}")
print(f"rss\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""


def _command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    return [str(script)] if script.exists() else [sys.executable, "-m", "comfydock_rules"]


def build_files(count: int, seed: int) -> list[dict[str, object]]:
    return [{"relative_path": p, "hash": hashlib.blake2b(p.encode(), digest_size=8).hexdigest(),
             "size": 1000 + i} for i, p in enumerate(library_paths(count, seed, CORPUS))]


def corpus_workflows() -> list[Path]:
    with open(CORPUS / "manifest.csv", encoding="utf-8", newline="") as stream:
        return sorted(CORPUS / "workflows" / row["file"] for row in csv.DictReader(stream))


def _edit(doc: Any, rng: random.Random, copy: int) -> Any:
    """The document with a fifth of its model values changed, the same way everywhere in it."""
    edited: dict[str, str] = {}

    def value(text: str) -> str:
        if not MODEL_VALUE.search(text):
            return text
        if text not in edited:
            roll = rng.random()
            stem, dot, ext = text.rpartition(".")
            if roll < 0.16:
                edited[text] = f"{stem}_{rng.choice(WORDS)}{rng.randrange(1, 50)}{dot}{ext}"
            elif roll < 0.2:
                edited[text] = f"absent_{copy % 97}_{rng.choice(WORDS)}{dot}{ext}"
            else:
                edited[text] = text
        return edited[text]

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return value(node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        return node

    return walk(doc)


def write_workflows(folder: Path, count: int, seed: int) -> int:
    """`count` copies of the corpus workflows under distinct names; returns bytes written."""
    rng = random.Random(seed)
    sources = corpus_workflows()
    texts = [source.read_text(encoding="utf-8") for source in sources]
    written = 0
    for k in range(count):
        index = k % len(sources)
        text = texts[index]
        if k >= len(sources):
            # An unreadable corpus file stays as it is: the reader reports it.
            with contextlib.suppress(ValueError):
                text = json.dumps(_edit(json.loads(text), rng, k), indent=1, ensure_ascii=False)
        target = folder / f"batch_{k // 1000:02d}" / f"{k:05d}_{sources[index].name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written += len(text)
    return written


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (MiB) and exit code of one child, in a fresh measuring process.

    RUSAGE_CHILDREN keeps the largest child seen by a process, so each measured command runs
    under its own short-lived python that reports the figure of that one command."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])\n"
        "sys.stdout.write(r.stdout.decode(errors='replace')[-4000:])\n"
        "print(f'\\n@@ {wall} {rss} {r.returncode}')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True,
                            text=True)
    tail = result.stdout.rstrip().rsplit("\n", 1)
    _, wall, rss, code = tail[-1].split()
    out = tail[0] if len(tail) > 1 else ""
    if int(code) == 2:
        sys.stderr.write(result.stderr)
    return float(wall), int(rss) / 1024, int(code), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole command")
    parser.add_argument("--no-stages", action="store_true", help="skip the stage split")
    opts = parser.parse_args()
    if not (CORPUS / "truth.jsonl").is_file():
        print(f"corpus not found at {CORPUS}; set COMFYDOCK_RULES_CORPUS")
        return 2
    cli = _command()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp / "cache"))
        started = time.perf_counter()
        snapshot = tmp / "models.json"
        doc = {"format": "comfydock-rules-index", "version": 1,
               "files": build_files(opts.files, opts.seed)}
        snapshot.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        folder = tmp / "workflows"
        size = write_workflows(folder, opts.workflows, opts.seed)
        built = time.perf_counter() - started
        print(f"inputs: {opts.files:,} files in the snapshot "
              f"({snapshot.stat().st_size / 2**20:.1f} MiB), {opts.workflows:,} workflows "
              f"({size / 2**20:.0f} MiB), seed {opts.seed}; built in {built:.1f} s")

        python = run_child([sys.executable, "-c", "pass"], env)
        version = run_child([*cli, "--version"], env)
        run_child([*cli, "check", "--quiet", "--index", str(snapshot),
                   str(next(folder.rglob("*.json")))], env)  # fills the rules cache
        report_path = tmp / "report.json"
        check_args = [*cli, "check", str(folder), "--index", str(snapshot), "--format", "json",
                      "--output", str(report_path)]
        runs = [run_child(check_args, env) for _ in range(opts.repeat)]
        report = json.loads(report_path.read_text(encoding="utf-8"))
        report_size = report_path.stat().st_size
        stages: list[tuple[str, str]] = []
        stage_wall = stage_rss = 0.0
        if not opts.no_stages:
            stage_wall, stage_rss, _, out = run_child(
                [sys.executable, "-c", STAGES, str(folder), str(snapshot), str(tmp / "r2.json")],
                env)
            stages = [tuple(line.split("\t", 1)) for line in out.splitlines()  # type: ignore
                      if "\t" in line]
            same = (tmp / "r2.json").read_bytes() == report_path.read_bytes()

    print(f"baseline python -c pass:            {python[0] * 1000:8.1f} ms, "
          f"peak RSS {python[1]:6.1f} MiB")
    print(f"baseline comfydock-rules --version: {version[0] * 1000:8.1f} ms, "
          f"peak RSS {version[1]:6.1f} MiB")
    summary = report["summary"]
    for wall, rss, code, _ in runs:
        print(f"check {opts.workflows:,} workflows x {opts.files:,} files, JSON report: "
              f"{wall:6.2f} s wall, peak RSS {rss:6.1f} MiB (exit {code})  "
              f"[target < 30 s, < 1024 MiB]")
    print(f"report: {summary['references']:,} references, {report_size / 2**20:.1f} MiB; "
          + ", ".join(f"{key} {summary[key]:,}"
                      for key in ("exact", "fuzzy", "ambiguous", "missing")))
    if stages:
        print(f"stage split (one more run, in process; {stage_wall:.2f} s wall, peak RSS "
              f"{stage_rss:.1f} MiB; report identical to check's: {same}):")
        for name, figure in stages:
            if name == "rss":
                continue
            label = f"{float(figure):8.3f} s" if name != "refs" else f"{int(figure):8,d}"
            print(f"  {name:<18} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
