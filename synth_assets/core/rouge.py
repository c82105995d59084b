"""ROUGE-L F (rouge_score's semantics) over many pairs at C speed.

Each distinct token becomes one Unicode character, so rapidfuzz's bit-parallel LCS over strings
is exactly LCS over tokens, and the F-measure uses rouge_score's own float operations, so scores
agree with the reference bit for bit. The novelty filter and the self-similarity collapse metric
both score with this, so a filter threshold and a metric value mean the same thing.
"""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz.distance import LCSseq
from rapidfuzz.process import cdist

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_FIRST_CHAR = 0x100  # stay clear of ASCII; rapidfuzz handles the whole Unicode range
_SURROGATES = 0xD800


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's default tokenizer (no stemming): lowercase, keep [a-z0-9] runs."""
    return [t for t in _NON_ALNUM.sub(" ", text.lower()).split() if t]


class TokenEncoder:
    """One character per distinct token; share one encoder across every text that is compared."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def encode(self, text: str) -> str:
        codes = self._codes
        out = []
        for token in rouge_tokens(text):
            code = codes.get(token)
            if code is None:
                point = _FIRST_CHAR + len(codes)
                code = chr(point + (0x800 if point >= _SURROGATES else 0))
                codes[token] = code
            out.append(code)
        return "".join(out)


def f_matrix(lcs: np.ndarray, target_len: np.ndarray, pred_len: np.ndarray) -> np.ndarray:
    """rouge_score: P = lcs/len(pred), R = lcs/len(target), F = 2PR/(P+R); 0 if either is empty."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = lcs / pred_len[None, :]
        r = lcs / target_len[:, None]
        f = 2 * p * r / (p + r)
    empty = (target_len[:, None] == 0) | (pred_len[None, :] == 0) | (lcs == 0)
    return np.where(empty, 0.0, f)


def rouge_l_matrix(targets: list[str], preds: list[str]) -> np.ndarray:
    """ROUGE-L F of every encoded target against every encoded pred (rows: targets)."""
    lcs = cdist(targets, preds, scorer=LCSseq.similarity, dtype=np.int32, workers=-1)
    return f_matrix(
        lcs.astype(np.float64),
        np.array([len(t) for t in targets], dtype=np.float64),
        np.array([len(p) for p in preds], dtype=np.float64),
    )
