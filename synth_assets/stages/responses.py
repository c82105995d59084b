"""Which of a round's responses the stages after the funnel build on (feedback, dialogues)."""

from __future__ import annotations

import pandas as pd


def answered(filtered: pd.DataFrame) -> pd.DataFrame:
    """Traces with a response: no call error, not blank."""
    ok = filtered["error"].isna() & (filtered["response"].fillna("").str.strip() != "")
    return filtered[ok]


def kept_synthetic(filtered: pd.DataFrame) -> pd.DataFrame:
    """The answered synthetic responses the funnel kept (those headed for training), by id."""
    rows = answered(filtered)
    return rows[rows["kept"].astype(bool) & (rows["origin"] == "synthetic")].sort_values("id")
