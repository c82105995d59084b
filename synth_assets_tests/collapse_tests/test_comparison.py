"""Replicates compared: intervals across seeds and the exact permutation test."""

import itertools

import numpy as np
import pandas as pd
import pytest

from synth_assets.collapse.comparison import last_round_differences, p_floor, permutation_p, summarise


def test_permutation_p_is_exact_for_three_against_three() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([10.0, 11.0, 12.0])
    assert permutation_p(a, b) == pytest.approx(2 / 20)  # only the split observed and its mirror
    assert p_floor(3, 3) == pytest.approx(0.1) and p_floor(4, 4) == pytest.approx(2 / 70)
    same = np.array([1.0, 2.0, 3.0])
    assert permutation_p(same, same.copy()) == 1.0


def test_permutation_p_matches_brute_force_enumeration() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 4), rng.normal(1, 1, 3)
    pooled = np.concatenate([a, b])
    observed = abs(a.mean() - b.mean())
    splits = list(itertools.combinations(range(7), 4))
    extreme = sum(abs(pooled[list(s)].mean() - np.delete(pooled, list(s)).mean()) >= observed - 1e-12 for s in splits)
    assert permutation_p(a, b) == pytest.approx(extreme / len(splits))


def _replicated(means: dict[str, float], spread: float) -> pd.DataFrame:
    rows = []
    for group, mean in means.items():
        for replicate, offset in enumerate((-spread, 0.0, spread)):
            for round_ in (0, 1):
                rows.append(
                    {
                        "experiment": f"{group}-r{replicate}",
                        "experiment_group": group,
                        "round": round_,
                        "heldout_perplexity": mean * (1 + round_) + offset,
                    }
                )
    return pd.DataFrame(rows)


def test_t_interval_across_replicates() -> None:
    s = summarise(_replicated({"a": 10.0}, 1.0), "heldout_perplexity")
    last = s[s["round"] == 1].iloc[0]
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(3), sd of (-1, 0, 1) = 1
    assert last["mean"] == pytest.approx(20.0) and last["hi"] - last["mean"] == pytest.approx(half)
    assert last["replicates"] == 3


def test_separated_groups_hold_and_overlapping_ones_do_not() -> None:
    far = last_round_differences(_replicated({"replace": 30.0, "accumulate": 10.0}, 1.0), ["heldout_perplexity"])
    assert far[["round", "separated"]].values.tolist() == [[1, True]]
    assert far["permutation_p"].iloc[0] == pytest.approx(0.1)
    near = last_round_differences(_replicated({"replace": 10.5, "accumulate": 10.0}, 1.0), ["heldout_perplexity"])
    assert not near["separated"].iloc[0]


def test_single_runs_fall_back_to_their_bootstrap_interval_and_are_not_compared() -> None:
    df = pd.DataFrame(
        {
            "experiment": ["x", "y"],
            "round": [0, 0],
            "heldout_perplexity": [5.0, 6.0],
            "heldout_perplexity_lo": [4.0, 5.5],
            "heldout_perplexity_hi": [6.0, 6.5],
        }
    )
    s = summarise(df, "heldout_perplexity")
    assert s[["group", "lo", "hi"]].values.tolist() == [["x", 4.0, 6.0], ["y", 5.5, 6.5]]
    assert last_round_differences(df, ["heldout_perplexity"]).empty
