"""The neural student on the project's human data, with a small configuration (seconds on 2
cores): it learns, scores the way the n-gram student counts, keeps its best validation loss,
respects row weights, never writes `<unk>`, and saves and loads to the same numbers."""

import math

import numpy as np
import pytest

from synth_assets.core.neural_lm import NeuralConfig, NeuralLM, chunk, forward, init_params
from synth_assets.core.ngram_lm import EOS, UNK, build_vocab
from synth_assets.core.texts import training_texts
from synth_assets.seeds.human_pool import human_rows
from synth_assets_tests.support.paths import PROJECT_DATA

SMALL = NeuralConfig(width=32, layers=1, heads=2, context=32, batch=16, max_steps=150, eval_every=25, patience=2)


@pytest.fixture(scope="module")
def corpora() -> tuple[list[str], list[str]]:
    seeds = training_texts(human_rows(PROJECT_DATA / "seeds", "t", "human_seeds"))
    heldout = training_texts(human_rows(PROJECT_DATA / "heldout", "t", "heldout_human"))
    return seeds, heldout


@pytest.fixture(scope="module")
def vocab(corpora) -> list[str]:
    return build_vocab(corpora[0] + corpora[1])


@pytest.fixture(scope="module")
def trained(corpora, vocab) -> NeuralLM:
    return NeuralLM(vocab, SMALL).fit(corpora[0], seed=3)


def test_chunks_cut_long_texts_and_mask_padding() -> None:
    rows = chunk([[5] * 10, [6, 7]], context=4, eos=0, weights=[2.0, 1.0])
    # [0, 5 x10, 0] is 12 tokens, 11 predictions: rows of 4 predictions (4 + 4 + 3), then [0, 6, 7, 0]
    assert rows.tokens.shape == (4, 5) and rows.text_of_row.tolist() == [0, 0, 0, 1]
    assert rows.weights.sum(axis=1).tolist() == [8.0, 8.0, 6.0, 3.0]
    assert rows.tokens[0].tolist() == [0, 5, 5, 5, 5] and rows.tokens[1].tolist() == [5, 5, 5, 5, 5]
    assert rows.tokens[2].tolist() == [5, 5, 5, 0, 0] and rows.weights[2].tolist() == [2.0, 2.0, 2.0, 0.0]


def test_it_learns_the_human_text(corpora, vocab, trained: NeuralLM) -> None:
    heldout = corpora[1]
    untrained = NeuralLM(vocab, SMALL, init_params(3, len(vocab), SMALL))
    assert untrained.perplexity(heldout) > 0.8 * len(vocab)  # about uniform over the vocabulary
    assert trained.perplexity(heldout) < 0.1 * len(vocab)
    history = trained.history
    assert history["best_validation_loss"] == min(history["validation_losses"])
    assert history["steps"] % SMALL.eval_every == 0 and history["steps"] <= SMALL.max_steps


def test_early_stopping_ends_before_the_step_limit(corpora, vocab) -> None:
    cfg = NeuralConfig(width=32, layers=1, heads=2, context=32, max_steps=5_000, eval_every=25, patience=2)
    model = NeuralLM(vocab, cfg).fit(corpora[0][:40], seed=1)  # 40 texts are learnt by heart early
    assert model.history["steps"] < 1_000
    losses = model.history["validation_losses"]
    assert losses.index(min(losses)) == len(losses) - 1 - cfg.patience


def test_log_prob_is_the_sum_of_next_token_log_probabilities(trained: NeuralLM) -> None:
    import jax

    text = "write a short poem about the sea ."
    ids = [trained.index[EOS], *trained.ids(text), trained.index[EOS]]
    logits = np.asarray(forward(trained.params, np.asarray([ids[:-1]], np.int32), SMALL.heads))[0]
    logp = np.asarray(jax.nn.log_softmax(logits, axis=-1))
    expected = float(sum(logp[i, ids[i + 1]] for i in range(len(ids) - 1)))
    lp, n = trained.log_prob(text)
    assert n == len(text.split()) + 1
    assert lp == pytest.approx(expected, rel=1e-4)
    scored = trained.log_probs([text, "what is 2 + 2 ?"])
    assert trained.perplexity([text, "what is 2 + 2 ?"]) == pytest.approx(
        math.exp(-sum(p for p, _ in scored) / sum(k for _, k in scored))
    )


def test_weights_decide_what_is_learnt(vocab) -> None:
    maths = [f"what is {a} plus {b} ? the answer is {a + b} ." for a in range(20) for b in range(0, 20, 4)]
    poems = [f"write a poem about the {w} and the sea at night ." for w in ("moon", "wind", "rain", "sun") * 25]
    probe = ["write a poem about the moon and the sea at night ."]
    cfg = NeuralConfig(width=32, layers=1, heads=2, context=32, max_steps=100, eval_every=25, patience=4)
    texts = maths + poems
    even = NeuralLM(vocab, cfg).fit(texts, seed=2)
    skewed = NeuralLM(vocab, cfg).fit(texts, [1.0] * len(maths) + [0.01] * len(poems), seed=2)
    assert skewed.perplexity(probe) > 3 * even.perplexity(probe)


def test_samples_are_seeded_and_never_unknown(trained: NeuralLM) -> None:
    a = [trained.sample(np.random.default_rng(7), 30) for _ in range(3)]
    b = [trained.sample(np.random.default_rng(7), 30) for _ in range(3)]
    assert a == b and len(set(a)) == 1  # same generator state, same text
    texts = [trained.sample(np.random.default_rng(s), 30, prefix="write a") for s in range(20)]
    assert all(UNK not in t.split() and len(t.split()) <= 30 for t in texts)
    assert len(set(texts)) > 15


def test_saved_and_loaded_it_scores_and_samples_the_same(corpora, trained: NeuralLM) -> None:
    loaded = NeuralLM.from_bytes(trained.to_bytes())
    assert loaded.config == trained.config and loaded.history == trained.history
    assert loaded.digest() == trained.digest()  # names the artifact's parameter file and its data version
    assert loaded.parameters == trained.parameters > 10_000
    assert loaded.log_probs(corpora[1][:10]) == trained.log_probs(corpora[1][:10])
    assert loaded.sample(np.random.default_rng(1), 20) == trained.sample(np.random.default_rng(1), 20)


def test_cached_decoding_matches_the_full_forward_pass(trained: NeuralLM) -> None:
    """Token by token through the key/value cache gives the logits of the whole-window pass,
    also after the cache is full and refilled from the last half of the context."""
    import jax

    from synth_assets.core.neural_lm import _Decoder

    ctx = SMALL.context
    ids = [trained.index[EOS], *trained.ids(" ".join(["name three colours of the sea and the sky"] * 6))][: ctx + 5]
    decoder = _Decoder(trained)
    stepped = [np.asarray(decoder.feed([t])) for t in ids]

    def full(window: list[int]) -> np.ndarray:
        logits = forward(trained.params, np.asarray([window], np.int32), SMALL.heads)[0, -1]
        return np.asarray(jax.nn.log_softmax(logits))

    for i in (0, 5, ctx - 1):
        np.testing.assert_allclose(stepped[i], full(ids[: i + 1]), atol=1e-4)
    # the token after a full cache sees the last half of the context plus itself
    np.testing.assert_allclose(stepped[ctx], full(ids[ctx // 2 : ctx + 1]), atol=1e-4)
    np.testing.assert_allclose(stepped[ctx + 4], full(ids[ctx // 2 : ctx + 5]), atol=1e-4)
