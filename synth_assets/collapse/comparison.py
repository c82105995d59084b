"""Regimes compared across replicates: mean and interval per round, and which differences at
the last round hold beyond chance.

The unit is the replicate (one seed, one run of every round), not the row: rows of one run share
its whole history, so only replicates are independent. Per group and round the report draws the
replicates' mean with a 95% t-interval (k - 1 degrees of freedom); a group of one run falls back
to that run's own bootstrap interval (`collapse/intervals.py`), which counts only the sampling of
its rows, not the run-to-run variation.

A difference holds when the two groups' intervals do not overlap, and the exact permutation test
of the difference in means (every split of the pooled replicates) is reported beside it. With k
replicates a side the smallest two-sided p that test can give is 2 / C(2k, k): 0.1 at three, 0.029
at four; the floor is printed with each p so a reader sees what the design can show.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from synth_assets.collapse.measure import interval_columns

LEVEL = 0.95


def with_groups(df: pd.DataFrame) -> pd.DataFrame:
    """Rows written before replicates existed have no group: each is its own."""
    out = df.copy()
    if "experiment_group" not in out.columns:
        out["experiment_group"] = None
    out["experiment_group"] = out["experiment_group"].fillna(out["experiment"])
    return out


def summarise(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per group and round: mean, lower and upper end, replicates."""
    lo_col, hi_col = interval_columns(metric)
    rows = []
    for (group, round_), part in with_groups(df).groupby(["experiment_group", "round"], sort=True):
        values = part[metric].astype(float).dropna().to_numpy()
        if not len(values):
            continue
        mean = float(values.mean())
        if len(values) > 1:
            half = stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
            lo, hi = mean - half, mean + half
        elif lo_col in part.columns:
            lo, hi = float(part[lo_col].iloc[0]), float(part[hi_col].iloc[0])
        else:
            lo = hi = float("nan")
        rows.append({"group": group, "round": int(round_), "mean": mean, "lo": lo, "hi": hi, "replicates": len(values)})
    return pd.DataFrame(rows, columns=["group", "round", "mean", "lo", "hi", "replicates"])


def permutation_p(a: np.ndarray, b: np.ndarray) -> float:
    """Exact two-sided p of the difference in means over every split of the pooled values."""
    pooled = np.concatenate([a, b])
    observed = abs(a.mean() - b.mean())
    total = pooled.sum()
    hits = count = 0
    for chosen in combinations(range(len(pooled)), len(a)):
        picked = pooled[list(chosen)].sum()
        diff = abs(picked / len(a) - (total - picked) / len(b))
        hits += diff >= observed - 1e-12
        count += 1
    return hits / count


def p_floor(k_a: int, k_b: int) -> float:
    """The smallest p `permutation_p` can return for these group sizes."""
    return 2 / math.comb(k_a + k_b, k_a) if k_a == k_b else 1 / math.comb(k_a + k_b, k_a)


def last_round_differences(df: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """For each pair of groups with replicates on both sides, at the last round both reached."""
    df = with_groups(df)
    replicated = [g for g, part in df.groupby("experiment_group") if part["experiment"].nunique() > 1]
    rows = []
    for a, b in combinations(sorted(replicated), 2):
        round_ = min(df.loc[df["experiment_group"] == g, "round"].max() for g in (a, b))
        at = df[df["round"] == round_]
        for metric in metrics:
            va = at.loc[at["experiment_group"] == a, metric].astype(float).dropna().to_numpy()
            vb = at.loc[at["experiment_group"] == b, metric].astype(float).dropna().to_numpy()
            if len(va) < 2 or len(vb) < 2:
                continue
            sa, sb = (summarise(at[at["experiment_group"] == g], metric).iloc[0] for g in (a, b))
            rows.append(
                {
                    "metric": metric,
                    "round": int(round_),
                    "a": a,
                    "b": b,
                    "mean_a": sa["mean"],
                    "interval_a": f"[{sa['lo']:.4g}, {sa['hi']:.4g}]",
                    "mean_b": sb["mean"],
                    "interval_b": f"[{sb['lo']:.4g}, {sb['hi']:.4g}]",
                    "replicates": f"{len(va)} v {len(vb)}",
                    "separated": bool(sa["hi"] < sb["lo"] or sb["hi"] < sa["lo"]),
                    "permutation_p": permutation_p(va, vb),
                    "p_floor": p_floor(len(va), len(vb)),
                }
            )
    return pd.DataFrame(rows)


def verdicts(differences: pd.DataFrame, titles: dict[str, str]) -> list[str]:
    """One sentence per compared pair and metric, for the report's reader."""
    out = []
    for r in differences.itertuples():
        held = "holds beyond the intervals" if r.separated else "is within the intervals (not shown to differ)"
        out.append(
            f"{titles.get(r.metric, r.metric)}, round {r.round}: {r.a} {r.mean_a:.4g} {r.interval_a} vs {r.b} "
            f"{r.mean_b:.4g} {r.interval_b} ({r.replicates} replicates): the difference {held}; exact "
            f"permutation p = {r.permutation_p:.3g} (smallest possible {r.p_floor:.3g})"
        )
    return out
