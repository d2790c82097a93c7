"""`.sft` is `.safetensors`; other formats stay suggestions; candidates are ranked by how likely
they hold the same weights, and folders named in a value rank their files first."""

from __future__ import annotations

import hashlib

from comfydock_rules.model import MatchPolicy, ModelFile, ModelRef, Slot
from comfydock_rules.resolve.engine import resolve_all
from comfydock_rules.rules.load import load_ruleset

GENERIC = load_ruleset().generic_names


def mf(path: str, content: str | None = None) -> ModelFile:
    digest = hashlib.blake2b((content or path).encode(), digest_size=8).hexdigest()
    return ModelFile(path, digest, 1000)


def resolve(value: str, directories: tuple[str, ...], files: list[ModelFile]):  # type: ignore[no-untyped-def]
    slot = Slot("Loader", 0, None, directories, match=MatchPolicy())
    (res,) = resolve_all([ModelRef("w.json", "1", "Loader", 0, None, value, slot=slot)], files,
                         generic_names=GENERIC)
    return res


def test_sft_and_safetensors_are_one_name() -> None:
    # BFL renamed flux1-dev.sft / ae.sft to .safetensors (ltdrdata/ComfyUI-Manager#986)
    files = [mf("vae/ae.safetensors"), mf("vae/flux1-dev-ae-fp8.safetensors")]
    res = resolve("ae.sft", ("vae",), files)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "filename", files[0])
    assert ".safetensors and .sft are one format" in res.candidates[0].reason
    old = [mf("vae/ae.sft")]
    res = resolve("ae.safetensors", ("vae",), old)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "filename", old[0])
    cased = [mf("unet/FLUX1-DEV.safetensors")]
    res = resolve("flux1-dev.sft", ("diffusion_models", "unet"), cased)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "casefold", cased[0])


def test_sft_renamed_twin_scores_as_the_same_format() -> None:
    files = [mf("diffusion_models/flux1_schnell.safetensors"),
             mf("diffusion_models/flux1-dev.safetensors")]
    res = resolve("flux1-schnell.sft", ("diffusion_models",), files)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "similar", files[0])
    assert res.score == 0.99


def test_sft_twin_in_another_directory_is_wrong_directory() -> None:
    files = [mf("checkpoints/flux1-dev.safetensors")]
    res = resolve("flux1-dev.sft", ("diffusion_models", "unet"), files)
    assert res.status == "missing"
    assert res.flags == ("wrong_directory",)


def test_ckpt_to_safetensors_stays_a_suggestion() -> None:
    # a conversion writes other bytes, sometimes another precision: never picked by name
    files = [mf("checkpoints/v1-5-pruned-emaonly.safetensors")]
    res = resolve("v1-5-pruned-emaonly.ckpt", ("checkpoints",), files)
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].file == files[0]
    pth = [mf("ipadapter/ip-adapter-faceid-plusv2_sd15.pth")]
    res = resolve("ip-adapter-faceid-plusv2_sd15.bin", ("ipadapter",), pth)
    assert (res.status, res.resolved) == ("ambiguous", None)


def test_probably_the_same_weights_rank_before_other_models() -> None:
    # neggles/animatediff-cli#29: the converted motion module, not the older release
    files = [mf("animatediff_models/mm_sd_v15_v2.safetensors"),
             mf("animatediff_models/mm_sd_v15.ckpt")]
    res = resolve("mm_sd_v15_v2.ckpt", ("animatediff_models",), files)
    assert res.resolved is None
    assert [c.file for c in res.candidates] == files
    assert res.score == res.candidates[0].score
    # sky24h/AnimateDiff_Serverless_Runpod#3: converted and stored in fp16
    files = [mf("animatediff_models/mm_sd_v15.ckpt"),
             mf("animatediff_models/mm_sd_v15_v2-fp16.safetensors")]
    res = resolve("mm_sd_v15_v2.ckpt", ("animatediff_models",), files)
    assert res.resolved is None
    assert res.candidates[0].file == files[1]
    assert res.candidates[1].score > res.candidates[0].score


def test_named_folder_ranks_first_at_equal_scores() -> None:
    # same file name, two contents: the one in the folder the value names comes first
    files = [mf("loras/SD15/lightning.safetensors"),
             mf("loras/archive/SDXL/lightning.safetensors")]
    res = resolve("SDXL/lightning.safetensors", ("loras",), files)
    assert res.status == "ambiguous"
    assert [c.file for c in res.candidates] == [files[1], files[0]]
    # look-alikes of equal score
    files = [mf("loras/SD15/lightning_4step_lora.safetensors"),
             mf("loras/SDXL/lightning-4step-lora.safetensors")]
    res = resolve("SDXL/lightning_4step.safetensors", ("loras",), files)
    assert [c.file for c in res.candidates] == [files[1], files[0]]
    assert res.candidates[0].score == res.candidates[1].score


def test_a_named_folder_alone_never_picks() -> None:
    files = [mf("loras/SDXL/lightning_4step.safetensors")]
    res = resolve("SDXL/lightning-8step.safetensors", ("loras",), files)
    assert res.resolved is None


def test_one_content_in_two_folders_picks_the_named_one() -> None:
    files = [mf("loras/a/detail.safetensors", "same"),
             mf("loras/sdxl/x/detail.safetensors", "same")]
    res = resolve("SDXL/detail.safetensors", ("loras",), files)
    assert (res.status, res.resolved) == ("fuzzy", files[1])
