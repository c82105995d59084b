"""Collapse metrics: one function each, one line of documentation each."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from synth_assets.core.ngram_lm import tokenize
from synth_assets.core.rouge import TokenEncoder, rouge_l_matrix  # the same ROUGE-L as the filter


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct-n: unique n-grams / all n-grams over the texts (Li et al., 2016); lower = more repetitive."""
    grams = [g for t in texts for g in ngrams(tokenize(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def self_similarity(texts: Sequence[str], sample: int = 200, seed: int = 0) -> float:
    """Mean pairwise ROUGE-L F over a seeded sample of the texts; higher = more alike (less diverse)."""
    rng = np.random.default_rng(seed)
    chosen = list(texts) if len(texts) <= sample else [texts[i] for i in rng.choice(len(texts), sample, replace=False)]
    if len(chosen) < 2:
        return float("nan")
    enc = TokenEncoder()
    codes = [enc.encode(t) for t in chosen]
    f = rouge_l_matrix(codes, codes)
    off_diagonal = ~np.eye(len(codes), dtype=bool)
    return float(f[off_diagonal].mean())


def vocabulary_size(texts: Sequence[str]) -> int:
    """Number of distinct tokens in the texts."""
    return len({t for text in texts for t in tokenize(text)})


def rare_tokens(reference: Sequence[str], max_count: int = 2) -> set[str]:
    """The human tail: tokens seen at most `max_count` times in the human reference texts."""
    counts = Counter(t for text in reference for t in tokenize(text))
    return {t for t, c in counts.items() if c <= max_count}


def tail_coverage(texts: Sequence[str], tail: set[str]) -> float:
    """Share of the human tail tokens that still occur in the texts; falls as rare words vanish."""
    present = {t for text in texts for t in tokenize(text)}
    return len(tail & present) / len(tail) if tail else float("nan")


def js_divergence(texts: Sequence[str], reference: Sequence[str]) -> float:
    """Jensen-Shannon divergence (bits, 0..1) between the texts' unigram distribution and the human one."""
    a = Counter(t for text in texts for t in tokenize(text))
    b = Counter(t for text in reference for t in tokenize(text))
    if not a or not b:
        return float("nan")
    keys = sorted(set(a) | set(b))
    p = np.array([a[k] for k in keys], dtype=np.float64)
    q = np.array([b[k] for k in keys], dtype=np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(x: np.ndarray, y: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / y[mask])))

    return (kl(p, m) + kl(q, m)) / 2


def length_stats(texts: Sequence[str]) -> tuple[float, float]:
    """Mean and standard deviation of text length in tokens."""
    lengths = np.array([len(tokenize(t)) for t in texts], dtype=np.float64)
    if not len(lengths):
        return math.nan, math.nan
    return float(lengths.mean()), float(lengths.std())
