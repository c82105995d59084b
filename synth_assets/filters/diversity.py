"""Diversity-aware selection to a target size: greedy farthest-point, over MinHash signatures
(word sets, the same representation as the near-duplicate step) or over embeddings (meaning,
the same as the semantic-duplicate step).

Each step keeps the row least similar to everything kept so far, so a target of N rows covers the
spread of the data instead of its densest cluster. One step is a vectorised comparison, O(rows x
128) signatures or O(rows x 256) vector entries; the first row kept is the first in input order,
so it is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from synth_assets.filters.near_duplicates import shingles
from synth_assets.filters.near_duplicates import signatures as minhash_signatures


@dataclass(frozen=True)
class DiversityChoice:
    selected: list[int]
    distance: list[float]  # per input row: its estimated Jaccard distance to the nearest selected row


def farthest_point(texts: Sequence[str], target: int, seed: int = 1) -> DiversityChoice:
    """Distances are estimated Jaccard distances between word sets."""
    if target >= len(texts):
        return DiversityChoice(list(range(len(texts))), [0.0] * len(texts))
    signatures = np.array([m.hashvalues for m in minhash_signatures([shingles(t) for t in texts], seed)])
    return _greedy(lambda i: 1.0 - (signatures == signatures[i]).mean(axis=1), len(texts), target)


def farthest_point_vectors(vectors: np.ndarray, target: int) -> DiversityChoice:
    """Distances are cosine distances between unit rows (embeddings)."""
    if target >= len(vectors):
        return DiversityChoice(list(range(len(vectors))), [0.0] * len(vectors))
    return _greedy(lambda i: 1.0 - vectors @ vectors[i], len(vectors), target)


def _greedy(distance_from: Callable[[int], np.ndarray], n: int, target: int) -> DiversityChoice:
    nearest = np.full(n, np.inf)
    selected: list[int] = []
    current = 0
    for _ in range(target):
        selected.append(current)
        nearest = np.minimum(nearest, distance_from(current))
        nearest[selected] = -1.0  # never picked twice
        current = int(np.argmax(nearest))
    nearest[selected] = 0.0
    return DiversityChoice(selected, nearest.tolist())
