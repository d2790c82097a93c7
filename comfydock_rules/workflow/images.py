"""Workflows embedded in images as ComfyUI saves them: PNG text chunks and WebP EXIF strings.

ComfyUI's SaveImage writes `prompt` (API graph) and `workflow` (UI graph) as PNG `tEXt` chunks
(Pillow switches to `iTXt` for text that is not Latin-1; other tools use `zTXt`). SaveAnimatedWEBP
writes EXIF ASCII strings `workflow:{json}` (tag 0x010F and below) and `prompt:{json}` (0x0110).
Only the standard library is used: the chunk formats are small.
"""

from __future__ import annotations

import struct
import zlib

from comfydock_rules.errors import WorkflowReadError
from comfydock_rules.limits import MAX_EMBEDDED_TEXT_BYTES, MAX_EXIF_ENTRIES, size_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYS: tuple[str, ...] = ("workflow", "prompt")
"""Preference order: the UI graph carries more (subgraphs, modes, declared models)."""


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def is_webp(data: bytes) -> bool:
    return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _inflate(data: bytes, display: str, chunk: str) -> bytes:
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, MAX_EMBEDDED_TEXT_BYTES)
    except zlib.error as exc:
        raise WorkflowReadError(f"corrupt compressed {chunk} chunk: {exc}", display) from None
    if inflater.unconsumed_tail:
        raise WorkflowReadError(
            f"{chunk} chunk inflates to more than {size_text(MAX_EMBEDDED_TEXT_BYTES)}, "
            "more than a workflow needs; not read", display)
    return out


def _text(raw: bytes, latin1: bool) -> str:
    # tEXt / zTXt are Latin-1 by the PNG spec, but some writers put UTF-8 there.
    if latin1:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return raw.decode("utf-8", errors="strict")


def png_texts(data: bytes, display: str) -> dict[str, str]:
    """Text chunks named `workflow` / `prompt` (first of each wins); raises on a truncated file."""
    found: dict[str, str] = {}
    pos = len(PNG_SIGNATURE)
    while True:
        if pos == len(data):
            break  # no IEND: tolerated, as browsers do, when no chunk is cut short
        if pos + 8 > len(data):
            raise WorkflowReadError(f"truncated PNG: chunk header cut off at byte {pos}", display)
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        start = pos + 8
        end = start + length
        if end + 4 > len(data):
            name = ctype.decode("latin-1")
            raise WorkflowReadError(
                f"truncated PNG: {name!r} chunk at byte {pos} needs {length} bytes, "
                f"{max(0, len(data) - start - 4)} present",
                display,
            )
        body = data[start:end]
        pos = end + 4
        if ctype == b"IEND":
            break
        if ctype not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        keyword, sep, rest = body.partition(b"\0")
        key = keyword.decode("latin-1")
        if not sep or key not in KEYS or key in found:
            continue
        chunk = f"PNG {ctype.decode()} {key!r}"
        try:
            if ctype == b"tEXt":
                found[key] = _text(rest, latin1=True)
            elif ctype == b"zTXt":
                if not rest or rest[0] != 0:
                    raise WorkflowReadError(f"{chunk} chunk: unknown compression", display)
                found[key] = _text(_inflate(rest[1:], display, chunk), latin1=True)
            else:
                if len(rest) < 2:
                    raise WorkflowReadError(f"{chunk} chunk is cut short", display)
                compressed = rest[0]
                payload = rest[2:].split(b"\0", 2)
                if len(payload) < 3:
                    raise WorkflowReadError(f"{chunk} chunk is cut short", display)
                raw = payload[2]
                if compressed:
                    raw = _inflate(raw, display, chunk)
                found[key] = _text(raw, latin1=False)
        except UnicodeDecodeError as exc:
            raise WorkflowReadError(
                f"{chunk} chunk is not UTF-8 text (offset {exc.start})", display
            ) from None
    return found


def _riff_chunks(data: bytes, display: str) -> list[tuple[bytes, bytes]]:
    chunks: list[tuple[bytes, bytes]] = []
    pos = 12
    end_of_riff = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= end_of_riff:
        fourcc, size = struct.unpack("<4sI", data[pos : pos + 8])
        start = pos + 8
        if start + size > len(data):
            raise WorkflowReadError(
                f"truncated WebP: {fourcc.decode('latin-1')!r} chunk at byte {pos} needs "
                f"{size} bytes, {len(data) - start} present",
                display,
            )
        chunks.append((fourcc, data[start : start + size]))
        pos = start + size + (size & 1)
    return chunks


_PREFIXES = tuple((key, f"{key}:".encode()) for key in KEYS)


def _exif_texts(exif: bytes, found: dict[str, str]) -> None:
    """ASCII values `workflow:...` / `prompt:...` of IFD0 (the tags ComfyUI writes) into
    `found`, the first of each key; nothing when the TIFF structure is odd.

    Only the values that start with a wanted key are copied, and only the first of each: many
    entries pointing at one large value cost one comparison each, not one copy each. At most
    MAX_EXIF_ENTRIES entries are looked at (ComfyUI writes one per key).
    """
    start = 6 if exif.startswith(b"Exif\0\0") else 0
    if len(exif) < start + 8 or exif[start : start + 2] not in (b"II", b"MM"):
        return
    order = "<" if exif[start : start + 2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", exif[start + 4 : start + 8])
    ifd += start
    if ifd + 2 > len(exif):
        return
    (count,) = struct.unpack(order + "H", exif[ifd : ifd + 2])
    for i in range(min(count, MAX_EXIF_ENTRIES)):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(exif):
            break
        _tag, kind, n = struct.unpack(order + "HHI", exif[entry : entry + 8])
        if kind != 2:  # ASCII
            continue
        if n <= 4:
            begin = entry + 8
        else:
            (offset,) = struct.unpack(order + "I", exif[entry + 8 : entry + 12])
            begin = start + offset
        end = min(begin + n, len(exif))
        for key, prefix in _PREFIXES:
            if key not in found and exif.startswith(prefix, begin, end):
                raw = exif[begin + len(prefix) : end]
                found[key] = raw.rstrip(b"\0").decode("utf-8", errors="replace")
                break
        if len(found) == len(KEYS):
            return


def webp_texts(data: bytes, display: str) -> dict[str, str]:
    """EXIF strings `workflow:...` / `prompt:...` of a WebP file."""
    found: dict[str, str] = {}
    for fourcc, body in _riff_chunks(data, display):
        if fourcc == b"EXIF":
            _exif_texts(body, found)
    return found


def embedded_texts(data: bytes, display: str) -> list[tuple[str, str]]:
    """(key, JSON text) pairs in preference order; raises when the image holds no workflow."""
    texts = png_texts(data, display) if is_png(data) else webp_texts(data, display)
    pairs = [(key, texts[key]) for key in KEYS if key in texts]
    if not pairs:
        kind = "PNG" if is_png(data) else "WebP"
        raise WorkflowReadError(
            f"no workflow in this {kind} image (no 'workflow' or 'prompt' metadata)",
            display,
            hint="save the image from ComfyUI with metadata enabled",
        )
    return pairs
