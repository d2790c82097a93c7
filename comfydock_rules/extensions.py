"""Which file names are model files: ComfyUI's `supported_pt_extensions` plus GGUF and ONNX."""

from __future__ import annotations

# ComfyUI's folder_paths.supported_pt_extensions, plus .gguf
# (ComfyUI-GGUF) and .onnx (InsightFace / ReActor / controlnet_aux models).
MODEL_EXTENSIONS: frozenset[str] = frozenset(
    {".bin", ".ckpt", ".pkl", ".pt", ".pt2", ".pth", ".safetensors", ".sft", ".gguf", ".onnx"}
)
# configs/ holds the .yaml files CheckpointLoader takes.
CONFIG_EXTENSIONS: frozenset[str] = frozenset({".yaml"})
# Partial downloads left by browsers and download managers.
PARTIAL_SUFFIXES: tuple[str, ...] = (".part", ".tmp", ".crdownload", ".download")


def extension_of(name: str) -> str:
    """Lower-case extension with the dot, or '' ('model.tar.gz' gives '.gz')."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:
        return ""
    return base[dot:].lower()


def has_model_extension(name: str) -> bool:
    return extension_of(name) in MODEL_EXTENSIONS


def strip_model_extension(name: str) -> str:
    ext = extension_of(name)
    if ext in MODEL_EXTENSIONS or ext in CONFIG_EXTENSIONS:
        return name[: -len(ext)]
    return name
