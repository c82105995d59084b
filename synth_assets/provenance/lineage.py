"""Where each stage's rows come from, derived from the stage declarations: the parents the
blocking checks resolve `parent_ids` against (the `lineage_nodes` model that audits walk is
generated with the other SQL models, in `storage/warehouse_models.py`)."""

from __future__ import annotations

from synth_assets.stages import registry
from synth_assets.stages.spec import Parent


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
