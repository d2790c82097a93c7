"""The pre-commit path: what `check` of one workflow loads, and the per-roots cache db.

Speed itself is measured by bench/bench_check.py; these tests pin down what makes it fast
(modules not imported, caches used). That the fast index readers give exactly what the checked
readers give is in tests/index/test_index_load.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, RunCli, example_db

from comfydock_rules.index import load as index_load
from comfydock_rules.index.snapshot import dumps

WORKFLOW = EXAMPLES / "workflows" / "01_exact.json"


def _checkpoint_workflow(path: Path, name: str) -> Path:
    node = {"id": 1, "type": "CheckpointLoaderSimple", "pos": [0, 0], "size": [300, 100],
            "flags": {}, "order": 0, "mode": 0, "inputs": [], "outputs": [],
            "properties": {}, "widgets_values": [name]}
    path.write_text(json.dumps({"last_node_id": 1, "last_link_id": 0, "nodes": [node],
                                "links": [], "version": 0.4}, indent=1), encoding="utf-8")
    return path


def _resolved_hash(stdout: str) -> str:
    refs = json.loads(stdout)["references"]
    assert len(refs) == 1 and refs[0]["status"] == "exact", refs
    return str(refs[0]["resolved"]["hash"])


def _rewrite_same_stat(path: Path, content: bytes) -> None:
    """New content, same size and mtime: only a read of the file can notice."""
    stat = path.stat()
    assert len(content) == stat.st_size
    path.write_bytes(content)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_models_roots_alternating_keep_their_own_db(run_cli: RunCli, tmp_path: Path) -> None:
    projects = {}
    for name in ("alpha", "beta"):
        model = tmp_path / name / "models" / "checkpoints" / f"{name}.safetensors"
        model.parent.mkdir(parents=True)
        model.write_bytes(name.encode() * 64)
        workflow = _checkpoint_workflow(tmp_path / f"{name}.json", f"{name}.safetensors")
        projects[name] = (model, workflow)

    def check(name: str) -> str:
        model, workflow = projects[name]
        result = run_cli("check", "--models", model.parent.parent, "--format", "json", workflow)
        assert result.returncode == 0, result.stderr
        return _resolved_hash(result.stdout)

    first = {name: check(name) for name in projects}
    for name, (model, _) in projects.items():
        _rewrite_same_stat(model, name.upper().encode() * 64)
    # Each project's second run finds its files unchanged (same size and mtime) in its own db
    # and reads nothing, so the hashes recorded in the first run stand. With one shared db the
    # other project's run would have dropped these rows and the files would be hashed again.
    second = {name: check(name) for name in ("alpha", "beta", "alpha")}
    assert second == first
    dbs = sorted(p.name for p in (tmp_path / "cache").glob("*.sqlite"))
    assert len(dbs) == 2 and all(n.startswith("models-") for n in dbs), dbs
    for db in (tmp_path / "cache").glob("models-*.sqlite"):
        with sqlite3.connect(db) as conn:
            paths = [row[0] for row in conn.execute("SELECT relative_path FROM model_locations")]
        assert len(paths) == 1

    # An explicit --db is used as given, and it does hash the rewritten file.
    model, workflow = projects["alpha"]
    own = tmp_path / "own.sqlite"
    result = run_cli("check", "--models", model.parent.parent, "--db", own, "--format", "json",
                     workflow)
    assert result.returncode == 0, result.stderr
    assert own.is_file()
    assert _resolved_hash(result.stdout) != first["alpha"]
    assert len(list((tmp_path / "cache").glob("*.sqlite"))) == 2


def test_models_db_path_names_the_set_of_roots(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from comfydock_rules.paths import models_db_path

    monkeypatch.setenv("COMFYDOCK_RULES_CACHE_DIR", str(tmp_path / "cache"))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (tmp_path / "link").symlink_to(a)
    both = models_db_path([a, b])
    assert both.parent == tmp_path / "cache" and both.name.startswith("models-")
    assert models_db_path([b, a]) == both
    assert models_db_path([str(a) + "/", tmp_path / "link", b]) == both
    assert models_db_path([a]) != both
    assert models_db_path([a], [tmp_path / "extra.yaml"]) != models_db_path([a])
    # a root and an extra_model_paths file of the same path are different sets
    assert models_db_path([tmp_path / "x"]) != models_db_path([], [tmp_path / "x"])


def test_check_help_documents_the_per_roots_db(run_cli: RunCli) -> None:
    result = run_cli("check", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "models-<hash" in text
    assert "one per set of roots" in text


_MODULES = """
import sys
from comfydock_rules.cli import main
code = main(sys.argv[1:])
print(code, " ".join(sorted(sys.modules)))
"""


def _modules_after(tmp_path: Path, *args: str | Path) -> tuple[int, set[str]]:
    env = dict(os.environ, COMFYDOCK_RULES_CACHE_DIR=str(tmp_path / "cache"))
    out = ""
    for _ in range(2):  # the first run fills the rules cache
        out = subprocess.run([sys.executable, "-c", _MODULES, *map(str, args)], env=env,
                             capture_output=True, text=True, check=True).stdout
    code, _, names = out.strip().rpartition("\n")[2].partition(" ")
    return int(code), set(names.split())


HEAVY = {"yaml", "jsonschema", "tomlkit", "ruamel", "jellyfish", "hashlib", "concurrent.futures",
         "comfydock_rules.index.db", "comfydock_rules.index.update", "comfydock_rules.index.scan",
         "comfydock_rules.index.hashing", "comfydock_rules.rules.build",
         "comfydock_rules.rules.check", "comfydock_rules.rules.yaml", "blake3"}


def test_hook_run_against_a_snapshot_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    snapshot = tmp_path / "models.json"
    files = index_load.load_index(example_db(tmp_path))
    snapshot.write_text(dumps(files), encoding="utf-8")
    code, modules = _modules_after(tmp_path, "check", "--quiet", "--index", snapshot, WORKFLOW)
    assert code == 0
    assert not modules & (HEAVY | {"sqlite3"})


def test_hook_run_against_a_sqlite_index_imports_nothing_it_does_not_use(
        tmp_path: Path) -> None:
    code, modules = _modules_after(tmp_path, "check", "--quiet", "--index", example_db(tmp_path),
                                   WORKFLOW)
    assert code == 0
    assert "sqlite3" in modules
    assert not modules & HEAVY
