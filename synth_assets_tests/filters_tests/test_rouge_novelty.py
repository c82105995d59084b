"""ROUGE-L novelty must make exactly the decisions of Self-Instruct's reference loop."""

import random

import pytest

from synth_assets.filters import rouge_novelty, rouge_tokens
from synth_assets.filters.rouge_novelty import novelty_scores
from synth_assets_tests.support.rouge_reference import reference_novelty

WORDS = "write a short poem story list three ideas about the cat dog sun rain city give explain why how".split()


def _texts(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 9))]
        out.append(" ".join(w.upper() if rng.random() < 0.1 else w for w in words) + rng.choice(["", ".", "?!"]))
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_same_decisions_as_the_reference(seed: int, threshold: float) -> None:
    rng = random.Random(seed)
    pool, cands = _texts(rng, 40), _texts(rng, 600)  # > one block of 256, so block merging is exercised
    assert rouge_novelty(cands, pool, threshold) == reference_novelty(cands, pool, threshold)


def test_accepted_candidates_join_the_pool() -> None:
    cands = ["list three ideas for a party", "list three ideas for a party!", "explain why the sky is blue"]
    assert rouge_novelty(cands, pool=[]) == [True, False, True]


def test_threshold_is_strict_greater_than() -> None:
    # "a b c d" vs "a b c x": LCS 3 of 4 -> F = 0.75
    [(keep, score)] = novelty_scores(["a b c d"], ["a b c x"], threshold=0.75)
    assert keep and score == pytest.approx(0.75)
    assert rouge_novelty(["a b c d"], ["a b c x"], threshold=0.74) == [False]


def test_tokenizer_matches_rouge_score() -> None:
    from rouge_score import tokenize

    for text in ["Hello, World! 42 times", "Ünïcode and  tabs\tok", "", "--"]:
        assert rouge_tokens(text) == tokenize.tokenize(text, None)
