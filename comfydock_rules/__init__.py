"""comfydock-rules: resolve ComfyUI workflow model references by declarative rules."""

__version__ = "0.1.0"
