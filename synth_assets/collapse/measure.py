"""All collapse metrics of one round, in one place (used by the recursion and by the asset)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synth_assets.collapse import metrics
from synth_assets.collapse.ngram_lm import KneserNeyLM

DISTINCT_SAMPLE = 150  # distinct-n falls as a corpus grows: compare rounds on equal-sized samples


def fixed_sample(texts: Sequence[str], size: int = DISTINCT_SAMPLE, seed: int = 0) -> list[str]:
    if len(texts) <= size:
        return list(texts)
    return [texts[i] for i in sorted(np.random.default_rng(seed).choice(len(texts), size, replace=False))]


def measure_round(
    model: KneserNeyLM, train: Sequence[str], heldout: Sequence[str], human: Sequence[str], tail: set[str]
) -> dict[str, float]:
    mean_len, std_len = metrics.length_stats(train)
    sample = fixed_sample(train)
    return {
        "heldout_perplexity": model.perplexity(heldout),
        "distinct_1": metrics.distinct_n(sample, 1),
        "distinct_2": metrics.distinct_n(sample, 2),
        "distinct_3": metrics.distinct_n(sample, 3),
        "self_similarity": metrics.self_similarity(train),
        "vocabulary": metrics.vocabulary_size(train),
        "tail_coverage": metrics.tail_coverage(train, tail),
        "js_divergence": metrics.js_divergence(train, human),
        "mean_length": mean_len,
        "std_length": std_len,
    }
