"""The constitution as the feedback steps read it: principles from the `constitution` table
(data/seeds/constitution.jsonl), each drawn per row by a seeded choice so a re-run asks the same
question of the same response."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from synth_assets.core.seeding import derived_rng


@dataclass(frozen=True)
class Principle:
    id: str  # the file's id: what a preference row names
    row_id: str  # the `constitution` row: the lineage parent
    critique: str
    revision: str
    comparison: str


def principles(table: pd.DataFrame) -> list[Principle]:
    """The table's principles in the file's id order (stable whatever order rows are stored in)."""
    rows = table.sort_values("principle_id").to_dict("records")
    return [Principle(r["principle_id"], r["id"], r["critique"], r["revision"], r["comparison"]) for r in rows]


def drawn(constitution: list[Principle], *seed_parts: object) -> Principle:
    """One principle for one row, as Bai et al. sample one per critique."""
    if not constitution:
        raise ValueError("the constitution has no principles (data/seeds/constitution.jsonl is empty)")
    return derived_rng(*seed_parts).choice(constitution)
