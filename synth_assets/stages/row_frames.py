"""Building stage rows that carry the contract columns plus a stage's own fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd

from synth_assets.core.rows import Origin, contract, nullable, row_id
from synth_assets.stages import schemas

TASK_FIELDS = ("family", "task_type", "instruction", "input", "reference_answer", "recipe")


def task_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """Absent fields are null: a task from before its table had the column, or a hand-made frame."""
    return {k: nullable(row.get(k)) for k in TASK_FIELDS}


@dataclass(frozen=True)
class RowScope:
    """Where rows are made: one stage's partition in one run. Stage and partition are part of
    every row's id, so the same text reached by two paths stays two rows."""

    stage: str
    experiment: str
    round_: int
    run_id: str

    def row(
        self,
        parents: list[str],
        content: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        *,
        origin: Origin = "synthetic",
        generator: str | None = None,
        prompt_hash: str | None = None,
    ) -> dict[str, Any]:
        """`content` feeds the id; `extra` holds derived fields that must not change identity."""
        id_ = row_id(self.stage, self.experiment, self.round_, parents, content)
        head = contract(self.experiment, self.round_, id_, parents, origin, generator, prompt_hash, self.run_id)
        return {**head, **content, **(extra or {})}

    def derive(
        self, src: Mapping[str, Any], content: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A row made from one upstream row: it names that row as parent and inherits who wrote the content."""
        return self.row(
            [src["id"]],
            content,
            extra,
            origin=src["origin"],
            generator=nullable(src["generator"]),
            prompt_hash=nullable(src["prompt_hash"]),
        )

    def copy_tasks(self, source: pd.DataFrame) -> list[dict[str, Any]]:
        """Rows that carry a task and its response forward unchanged (pools and mixes)."""
        return [
            self.derive(src, {**task_fields(src), "response": src["response"]}) for src in source.to_dict("records")
        ]


def frame(rows: list[dict[str, Any]], schema: dg.TableSchema) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=schemas.column_names(schema))
