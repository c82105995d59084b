"""All collapse metrics of one round, in one registry (used by the asset and by the recursion).

A metric is one `Metric` entry: its name (the column of `collapse_metrics`), its column type and
description (the UI's column docs), how to compute it from a round's texts and student, and the
title of its curve in the collapse report if it is plotted. Adding a metric is its function in
`collapse/metrics.py` and one entry in `METRICS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from synth_assets.collapse import metrics
from synth_assets.core.ngram_lm import KneserNeyLM

DISTINCT_SAMPLE = 150  # distinct-n falls as a corpus grows: compare rounds on equal-sized samples


def fixed_sample(texts: Sequence[str], size: int = DISTINCT_SAMPLE, seed: int = 0) -> list[str]:
    if len(texts) <= size:
        return list(texts)
    return [texts[i] for i in sorted(np.random.default_rng(seed).choice(len(texts), size, replace=False))]


@dataclass(frozen=True)
class RoundTexts:
    """What a round's metrics are computed from: its student, its training texts, the held-out
    and seed human texts, and the human tail (rare words)."""

    model: KneserNeyLM
    train: Sequence[str]
    heldout: Sequence[str]
    human: Sequence[str]
    tail: set[str]

    @cached_property
    def sample(self) -> list[str]:
        return fixed_sample(self.train)


@dataclass(frozen=True)
class Metric:
    name: str
    sql_type: str
    description: str
    compute: Callable[[RoundTexts], float]
    plot: str | None = None  # the curve's title in the report; None: table only


METRICS: tuple[Metric, ...] = (
    Metric(
        "heldout_perplexity",
        "DOUBLE",
        "student perplexity on the held-out human set",
        lambda r: r.model.perplexity(r.heldout),
        "held-out human perplexity (lower is better)",
    ),
    Metric(
        "distinct_1",
        "DOUBLE",
        f"unique unigrams / unigrams in a seeded {DISTINCT_SAMPLE}-row sample of the mix",
        lambda r: metrics.distinct_n(r.sample, 1),
    ),
    Metric(
        "distinct_2",
        "DOUBLE",
        f"unique bigrams / bigrams in a seeded {DISTINCT_SAMPLE}-row sample of the mix",
        lambda r: metrics.distinct_n(r.sample, 2),
        "distinct-2 of the training mix",
    ),
    Metric(
        "distinct_3",
        "DOUBLE",
        f"unique trigrams / trigrams in a seeded {DISTINCT_SAMPLE}-row sample of the mix",
        lambda r: metrics.distinct_n(r.sample, 3),
    ),
    Metric(
        "self_similarity",
        "DOUBLE",
        "mean pairwise ROUGE-L F in a sample of the mix",
        lambda r: metrics.self_similarity(r.train),
        "self-similarity (mean pairwise ROUGE-L)",
    ),
    Metric(
        "vocabulary",
        "INTEGER",
        "distinct tokens in the training mix",
        lambda r: metrics.vocabulary_size(r.train),
        "vocabulary of the training mix",
    ),
    Metric(
        "tail_coverage",
        "DOUBLE",
        "share of rare human words still in the mix",
        lambda r: metrics.tail_coverage(r.train, r.tail),
        "human tail coverage (share of rare words kept)",
    ),
    Metric(
        "js_divergence",
        "DOUBLE",
        "JS divergence (bits) of mix unigrams from human seeds",
        lambda r: metrics.js_divergence(r.train, r.human),
        "JS divergence from human unigrams (bits)",
    ),
    Metric("mean_length", "DOUBLE", "mean tokens per training row", lambda r: metrics.length_stats(r.train)[0]),
    Metric(
        "std_length",
        "DOUBLE",
        "standard deviation of tokens per training row",
        lambda r: metrics.length_stats(r.train)[1],
    ),
)

# Facts of the round measured outside the texts (by the asset), plotted beside the metrics.
ROUND_FACT_PLOTS = {"verified_rate": "verified pass rate", "human_fraction": "human fraction of the mix"}


def measure_round(
    model: KneserNeyLM, train: Sequence[str], heldout: Sequence[str], human: Sequence[str], tail: set[str]
) -> dict[str, float]:
    texts = RoundTexts(model, train, heldout, human, tail)
    return {m.name: m.compute(texts) for m in METRICS}
