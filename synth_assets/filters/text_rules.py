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
