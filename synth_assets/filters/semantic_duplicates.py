"""Near duplicates by meaning: rows whose embeddings are closer than a cosine threshold, greedy in
input order like the MinHash step (a row is dropped when an already kept row is that similar).

MinHash over word sets misses a task reworded with other words; a paraphrase keeps its meaning
and so its embedding (WordLlama by default, see `synth_assets.embed`). Rows are compared in
blocks: each block against every row kept before it in one matrix product, and within itself from
one block-by-block matrix read in order, so 100,000 rows cost about n^2/2 dot products of 256
floats done by BLAS, not a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BLOCK = 1_024


@dataclass(frozen=True)
class SemanticDecision:
    kept: bool
    duplicate_of: int | None  # index of the kept row it matched
    cosine: float


def semantic_duplicates(vectors: np.ndarray, threshold: float) -> list[SemanticDecision]:
    """`vectors`: unit rows, in input order."""
    kept: list[int] = []
    out: list[SemanticDecision] = []
    for start in range(0, len(vectors), _BLOCK):
        block = vectors[start : start + _BLOCK]
        if kept:
            sims = block @ vectors[kept].T
            best, best_at = sims.max(axis=1), sims.argmax(axis=1)
        else:
            best, best_at = np.full(len(block), -1.0), np.zeros(len(block), dtype=int)
        inner = block @ block.T
        kept_here: list[int] = []
        for i in range(len(block)):
            score, twin = float(best[i]), kept[best_at[i]] if kept else None
            if kept_here:
                j = int(np.argmax(inner[i, kept_here]))
                if inner[i, kept_here[j]] > score:
                    score, twin = float(inner[i, kept_here[j]]), start + kept_here[j]
            if score >= threshold:
                out.append(SemanticDecision(False, twin, score))
            else:
                out.append(SemanticDecision(True, None, score))
                kept_here.append(i)
        kept.extend(start + i for i in kept_here)
    return out
