"""Near-duplicate removal with MinHash LSH (datasketch), greedy in input order like the novelty
filter: a text is dropped when an already kept text is at least `threshold` similar to it.

Similarity is Jaccard over character 5-gram shingles of the normalised text, which tolerates the
small edits that make two synthetic rows "different" (a swapped word, punctuation, case). LSH only
proposes candidates; each candidate is confirmed with the exact Jaccard, so a drop never rests on
a hash collision, and the id of the kept twin is returned as evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from synth_assets.filters.text_rules import normalized

SHINGLE = 5
NUM_PERM = 128


@dataclass(frozen=True)
class NearDuplicateDecision:
    kept: bool
    duplicate_of: int | None  # index of the kept text it matched
    jaccard: float


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    norm = normalized(text)
    if len(norm) <= size:
        return {norm.encode()} if norm else set()
    return {norm[i : i + size].encode() for i in range(len(norm) - size + 1)}


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicates(texts: Sequence[str], threshold: float = 0.8, seed: int = 1) -> list[NearDuplicateDecision]:
    sets = [shingles(t) for t in texts]
    signatures = MinHash.bulk(sets, num_perm=NUM_PERM, seed=seed)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    decisions: list[NearDuplicateDecision] = []
    for i, (items, signature) in enumerate(zip(sets, signatures, strict=True)):
        best, best_j = None, 0.0
        for candidate in lsh.query(signature):
            j = jaccard(items, sets[candidate])
            if j >= threshold and j > best_j:
                best, best_j = candidate, j
        if best is None:
            lsh.insert(i, signature)
            decisions.append(NearDuplicateDecision(True, None, 0.0))
        else:
            decisions.append(NearDuplicateDecision(False, best, best_j))
    return decisions
