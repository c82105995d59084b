"""ROUGE-L novelty with Self-Instruct's semantics, at C speed.

Self-Instruct keeps a candidate only if its ROUGE-L F against every pool item and every earlier
accepted candidate is <= threshold (0.7); accepted candidates join the pool. Its reference code
scores each pair with `rouge_score` in pure Python; the scores here come from core.rouge, which
agrees with rouge_score bit for bit, so decisions agree too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synth_assets.core.rouge import TokenEncoder, rouge_l_matrix, rouge_tokens

__all__ = ["novelty_scores", "rouge_novelty", "rouge_tokens"]

_BLOCK = 256


def _max_f(targets: list[str], preds: list[str]) -> np.ndarray:
    if not targets:
        return np.zeros(0)
    if not preds:
        return np.zeros(len(targets))
    return rouge_l_matrix(targets, preds).max(axis=1)


def novelty_scores(candidates: Sequence[str], pool: Sequence[str], threshold: float = 0.7) -> list[tuple[bool, float]]:
    """(kept, max ROUGE-L F) per candidate, in order, under the greedy accept-and-grow rule.

    Candidates are scored in blocks: against the pool and everything accepted before the block
    in one vectorised call, and within the block from one block-by-block matrix, read
    sequentially for the acceptances inside it."""
    encoder = TokenEncoder()
    pool_codes = [encoder.encode(p) for p in pool]
    cand_codes = [encoder.encode(c) for c in candidates]
    accepted: list[str] = []
    out: list[tuple[bool, float]] = []
    for start in range(0, len(cand_codes), _BLOCK):
        block = cand_codes[start : start + _BLOCK]
        base = _max_f(block, pool_codes + accepted)
        inner = rouge_l_matrix(block, block)
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
