"""How each regime composes a round's training mix.

- replace: N synthetic rows of this round only (the setup known to collapse);
- accumulate: everything the previous round trained on, plus up to N new synthetic rows
  (round 0 starts from N human rows), so data grows and human rows are never dropped;
- fixed_fraction h: N rows of which round(h*N) are human. When synthetic rows run short the mix
  shrinks rather than drift, so the human fraction stays exact.

A mix may also weight its rows (`row_weights`): the human rows together carry weight w, the
synthetic ones 1 - w. He et al. (2025) show that with n real and n synthetic rows a round, the
steady-state error of an estimate refit each round is (sigma^2 / n)(w^2 + (1 - w)^2) / (w(2 - w)),
smallest at w = 1/phi = 0.618, not at the 0.5 an unweighted half-and-half mix gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from synth_assets.core.seeding import derived_seed


@dataclass(frozen=True)
class MixPlan:
    human: int
    synthetic: int
    carried: int = 0
    shortfall: int = 0


def plan(
    regime: str,
    mix_size: int,
    human_fraction: float | None,
    human_available: int,
    synthetic_available: int,
    carried: int = 0,
) -> MixPlan:
    if regime == "replace":
        take = min(mix_size, synthetic_available)
        return MixPlan(0, take, shortfall=mix_size - take)
    if regime == "accumulate":
        human = min(mix_size, human_available) if carried == 0 else 0
        take = min(mix_size, synthetic_available)
        return MixPlan(human, take, carried, shortfall=mix_size - take)
    if regime == "fixed_fraction":
        h = float(human_fraction if human_fraction is not None else 0.0)
        total = mix_size if h >= 1 else min(mix_size, math.floor(synthetic_available / (1 - h) + 1e-9))
        human = min(round(h * total), human_available)
        return MixPlan(human, min(total - human, synthetic_available), shortfall=mix_size - total)
    raise ValueError(f"unknown regime {regime!r}")


def row_weights(origin: pd.Series, human_weight: float | None) -> pd.Series:
    """Training weight per row, summing to 1: equal for all rows without `human_weight`;
    otherwise the human rows share `human_weight` and the synthetic rows the rest (a mix with
    one kind only gives that kind all of it)."""
    if not len(origin):
        return pd.Series(dtype=float, index=origin.index)
    human = origin == "human"
    if human_weight is None or human.all() or not human.any():
        return pd.Series(1.0 / len(origin), index=origin.index)
    return human.map({True: human_weight / human.sum(), False: (1 - human_weight) / (~human).sum()}).astype(float)


def golden_ratio_error(human_weight: float, sigma: float = 1.0, n: int = 1) -> float:
    """He et al. (2025): steady-state variance of the weighted estimate of a mean."""
    w = human_weight
    return sigma**2 / n * (w**2 + (1 - w) ** 2) / (w * (2 - w))


def sample(df: pd.DataFrame, n: int, *seed_parts: object) -> pd.DataFrame:
    """Seeded sample without replacement, in a stable order."""
    if n >= len(df):
        return df
    return df.sample(n=n, random_state=derived_seed(*seed_parts) % (2**32 - 1))


def select(
    mix_plan: MixPlan, human: pd.DataFrame, synthetic: pd.DataFrame, carried: pd.DataFrame | None, *seed_parts: object
) -> pd.DataFrame:
    """Rows chosen for the mix (carried first, then human, then synthetic)."""
    parts = []
    if carried is not None and mix_plan.carried:
        parts.append(carried)
    parts.append(sample(human, mix_plan.human, *seed_parts, "human"))
    parts.append(sample(synthetic, mix_plan.synthetic, *seed_parts, "synthetic"))
    return pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else human.iloc[0:0]
