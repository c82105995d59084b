"""Bootstrap intervals: each metric's row decomposition gives the metric itself, and the
interval covers the truth about as often as it says."""

import functools
import math

import numpy as np
import pytest

from synth_assets.collapse import intervals, metrics
from synth_assets.collapse.measure import INTERVAL_METRICS, RoundTexts, interval_columns, measure_round
from synth_assets.core.neural_lm import NeuralConfig, NeuralLM
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab

WORDS = np.array([f"w{i}" for i in range(400)])
ZIPF = 1 / np.arange(1, 401) / (1 / np.arange(1, 401)).sum()  # a long tail of rare words


def _texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(3, 12), p=ZIPF)) for _ in range(n)]


@functools.cache
def _round() -> RoundTexts:
    human, heldout, train = _texts(120, 1), _texts(80, 2), _texts(150, 3)
    vocab = build_vocab([*human, *heldout])
    model = KneserNeyLM(vocab).fit(train)
    neural = NeuralLM(vocab, NeuralConfig(width=16, layers=1, heads=1, context=16, max_steps=25)).fit(train)
    return RoundTexts(model, train, heldout, human, metrics.rare_tokens(human), synthetic=train[:100], neural=neural)


def test_row_sums_give_each_metric_its_own_value() -> None:
    texts = _round()
    for metric in INTERVAL_METRICS:
        sums = metric.rows(texts)
        assert sums is not None, metric.name
        assert sums.value() == pytest.approx(metric.compute(texts), rel=1e-9), metric.name


def test_every_interval_brackets_its_estimate() -> None:
    values = measure_round(_round(), resamples=200)
    for metric in INTERVAL_METRICS:
        lo, hi = (values[c] for c in interval_columns(metric.name))
        assert lo < values[metric.name] < hi, metric.name


def test_the_interval_of_a_share_covers_the_truth_95_times_in_100() -> None:
    rng = np.random.default_rng(7)
    trials, truth = 300, 0.3
    covered = 0
    for t in range(trials):
        lo, hi = intervals.interval(intervals.mean_of(rng.random(400) < truth), seed=t, resamples=200)
        covered += lo <= truth <= hi
    # binomial(300, 0.95): 95% of runs land in 0.925..0.975; the bounds are 4 sd wide
    assert 0.90 <= covered / trials <= 0.995, covered / trials


def test_the_perplexity_interval_covers_the_truth_of_its_unigram_model() -> None:
    """Texts of known length drawn from a known distribution: the corpus perplexity is exp(entropy)."""
    rng = np.random.default_rng(3)
    p = np.array([0.5, 0.25, 0.125, 0.125])
    truth = math.exp(-(p * np.log(p)).sum())
    covered = 0
    for t in range(200):
        draws = rng.choice(4, size=(300, 10), p=p)
        log_probs = np.log(p[draws]).sum(axis=1)
        lo, hi = intervals.interval(intervals.perplexity_of(log_probs, [10] * 300), seed=t, resamples=200)
        covered += lo <= truth <= hi
    assert 0.90 <= covered / 200 <= 0.995, covered / 200


def test_too_few_rows_have_no_interval() -> None:
    lo, hi = intervals.interval(intervals.mean_of(np.array([True])))
    assert math.isnan(lo) and math.isnan(hi)
