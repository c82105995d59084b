"""Near-duplicate removal with MinHash LSH (datasketch), greedy in input order like the novelty
filter: a text is dropped when an already kept text is at least `threshold` similar to it.

Similarity is Jaccard over the set of lowercase words, which ignores the edits that make two
synthetic rows look different (case, punctuation, swapped or reordered words). Measured on 20,000
short texts with planted twins, word sets at 0.8 recall 0.99 of them against 0.73 for character
5-grams, with the same number of other drops, and those are real near-copies (85 of 118 identical
but for case). The price: word order is ignored, and one changed number in an otherwise identical
sentence still counts as a twin. LSH only proposes candidates; each is confirmed with the exact
Jaccard, so a drop never rests on a hash collision, and the kept twin's index is returned as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

NUM_PERM = 128
# datasketch cannot band 128 permutations above ~0.98; LSH only proposes candidates and each is
# confirmed by the exact Jaccard, so a lower LSH threshold costs a little time, never precision.
LSH_MAX_THRESHOLD = 0.95
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NearDuplicateDecision:
    kept: bool
    duplicate_of: int | None  # index of the kept text it matched
    jaccard: float


def shingles(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def jaccard(a: set[str], b: set[str]) -> float:
    if not (a or b):
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def signatures(sets: Sequence[set[str]], seed: int = 1) -> list:
    """MinHash signatures, identical to datasketch's defaults, with each distinct word hashed
    once: words repeat across documents, and hashing them again was most of the time at 10^5."""
    from datasketch import MinHash  # scipy underneath: imported where it is used
    from datasketch.hashfunc import sha1_hash32

    known: dict[str, int] = {}

    def cached(word: str) -> int:
        value = known.get(word)
        if value is None:
            value = known[word] = sha1_hash32(word.encode())
        return value

    return MinHash.bulk(sets, num_perm=NUM_PERM, seed=seed, hashfunc=cached)


def near_duplicates(texts: Sequence[str], threshold: float = 0.8, seed: int = 1) -> list[NearDuplicateDecision]:
    from datasketch import MinHashLSH

    sets = [shingles(t) for t in texts]
    signatures_ = signatures(sets, seed)
    lsh = MinHashLSH(threshold=min(threshold, LSH_MAX_THRESHOLD), num_perm=NUM_PERM)
    decisions: list[NearDuplicateDecision] = []
    for i, (items, signature) in enumerate(zip(sets, signatures_, strict=True)):
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
