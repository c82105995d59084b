from pathlib import Path

import dagster as dg

from synth_assets.assets.sql_models import build_sql_assets
from synth_assets.sql_files import load_models, parse_model


def test_project_models_and_their_derived_dependencies() -> None:
    models = {m.name: m for m in load_models()}
    assert {"round_summary", "funnel_rollup", "lineage_nodes", "lineage_summary"} <= set(models)
    assert models["lineage_summary"].deps == ("final_mix", "lineage_nodes")
    assert models["lineage_nodes"].materialized == "view"
    assert "row_ancestry" not in models  # parameterised queries are not models


def test_adding_a_file_adds_an_asset_with_lineage(tmp_path: Path) -> None:
    (tmp_path / "kept_per_round.sql").write_text(
        "-- materialized: table\n-- Kept rows per round.\n"
        "select experiment, round, count(*) as n\nfrom main.filtered_set  -- not main.commented_out\n"
        "join main.final_mix using (experiment, round)\ngroup by all\n"
    )
    [asset] = build_sql_assets(tmp_path)
    spec = next(iter(asset.specs))
    assert spec.key == dg.AssetKey("kept_per_round")
    assert {d.asset_key for d in spec.deps} == {dg.AssetKey("filtered_set"), dg.AssetKey("final_mix")}
    assert spec.description == "Kept rows per round."
    assert parse_model(tmp_path / "kept_per_round.sql").materialized == "table"
