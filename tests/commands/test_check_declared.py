"""`check` on a real workflow whose download URLs are declared at the top level only: missing and
ambiguous references both carry the declared URL; blank values are not references."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, RunCli
from test_check import by_value, check_json, make_models

REAL = FIXTURES / "workflows" / "real"
VAE = "hunyuan_video_vae_bf16.safetensors"
REPO_URL = "https://huggingface.co/Comfy-Org/HunyuanVideo_repackaged/resolve/main/split_files/"


def setup(tmp_path: Path, name: str) -> Path:
    shutil.copy(REAL / name, tmp_path / name)
    models = make_models(tmp_path / "models", f"vae/a/{VAE}",
                         "text_encoders/clip_l.safetensors")
    # Two different files of the declared name: the reference is ambiguous.
    (models / "vae" / "b").mkdir()
    (models / "vae" / "b" / VAE).write_text("another model\n")
    return models


def test_ambiguous_and_missing_references_carry_the_declared_url(
        run_cli: RunCli, tmp_path: Path) -> None:
    setup(tmp_path, "hunyuan_video_image_to_video.json")
    code, data = check_json(run_cli, "hunyuan_video_image_to_video.json", "--models", "models",
                            cwd=tmp_path)
    assert code == 1
    refs = by_value(data)
    vae = refs[VAE]
    assert vae["status"] == "ambiguous"
    assert vae["url"] == REPO_URL + f"vae/{VAE}?download=true"
    assert vae["download_directory"] == "vae"
    unet = refs["hunyuan_video_image_to_video_720p_bf16.safetensors"]
    assert unet["status"] == "missing"
    assert unet["url"].startswith(REPO_URL + "diffusion_models/")
    assert unet["download_directory"] == "diffusion_models"
    clip = refs["clip_l.safetensors"]
    assert clip["status"] == "exact" and clip["url"] is None
    text = run_cli("check", "hunyuan_video_image_to_video.json", "--models", "models",
                   cwd=tmp_path)
    line = next(line for line in text.stdout.splitlines() if f"ambiguous: {VAE}" in line)
    assert f"declared source {REPO_URL}vae/{VAE}?download=true" in line


def test_blank_values_are_not_gated(run_cli: RunCli, tmp_path: Path) -> None:
    setup(tmp_path, "hunyuan_video_image_to_video_edited.json")
    code, data = check_json(run_cli, "hunyuan_video_image_to_video_edited.json", "--models",
                            "models", cwd=tmp_path)
    values = sorted(ref["value"] for ref in data["references"])
    assert values == sorted([VAE, "clip_l.safetensors", "llava_llama3_fp8_scaled.safetensors"])
    # The node-level entry of the VAE wins over the top-level one.
    assert by_value(data)[VAE]["url"] == f"https://example.org/node-level/{VAE}"
    assert code == 1  # the ambiguous VAE and the missing llava encoder, not the blanks
