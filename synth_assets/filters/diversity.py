"""Diversity-aware selection to a target size: greedy farthest-point over MinHash signatures.

Each step keeps the row least similar to everything kept so far (estimated Jaccard over word
sets, the same representation as the near-duplicate step), so a target of N rows covers the
spread of the data instead of its densest cluster. Signatures make one step a vectorised
comparison, O(rows x 128); the first row kept is the first in input order, so it is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth_assets.filters.near_duplicates import shingles
from synth_assets.filters.near_duplicates import signatures as minhash_signatures


@dataclass(frozen=True)
class DiversityChoice:
    selected: list[int]
    distance: list[float]  # per input row: its estimated Jaccard distance to the nearest selected row


def farthest_point(texts: Sequence[str], target: int, seed: int = 1) -> DiversityChoice:
    if target >= len(texts):
        return DiversityChoice(list(range(len(texts))), [0.0] * len(texts))
    signatures = np.array([m.hashvalues for m in minhash_signatures([shingles(t) for t in texts], seed)])
    nearest = np.full(len(texts), np.inf)
    selected: list[int] = []
    current = 0
    for _ in range(target):
        selected.append(current)
        distance = 1.0 - (signatures == signatures[current]).mean(axis=1)
        nearest = np.minimum(nearest, distance)
        nearest[selected] = -1.0  # never picked twice
        current = int(np.argmax(nearest))
    nearest[selected] = 0.0
    return DiversityChoice(selected, nearest.tolist())
