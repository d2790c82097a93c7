"""Name normalisation and token classes, on real model names from the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comfydock_rules.resolve.names import (
    PRECISION,
    SIZE,
    VARIANT,
    VERSION,
    normalize,
    same_spelling,
    token_class,
    tokenize,
)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("wan2.1_t2v_1.3B_fp16.safetensors", ("wan", "2.1", "t2v", "1.3b", "fp16")),
        ("flux1-dev-fp8.safetensors", ("flux", "1", "dev", "fp8")),
        ("japaneseStyleRealistic_v20.safetensors", ("japanese", "style", "realistic", "v20")),
        ("flux1-schnell-Q4_K_M.gguf", ("flux", "1", "schnell", "q4km")),
        ("ltx-video-2b-v0.9.5.safetensors", ("ltx", "video", "2b", "v0.9.5")),
        ("Qwen-Image-Lightning-4steps-V1.0.safetensors",
         ("qwen", "image", "lightning", "4steps", "v1.0")),
        ("RealESRGAN_x4plus.pth", ("real", "esrgan", "x4", "plus")),
    ],
)
def test_tokenize_keeps_class_tokens_whole(name: str, tokens: tuple[str, ...]) -> None:
    assert normalize(name).tokens == tokens


def test_token_classes() -> None:
    assert token_class("fp16") == PRECISION
    assert token_class("fp8") == PRECISION
    assert token_class("e4m3fn") == PRECISION
    assert token_class("q4km") == PRECISION
    assert token_class("2.1") == VERSION
    assert token_class("v1.5") == VERSION
    assert token_class("14b") == SIZE
    assert token_class("1.3b") == SIZE
    for variant in ("dev", "schnell", "base", "refiner", "i2v", "t2v", "inpainting", "480p"):
        assert token_class(variant) == VARIANT, variant
    assert token_class("flux") is None


def test_classes_of_a_real_name() -> None:
    name = normalize("Wan2_2-Animate-14B_fp8_e4m3fn_scaled_KJ.safetensors")
    assert name.precision == {"fp8", "e4m3fn", "scaled"}
    assert name.size == {"14b"}
    assert name.variant == {"animate"}
    assert name.extension == ".safetensors"


def test_versions_compare_without_v_prefix() -> None:
    assert normalize("model_v1.5.safetensors").version == normalize("model_1.5.ckpt").version


def test_download_suffixes_and_separators_are_the_same_spelling() -> None:
    base = normalize("sd_xl_base_1.0.safetensors")
    for other in ("SD-XL-Base-1.0.safetensors", "sd xl base 1.0.safetensors",
                  "sd_xl_base_1.0 (1).safetensors", "sd_xl_base_1.0_1.safetensors",
                  "sd_xl_base_1.0 - Copy.safetensors", "sdxl_base_1.0.safetensors"):
        assert same_spelling(base, normalize(other)), other
        assert same_spelling(normalize(other), base), other


def test_different_names_are_not_the_same_spelling() -> None:
    assert not same_spelling(normalize("void_pass1.safetensors"),
                             normalize("void_pass2.safetensors"))
    assert not same_spelling(normalize("model_2.safetensors"), normalize("model_3.safetensors"))
    assert not same_spelling(normalize("svd.safetensors"), normalize("svd.ckpt"))
    assert not same_spelling(normalize("flux1-dev.safetensors"),
                             normalize("flux1-schnell.safetensors"))


def test_path_segments_and_backslashes_are_ignored() -> None:
    assert normalize("SDXL\\detail.safetensors").tokens == normalize("detail.safetensors").tokens
    assert normalize("a/b/detail.safetensors").skeleton == "detail"


def test_every_corpus_name_normalises(corpus: Path) -> None:
    names = {json.loads(line)["model_name"] for line in (corpus / "truth.jsonl").open()}
    assert len(names) > 300
    for raw in sorted(names):
        name = normalize(raw)
        assert name.tokens, raw
        assert name.skeleton, raw
        assert tokenize(raw.rsplit(".", 1)[0]) == name.tokens, raw


def test_dash_digit_after_a_letter_is_a_download_suffix() -> None:
    # Safari saves a second copy as `name-2`; the benchmark's renames include `-1`.
    base = normalize("flux1-dev.safetensors")
    assert same_spelling(base, normalize("flux1-dev-1.safetensors"))
    assert same_spelling(normalize("t5-base-2.safetensors"), normalize("t5-base.safetensors"))
    assert not normalize("flux1-dev-1.safetensors").strong_suffix


def test_dash_digit_after_a_digit_is_part_of_a_version() -> None:
    # Real names: `v1-5`, `lotus-depth-d-v1-1`; dropping the last digit names another model.
    assert not same_spelling(normalize("lotus-depth-d-v1-1.safetensors"),
                             normalize("lotus-depth-d-v1.safetensors"))
    assert not same_spelling(normalize("sd-v1-5.safetensors"), normalize("sd-v1.safetensors"))
    assert normalize("lotus-depth-d-v1-1.safetensors").core == ""
