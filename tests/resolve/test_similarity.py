"""Scores and protected-class conflicts between real model names."""

from __future__ import annotations

import pytest

from comfydock_rules.model import TOKEN_CLASSES
from comfydock_rules.resolve.names import normalize
from comfydock_rules.resolve.similarity import conflicts, confusable_variant, reason, similarity


def sim(ref: str, other: str) -> tuple[float, tuple[str, ...]]:
    result = similarity(normalize(ref), normalize(other), TOKEN_CLASSES)
    return result.score, tuple(c.token_class for c in result.conflicts)


@pytest.mark.parametrize(
    ("ref", "other", "token_class"),
    [
        ("flux1-dev.safetensors", "flux1-schnell.safetensors", "variant"),
        ("flux1-schnell-fp8.safetensors", "flux1-dev-fp8.safetensors", "variant"),
        ("t5xxl_fp16.safetensors", "t5xxl_fp8_e4m3fn.safetensors", "precision"),
        ("flux1-dev.safetensors", "flux1-dev-fp8.safetensors", "precision"),
        ("wan2.2_vae.safetensors", "wan2.1_vae.safetensors", "version"),
        ("wan2.1_i2v_480p_14B_fp16.safetensors", "wan2.1_t2v_480p_14B_fp16.safetensors",
         "variant"),
        ("qwen_2.5_vl_7b.safetensors", "qwen_2.5_vl_14b.safetensors", "size"),
        ("wan2.1_vace_14B_fp16.safetensors", "wan2.1_vace_1.3B_fp16.safetensors", "size"),
        ("sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors", "variant"),
        ("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
         "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors", "variant"),
        ("Qwen-Image-Lightning-4steps-V1.0.safetensors",
         "Qwen-Image-Lightning-8steps-V1.0.safetensors", "variant"),
        ("ltx-video-2b-v0.9.5.safetensors", "ltx-video-2b-v0.9.safetensors", "version"),
        ("qwen_image_edit_fp8_e4m3fn.safetensors", "qwen_image_fp8_e4m3fn.safetensors",
         "variant"),
    ],
)
def test_confusable_pairs_conflict(ref: str, other: str, token_class: str) -> None:
    found = sim(ref, other)[1]
    assert token_class in found
    # the reverse direction conflicts too
    assert token_class in sim(other, ref)[1]


def test_a_dropped_full_precision_scores_high_but_conflicts() -> None:
    # Offered first, never picked: ComfyUI-Manager's list has both
    # Qwen-Image-Edit-Lightning-4steps-V1.0.safetensors and its -bf16 sibling as different files.
    score, found = sim("t5xxl_fp16.safetensors", "t5xxl.safetensors")
    assert found == ("precision",)
    assert score >= 0.95
    assert sim("umt5_xxl.safetensors", "umt5_xxl_bf16.safetensors")[1] == ("precision",)


def test_dropping_a_quantisation_is_not_benign() -> None:
    assert "precision" in sim("qwen_image_fp8_e4m3fn.safetensors", "qwen_image.safetensors")[1]
    assert "precision" in sim("flux1-dev-Q4_K_M.gguf", "flux1-dev.gguf")[1]


@pytest.mark.parametrize(
    "other",
    ["Flux1-Dev.safetensors", "flux1_dev.safetensors", "flux1 dev.safetensors",
     "flux1-dev (1).safetensors", "flux1-dev_1.safetensors"],
)
def test_benign_renames_score_high_without_conflicts(other: str) -> None:
    score, found = sim("flux1-dev.safetensors", other)
    assert found == ()
    assert score >= 0.97


def test_an_extra_word_costs_more_than_the_pick_threshold() -> None:
    score, _ = sim("qwen_image_vae.safetensors", "qwen_image_layered_vae.safetensors")
    assert 0.75 <= score < 0.92


def test_another_format_is_offered_but_scores_below_a_pick() -> None:
    score, found = sim("stable_zero123.ckpt", "stable_zero123.safetensors")
    assert found == ()
    assert 0.75 <= score < 0.92


