"""Building stage rows that carry the contract columns plus a stage's own fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from synth_assets import schemas
from synth_assets.rows import Origin, contract, row_id

TASK_FIELDS = ("family", "task_type", "instruction", "input", "reference_answer")


def task_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in TASK_FIELDS}


def make_row(
    stage: str,
    experiment: str,
    round_: int,
    parents: list[str],
    origin: Origin,
    generator: str | None,
    prompt_hash: str | None,
    run_id: str,
    content: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`content` feeds the id; `extra` holds derived fields that must not change identity."""
    id_ = row_id(stage, experiment, round_, parents, content)
    return {
        **contract(experiment, round_, id_, parents, origin, generator, prompt_hash, run_id),
        **content,
        **(extra or {}),
    }


def frame(rows: list[dict[str, Any]], schema_name: str) -> pd.DataFrame:
    schema = getattr(schemas, schema_name)
    return pd.DataFrame(rows, columns=schemas.column_names(schema))


def nullable(value: Any) -> Any:
    """DuckDB hands back NaN/NA for SQL NULL in object columns; rows want None."""
    return None if value is None or (isinstance(value, float) and value != value) or value is pd.NA else value
