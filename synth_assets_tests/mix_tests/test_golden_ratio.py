"""He et al. (2025), golden-ratio mixing, through the regime code: each round a half-human mix
(`fixed_fraction` 0.5) of n fresh real rows and n rows sampled from the previous round's model,
weighted by `row_weights`; the model is the weighted mean. Its steady-state error variance is
(sigma^2 / n)(w^2 + (1 - w)^2) / (w(2 - w)): 0.618 sigma^2/n at w = 1/phi, 0.667 at 0.5, 1.0
with real rows only."""

import math

import numpy as np
import pandas as pd
import pytest

from synth_assets.mix.regimes import golden_ratio_error, plan, row_weights, select

N, SIGMA, TRIALS, ROUNDS = 10, 1.0, 4_000, 25
PHI = (1 + math.sqrt(5)) / 2


def _final_errors(w: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    trial = np.repeat(np.arange(TRIALS), N)
    estimate = np.zeros(TRIALS)  # the truth is 0: the estimate is its error
    for r in range(ROUNDS):
        human = pd.DataFrame(
            {
                "id": [f"h{r}-{i}" for i in range(len(trial))],
                "origin": "human",
                "trial": trial,
                "x": rng.normal(0.0, SIGMA, len(trial)),
            }
        )
        synthetic = pd.DataFrame(
            {
                "id": [f"s{r}-{i}" for i in range(len(trial))],
                "origin": "synthetic",
                "trial": trial,
                "x": estimate[trial] + rng.normal(0.0, SIGMA, len(trial)),
            }
        )
        mix_plan = plan("fixed_fraction", 2 * N * TRIALS, 0.5, len(human), len(synthetic))
        mix = select(mix_plan, human, synthetic, None, seed, r)
        weighted = mix["x"] * row_weights(mix["origin"], w)
        estimate = weighted.groupby(mix["trial"]).sum() / row_weights(mix["origin"], w).groupby(mix["trial"]).sum()
        estimate = estimate.to_numpy()
    return estimate


def test_the_closed_form_has_its_minimum_at_one_over_phi() -> None:
    assert golden_ratio_error(1 / PHI) == pytest.approx(1 / PHI)
    assert golden_ratio_error(0.5) == pytest.approx(2 / 3) and golden_ratio_error(1.0) == pytest.approx(1.0)
    grid = np.linspace(0.05, 1.0, 2_000)
    assert grid[np.argmin([golden_ratio_error(w) for w in grid])] == pytest.approx(1 / PHI, abs=1e-3)


@pytest.mark.parametrize("w", [0.3, 0.5, 1 / PHI, 1.0])
def test_weighted_mixing_reaches_the_closed_form_steady_state(w: float) -> None:
    errors = _final_errors(w, seed=int(w * 1000))
    expected = golden_ratio_error(w, SIGMA, N)
    variance = float(np.mean(errors**2))
    stderr = expected * math.sqrt(2 / TRIALS)  # of a Gaussian variance estimate
    z = (variance - expected) / stderr
    print(f"w={w:.3f} variance {variance:.4f} closed form {expected:.4f} z {z:.2f}")
    assert abs(z) < 4


def test_row_weights_give_the_human_rows_their_share() -> None:
    origin = pd.Series(["human", "human", "synthetic", "synthetic", "synthetic"])
    weights = row_weights(origin, 0.618)
    assert weights.sum() == pytest.approx(1.0) and weights[origin == "human"].sum() == pytest.approx(0.618)
    assert row_weights(origin, None).tolist() == [0.2] * 5
    assert row_weights(origin[origin == "human"], 0.618).sum() == pytest.approx(1.0)


def test_a_weighted_mix_reaches_the_student_as_counts() -> None:
    """A text of weight 2 counts as that text twice at the student's top order."""
    from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab

    texts = ["the cat sat", "a dog ran"]
    vocab = build_vocab(texts)
    weighted = KneserNeyLM(vocab).fit(texts, weights=[2.0, 1.0])
    doubled = KneserNeyLM(vocab).fit([texts[0], *texts])
    assert weighted.trigrams == doubled.trigrams
    assert weighted.prob("sat", "the", "cat") == pytest.approx(doubled.prob("sat", "the", "cat"))


def test_final_mix_carries_the_weights_the_experiment_sets() -> None:
    from synth_assets.config.experiments import parse_experiments
    from synth_assets.stages.final_mix import compose_mix
    from synth_assets.stages.row_frames import RowScope

    raw = {"experiments": [{"name": "g", "regime": "fixed_fraction", "human_fraction": 0.5, "human_weight": 0.618,
                            "sizes": {"mix_size": 8}}]}  # fmt: skip
    exp = parse_experiments(raw, "x.yaml").get("g")

    def rows(origin: str, n: int) -> pd.DataFrame:
        return pd.DataFrame({"id": [f"{origin}{i}" for i in range(n)], "origin": origin, "instruction": "t",
                             "input": "", "response": "r", "parent_ids": [[]] * n, "kept": True,
                             "generator": None if origin == "human" else "student:m", "prompt_hash": None})  # fmt: skip

    mix, _ = compose_mix(exp, RowScope("final_mix", "g", 0, "run"), rows("human", 10), rows("synthetic", 10), None)
    human = mix["origin"] == "human"
    assert (human.sum(), (~human).sum()) == (4, 4)
    assert mix["weight"].mean() == pytest.approx(1.0)
    assert mix.loc[human, "weight"].sum() / mix["weight"].sum() == pytest.approx(0.618)
    with pytest.raises(Exception, match="must hold both"):
        parse_experiments({"experiments": [{"name": "r", "regime": "replace", "human_weight": 0.6}]}, "x.yaml")
