"""Cheap rules that catch what no model should learn from: Self-Instruct's own instruction rules
and degenerate text (a token repeated over and over, symbols instead of words).

Each rule returns None for a row it keeps and a short reason for one it drops; the reason is the
row's `drop_detail`, so a person can see which rule fired and on what.
"""

from __future__ import annotations

import re
import string
from collections import Counter

# Self-Instruct (Wang et al., 2022, bootstrap_instructions.py): tasks a text-only model cannot do.
SELF_INSTRUCT_BLACKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps",
    "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
)  # fmt: skip
_TOKEN = re.compile(r"\S+")
# one pass for all keywords (longest first, so "images" is not cut to "image"); the reason names
# the first keyword in the list's order, as the reference's loop does
_KEYWORDS = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(SELF_INSTRUCT_BLACKLIST, key=len, reverse=True)) + r")\b"
)
_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]")  # exactly the characters for which str.isalnum() is False


def self_instruct_reason(instruction: str) -> str | None:
    """The reference implementation's rules, in its order, with its whole-word keyword match."""
    text = instruction.strip()
    if not text:
        return "empty instruction"
    found = set(_KEYWORDS.findall(text.lower()))
    for word in SELF_INSTRUCT_BLACKLIST:
        if word in found:
            return f"keyword '{word}' (needs more than text)"
    if text.startswith("Write a program"):
        return "starts with 'Write a program' (unclear whether to write code or answer)"
    if text[0] in string.punctuation:
        return "starts with punctuation"
    if not text[0].isascii():
        return "starts with a non-ASCII character"
    return None


def garbage_reason(text: str, min_unique_ratio: float = 0.3, min_alpha_ratio: float = 0.5) -> str | None:
    """Degenerate output small models produce: loops ("the the the ..."), one line repeated,
    or runs of symbols. Short texts are judged only on their characters."""
    stripped = text.strip()
    if not stripped:
        return None  # empty responses are the generation_error step's business
    visible = _SPACE.sub("", stripped)
    alpha = (len(visible) - len(_NOT_ALNUM.findall(visible))) / len(visible)
    if alpha < min_alpha_ratio:
        return f"{alpha:.0%} letters or digits (symbols, not text)"
    tokens = _TOKEN.findall(stripped.lower())
    if len(tokens) >= 20:
        unique = len(set(tokens)) / len(tokens)
        if unique < min_unique_ratio:
            word, count = Counter(tokens).most_common(1)[0]
            return f"{unique:.0%} distinct tokens ('{word}' x{count})"
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if len(lines) >= 4:
        line, count = Counter(lines).most_common(1)[0]
        if count / len(lines) > 0.5:
            return f"one line repeated {count} of {len(lines)} times: {line[:40]!r}"
    return None
