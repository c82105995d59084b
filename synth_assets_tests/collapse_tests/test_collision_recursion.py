"""Seddik et al. (2024): a categorical distribution refit each generation from n samples of the
previous one (replace) has expected collision probability

    S_m = 1 - (1 - 1/n)^m (1 - S_0),      S = sum_i p_i^2,

so it climbs to 1 (one category left) whatever it started at. Checked within Monte Carlo error
through the pipeline's regime code (`mix.regimes`) and through the n-gram student itself: with
no discount, its next-word distribution after a seen context is the maximum-likelihood one, and
a generation is the student's own samples after that context.
"""

import numpy as np
import pandas as pd
import pytest

from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.mix.regimes import plan, select

K, N, GENERATIONS = 12, 30, 8
P0 = np.linspace(1.0, 3.0, K) / np.linspace(1.0, 3.0, K).sum()
S0 = float((P0**2).sum())


def closed_form(m: int, n: int = N, s0: float = S0) -> float:
    return 1 - (1 - 1 / n) ** m * (1 - s0)


def _replaced(fresh: pd.DataFrame, generation: int, seed: int) -> pd.DataFrame:
    """The next training set as `final_mix` composes it under `replace`."""
    mix_plan = plan("replace", N, None, human_available=0, synthetic_available=len(fresh))
    return select(mix_plan, fresh.iloc[0:0], fresh, None, seed, generation)


def _z(collisions: np.ndarray) -> np.ndarray:
    expected = np.array([closed_form(m) for m in range(1, GENERATIONS + 1)])
    stderr = collisions.std(axis=0, ddof=1) / np.sqrt(len(collisions))
    return (collisions.mean(axis=0) - expected) / stderr


def test_refit_categorical_follows_the_closed_form_through_the_regime_code() -> None:
    rng = np.random.default_rng(0)
    trials = 1_000
    collisions = np.zeros((trials, GENERATIONS))
    for t in range(trials):
        p = P0
        for m in range(1, GENERATIONS + 1):
            fresh = pd.DataFrame({"id": [f"{m}-{i}" for i in range(N)], "category": rng.choice(K, N, p=p)})
            train = _replaced(fresh, m, t)
            p = np.bincount(train["category"], minlength=K) / len(train)
            collisions[t, m - 1] = (p**2).sum()
    z = _z(collisions)
    # 8 correlated generations: |z| < 4 everywhere fails by chance far less than once in 10^3 runs
    print(f"largest |z| {np.abs(z).max():.2f}")
    assert np.all(np.abs(z) < 4), f"z-scores {np.round(z, 2)}"
    assert collisions.mean(axis=0)[-1] > S0 + 0.15  # it moves: the test would see a wrong formula


WORDS = [f"w{i}" for i in range(K)]


def _student_collision(model: KneserNeyLM) -> float:
    return sum(model.prob(w, "red", "fox") ** 2 for w in WORDS)


def test_the_n_gram_students_next_word_distribution_collapses_as_the_closed_form_says() -> None:
    rng = np.random.default_rng(1)
    vocab = build_vocab(["red fox", *WORDS])
    trials = 300
    collisions = np.zeros((trials, GENERATIONS))
    for t in range(trials):
        texts = [f"red fox {w}" for w in rng.choice(WORDS, N, p=P0)]  # the human generation
        for m in range(1, GENERATIONS + 1):
            model = KneserNeyLM(vocab, discount=0.0).fit(texts)
            collisions[t, m - 1] = _student_collision(model)
            fresh = pd.DataFrame(
                {
                    "id": [f"{m}-{i}" for i in range(N)],
                    "text": [f"red fox {model.sample(rng, 1, prefix='red fox')}" for _ in range(N)],
                }
            )
            texts = _replaced(fresh, m, t)["text"].tolist()
    z = _z(collisions)
    print(f"largest |z| {np.abs(z).max():.2f}")
    assert np.all(np.abs(z) < 4), f"z-scores {np.round(z, 2)}"
    assert collisions[:, 0].mean() == pytest.approx(closed_form(1), abs=0.02)
