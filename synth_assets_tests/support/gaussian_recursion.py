"""The analytic sanity check of Gerstgrasser et al. (2024), after Dohmatob et al. (2024): a sequence
of linear models, each fit by OLS to labels produced by its predecessor, with data either replaced
or accumulated, driven by the same regime code (`mix.regimes`) as the text pipeline.

Setup: a fixed design X (T x d, rows ~ N(0, I)), true weights w*, labels of iteration i
y_i = X w_{i-1} + eps_i with eps_i ~ N(0, sigma^2 I) and w_0 = w*; the test error of w is
E_x[(x.(w - w*))^2] = |w - w*|^2. With u_i = (X'X)^-1 X' eps_i:

- replace (fit only the latest T labels):     w_n - w* = sum_i u_i
  => E[err_n] = n * sigma^2 d / (T - d - 1)                       (grows linearly)
- accumulate (fit all n*T labels so far):   n e_n = sum_i (e_{i-1} + u_i)  =>  e_n = e_{n-1} + u_n / n
  => E[err_n] = sigma^2 d / (T - d - 1) * sum_{i<=n} 1/i^2  <=  pi^2/6 * sigma^2 d / (T - d - 1)

(using E[(X'X)^-1] = I / (T - d - 1) for Gaussian X).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth_assets.mix.regimes import plan, select


def closed_form(regime: str, n: int, sigma: float, d: int, T: int) -> float:
    """Expected test error after n model fits (n = 1 is the model fit to real labels)."""
    base = sigma**2 * d / (T - d - 1)
    if regime == "replace":
        return n * base
    if regime == "accumulate":
        return base * sum(1.0 / i**2 for i in range(1, n + 1))
    raise ValueError(f"no closed form for regime {regime!r}")


@dataclass(frozen=True)
class SimulationResult:
    regime: str
    mean: np.ndarray  # expected test error per iteration 1..n (Monte Carlo mean)
    stderr: np.ndarray


def _training_rows(
    regime: str, iteration: int, previous: pd.DataFrame | None, fresh: pd.DataFrame, T: int, seed: int
) -> pd.DataFrame:
    """Which label rows the next fit sees, decided by the pipeline's regime code. Iteration 1 is
    the real data; later iterations' labels are synthetic (made by the previous model)."""
    if iteration == 1:
        return fresh
    carried = 0 if previous is None else len(previous)
    mix_plan = plan(regime, T, None, human_available=0, synthetic_available=len(fresh), carried=carried)
    return select(mix_plan, fresh.iloc[0:0], fresh, previous, seed, iteration)


def simulate(
    regime: str, iterations: int, d: int = 10, T: int = 50, sigma: float = 1.0, trials: int = 400, seed: int = 0
) -> SimulationResult:
    rng = np.random.default_rng(seed)
    errors = np.zeros((trials, iterations))
    for trial in range(trials):
        X = rng.standard_normal((T, d))
        w_star = rng.standard_normal(d)
        w = w_star
        labels: list[np.ndarray] = []  # label vectors by generation
        previous: pd.DataFrame | None = None
        for n in range(1, iterations + 1):
            labels.append(X @ w + sigma * rng.standard_normal(T))
            fresh = pd.DataFrame({"id": [f"{n}:{t}" for t in range(T)], "gen": n - 1, "row": range(T)})
            train = _training_rows(regime, n, previous, fresh, T, seed)
            design = X[train["row"].to_numpy()]
            target = np.array([labels[g][r] for g, r in zip(train["gen"], train["row"], strict=True)])
            w, *_ = np.linalg.lstsq(design, target, rcond=None)
            errors[trial, n - 1] = float(np.sum((w - w_star) ** 2))
            previous = train
    return SimulationResult(regime, errors.mean(axis=0), errors.std(axis=0, ddof=1) / np.sqrt(trials))
