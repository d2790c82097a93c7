"""Workflows embedded in PNG and WebP files that the tests build byte by byte, as ComfyUI does."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.model import RuleSet, Slot
from comfydock_rules.workflow.read import read_workflow

RULES = RuleSet(nodes={
    "CheckpointLoaderSimple": (Slot("CheckpointLoaderSimple", 0, "ckpt_name", ("checkpoints",)),),
    "LoraLoader": (Slot("LoraLoader", 0, "lora_name", ("loras",)),),
})
UI = {"nodes": [
    {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["ui_ckpt.safetensors"]},
    {"id": 5, "type": "LoraLoader", "mode": 4, "widgets_values": ["ui_lorä.safetensors", 1, 1]},
]}
API = {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "api.safetensors"}}}


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png(*chunks: bytes, end: bool = True) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
    return (b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(chunks) + idat
            + (chunk(b"IEND", b"") if end else b""))


def text_chunk(key: str, doc: object) -> bytes:
    return chunk(b"tEXt", key.encode() + b"\0" + json.dumps(doc).encode("latin-1"))


def ztxt_chunk(key: str, doc: object) -> bytes:
    return chunk(b"zTXt", key.encode() + b"\0\0" + zlib.compress(json.dumps(doc).encode()))


def itxt_chunk(key: str, doc: object, compressed: bool) -> bytes:
    text = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if compressed:
        text = zlib.compress(text)
    return chunk(b"iTXt", key.encode() + b"\0" + bytes([int(compressed), 0]) + b"\0\0" + text)


def webp(exif_strings: dict[int, str], big_endian: bool = False) -> bytes:
    """A RIFF/WEBP file with an EXIF chunk whose IFD0 holds ASCII strings, like Pillow writes."""
    order = ">" if big_endian else "<"
    entries = sorted(exif_strings.items())
    data_offset = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack(order + "H", len(entries))
    blob = b""
    for tag, value in entries:
        raw = value.encode("utf-8") + b"\0"
        ifd += struct.pack(order + "HHII", tag, 2, len(raw), data_offset + len(blob))
        blob += raw
    tiff = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8) + ifd
    exif = tiff + b"\0\0\0\0" + blob
    vp8l = b"VP8L" + struct.pack("<I", 5) + b"\x2f\0\0\0\0" + b"\0"
    body = b"WEBP" + vp8l + b"EXIF" + struct.pack("<I", len(exif)) + exif
    if len(exif) % 2:
        body += b"\0"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read(tmp_path: Path, name: str, data: bytes) -> list[tuple[str, str, int]]:
    path = tmp_path / name
    path.write_bytes(data)
    return [(r.node_id, r.value, r.mode) for r in read_workflow(path, name, RULES)]


def test_png_text_prefers_workflow_over_prompt(tmp_path: Path) -> None:
    data = png(text_chunk("prompt", API), text_chunk("workflow", UI))
    refs = read(tmp_path, "a.png", data)
    assert refs == [("4", "ui_ckpt.safetensors", 0), ("5", "ui_lorä.safetensors", 4)]


def test_png_prompt_only_reads_api_format(tmp_path: Path) -> None:
    assert read(tmp_path, "a.png", png(text_chunk("prompt", API))) == [
        ("4", "api.safetensors", 0)]


def test_png_falls_back_to_prompt_when_workflow_is_broken(tmp_path: Path) -> None:
    broken = chunk(b"tEXt", b"workflow\0{not json")
    assert read(tmp_path, "a.png", png(broken, text_chunk("prompt", API))) == [
        ("4", "api.safetensors", 0)]


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt(tmp_path: Path, compressed: bool) -> None:
    refs = read(tmp_path, "a.png", png(itxt_chunk("workflow", UI, compressed)))
    assert [v for _, v, _ in refs] == ["ui_ckpt.safetensors", "ui_lorä.safetensors"]


def test_png_ztxt(tmp_path: Path) -> None:
    refs = read(tmp_path, "a.png", png(ztxt_chunk("workflow", UI)))
    assert refs[0] == ("4", "ui_ckpt.safetensors", 0)


def test_png_refs_have_no_line(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png(text_chunk("workflow", UI)))
    assert all(r.line is None for r in read_workflow(path, "a.png", RULES))


@pytest.mark.parametrize("cut", [10, 20, 40, -30])
def test_truncated_png_is_a_workflow_error(tmp_path: Path, cut: int) -> None:
    data = png(text_chunk("workflow", UI))
    path = tmp_path / "cut.png"
    path.write_bytes(data[:cut])
    with pytest.raises(WorkflowReadError) as info:
        read_workflow(path, "cut.png", RULES)
    assert str(info.value).startswith("cut.png: ")
    assert "truncated PNG" in str(info.value)


def test_png_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    path.write_bytes(png())
    with pytest.raises(WorkflowReadError, match="no workflow in this PNG image"):
        read_workflow(path, "plain.png", RULES)


def test_png_with_invalid_embedded_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(png(chunk(b"tEXt", b"workflow\0{\"nodes\": [}")))
    with pytest.raises(WorkflowReadError) as info:
        read_workflow(path, "bad.png", RULES)
    assert "embedded 'workflow' JSON: invalid JSON" in str(info.value)
    assert (info.value.line, info.value.column) == (1, 12)


@pytest.mark.parametrize("big_endian", [False, True])
def test_webp_exif_strings_as_comfyui_writes_them(tmp_path: Path, big_endian: bool) -> None:
    data = webp({0x010F: "workflow:" + json.dumps(UI), 0x0110: "prompt:" + json.dumps(API)},
                big_endian)
    refs = read(tmp_path, "a.webp", data)
    assert refs == [("4", "ui_ckpt.safetensors", 0), ("5", "ui_lorä.safetensors", 4)]


def test_webp_prompt_only(tmp_path: Path) -> None:
    assert read(tmp_path, "a.webp", webp({0x0110: "prompt:" + json.dumps(API)})) == [
        ("4", "api.safetensors", 0)]


def test_truncated_webp(tmp_path: Path) -> None:
    data = webp({0x010F: "workflow:" + json.dumps(UI)})
    path = tmp_path / "cut.webp"
    path.write_bytes(data[:-40])
    with pytest.raises(WorkflowReadError, match="truncated WebP"):
        read_workflow(path, "cut.webp", RULES)


def test_webp_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.webp"
    path.write_bytes(webp({}))
    with pytest.raises(WorkflowReadError, match="no workflow in this WebP image"):
        read_workflow(path, "plain.webp", RULES)
