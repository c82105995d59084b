"""Where each stage's rows come from, derived from the stage declarations: the parents the
blocking checks resolve `parent_ids` against, and the `lineage_nodes` model audits walk."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from synth_assets import schemas
from synth_assets.sql_files import SqlModel
from synth_assets.stages import registry
from synth_assets.stages.spec import Parent

# Tables outside the pipeline whose rows are lineage roots.
ROOTS: tuple[tuple[str, dg.TableSchema], ...] = (("human_seeds", schemas.HUMAN_SEEDS),)
_NODE_COLUMNS = ("instruction", "response", "verdict", "verifier", "drop_reason")


def upstreams(stage: str, round_: int) -> tuple[Parent, ...]:
    spec = registry.stage(stage)
    return spec.parents_of_round(round_) if spec else ()


def upstream_query(up: Parent, experiment: str, round_: int) -> tuple[str, list[object]] | None:
    """SQL for the ids a row of (experiment, round) may point at in one upstream table."""
    target = round_ + up.round_offset
    if target < 0:
        return None
    if not up.partitioned:
        return f"select id from main.{up.stage}", []
    kept = " and kept" if up.kept_only else ""
    return f"select id from main.{up.stage} where experiment = ? and round = ?{kept}", [experiment, target]


def _node_select(stage: str, schema: dg.TableSchema) -> str:
    have = set(schemas.column_names(schema))
    fields = ", ".join(c if c in have else f"null::VARCHAR as {c}" for c in _NODE_COLUMNS)
    return (
        f"select '{stage}' as stage, experiment, round, id, parent_ids, origin, generator, prompt_hash, run_id, "
        f"{fields}\nfrom main.{stage}"
    )


def lineage_nodes_model() -> SqlModel:
    """Every row of every stage in one shape: the node table provenance audits walk. Ids are
    unique across stages (the stage is part of the hash), so parent_ids resolve here."""
    tables = [*ROOTS, *((s.name, s.schema) for s in registry.pipeline())]
    sql = "\nunion all\n".join(_node_select(name, schema) for name, schema in tables) + "\n"
    return SqlModel(
        name="lineage_nodes",
        sql=sql,
        deps=tuple(sorted(name for name, _ in tables)),
        materialized="view",
        description="Every row of every stage in one shape: the node table provenance audits walk "
        "(generated from the stage declarations).",
        path=Path(__file__),
    )
