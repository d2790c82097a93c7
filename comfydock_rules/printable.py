"""Untrusted strings (workflow values, node types, file names) made safe for a terminal or log.

Control and format characters (terminal escapes, bidi overrides, NUL) are shown as Python-style
escapes instead of being sent on, so a hostile workflow cannot rewrite what a reader sees.
"""

from __future__ import annotations


def printable(text: str, keep: str = "") -> str:
    """`text` with every non-printable character escaped, except those in `keep`."""
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isprintable() or ch in keep:
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        else:
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return "".join(out)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def inert_json(text: str) -> str:
    """JSON text (from json.dumps) with every non-printable character written as a `\\u` escape.

    json.dumps with ensure_ascii=False escapes only C0 controls; DEL, C1 controls (0x9b is a
    terminal's CSI), bidi overrides and line separators would reach a terminal raw. Outside
    strings JSON holds only ASCII punctuation, digits, letters and whitespace, so each such
    character is inside a string, where the escape means the same character: the data is
    unchanged, only its bytes become inert.
    """
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if not line.isprintable():
            lines[number] = "".join(
                ch if ch.isprintable() or ch in " \t" else _json_escape(ch) for ch in line)
    return "\n".join(lines)
