"""The linear-regression recursion against its closed form, within Monte Carlo error."""

import numpy as np
import pytest

from synth_assets_tests.support.gaussian_recursion import closed_form, simulate

D, T, SIGMA, ITERATIONS = 10, 50, 1.0, 8


@pytest.mark.parametrize("regime", ["replace", "accumulate"])
def test_simulation_matches_the_closed_form(regime: str) -> None:
    result = simulate(regime, ITERATIONS, d=D, T=T, sigma=SIGMA, trials=500, seed=1)
    expected = np.array([closed_form(regime, n, SIGMA, D, T) for n in range(1, ITERATIONS + 1)])
    z = (result.mean - expected) / result.stderr
    # 8 correlated iterations: |z| < 4 everywhere fails by chance far less than once in 10^3 runs
    assert np.all(np.abs(z) < 4), f"z-scores {np.round(z, 2)}"


def test_replace_grows_linearly_and_accumulate_stays_bounded() -> None:
    base = SIGMA**2 * D / (T - D - 1)
    assert closed_form("replace", 10, SIGMA, D, T) == pytest.approx(10 * base)
    assert closed_form("accumulate", 10_000, SIGMA, D, T) < np.pi**2 / 6 * base
    rep = simulate("replace", ITERATIONS, d=D, T=T, trials=200, seed=2).mean
    acc = simulate("accumulate", ITERATIONS, d=D, T=T, trials=200, seed=2).mean
    assert rep[-1] > 5 * rep[0] and acc[-1] < 1.8 * acc[0]
