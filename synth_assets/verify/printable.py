"""Text a candidate chose, made safe to store and to show.

A candidate decides what its exceptions say and what it prints, and that text travels into
verdict reasons, evidence and the warehouse. A lone surrogate (`chr(0xd800)`) is not valid
UTF-8: written to DuckDB it raises and invalidates the connection for every later query. NUL,
ESC and bidi overrides are valid but garble logs, terminals and the UI. Everything leaves the
verifier through `printable`: valid UTF-8, control and format characters shown as escapes,
length capped.
"""

from __future__ import annotations

import unicodedata

_KEPT = frozenset("\n\t")


def printable(text: str, limit: int = 2_000) -> str:
    """`text` with unencodable code points and control or format characters as `\\x..`/`\\u....`
    escapes, cut to `limit` characters (an ellipsis says it was cut)."""
    out: list[str] = []
    size = 0
    for char in text:
        piece = char if char in _KEPT or not unicodedata.category(char).startswith("C") else _escape(char)
        size += len(piece)
        if size > limit:
            out.append("…")
            break
        out.append(piece)
    return "".join(out)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
