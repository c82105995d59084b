"""Every SQL model of the warehouse: the files in `dbt_like_sql/` and the two generated from the
registries (`lineage_nodes` from the stage declarations, `funnel_rollup` from the funnel's
steps), so a new stage or filter step needs no SQL edit."""

from __future__ import annotations

from pathlib import Path

from synth_assets.filters import funnel
from synth_assets.lineage import lineage_nodes_model
from synth_assets.sql_files import SQL_DIR, SqlModel, load_models


def funnel_rollup_model() -> SqlModel:
    return SqlModel(
        name="funnel_rollup",
        sql=funnel.rollup_sql(),
        deps=("filtered_set",),
        materialized="table",
        description="The filter funnel per experiment and round: rows entering, dropped per step, kept "
        "(generated from the funnel's steps).",
        path=Path(funnel.__file__),
    )


def all_models(folder: Path = SQL_DIR) -> list[SqlModel]:
    generated = [lineage_nodes_model(), funnel_rollup_model()]
    files = load_models(folder)
    clash = {m.name for m in files} & {m.name for m in generated}
    if clash:
        raise ValueError(f"{folder}: {sorted(clash)} would replace a generated model; rename the file")
    return sorted([*files, *generated], key=lambda m: m.name)
