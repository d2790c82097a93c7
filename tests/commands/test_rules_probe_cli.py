"""`rules probe` and `rules generate --probe` on real folders.

ComfyUI cannot run here, so the dump a refreshed server would send is rebuilt from a real one
(tests/fixtures/object_info/redlip-comfyui-0.3.4x.json): each loader's options replaced by what
folder_paths.get_filename_list gives for its key on the probed folders (every root registered for
the key, os.walk relative paths with '/', the key's extension filter, the union sorted).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import CLI, FIXTURES, cli_env

REDLIP = FIXTURES / "object_info" / "redlip-comfyui-0.3.4x.json"
PT = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}


def listing(folders: list[Path], extensions: set[str] | None = PT) -> list[str]:
    """folder_paths.get_filename_list for one key whose folders are `folders`."""
    names: set[str] = set()
    for folder in folders:
        for dirpath, _dirs, files in os.walk(folder, followlinks=True):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), folder).replace(os.sep, "/")
                if extensions is None or os.path.splitext(name)[1].lower() in extensions:
                    names.add(rel)
    return sorted(names)


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    models = tmp_path / "ComfyUI" / "models"
    files = ["loras/detail.safetensors", "loras/style.safetensors", "clip/clip_l.safetensors",
             "text_encoders/t5xxl.gguf", "diffusion_models/flux1-dev-Q8_0.gguf",
             "unet/wan.safetensors", "ultralytics/bbox/face_yolov8m.pt", "vae/ae.safetensors"]
    for name in files:
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        (models / name).write_bytes(b"weights")
    (models / "pulid").mkdir()  # a pack's folder, still empty
    extra = tmp_path / "shared"
    (extra / "loras").mkdir(parents=True)
    (extra / "loras" / "team.safetensors").write_bytes(b"weights")
    (tmp_path / "extra_model_paths.yaml").write_text(
        f"shared:\n  base_path: {extra}\n  loras: loras\n", encoding="utf-8")
    return models, extra


def _snapshot(*roots: Path) -> list[str]:
    return sorted(str(p.relative_to(p.anchor)) for r in roots for p in r.rglob("*"))


def _refreshed_dump(models: Path, extra: Path, tmp_path: Path) -> Path:
    """What the server sends after a refresh, per loader (see the module docstring)."""
    doc = json.loads(REDLIP.read_text(encoding="utf-8"))
    te = [models / "text_encoders", models / "clip"]
    dm = [models / "diffusion_models", models / "unet"]

    def put(node: str, inp: str, options: list[str]) -> None:
        doc[node]["input"]["required"][inp][0] = options

    put("LoraLoader", "lora_name", listing([models / "loras", extra / "loras"]))
    # custom-scripts' loader reads models/loras itself: extra_model_paths are lost on it
    put("LoraLoader|pysssss", "lora_name", listing([models / "loras"]))
    put("CLIPLoader", "clip_name", listing(te))
    put("CLIPLoaderGGUF", "clip_name", sorted(listing(te) + listing(te, {".gguf"})))
    put("UNETLoader", "unet_name", listing(dm))
    put("UnetLoaderGGUF", "unet_name", listing(dm, {".gguf"}))
    put("UltralyticsDetectorProvider", "model_name",
        [f"bbox/{n}" for n in listing([models / "ultralytics" / "bbox"])]
        + [f"segm/{n}" for n in listing([models / "ultralytics" / "segm"])])
    put("PulidFluxModelLoader", "pulid_file", listing([models / "pulid"]))
    put("VAELoader", "vae_name", [*listing([models / "vae"]), "taesd", "pixel_space"])
    path = tmp_path / "object_info.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_probes_map_each_loader_and_find_a_loader_that_ignores_extra_paths(  # type: ignore[no-untyped-def]
        run_cli, tmp_path: Path) -> None:
    models, extra = _tree(tmp_path)
    before = _snapshot(models, extra)
    probe = run_cli("rules", "probe", "--models", models, "--extra-model-paths",
                    "extra_model_paths.yaml")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith("comfydock-probes.json: ")
    manifest = json.loads((tmp_path / "comfydock-probes.json").read_text(encoding="utf-8"))
    assert manifest["roots"] == [str(models), str(extra / "loras")]
    assert len(list((extra / "loras").glob("comfydock-probe-*"))) == 3

    dump = _refreshed_dump(models, extra, tmp_path)
    result = run_cli("rules", "generate", "--object-info", dump, "--probe",
                     "comfydock-probes.json", "--all", "--output", "probed.yaml")
    assert result.returncode == 0, result.stderr
    assert ('probe: "LoraLoader|pysssss"."lora_name" ignores extra_model_paths: lists loras '
            f"of the default root only, not of root 1 {extra / 'loras'}\n") in result.stderr
    text = (tmp_path / "probed.yaml").read_text(encoding="utf-8")
    slots = {}
    for line in text.splitlines():
        if line.startswith('  "'):
            node = json.loads(line.strip()[:-1])
        elif line.startswith("    - {"):
            slots.setdefault(node, []).append(line)
    assert 'directories: ["loras"]' in slots["LoraLoader"][0]
    assert "ignores extra_model_paths" not in slots["LoraLoader"][0]
    assert 'directories: ["text_encoders"]' in slots["CLIPLoader"][0]
    assert 'directories: ["diffusion_models"], extensions: [".gguf"]' in \
        slots["UnetLoaderGGUF"][0]
    assert 'directories: ["ultralytics"]' in slots["UltralyticsDetectorProvider"][0]
    # an empty folder, made certain by its probe
    assert 'directories: ["pulid"]' in slots["PulidFluxModelLoader"][0]
    assert 'ignore: {values: ["pixel_space", "taesd"]}' in slots["VAELoader"][0]
    pysssss = run_cli("rules", "generate", "--object-info", dump, "--probe",
                      "comfydock-probes.json", "--output", "-")
    assert "ignores extra_model_paths" in pysssss.stdout  # the new node type's note

    removed = run_cli("rules", "probe", "--remove")
    assert removed.returncode == 0, removed.stderr
    assert _snapshot(models, extra) == before
    again = run_cli("rules", "generate", "--object-info", dump, "--probe",
                    "comfydock-probes.json", "--all", "--output", "-")
    assert again.stdout == text  # the manifest still maps the names the saved dump lists


def test_probe_never_writes_outside_the_roots(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    (models / "loras").mkdir(parents=True)
    # one level off (the folder holding models/): refused before anything is written
    wrong = run_cli("rules", "probe", "--models", tmp_path)
    assert wrong.returncode == 2
    assert "not a models root, nothing written: no model folders under" in wrong.stderr
    assert "did you mean" in wrong.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["models"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (models / "checkpoints").symlink_to(elsewhere, target_is_directory=True)
    result = run_cli("rules", "probe", "--models", models)
    assert result.returncode == 0, result.stderr
    assert f"skipped {models / 'checkpoints'}: leads outside {models} (symlink)" in result.stdout
    assert list(elsewhere.iterdir()) == []
    assert len(list((models / "loras").glob("comfydock-probe-*"))) == 3
    second = run_cli("rules", "probe", "--models", models)
    assert second.returncode == 2
    assert "the probes of an earlier run are still in place" in second.stderr
    run_cli("rules", "probe", "--remove")
    assert sorted(p.name for p in models.iterdir()) == ["checkpoints", "loras"]


def test_remove_leaves_alone_what_is_no_longer_an_empty_probe(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    (models / "loras").mkdir(parents=True)
    assert run_cli("rules", "probe", "--models", models).returncode == 0
    written = sorted((models / "loras").glob("comfydock-probe-*"))
    written[0].write_bytes(b"someone saved a real model under this name")
    result = run_cli("rules", "probe", "--remove")
    assert result.returncode == 1
    assert f"{written[0]}: no longer an empty probe file; left alone" in result.stderr
    assert [p.name for p in (models / "loras").iterdir()] == [written[0].name]


def test_wait_removes_the_probes_after_enter(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    models = tmp_path / "models"
    (models / "vae").mkdir(parents=True)
    result = run_cli("rules", "probe", "--models", models, "--wait", input="\n")
    assert result.returncode == 0, result.stderr
    assert "Press Enter when object_info is saved" in result.stdout
    assert "probes removed (0 left alone)" in result.stdout
    assert sorted(p.name for p in models.iterdir()) == ["vae"]
    assert list((models / "vae").iterdir()) == []


def test_wait_removes_the_probes_when_terminated(tmp_path: Path) -> None:
    """A real process stopped by SIGTERM while it waits still takes its probes away."""
    models = tmp_path / "models"
    (models / "loras").mkdir(parents=True)
    proc = subprocess.Popen([*CLI, "rules", "probe", "--models", str(models), "--wait"],
                            cwd=tmp_path, env=cli_env(tmp_path / "cache"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list((models / "loras").glob("comfydock-probe-*")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        while not (tmp_path / "comfydock-probes.json").exists():
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, proc.stderr.read() if proc.stderr else ""
    assert list((models / "loras").iterdir()) == []
