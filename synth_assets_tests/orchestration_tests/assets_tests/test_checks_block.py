"""Planted bad data: the blocking contract check fails, says why, and stops downstream stages."""

import dagster as dg
import pandas as pd
import pytest

import synth_assets.stages.final_mix as final_mix_stage
import synth_assets.stages.seed_set as seed_set_stage
from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph

pytestmark = pytest.mark.slow


@pytest.fixture
def graph(tmp_path) -> Graph:
    g = Graph(tmp_path)
    assert g.materialize("human_data").success
    return g


def _evaluation(result: dg.ExecuteInProcessResult, stage: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey(stage)]
    return evaluation


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key is not None}  # type: ignore[union-attr]


def _planted_pool(monkeypatch, plant) -> None:
    real = seed_set_stage.pool_from
    monkeypatch.setattr(seed_set_stage, "pool_from", lambda *a, **k: plant(real(*a, **k)))


@pytest.mark.parametrize(
    ("plant", "failed_rule", "sample_contains"),
    [
        (lambda df: pd.concat([df, df.head(3)], ignore_index=True), "expect_column_values_to_be_unique", "see-"),
        (
            lambda df: df.assign(parent_ids=[["hum-gone"]] * len(df)),
            "expect_column_values_to_be_in_set(missing_parents",
            "hum-gone",
        ),
    ],
    ids=["duplicate-ids", "orphaned-parents"],
)
def test_bad_seed_set_blocks_the_round(
    graph: Graph, monkeypatch, plant, failed_rule: str, sample_contains: str
) -> None:
    _planted_pool(monkeypatch, plant)
    result = graph.materialize("pipeline", partition_key("acc", 0))
    evaluation = _evaluation(result, "seed_set")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert failed_rule.split("(")[0] in evaluation.description
    assert sample_contains in evaluation.metadata["expectations"].value
    assert _materialized(result) == {"seed_set"}  # nothing downstream ran


def test_wrong_human_fraction_fails_the_final_mix_check(graph: Graph, monkeypatch) -> None:
    real = final_mix_stage.compose_mix

    def half_human(exp, scope, human, filtered, previous):
        """Every trace kept, whatever the filters made of the model's output, so the mix has rows;
        then half of them claim to be human."""
        df, plan = real(exp, scope, human, filtered.assign(kept=True), previous)
        assert len(df) >= 2
        return df.assign(origin=["human" if i % 2 else "synthetic" for i in range(len(df))]), plan

    monkeypatch.setattr(final_mix_stage, "compose_mix", half_human)
    result = graph.materialize("pipeline", partition_key("rep", 0))  # replace: target human fraction 0
    evaluation = _evaluation(result, "final_mix")
    assert not evaluation.passed
    assert "expect_column_mean_to_be_between(is_human)" in evaluation.description
    assert all(_evaluation(result, s).passed for s in ("seed_set", "cot_traces", "filtered_set"))
