from pathlib import Path

import dagster as dg
import pytest

from synth_assets.filters.funnel import STEP_NAMES
from synth_assets.generate.recipes.registry import RECIPE_INPUTS
from synth_assets.orchestration.assets.sql_models import build_sql_assets
from synth_assets.stages.registry import STAGES
from synth_assets.storage.sql_files import parse_model
from synth_assets.storage.warehouse_models import ROOTS, all_models


def test_project_models_and_their_derived_dependencies() -> None:
    models = {m.name: m for m in all_models()}
    assert {"round_summary", "funnel_rollup", "lineage_nodes", "lineage_summary", "verification_rollup"} <= set(models)
    assert models["round_summary"].deps == (
        "cot_traces", "filtered_set", "final_mix", "generated_instructions", "seed_set", "verification_rollup",
    )  # fmt: skip
    assert models["lineage_summary"].deps == ("final_mix", "lineage_nodes")
    assert models["lineage_nodes"].materialized == "view"
    assert "row_ancestry" not in models  # parameterised queries are not models


def test_generated_models_follow_the_registries() -> None:
    """Every stage and every lineage root (the human inputs) is a lineage node, and every funnel
    step a rollup column, with no SQL edited."""
    models = {m.name: m for m in all_models()}
    roots = {name for name, _ in ROOTS}
    assert roots == {"human_seeds", "constitution", *RECIPE_INPUTS}
    assert set(models["lineage_nodes"].deps) == {*roots, *STAGES}
    assert models["lineage_nodes"].sql.count("union all") == len(roots) + len(STAGES) - 1
    rollup = models["funnel_rollup"].sql
    assert [line.split(" as ")[-1].rstrip(",") for line in rollup.splitlines() if "drop_reason =" in line] == list(
        STEP_NAMES
    )


def test_a_file_may_not_shadow_a_generated_model(tmp_path: Path) -> None:
    (tmp_path / "lineage_nodes.sql").write_text("select 1 as x\n")
    with pytest.raises(ValueError, match=r"lineage_nodes.*would replace a generated model"):
        all_models(tmp_path)


def test_adding_a_file_adds_an_asset_with_lineage(tmp_path: Path) -> None:
    (tmp_path / "kept_per_round.sql").write_text(
        "-- materialized: table\n-- Kept rows per round.\n"
        "select experiment, round, count(*) as n\nfrom main.filtered_set  -- not main.commented_out\n"
        "join main.final_mix using (experiment, round)\ngroup by all\n"
    )
    [asset] = [a for a in build_sql_assets(tmp_path) if a.key == dg.AssetKey("kept_per_round")]
    spec = next(iter(asset.specs))
    assert spec.key == dg.AssetKey("kept_per_round")
    assert {d.asset_key for d in spec.deps} == {dg.AssetKey("filtered_set"), dg.AssetKey("final_mix")}
    assert spec.description == "Kept rows per round."
    assert parse_model(tmp_path / "kept_per_round.sql").materialized == "table"
