"""All collapse metrics of one round, in one registry (used by the asset and by the recursion).

A metric is one `Metric` entry: its name (the column of `collapse_metrics`), its column type and
description (the UI's column docs), how to compute it from a round's texts and student, and the
title of its curve in the collapse report if it is plotted. Adding a metric is its function in
`collapse/metrics.py` and one entry in `METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from synth_assets.collapse import embedding_metrics as emb
from synth_assets.collapse import intervals, metrics
from synth_assets.collapse.intervals import RowSums
from synth_assets.core.neural_lm import NeuralLM
from synth_assets.core.ngram_lm import KneserNeyLM, tokenize
from synth_assets.embed.models import Embedder, embedder

DISTINCT_SAMPLE = 150  # distinct-n falls as a corpus grows: compare rounds on equal-sized samples


def fixed_sample(texts: Sequence[str], size: int = DISTINCT_SAMPLE, seed: int = 0) -> list[str]:
    return [texts[i] for i in emb.sample_indices(len(texts), size, seed)]


@dataclass(frozen=True)
class RoundTexts:
    """What a round's metrics are computed from: its student, its training texts, the held-out
    and seed human texts, and the human tail (rare words)."""

    model: KneserNeyLM
    train: Sequence[str]
    heldout: Sequence[str]
    human: Sequence[str]
    tail: set[str]
    synthetic: Sequence[str] | None = None  # the mix's synthetic rows (None: all of `train`)
    embedder: Embedder | None = None  # the experiment's (None: the packaged WordLlama)
    neural: NeuralLM | None = None  # the round's neural student, where the experiment trains one

    @cached_property
    def sample(self) -> list[str]:
        return fixed_sample(self.train)

    def _raw(self, texts: Sequence[str]) -> np.ndarray:
        return (self.embedder or embedder()).embed(fixed_sample(texts, emb.SAMPLE))

    def _embedded(self, texts: Sequence[str]) -> np.ndarray:
        return emb.centred(self._raw(texts), self.human_mean)

    @cached_property
    def _human_raw(self) -> np.ndarray:
        return self._raw([*self.human, *self.heldout])

    @cached_property
    def human_mean(self) -> np.ndarray:
        """The human data's mean vector (seeds and held-out): the same origin in every round."""
        return self._human_raw.mean(axis=0)

    @cached_property
    def train_raw(self) -> np.ndarray:
        """The mix's sample as the embedder gives it: Vendi's cosine kernel is defined on these."""
        return self._raw(self.train)

    @cached_property
    def train_vectors(self) -> np.ndarray:
        return emb.centred(self.train_raw, self.human_mean)

    @cached_property
    def heldout_vectors(self) -> np.ndarray:
        return self._embedded(self.heldout)

    @cached_property
    def human_vectors(self) -> np.ndarray:
        return emb.centred(self._human_raw, self.human_mean)

    @cached_property
    def synthetic_vectors(self) -> np.ndarray:
        return self.train_vectors if self.synthetic is None else self._embedded(self.synthetic)

    @cached_property
    def members(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per row, inside the other set's k-NN manifold: precision's and recall's counts, and
        their intervals' rows (the distances are computed once for all four)."""
        return emb.manifold_members(*emb.equal_size(self.human_vectors, self.train_vectors))

    def member_share(self, which: int) -> float:
        return float(self.members[which].mean()) if self.members else float("nan")

    @cached_property
    def covered(self) -> np.ndarray | None:
        return emb.covered_rows(*emb.equal_size(self.human_vectors, self.synthetic_vectors))

    @cached_property
    def train_counts(self) -> intervals.TokenCounts:
        return intervals.TokenCounts.of([tokenize(t) for t in self.train])

    def heldout_sums(self) -> RowSums:
        return _perplexity_sums([self.model.log_prob(t) for t in self.heldout])

    @cached_property
    def neural_scores(self) -> list[tuple[float, int]] | None:
        return self.neural.log_probs(list(self.heldout)) if self.neural is not None else None

    def neural_perplexity(self) -> float:
        scored = self.neural_scores
        if not scored:
            return float("nan")
        return math.exp(-sum(lp for lp, _ in scored) / sum(n for _, n in scored))

    def distinct_sums(self, n: int) -> RowSums:
        return intervals.distinct_of([metrics.ngrams(tokenize(t), n) for t in self.sample])

    def member_sums(self, which: int) -> RowSums | None:
        return intervals.mean_of(self.members[which]) if self.members else None

    def coverage_sums(self) -> RowSums | None:
        return intervals.mean_of(self.covered) if self.covered is not None else None


def _perplexity_sums(scored: list[tuple[float, int]]) -> RowSums:
    return intervals.perplexity_of([lp for lp, _ in scored], [n for _, n in scored])


@dataclass(frozen=True)
class Metric:
    name: str
    sql_type: str
    description: str
    compute: Callable[[RoundTexts], float]
    plot: str | None = None  # the curve's title in the report; None: table only
    rows: Callable[[RoundTexts], RowSums | None] | None = None  # its per-row sums: a bootstrap interval
    lexical: bool = False  # counts words: can read "more diverse" while collapse goes on (Liu 2026)


METRICS: tuple[Metric, ...] = (
    Metric(
        "heldout_perplexity",
        "DOUBLE",
        "student perplexity on the held-out human set",
        lambda r: r.model.perplexity(r.heldout),
        "held-out human perplexity (lower is better)",
        rows=RoundTexts.heldout_sums,
    ),
    Metric(
        "neural_heldout_perplexity",
        "DOUBLE",
        "the neural student's (a small transformer trained from scratch on the mix) perplexity on the held-out "
        "human set; null where the experiment trains none",
        RoundTexts.neural_perplexity,
        "held-out human perplexity, neural student",
        rows=lambda r: _perplexity_sums(r.neural_scores) if r.neural_scores else None,
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
        rows=lambda r: r.distinct_sums(2),
        lexical=True,
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
        rows=lambda r: intervals.vocabulary_of(r.train_counts),
        lexical=True,
    ),
    Metric(
        "tail_coverage",
        "DOUBLE",
        "share of rare human words still in the mix",
        lambda r: metrics.tail_coverage(r.train, r.tail),
        "human tail coverage (share of rare words kept)",
        rows=lambda r: intervals.coverage_of(r.train_counts, r.tail) if r.tail else None,
    ),
    Metric(
        "js_divergence",
        "DOUBLE",
        "JS divergence (bits) of mix unigrams from human seeds",
        lambda r: metrics.js_divergence(r.train, r.human),
        "JS divergence from human unigrams (bits)",
        rows=lambda r: intervals.js_of(r.train_counts, [tokenize(t) for t in r.human]) if r.train else None,
    ),
    Metric(
        "vendi",
        "DOUBLE",
        f"Vendi score (effective number of distinct rows) of a seeded {emb.SAMPLE}-row sample of the mix: "
        "the cosine kernel of the embeddings as they come (not centred)",
        lambda r: emb.vendi(r.train_raw),  # already a seeded sample of at most SAMPLE rows
        "Vendi score of the mix (embedding space)",
    ),
    Metric(
        "frechet_to_human",
        "DOUBLE",
        "Fréchet distance between Gaussian fits of the mix's and the held-out human set's embeddings",
        lambda r: emb.frechet(r.train_vectors, r.heldout_vectors),
        "Fréchet distance to held-out human text",
    ),
    Metric(
        "embedding_precision",
        "DOUBLE",
        f"share of mix rows inside the human data's k-NN manifold (k = {emb.K}; Kynkäänniemi et al. 2019), "
        "equal-size samples",
        lambda r: r.member_share(0),
        rows=lambda r: r.member_sums(0),
    ),
    Metric(
        "embedding_recall",
        "DOUBLE",
        f"share of human rows inside the mix's k-NN manifold (k = {emb.K}), equal-size samples; falls as "
        "the human tails vanish from the mix",
        lambda r: r.member_share(1),
        "recall of human text (k-NN manifold)",
        rows=lambda r: r.member_sums(1),
    ),
    Metric(
        "embedding_coverage",
        "DOUBLE",
        f"share of human rows whose own k-NN ball (k = {emb.K}) holds a synthetic row (Naeem et al. 2020); "
        "null without synthetic rows",
        lambda r: float(r.covered.mean()) if r.covered is not None else float("nan"),
        "human rows a synthetic row reaches (coverage)",
        rows=RoundTexts.coverage_sums,
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


INTERVAL_METRICS = tuple(m for m in METRICS if m.rows)


def interval_columns(name: str) -> tuple[str, str]:
    return f"{name}_lo", f"{name}_hi"


def measure_round(texts: RoundTexts, resamples: int = intervals.RESAMPLES, seed: int = 0) -> dict[str, float]:
    """Every metric, and for those with per-row sums its bootstrap interval (`<name>_lo`, `_hi`)."""
    values = {m.name: m.compute(texts) for m in METRICS}
    for m in INTERVAL_METRICS:
        sums = m.rows(texts) if m.rows else None
        bounds = intervals.interval(sums, seed, resamples) if sums is not None else (float("nan"), float("nan"))
        values.update(zip(interval_columns(m.name), bounds, strict=True))
    return values
