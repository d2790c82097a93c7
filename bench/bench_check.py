"""End-to-end timing of `comfydock-rules check`, as the pre-commit hook and CI run it.

Builds a 20,000-file index snapshot from the corpus's real model names (every declared name, in
its directory, plus renamed, moved and unrelated files), then times the installed command:

1. one workflow, `check --quiet` as the pre-commit hook runs it, against the snapshot and
   against a SQLite index of 20,000 real tiny files built by `comfydock-rules index`
   (target: under 0.3 s wall including interpreter start-up); the snapshot run also with the
   parsed built-in rules' cache deleted before each run (what the first run after an install
   or upgrade pays);
2. all 786 official corpus workflows against the snapshot in one run (target: under 3 s).

Baselines measured in the same run: `python -c pass` and `comfydock-rules --version` (start-up
costs the check cannot avoid). Prints figures; asserts nothing.

    python bench/bench_check.py [--files 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("COMFYDOCK_RULES_CORPUS", REPO.parent / "shared" / "corpus"))
HOOK_WORKFLOW = "workflow_templates_2026-10/video_wan2_2_14B_i2v.json"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "comfydock-rules"
    return [str(script)] if script.exists() else [sys.executable, "-m", "comfydock_rules"]


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def build_files(count: int) -> list[dict[str, object]]:
    """Real names where they exist (truth.jsonl, model_list.csv), filler names for the rest."""
    names: set[tuple[str, str]] = set()
    with open(CORPUS / "truth.jsonl", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            if row.get("directory") and row.get("model_name"):
                names.add((row["directory"], row["model_name"].replace("\\", "/")))
    with open(CORPUS / "model_list.csv", encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            folder = (row["save_path"] or "").split("/", 1)[0] or "checkpoints"
            if folder != "default":
                names.add((folder, row["filename"]))
    paths: set[str] = {f"{d}/{n}" for d, n in names}
    # Half of the declared names also appear renamed or moved, as on a real machine.
    for index, (directory, name) in enumerate(sorted(names)):
        if index % 2 == 0:
            stem, dot, ext = name.rpartition(".")
            paths.add(f"{directory}/{stem.replace('_', '-')}_local.{ext}" if dot else name)
            paths.add(f"{directory}/moved/{name}")
    directories = sorted({d for d, _ in names})
    filler = 0
    while len(paths) < count:
        directory = directories[filler % len(directories)]
        paths.add(f"{directory}/library/model_{filler:05d}_v{filler % 7}_fp{8 << (filler % 2)}"
                  ".safetensors")
        filler += 1
    chosen = sorted(paths)[:count]
    return [{"relative_path": p, "hash": _hash(p), "size": 1000 + i}
            for i, p in enumerate(chosen)]


def official_workflows() -> list[str]:
    files: list[str] = []
    with open(CORPUS / "manifest.csv", encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if not row["file"].startswith("custom_nodes/"):
                files.append(str(CORPUS / "workflows" / row["file"]))
    return sorted(files)


def timed(args: list[str], repeat: int, cwd: Path, env: dict[str, str],
          forget: Path | None = None) -> tuple[float, int]:
    """Median wall time; `forget` is a cache file deleted before each run (a cold run)."""
    samples: list[float] = []
    code = 0
    for _ in range(repeat):
        if forget is not None:
            forget.unlink(missing_ok=True)
        started = time.perf_counter()
        result = subprocess.run(args, cwd=cwd, env=env, capture_output=True)
        samples.append(time.perf_counter() - started)
        code = result.returncode
        if code == 2:
            sys.stderr.write(result.stderr.decode(errors="replace"))
    return statistics.median(samples), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-sqlite", action="store_true",
                        help="skip the SQLite index of real tiny files (writes --files files)")
    opts = parser.parse_args()
    if not (CORPUS / "truth.jsonl").is_file():
        print(f"corpus not found at {CORPUS}; set COMFYDOCK_RULES_CORPUS")
        return 2
    cli = _command()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp / "cache"))
        snapshot = tmp / "models.json"
        doc = {"format": "comfydock-rules-index", "version": 1,
               "files": build_files(opts.files)}
        snapshot.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        workflows = official_workflows()

        python, _ = timed([sys.executable, "-c", "pass"], opts.repeat, tmp, env)
        version, _ = timed([*cli, "--version"], opts.repeat, tmp, env)
        hook_args = [*cli, "check", "--quiet", "--index", str(snapshot),
                     str(CORPUS / "workflows" / HOOK_WORKFLOW)]
        rules_cache = tmp / "cache" / "rules-builtin.json"
        cold, _ = timed(hook_args, opts.repeat, tmp, env, forget=rules_cache)
        timed(hook_args, 1, tmp, env)  # fills the rules cache again
        hook, hook_code = timed(hook_args, opts.repeat, tmp, env)
        sqlite_hook = sqlite_index = 0.0
        if not opts.no_sqlite:
            tree = tmp / "models"
            for entry in doc["files"]:
                path = tree / str(entry["relative_path"])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(str(entry["relative_path"]).encode())
            db = tmp / "index.sqlite"
            sqlite_index, _ = timed([*cli, "index", str(tree), "--db", str(db), "-q"], 1, tmp,
                                    env)
            hook_args[hook_args.index(str(snapshot))] = str(db)
            sqlite_hook, _ = timed(hook_args, opts.repeat, tmp, env)
        all_args = [*cli, "check", "--index", str(snapshot), "--format", "json", "--output",
                    str(tmp / "report.json"), *workflows]
        whole, whole_code = timed(all_args, max(1, opts.repeat // 2), tmp, env)
        report = json.loads((tmp / "report.json").read_text(encoding="utf-8"))

    summary = report["summary"]
    print(f"index snapshot: {opts.files} files; corpus: {CORPUS}")
    print(f"baseline python -c pass:            {python * 1000:7.1f} ms")
    print(f"baseline comfydock-rules --version: {version * 1000:7.1f} ms")
    print(f"hook: check --quiet, 1 workflow:    {hook * 1000:7.1f} ms "
          f"(exit {hook_code}; snapshot; {hook / python:.1f}x python start-up; target < 300 ms)")
    print(f"hook, rules cache emptied each run: {cold * 1000:7.1f} ms "
          f"(snapshot; the warm run takes {hook / cold:.2f}x of it)")
    if sqlite_hook:
        print(f"hook: check --quiet, 1 workflow:    {sqlite_hook * 1000:7.1f} ms "
              f"(SQLite index; built in {sqlite_index:.2f} s; target < 300 ms)")
    print(f"CI: {len(workflows)} workflows, JSON report: {whole * 1000:7.1f} ms "
          f"(exit {whole_code}; {summary['references']} references; target < 3000 ms)")
    print("statuses: " + ", ".join(
        f"{key} {summary[key]}" for key in ("exact", "fuzzy", "ambiguous", "missing")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
