"""Synthetic model libraries for the speed benchmarks, built from the corpus's real names.

Real names (truth.jsonl in their declared directories, model_list.csv at its save_path), some
moved into a subfolder or renamed, then look-alikes made by editing real names' tokens, so that
blocking and scoring see realistic candidate sets. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("COMFYDOCK_RULES_CORPUS", REPO.parent / "shared" / "corpus"))
EDITS = [("fp16", "fp8_e4m3fn"), ("bf16", "fp16"), ("dev", "schnell"), ("14B", "1.3B"),
         ("2.1", "2.2"), ("i2v", "t2v"), ("v1", "v2"), ("base", "refiner"), ("_", "-")]
WORDS = ["lora", "style", "detail", "anime", "real", "v2", "v3", "xl", "pony", "merge", "fix",
         "lightning", "turbo", "pruned", "ema", "rank32", "rank64", "epoch10", "final", "beta"]


def real_names(corpus: Path = CORPUS) -> list[tuple[str, str]]:
    """(directory, file name) pairs of real models, sorted."""
    rows: set[tuple[str, str]] = set()
    with open(corpus / "truth.jsonl", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            if row.get("directory") and row.get("model_name"):
                rows.add((row["directory"], row["model_name"].replace("\\", "/")))
    with open(corpus / "model_list.csv", encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["save_path"] not in ("", "default") and not row["filename"].startswith("<"):
                rows.add((row["save_path"], row["filename"]))
    return sorted(rows)


def library_paths(count: int, seed: int, corpus: Path = CORPUS) -> list[str]:
    """`count` relative paths, sorted: real names (60% as is, 15% moved, 10% renamed), then
    look-alikes of real names."""
    rng = random.Random(seed)
    names = real_names(corpus)
    paths: set[str] = set()
    for directory, name in names:
        roll = rng.random()
        if roll < 0.6:
            paths.add(f"{directory}/{name}")
        elif roll < 0.75:
            paths.add(f"{directory}/moved/{name}")
        elif roll < 0.85:
            renamed = name.replace("_", "-").replace(".safetensors", " (1).safetensors")
            paths.add(f"{directory}/{renamed}")
    while len(paths) < count:
        directory, name = rng.choice(names)
        stem, _, ext = name.rpartition(".")
        old, new = rng.choice(EDITS)
        stem = stem.replace(old, new, 1)
        word = rng.choice(WORDS)
        stem = f"{stem}_{word}" if rng.random() < 0.7 else f"{word}_{stem}"
        if rng.random() < 0.3:
            stem += f"_{rng.randrange(1, 400)}"
        sub = rng.choice(["", "", "", "sdxl/", "flux/", "wan/", "old/"])
        paths.add(f"{directory.split('/')[0]}/{sub}{stem}.{ext or 'safetensors'}")
    return sorted(paths)[:count]
