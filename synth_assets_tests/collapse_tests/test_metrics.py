import math

import pytest

from synth_assets.collapse import metrics


def test_distinct_n() -> None:
    assert metrics.distinct_n(["a b a b"], 1) == 0.5
    assert metrics.distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert metrics.distinct_n([], 2) == 0.0


def test_self_similarity_orders_repetitive_above_diverse() -> None:
    same = ["the cat sat on the mat"] * 5
    diverse = ["the cat sat", "dogs run fast", "sky is blue today", "write a poem", "two plus two"]
    assert metrics.self_similarity(same) == pytest.approx(1.0)
    assert metrics.self_similarity(diverse) < 0.2
    assert math.isnan(metrics.self_similarity(["only one"]))


def test_tail_coverage_and_rare_tokens() -> None:
    human = ["common common common rare1", "common rare2 common"]
    tail = metrics.rare_tokens(human, max_count=1)
    assert tail == {"rare1", "rare2"}
    assert metrics.tail_coverage(["common rare1"], tail) == 0.5
    assert metrics.vocabulary_size(["a b", "b c"]) == 3


def test_js_divergence_bounds() -> None:
    assert metrics.js_divergence(["a b c"], ["a b c"]) == pytest.approx(0.0)
    assert metrics.js_divergence(["a a"], ["b b"]) == pytest.approx(1.0)
    assert metrics.length_stats(["a b", "a b c d"]) == (3.0, 1.0)


@pytest.mark.parametrize("width", [256, None])
def test_a_round_with_an_empty_mix_measures_nan_not_an_error(width: int | None) -> None:
    """A replace round whose funnel kept nothing: every metric of the mix is undefined, not a crash
    (an endpoint embedder does not know its width before its first answer)."""
    import numpy as np

    from synth_assets.collapse.measure import RoundTexts, measure_round
    from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
    from synth_assets.embed.models import embedder

    class Sized:
        name = "sized"

        def embed(self, texts: list[str]) -> np.ndarray:
            out = embedder().embed(texts)
            return out if texts or width else np.zeros((0, 0), dtype=np.float32)

    human = ["the cat sat on the mat", "two plus two is four", "write a poem about rain"]
    model = KneserNeyLM(build_vocab(human)).fit(human)
    values = measure_round(RoundTexts(model, [], human, human, metrics.rare_tokens(human), [], embedder=Sized()))
    for name in ("vendi", "frechet_to_human", "embedding_precision", "embedding_recall", "embedding_coverage"):
        assert math.isnan(values[name]), (name, values[name])
