"""What pins cost a `check` run: reading them (every run) and computing a patch (on request).

Prints figures for a pyproject.toml holding N pins, with stdlib tomllib.loads of the same text
as the baseline measured in the same run. Usage: python bench/pyproject_pins.py [N]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from comfydock_rules.model import ModelFile, ModelRef, Resolution
from comfydock_rules.pyproject import persist


def _best(fn: object, repeat: int = 5) -> float:
    assert callable(fn)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    workflows = max(1, n // 20)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        Path("pyproject.toml").write_text('# bench\n[project]\nname = "bench"\n')
        pairs = [(Path(f"wf{w}.json"), f"wf{w}.json") for w in range(workflows)]
        resolutions = []
        for i in range(n):
            f = ModelFile(f"loras/model_{i}.safetensors", f"{i:016x}", 1000 + i)
            ref = ModelRef(f"wf{i % workflows}.json", str(i), "LoraLoader", 0, None,
                           f"model_{i}.safetensors")
            resolutions.append(Resolution(ref, "exact", "path", 1.0, f))
        write = persist.PersistOptions(write_pyproject=True)
        read = persist.PersistOptions()

        t_patch = _best(lambda: persist.apply(write, persist.load_pins(write, pairs),
                                              resolutions), repeat=1)
        text = Path("pyproject.toml").read_text()
        t_base = _best(lambda: tomllib.loads(text))
        t_load = _best(lambda: persist.load_pins(read, pairs))
        state = persist.load_pins(read, pairs)
        t_noop = _best(lambda: persist.apply(write, persist.load_pins(write, pairs),
                                             resolutions), repeat=1)
        t_apply_read = _best(lambda: persist.apply(read, state, resolutions))
        # What `check` pays on top of what it imports anyway (model, argparse, pathlib).
        extra = subprocess.run(
            [sys.executable, "-c",
             "import time, argparse, pathlib, comfydock_rules.model, comfydock_rules.errors\n"
             "t = time.perf_counter()\nimport comfydock_rules.pyproject.persist\n"
             "print(time.perf_counter() - t)"],
            capture_output=True, text=True, check=True,
        )
        import_ms = min(float(extra.stdout) for _ in range(1)) * 1000
    print(f"pins: {n} in {workflows} workflows, pyproject {len(text)} bytes")
    print(f"baseline tomllib.loads:           {t_base * 1000:8.2f} ms")
    print(f"load_pins (read + check schema):  {t_load * 1000:8.2f} ms"
          f"  ({t_load / t_base:.2f}x baseline)")
    print(f"apply, reading only (unused pins):{t_apply_read * 1000:8.2f} ms")
    print(f"first write (tomlkit, {n} pins):   {t_patch * 1000:8.2f} ms")
    print(f"second write (no change):         {t_noop * 1000:8.2f} ms")
    print(f"import persist (on top of model): {import_ms:8.2f} ms")


if __name__ == "__main__":
    main()
