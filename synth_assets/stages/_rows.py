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


def derive_row(
    stage: str,
    experiment: str,
    round_: int,
    src: Mapping[str, Any],
    run_id: str,
    content: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A row made from one upstream row: it names that row as parent and inherits who wrote the content."""
    return make_row(
        stage,
        experiment,
        round_,
        [src["id"]],
        src["origin"],
        nullable(src["generator"]),
        nullable(src["prompt_hash"]),
        run_id,
        content,
        extra,
    )


def copy_task_rows(
    stage: str, source: pd.DataFrame, experiment: str, round_: int, run_id: str, schema_name: str
) -> pd.DataFrame:
    """Rows that carry a task and its response forward unchanged (pools and mixes)."""
    rows = [
        derive_row(
            stage,
            experiment,
            round_,
            src,
            run_id,
            {**{k: nullable(v) for k, v in task_fields(src).items()}, "response": src["response"]},
        )
        for src in source.to_dict("records")
    ]
    return frame(rows, schema_name)


def frame(rows: list[dict[str, Any]], schema_name: str) -> pd.DataFrame:
    schema = getattr(schemas, schema_name)
    return pd.DataFrame(rows, columns=schemas.column_names(schema))


def nullable(value: Any) -> Any:
    """DuckDB hands back NaN/NA for SQL NULL in object columns; rows want None."""
    return None if value is None or (isinstance(value, float) and value != value) or value is pd.NA else value
