"""The resolution engine on real model names: statuses, methods, flags, policy, determinism."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from comfydock_rules.model import DeclaredModel, MatchPolicy, ModelFile, ModelRef, Slot
from comfydock_rules.resolve.engine import resolve_all
from comfydock_rules.resolve.lookup import Lookup
from comfydock_rules.rules.load import load_ruleset

GENERIC = load_ruleset().generic_names


def mf(path: str, content: str | None = None, **extra: str) -> ModelFile:
    """A model file whose quick hash derives from its content (its path unless given)."""
    digest = hashlib.blake2b((content or path).encode(), digest_size=8).hexdigest()
    return ModelFile(path, digest, 1000 + len(path), **extra)  # type: ignore[arg-type]


def slot(*directories: str, node_type: str = "UNETLoader", **match: object) -> Slot:
    return Slot(node_type, 0, None, tuple(directories), match=MatchPolicy(**match))  # type: ignore[arg-type]


def ref(value: str, s: Slot | None, node_id: str = "1", workflow: str = "w.json",
        **kw: object) -> ModelRef:
    node_type = s.node_type if s is not None else "SomeCustomLoader"
    return ModelRef(workflow, node_id, node_type, 0, None, value, slot=s, **kw)  # type: ignore[arg-type]


def one(value: str, s: Slot | None, files: list[ModelFile], **kw: object):  # type: ignore[no-untyped-def]
    (res,) = resolve_all([ref(value, s, **kw)], files, generic_names=GENERIC)
    return res


UNET = slot("diffusion_models", "unet")
CKPT = slot("checkpoints", node_type="CheckpointLoaderSimple")


# -- each step ---------------------------------------------------------------------------------

def test_exact_path_in_an_alias_directory() -> None:
    files = [mf("unet/flux1-dev.safetensors")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.method, res.score) == ("exact", "path", 1.0)
    assert res.resolved == files[0]
    assert res.flags == ()


def test_subfolder_value_with_backslashes_is_a_path() -> None:
    files = [mf("loras/SDXL/detail.safetensors"), mf("loras/detail.safetensors", "other")]
    res = one("SDXL\\detail.safetensors", slot("loras"), files)
    assert (res.status, res.method) == ("exact", "path")
    assert res.resolved == files[0]


def test_file_moved_into_a_subfolder_resolves_by_filename() -> None:
    files = [mf("diffusion_models/FLUX1/flux1-dev.safetensors"),
             mf("diffusion_models/flux1-schnell.safetensors")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.method) == ("fuzzy", "filename")
    assert res.resolved == files[0]
    assert res.candidates[0].reason == "same file name in diffusion_models/FLUX1/"


def test_same_name_twice_with_one_hash_is_one_model() -> None:
    files = [mf("loras/b/x.safetensors", "same"), mf("loras/a/x.safetensors", "same")]
    res = one("x.safetensors", slot("loras"), files)
    assert (res.status, res.method) == ("fuzzy", "filename")
    assert res.resolved is not None and res.resolved.relative_path == "loras/a/x.safetensors"


def test_same_name_with_different_hashes_is_ambiguous() -> None:
    files = [mf("loras/b/x.safetensors", "one"), mf("loras/a/x.safetensors", "two")]
    res = one("x.safetensors", slot("loras"), files)
    assert (res.status, res.method, res.resolved) == ("ambiguous", None, None)
    assert [c.file.relative_path for c in res.candidates] == [
        "loras/a/x.safetensors", "loras/b/x.safetensors"]


def test_case_only_difference() -> None:
    files = [mf("checkpoints/SD_XL_Base_1.0.safetensors")]
    res = one("sd_xl_base_1.0.safetensors", CKPT, files)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "casefold", files[0])


def test_declared_sha256_beats_the_name() -> None:
    sha = "a" * 64
    files = [mf("checkpoints/renamed.safetensors", sha256=sha),
             mf("checkpoints/sub/model.safetensors")]
    declared = DeclaredModel("model.safetensors", hash=sha.upper(), hash_type="SHA256")
    res = one("model.safetensors", CKPT, files, declared=declared)
    assert (res.status, res.method, res.resolved) == ("fuzzy", "hash", files[0])


def test_a_pin_resolves_wherever_the_file_lives() -> None:
    files = [mf("checkpoints/archive/moved.safetensors", "pinned"),
             mf("checkpoints/model.safetensors", "other")]
    r = ref("model.safetensors", CKPT)
    (res,) = resolve_all([r], files, {("w.json", "model.safetensors"): files[0].hash},
                          generic_names=GENERIC)
    assert (res.status, res.method, res.resolved) == ("exact", "pinned", files[0])


def test_a_stale_pin_is_flagged_and_resolution_goes_on() -> None:
    files = [mf("checkpoints/model.safetensors")]
    r = ref("model.safetensors", CKPT)
    (res,) = resolve_all([r], files, {("w.json", "model.safetensors"): "0123456789abcdef"},
                          generic_names=GENERIC)
    assert (res.status, res.method) == ("exact", "path")
    assert res.flags == ("stale_pin",)
    assert any("0123456789abcdef" in m for m in res.messages)


def test_wrong_directory_keeps_the_status_and_lists_the_file() -> None:
    files = [mf("vae/ae.safetensors"), mf("diffusion_models/unrelated.safetensors")]
    res = one("ae.safetensors", UNET, files)
    assert res.status == "missing"
    assert res.flags == ("wrong_directory",)
    assert res.candidates[-1].file == files[0]
    assert res.candidates[-1].reason == "same name in vae/, which UNETLoader does not load from"
    assert res.download_directory == "diffusion_models"


def test_missing_carries_the_declared_url_and_directory() -> None:
    declared = DeclaredModel("x.safetensors", url="https://example.org/x.safetensors",
                             directory="checkpoints")
    res = one("x.safetensors", CKPT, [], declared=declared)
    assert (res.status, res.score, res.candidates) == ("missing", None, ())
    assert res.url == "https://example.org/x.safetensors"
    assert res.download_directory == "checkpoints"


def test_bypassed_and_no_rule_flags() -> None:
    files = [mf("vae/ae.safetensors")]
    bypassed = one("ae.safetensors", slot("vae"), files, mode=4)
    assert (bypassed.status, bypassed.flags) == ("exact", ("bypassed",))
    no_rule = one("ae.safetensors", None, files)
    assert (no_rule.status, no_rule.method, no_rule.flags) == ("exact", "path", ("no_rule",))
    absent = one("nothing.safetensors", None, files)
    assert (absent.status, absent.flags) == ("missing", ("no_rule",))


def test_methods_outside_the_policy_are_ambiguous() -> None:
    files = [mf("loras/sub/x.safetensors")]
    res = one("x.safetensors", slot("loras", auto_pick_methods=("hash",)), files)
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].file == files[0]


def test_low_margin_is_ambiguous() -> None:
    files = [mf("loras/Detail Tweaker (1).safetensors", "a"),
             mf("loras/detail-tweaker (2).safetensors", "b")]
    res = one("detail_tweaker.safetensors", slot("loras"), files)
    assert res.status == "ambiguous"
    assert len(res.candidates) == 2


def test_extensions_of_the_slot_limit_candidates() -> None:
    files = [mf("checkpoints/sub/dreamshaper_8.ckpt")]
    res = one("dreamshaper_8.ckpt", slot("checkpoints", node_type="X"), files)
    assert res.status == "fuzzy"
    limited = Slot("X", 0, None, ("checkpoints",), extensions=(".safetensors",))
    assert one("dreamshaper_8.ckpt", limited, files).status == "missing"


# -- real names from the corpus ----------------------------------------------------------------

def truth_names(corpus: Path) -> list[tuple[str, str]]:
    rows = {(json.loads(line)["model_name"], json.loads(line)["directory"])
            for line in (corpus / "truth.jsonl").open()}
    return sorted(rows)


def distractors(corpus: Path) -> list[ModelFile]:
    out = []
    with (corpus / "model_list.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["save_path"] == "default" or row["filename"].startswith("<"):
                continue
            out.append(mf(f"{row['save_path']}/{row['filename']}"))
    return out


# A token of a real name and the confusable sibling it is swapped for.
CONFUSABLE = [
    (r"(?<![a-z])dev(?![a-z])", "schnell"), (r"schnell", "dev"),
    (r"fp16", "fp8_e4m3fn"), (r"bf16", "fp8_scaled"), (r"fp8_e4m3fn", "fp16"),
    (r"wan2\.1", "wan2.2"), (r"wan2\.2", "wan2.1"),
    (r"i2v", "t2v"), (r"t2v", "i2v"), (r"I2V", "T2V"), (r"T2V", "I2V"),
    (r"14B", "1.3B"), (r"1\.3B", "14B"), (r"(?<![0-9])7b", "14b"), (r"(?<![0-9])4b", "8b"),
    (r"base", "refiner"), (r"refiner", "base"),
    (r"high_noise", "low_noise"), (r"low_noise", "high_noise"),
    (r"v1-5", "v2-1"), (r"(?<![0-9.])1\.0(?![0-9])", "2.1"),
]


def confusable_cases(corpus: Path) -> Iterator[tuple[str, str, str]]:
    for name, directory in truth_names(corpus):
        for pattern, replacement in CONFUSABLE:
            edited = re.sub(pattern, replacement, name, count=1)
            if edited != name:
                yield name, directory, edited


def test_confusable_variants_are_never_auto_picked(corpus: Path) -> None:
    """Only a sibling model is present: it may be offered, never chosen."""
    files = []
    refs = []
    cases = list(confusable_cases(corpus))
    assert len(cases) > 150
    pool = distractors(corpus)
    for i, (name, directory, edited) in enumerate(cases):
        d = f"case{i}"
        files.append(mf(f"{d}/{edited}"))
        files.extend(mf(f"{d}/{f.filename}", f.relative_path) for f in pool
                     if f.directory == directory and f.filename != name)
        refs.append(ref(name, slot(d), node_id=str(i)))
    offered = 0
    for res in resolve_all(refs, files, generic_names=GENERIC):
        assert res.status in ("ambiguous", "missing"), (res.ref.value, res.resolved)
        if any(c.file.filename == cases[int(res.ref.node_id)][2] for c in res.candidates):
            offered += 1
    # every one of them listed, even below suggest_min or behind better-scoring siblings
    assert offered == len(cases)


# (rename, picked?): case and separators are the same name; a download suffix says a name clash
# happened, so such a copy is listed first, never picked (docs/matching.md).
BENIGN = [
    (lambda s: s.upper().replace(".SAFETENSORS", ".safetensors"), True),
    (lambda s: s.replace("_", "-"), True),
    (lambda s: s.replace("-", "_").replace(".safetensors", " (1).safetensors"), False),
    (lambda s: s.replace("_", " "), True),
    (lambda s: s.replace(".safetensors", "_1.safetensors"), False),
    # `-2` only after a letter: after a digit it reads as a version (`sd-v1-5`)
    (lambda s: re.sub(r"(?<=[A-Za-z])\.safetensors$", "-2.safetensors", s), False),
]


def test_benign_renames_are_picked_and_suffixed_copies_listed_first(corpus: Path) -> None:
    files = []
    refs = []
    pool = distractors(corpus)
    expected: dict[str, tuple[str, bool]] = {}
    n = 0
    for name, directory in truth_names(corpus):
        if not name.endswith(".safetensors"):
            continue
        for rename, pickable in BENIGN:
            renamed = rename(name)
            if renamed == name:
                continue
            d = f"case{n}"
            files.append(mf(f"{d}/{renamed}"))
            files.extend(mf(f"{d}/{f.filename}", f.relative_path) for f in pool
                         if f.directory == directory and f.filename != name)
            refs.append(ref(name, slot(d), node_id=str(n)))
            expected[str(n)] = (f"{d}/{renamed}", pickable)
            n += 1
    assert n > 1000
    picked = first = pickable_total = wrong = 0
    for res in resolve_all(refs, files, generic_names=GENERIC):
        want, pickable = expected[res.ref.node_id]
        pickable_total += pickable
        if res.resolved is not None:
            if res.resolved.relative_path != want or not pickable:
                wrong += 1
            else:
                picked += 1
        if res.candidates and res.candidates[0].file.relative_path == want:
            first += 1
    assert wrong == 0
    assert first == n
    assert picked / pickable_total >= 0.98


def test_shuffled_input_gives_identical_output(corpus: Path) -> None:
    names = truth_names(corpus)
    files = [mf(f"{d}/sub/{n}") for n, d in names[::3]] + [
        mf(f"{d}/{n.upper()}") for n, d in names[1::3]] + distractors(corpus)
    refs = [ref(n, slot(d), node_id=str(i), workflow=f"w{i % 7}.json")
            for i, (n, d) in enumerate(names)]
    first = resolve_all(refs, files, generic_names=GENERIC)
    rng = random.Random(5)
    for _ in range(3):
        r2, f2 = list(refs), list(files)
        rng.shuffle(r2)
        rng.shuffle(f2)
        assert resolve_all(r2, f2, generic_names=GENERIC) == first
    statuses = {r.status for r in first}
    assert {"fuzzy", "missing"} <= statuses


def test_a_lookup_can_be_reused_and_repeated_refs_agree(corpus: Path) -> None:
    names = truth_names(corpus)
    files = [mf(f"{d}/{n}") for n, d in names]
    lookup = Lookup.build(files)
    refs = [ref(n, slot(d), workflow=f"w{k}.json") for k in range(3) for n, d in names]
    out = resolve_all(refs, [], lookup=lookup, generic_names=GENERIC)
    assert len(out) == len(refs)
    assert all(r.status == "exact" for r in out)
    assert [r.ref.workflow for r in out] == sorted(r.ref.workflow for r in out)


def test_wrong_directory_beside_a_fuzzy_pick() -> None:
    files = [mf("vae/ae.safetensors", "a"), mf("diffusion_models/AE.safetensors", "b")]
    res = one("ae.safetensors", UNET, files)
    assert (res.status, res.method) == ("fuzzy", "casefold")
    assert res.flags == ("wrong_directory",)
    assert [c.file.relative_path for c in res.candidates] == [
        "diffusion_models/AE.safetensors", "vae/ae.safetensors"]


def test_a_sibling_with_a_conflict_does_not_block_a_benign_rename() -> None:
    files = [mf("diffusion_models/FLUX1_Dev.safetensors"),
             mf("diffusion_models/flux1-dev-fp8.safetensors")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.method) == ("fuzzy", "similar")
    assert res.resolved == files[0]
    assert res.candidates[0].file == files[0]
    assert "differs in precision: fp8 vs none" in res.candidates[1].reason


def test_a_download_suffix_is_listed_first_never_picked() -> None:
    # ` (1)` says a name clash happened: a browser's second download of one URL, or a tool that
    # renamed a *different* file (an FP16-pruned copy, a dedup resolver) because the name was
    # taken. The name cannot tell them apart, so the file is offered first, not picked.
    for suffixed in ("Flux1-Dev (1).safetensors", "flux1-dev(2).safetensors",
                     "flux1-dev_1.safetensors", "flux1-dev - Copy.safetensors"):
        files = [mf(f"diffusion_models/{suffixed}"),
                 mf("diffusion_models/flux1-dev-fp8.safetensors")]
        res = one("flux1-dev.safetensors", UNET, files)
        assert (res.status, res.resolved) == ("ambiguous", None), suffixed
        assert res.candidates[0].file == files[0], suffixed
        assert "download suffix" in res.candidates[0].reason
        assert "name clash" in res.messages[0]


def test_only_a_sibling_present_is_ambiguous_with_a_reason() -> None:
    files = [mf("diffusion_models/flux1-schnell.safetensors")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.resolved, res.url) == ("ambiguous", None, None)
    assert res.score == res.candidates[0].score
    assert res.candidates[0].reason.endswith("differs in variant: schnell vs dev")
    assert "protected token class" in res.messages[0]


def test_no_rule_looks_by_name_everywhere_but_never_guesses() -> None:
    files = [mf("loras/sub/detail.safetensors"), mf("checkpoints/Detail (1).safetensors")]
    moved = one("detail.safetensors", None, files)
    assert (moved.status, moved.method, moved.flags) == ("fuzzy", "filename", ("no_rule",))
    renamed = one("Detail.safetensors", None, files[1:])
    assert (renamed.status, renamed.candidates) == ("missing", ())
    assert renamed.download_directory is None


def test_pins_are_per_workflow() -> None:
    files = [mf("checkpoints/a.safetensors", "a"), mf("checkpoints/old/b.safetensors", "b")]
    refs = [ref("a.safetensors", CKPT, workflow="one.json"),
            ref("a.safetensors", CKPT, workflow="two.json")]
    out = resolve_all(refs, files, {("two.json", "a.safetensors"): files[1].hash},
                      generic_names=GENERIC)
    assert [(r.ref.workflow, r.method, r.resolved) for r in out] == [
        ("one.json", "path", files[0]), ("two.json", "pinned", files[1])]


# -- confusable variants and download suffixes (accuracy benchmark, issue 7) -------------------

def test_a_short_name_with_only_its_variant_present_lists_the_variant() -> None:
    """`t5-refiner` scores 0.72 for `t5-base`, below suggest_min: still listed, never picked,
    and the reference stays missing with its download hint."""
    te = slot("text_encoders", "clip", node_type="CLIPLoader")
    files = [mf("text_encoders/t5-refiner.safetensors"),
             mf("text_encoders/t5xxl_fp16.safetensors"),
             mf("text_encoders/clip_l.safetensors")]
    res = one("t5-base.safetensors", te, files)
    assert (res.status, res.resolved, res.score) == ("missing", None, None)
    assert [c.file.relative_path for c in res.candidates] == [
        "text_encoders/t5-refiner.safetensors"]
    assert res.candidates[0].score < 0.75
    assert res.candidates[0].reason.endswith("differs in variant: refiner vs base")
    assert res.download_directory == "text_encoders"
    assert "never picked" in res.messages[0]


def test_a_short_variant_beside_a_candidate_above_the_threshold() -> None:
    te = slot("text_encoders", node_type="CLIPLoader")
    files = [mf("text_encoders/t5-refiner.safetensors"),
             mf("text_encoders/t5-base-fp16.safetensors")]
    res = one("t5-base.safetensors", te, files)
    assert res.status == "ambiguous"
    assert [c.file.relative_path for c in res.candidates] == [
        "text_encoders/t5-base-fp16.safetensors", "text_encoders/t5-refiner.safetensors"]


# Real neighbours of Qwen-Image-Edit-Lightning-4steps-V1.0-bf16 in a loras folder: five of them
# score above its fp8 variant, which must still be listed.
QWEN_NEIGHBOURS = [
    "loras/qwen-image-edit-lightning/Qwen-Image-Edit-Lightning-4steps-V1.0.safetensors",
    "loras/comfy-org/Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors",
    "loras/qwen-image-edit-lightning/Qwen-Image-Edit-Lightning-8steps-V1.0-bf16.safetensors",
    "loras/Qwen-Image-Edit-2511-Lightning-4steps-V1.0-bf16.safetensors",
    "loras/qwen-image-lightning/Qwen-Image-Lightning-4steps-V1.0-bf16.safetensors",
    "loras/Qwen-Image-Edit-Lightning-4steps-V1.0-fp8.safetensors",
    "loras/SDXL/Qwen-Image-bf16-Lightning-4steps-V1.0-fp32.safetensors",
]


def test_a_variant_ranked_sixth_is_still_listed() -> None:
    files = [mf(p) for p in QWEN_NEIGHBOURS]
    res = one("Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors",
              slot("loras", node_type="LoraLoaderModelOnly"), files)
    assert res.status == "ambiguous"
    listed = [c.file.relative_path for c in res.candidates]
    assert len(listed) == 5
    assert "loras/Qwen-Image-Edit-Lightning-4steps-V1.0-fp8.safetensors" in listed
    assert [c.score for c in res.candidates] == sorted(
        (c.score for c in res.candidates), reverse=True)
    fp8 = next(c for c in res.candidates if "fp8" in c.file.relative_path)
    assert fp8.reason.endswith("differs in precision: fp8 vs bf16")


def test_a_same_name_file_elsewhere_does_not_push_the_variant_out() -> None:
    files = [mf(p) for p in QWEN_NEIGHBOURS] + [
        mf("checkpoints/Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors")]
    res = one("Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors",
              slot("loras", node_type="LoraLoaderModelOnly"), files)
    assert res.flags == ("wrong_directory",)
    listed = [c.file.relative_path for c in res.candidates]
    assert len(listed) == 5
    assert "loras/Qwen-Image-Edit-Lightning-4steps-V1.0-fp8.safetensors" in listed
    assert listed[-1] == "checkpoints/Qwen-Image-Edit-Lightning-4steps-V1.0-bf16.safetensors"


def test_the_best_variant_of_each_class_is_listed() -> None:
    """Five quantisations of the same model do not hide the sibling model."""
    quants = ["F16", "Q8_0", "Q6_K", "Q5_K_S", "Q4_K_S", "Q4_0"]
    files = [mf(f"diffusion_models/FLUX1/flux1-dev-{q}.safetensors") for q in quants] + [
        mf("diffusion_models/flux1-schnell-fp8.safetensors")]
    res = one("flux1-dev-fp8.safetensors", UNET, files)
    assert res.status == "ambiguous"
    listed = [c.file.relative_path for c in res.candidates]
    assert len(listed) == 5
    assert "diffusion_models/flux1-schnell-fp8.safetensors" in listed


def test_a_dash_digit_copy_is_listed_before_a_sibling_format() -> None:
    files = [mf("diffusion_models/flux1-dev-fp16.safetensors"),
             mf("diffusion_models/flux1-dev-1.safetensors"),
             mf("diffusion_models/FLUX1/flux1-schnell.safetensors")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.resolved) == ("ambiguous", None)
    assert res.candidates[0].file == files[1]
    assert res.candidates[0].reason.endswith("same name up to a download suffix")


def test_a_pick_is_listed_even_when_variants_score_higher() -> None:
    files = [mf("diffusion_models/FLUX1_Dev.safetensors")] + [
        mf(f"diffusion_models/flux1-dev-{p}.safetensors") for p in ("fp8", "bf16", "fp32")] + [
        mf(f"diffusion_models/flux1-{v}.safetensors") for v in ("schnell", "krea", "fill")]
    res = one("flux1-dev.safetensors", UNET, files)
    assert (res.status, res.resolved) == ("fuzzy", files[0])
    assert res.candidates[0].file == files[0]
    assert len(res.candidates) == 5
