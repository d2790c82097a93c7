"""Hand-built resolutions covering every status and flag, for the report writers' tests."""

from __future__ import annotations

from comfydock_rules.model import Candidate, ModelFile, ModelRef, Resolution
from comfydock_rules.report.core import Report, build_report

BASE = ModelFile("checkpoints/sd_xl_base_1.0.safetensors", "1111111111111111", 6938078334)
DETAIL = ModelFile("loras/SDXL/detail.safetensors", "2222222222222222", 228456)
DEV = ModelFile("diffusion_models/flux1-dev.safetensors", "3333333333333333", 23802932552)
SCHNELL = ModelFile("diffusion_models/flux1-schnell.safetensors", "4444444444444444", 23782506688)

HOSTILE = "a|b`c`<script>x</script>\r\n# [l](javascript:1) ![i](x) & $y$ *z* ~w~"


def ref(workflow: str, node_id: str, value: str, node_type: str = "CheckpointLoaderSimple",
        mode: int = 0, line: int | None = 10) -> ModelRef:
    return ModelRef(workflow, node_id, node_type, 0, "ckpt_name", value, mode=mode, line=line)


def resolutions() -> list[Resolution]:
    wf = "workflows/a b,c:d.json"
    return [
        Resolution(ref(wf, "10", "flux1-dev.safetensors", "UNETLoader", line=40), "exact", "path",
                   1.0, DEV),
        Resolution(ref(wf, "2", "sd_xl_base.safetensors", line=12), "fuzzy", "similar",
                   0.93456789, BASE, (Candidate(BASE, 0.93456789, "similar"),)),
        Resolution(ref(wf, "9:3", "flux1.safetensors", "UNETLoader", line=None), "ambiguous",
                   None, None, None,
                   (Candidate(DEV, 0.9, "similar: differs in variant (dev vs schnell)"),
                    Candidate(SCHNELL, 0.9, "similar: differs in variant (schnell vs dev)"))),
        Resolution(ref(wf, "11", HOSTILE, line=50), "missing", None, None, None, (), (),
                   url="https://huggingface.co/x/resolve/main/m%20(1).safetensors",
                   download_directory="checkpoints"),
        Resolution(ref("workflows/b.json", "4", "gone.safetensors", mode=4, line=7), "missing",
                   None, None, None, (), ("bypassed",)),
        Resolution(ref("workflows/b.json", "5", "detail.safetensors", "LoraLoader", line=8),
                   "exact", "pinned", 1.0, DETAIL, (), ("stale_pin",)),
        Resolution(ref("workflows/b.json", "6", "custom.safetensors", "MyLoader", line=9),
                   "missing", None, None, None, (), ("no_rule",)),
    ]


GATE: tuple[str, ...] = ("missing", "ambiguous")
"""The default gate of rules/core.yaml."""


def sample_report(fail_on: tuple[str, ...] = GATE) -> Report:
    return build_report(
        reversed(resolutions()), ["workflows/b.json", "workflows/a b,c:d.json"], fail_on=fail_on
    )