def test_unrelated_names_score_low() -> None:
    assert sim("ae.safetensors", "clip_vision_h.safetensors")[0] < 0.6


def test_protected_classes_come_from_the_policy() -> None:
    a, b = normalize("flux1-dev.safetensors"), normalize("flux1-schnell.safetensors")
    assert conflicts(a, b, ()) == ()
    assert [c.token_class for c in conflicts(a, b, ("variant",))] == ["variant"]


def test_reason_names_both_sides() -> None:
    result = similarity(normalize("t5xxl_fp16.safetensors"),
                        normalize("t5xxl_fp8_e4m3fn.safetensors"), TOKEN_CLASSES)
    text = reason(result)
    assert text.startswith(f"similar {result.score:.2f}")
    assert "differs in precision: e4m3fn/fp8 vs fp16" in text


def test_scores_are_symmetric_enough_and_rounded() -> None:
    a, b = "hunyuan3d-dit-v2-mv_fp16.safetensors", "hunyuan3d-dit-v2-mv-turbo_fp16.safetensors"
    s1, s2 = sim(a, b)[0], sim(b, a)[0]
    assert s1 == round(s1, 4)
    assert abs(s1 - s2) < 0.02


@pytest.mark.parametrize(
    ("ref", "other", "token_class"),
    [
        ("t5-base.safetensors", "t5-refiner.safetensors", "variant"),
        ("flux1-dev.safetensors", "flux1-schnell.safetensors", "variant"),
        ("flux2_dev_fp8mixed.safetensors", "flux2_schnell_fp8mixed.safetensors", "variant"),
        ("v1-5-pruned-emaonly.safetensors", "v2-1-pruned-emaonly.safetensors", "version"),
        ("wan2.1_t2v_14B_fp16.safetensors", "wan2.2_t2v_14B_fp16.safetensors", "version"),
        ("qwen_2.5_vl_7b.safetensors", "qwen_2.5_vl_14b.safetensors", "size"),
        ("Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors",
         "Qwen-Image-Edit-Lightning-4steps-V1.0-fp8.safetensors", "precision"),
        ("control_v11p_sd15_openpose_fp16.safetensors",
         "control_v11p_sd15_openpose_fp8_e4m3fn.safetensors", "precision"),
        ("lens_bf16.safetensors", "lens_fp8_scaled.safetensors", "precision"),
    ],
)
def test_confusable_variants_of_real_names(ref: str, other: str, token_class: str) -> None:
    a, b = normalize(ref), normalize(other)
    assert confusable_variant(a, b, TOKEN_CLASSES) == token_class
    assert confusable_variant(b, a, TOKEN_CLASSES) == token_class
    assert confusable_variant(a, b, ()) is None


@pytest.mark.parametrize(
    ("ref", "other"),
    [
        # a version and a precision: another model in another format
        ("flux2_dev_fp8mixed.safetensors", "flux1-dev-F16.gguf"),
        # a token added or dropped is not a swap
        ("flux1-dev.safetensors", "flux1-dev-fp8.safetensors"),
        ("qwen_image_edit_fp8_e4m3fn.safetensors", "qwen_image_fp8_e4m3fn.safetensors"),
        # a plain word swapped
        ("sdxl_vae.safetensors", "sd15_vae.safetensors"),
        ("t5xxl_fp16.safetensors", "umt5_xxl_fp16.safetensors"),
        # the same name
        ("t5-base.safetensors", "T5-Base.safetensors"),
    ],
)
def test_not_confusable_variants(ref: str, other: str) -> None:
    assert confusable_variant(normalize(ref), normalize(other), TOKEN_CLASSES) is None


def test_short_names_score_low_but_are_variants() -> None:
    # One swapped word of three: below the default suggest_min of 0.75 by score alone.
    score, classes = sim("t5-base.safetensors", "t5-refiner.safetensors")
    assert score < 0.75
    assert classes == ("variant",)
