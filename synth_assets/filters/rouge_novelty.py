"""ROUGE-L novelty with Self-Instruct's semantics, at C speed.

Self-Instruct keeps a candidate only if its ROUGE-L F against every pool item and every earlier
accepted candidate is <= threshold (0.7); accepted candidates join the pool. Its reference code
scores each pair with `rouge_score` in pure Python. Here each distinct token becomes one Unicode
character, so rapidfuzz's bit-parallel LCS over strings is exactly LCS over tokens, and the
F-measure is computed with rouge_score's own float operations, so decisions agree bit for bit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import LCSseq
from rapidfuzz.process import cdist

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BLOCK = 256
_FIRST_CHAR = 0x100  # stay clear of ASCII; rapidfuzz handles the whole Unicode range


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's default tokenizer (no stemming): lowercase, keep [a-z0-9] runs."""
    return [t for t in _NON_ALNUM.sub(" ", text.lower()).split() if t]


class _Encoder:
    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def encode(self, text: str) -> str:
        codes = self._codes
        out = []
        for token in rouge_tokens(text):
            code = codes.get(token)
            if code is None:
                code = chr(_FIRST_CHAR + len(codes) + (0x800 if len(codes) + _FIRST_CHAR >= 0xD800 else 0))
                codes[token] = code
            out.append(code)
        return "".join(out)


def _f_matrix(lcs: np.ndarray, target_len: np.ndarray, pred_len: np.ndarray) -> np.ndarray:
    """rouge_score: P = lcs/len(pred), R = lcs/len(target), F = 2PR/(P+R); 0 if either is empty."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = lcs / pred_len[None, :]
        r = lcs / target_len[:, None]
        f = 2 * p * r / (p + r)
    empty = (target_len[:, None] == 0) | (pred_len[None, :] == 0) | (lcs == 0)
    return np.where(empty, 0.0, f)


def _f_all(targets: list[str], preds: list[str]) -> np.ndarray:
    lcs = cdist(targets, preds, scorer=LCSseq.similarity, dtype=np.int32, workers=-1)
    return _f_matrix(
        lcs.astype(np.float64),
        np.array([len(t) for t in targets], dtype=np.float64),
        np.array([len(p) for p in preds], dtype=np.float64),
    )


def _max_f(targets: list[str], preds: list[str]) -> np.ndarray:
    if not targets:
        return np.zeros(0)
    if not preds:
        return np.zeros(len(targets))
    return _f_all(targets, preds).max(axis=1)


def novelty_scores(candidates: Sequence[str], pool: Sequence[str], threshold: float = 0.7) -> list[tuple[bool, float]]:
    """(kept, max ROUGE-L F) per candidate, in order, under the greedy accept-and-grow rule.

    Candidates are scored in blocks: against the pool and everything accepted before the block
    in one vectorised call, and within the block from one block-by-block matrix, read
    sequentially for the acceptances inside it."""
    encoder = _Encoder()
    pool_codes = [encoder.encode(p) for p in pool]
    cand_codes = [encoder.encode(c) for c in candidates]
    accepted: list[str] = []
    out: list[tuple[bool, float]] = []
    for start in range(0, len(cand_codes), _BLOCK):
        block = cand_codes[start : start + _BLOCK]
        base = _max_f(block, pool_codes + accepted)
        inner = _f_all(block, block)
        kept: list[int] = []
        for i in range(len(block)):
            score = float(base[i])
            if kept:
                score = max(score, float(inner[i, kept].max()))
            keep = not score > threshold
            out.append((keep, score))
            if keep:
                kept.append(i)
        accepted.extend(block[i] for i in kept)
    return out


def rouge_novelty(candidates: list[str], pool: list[str], threshold: float = 0.7) -> list[bool]:
    return [keep for keep, _ in novelty_scores(candidates, pool, threshold)]
