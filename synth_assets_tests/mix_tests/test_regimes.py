import math

import pandas as pd
import pytest

from synth_assets.mix.regimes import MixPlan, plan, sample, select


@pytest.mark.parametrize(
    ("regime", "h", "human_avail", "syn_avail", "carried", "expected"),
    [
        ("replace", None, 100, 80, 0, MixPlan(0, 40)),
        ("replace", None, 100, 25, 0, MixPlan(0, 25, shortfall=15)),
        ("accumulate", None, 100, 80, 0, MixPlan(40, 40)),
        ("accumulate", None, 100, 80, 80, MixPlan(0, 40, carried=80)),
        ("fixed_fraction", 0.25, 100, 80, 0, MixPlan(10, 30)),
        ("fixed_fraction", 0.5, 100, 80, 0, MixPlan(20, 20)),
        ("fixed_fraction", 1.0, 100, 0, 0, MixPlan(40, 0)),
        ("fixed_fraction", 0.0, 100, 80, 0, MixPlan(0, 40)),
        # synthetic short: the mix shrinks so the fraction stays exact (12 / 0.75 = 16 rows)
        ("fixed_fraction", 0.25, 100, 12, 0, MixPlan(4, 12, shortfall=24)),
    ],
)
def test_plan_counts(regime, h, human_avail, syn_avail, carried, expected) -> None:
    assert plan(regime, 40, h, human_avail, syn_avail, carried) == expected


@pytest.mark.parametrize("h", [0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("syn", [0, 1, 3, 7, 19, 50])
def test_fixed_fraction_never_overdraws_and_stays_close_to_h(h: float, syn: int) -> None:
    """At every size: the human count is h x total rounded (never more than half a row off), and
    the mix is as large as the synthetic rows allow at that fraction."""
    p = plan("fixed_fraction", 20, h, 100, syn)
    assert p.synthetic <= syn and p.human + p.synthetic <= 20
    total = p.human + p.synthetic
    largest = min(20, math.floor(syn / (1 - h) + 1e-9))
    assert largest - 1 <= total <= largest
    assert abs(p.human - h * total) <= 0.5 + 1e-9, p
    assert (total == 0) == (largest == 0)


def _frame(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"{prefix}{i}" for i in range(n)], "origin": [prefix] * n})


def test_select_is_seeded_and_composes_carried_human_synthetic() -> None:
    human, syn, prev = _frame("h", 50), _frame("s", 30), _frame("p", 7)
    p = MixPlan(5, 10, carried=7)
    a = select(p, human, syn, prev, 1, 2)
    b = select(p, human, syn, prev, 1, 2)
    assert a["id"].tolist() == b["id"].tolist()
    assert a["id"].str[0].value_counts().to_dict() == {"p": 7, "h": 5, "s": 10}
    assert a["id"].is_unique
    c = select(p, human, syn, prev, 1, 3)
    assert set(c["id"]) != set(a["id"])


def test_sample_takes_everything_when_short() -> None:
    df = _frame("x", 3)
    assert sample(df, 10, 0).equals(df)
