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
