"""What a student reads from a table row: the instruction, its input and the response, as one text."""

from __future__ import annotations

import pandas as pd


def training_texts(df: pd.DataFrame) -> list[str]:
    parts = [df[c].fillna("").astype(str) for c in ("instruction", "input", "response") if c in df.columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    return [" ".join(t.split()) for t in joined]
