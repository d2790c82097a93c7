"""comfydock-rules: resolve ComfyUI workflow model references by declarative rules."""

__version__ = "0.2.0"
"""The one place the version is written: pyproject.toml reads it from here (dynamic), and a
release is tagged v<version> (CHANGELOG.md)."""
