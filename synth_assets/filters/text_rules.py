"""Cheap text rules: normalisation for exact duplicates and length bounds."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """Case and whitespace do not make a new training example."""
    return _SPACE.sub(" ", text.strip().lower())


def word_count(text: str) -> int:
    return len(text.split())


def length_ok(text: str, min_words: int, max_words: int) -> bool:
    return min_words <= word_count(text) <= max_words


# Evol-Instruct's elimination rules on responses (Xu et al. 2023, section 3.2): a response that
# gives up (an apology or refusal in under 80 words), or one of punctuation and stop words only.
GIVE_UP_WORDS = 80
_GIVES_UP = re.compile(
    r"\b(sorry|i apologi[sz]e|i (?:can ?not|can't|am unable|'m unable|am not able)|as an ai\b)", re.IGNORECASE
)
_STOP_WORDS = frozenset(
    "a an the and or but if of to in on at for with by from as is are was were be been it this that these those "
    "i you he she we they me him her us them my your his its our their not no yes so do does did".split()
)
_WORDS = re.compile(r"[A-Za-z0-9']+")


def gives_up_reason(response: str) -> str | None:
    words = _WORDS.findall(response)
    if not [w for w in words if w.lower() not in _STOP_WORDS]:
        return "only punctuation and stop words"
    marker = _GIVES_UP.search(response)
    if marker and len(words) < GIVE_UP_WORDS:
        return f"gives up: {marker.group(0)!r} in a response of {len(words)} words"
    return None
