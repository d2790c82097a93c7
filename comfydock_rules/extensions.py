"""Which file names are model files: ComfyUI's `supported_pt_extensions` plus GGUF and ONNX."""

from __future__ import annotations

# ComfyUI's folder_paths.supported_pt_extensions, plus .gguf
# (ComfyUI-GGUF) and .onnx (InsightFace / ReActor / controlnet_aux models).
MODEL_EXTENSIONS: frozenset[str] = frozenset(
    {".bin", ".ckpt", ".pkl", ".pt", ".pt2", ".pth", ".safetensors", ".sft", ".gguf", ".onnx"}
)
# configs/ holds the .yaml files CheckpointLoader takes.
CONFIG_EXTENSIONS: frozenset[str] = frozenset({".yaml"})
# Two spellings of one format: `.sft` is the older extension of safetensors files (Black Forest
# Labs published flux1-dev.sft and ae.sft, later renamed .safetensors; ComfyUI reads both with
# the same safetensors loader). Names compare with the canonical spelling.
SAME_FORMAT: dict[str, str] = {".sft": ".safetensors"}
# Partial downloads left by browsers and download managers.
PARTIAL_SUFFIXES: tuple[str, ...] = (".part", ".tmp", ".crdownload", ".download")


def extension_of(name: str) -> str:
    """Lower-case extension with the dot, or '' ('model.tar.gz' gives '.gz')."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:
        return ""
    return base[dot:].lower()


def canonical_extension(ext: str) -> str:
    """The one spelling of a format: `.sft` -> `.safetensors`; others unchanged."""
    return SAME_FORMAT.get(ext, ext)


def format_twins(name: str) -> tuple[str, ...]:
    """The same file name in the other spellings of its format: `ae.sft` -> (`ae.safetensors`,),
    `ae.safetensors` -> (`ae.sft`,); () for any other extension. Case of the stem is kept."""
    ext = extension_of(name)
    canonical = canonical_extension(ext)
    stem = name[: -len(ext)] if ext else name
    spellings = [alias for alias, target in SAME_FORMAT.items() if target == canonical]
    spellings.append(canonical)
    return tuple(stem + other for other in spellings if other != ext) if len(spellings) > 1 else ()


def has_model_extension(name: str) -> bool:
    return extension_of(name) in MODEL_EXTENSIONS


def strip_model_extension(name: str) -> str:
    ext = extension_of(name)
    if ext in MODEL_EXTENSIONS or ext in CONFIG_EXTENSIONS:
        return name[: -len(ext)]
    return name
