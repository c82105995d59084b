"""The real asset graph on a temp DuckDB with the real local model: two rounds of one experiment."""

import shutil

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from synth_assets.collapse import metrics as collapse_metrics
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.core.texts import training_texts
from synth_assets.filters.funnel import STEP_NAMES as STEPS_FUNNEL
from synth_assets.stages.registry import STAGES
from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph

pytestmark = pytest.mark.slow
STAGE_PARENTS = {  # stage -> tables (same partition) its parents must exist in
    "generated_instructions": ["seed_set"],
    "cot_traces": ["generated_instructions", "seed_set"],
    "verified_traces": ["cot_traces"],
    "filtered_set": ["verified_traces"],
}


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    g = Graph(tmp_path_factory.mktemp("graph"))
    assert g.materialize("human_data").success
    return g


def test_missing_previous_round_fails_naming_the_partition(graph: Graph) -> None:
    result = graph.materialize("pipeline", partition_key("acc", 1))
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message
    assert "final_mix of round 0" in message and "Materialize partition 'acc|0'" in message


@pytest.fixture(scope="module")
def two_rounds(graph: Graph) -> dict[int, dg.ExecuteInProcessResult]:
    runs = {r: graph.materialize("pipeline", partition_key("acc", r)) for r in (0, 1, 2)}
    assert all(r.success for r in runs.values())
    return runs


def test_every_parent_exists_upstream(graph: Graph, two_rounds) -> None:
    human = set(graph.table("human_seeds")["id"])
    for r in (0, 1):
        where = f"where experiment = 'acc' and round = {r}"
        seeds = graph.table("seed_set", where)
        expected_seed_parents = human if r == 0 else set(graph.table("final_mix", "where round = 0")["id"])
        assert seeds["parent_ids"].map(lambda p, e=expected_seed_parents: set(p) <= e).all()
        for stage, upstreams in STAGE_PARENTS.items():
            ids = set().union(*(set(graph.table(u, where)["id"]) for u in upstreams))
            rows = graph.table(stage, where)
            assert len(rows), f"{stage} round {r} is empty"
            orphans = rows[~rows["parent_ids"].map(lambda p, ids=ids: len(p) > 0 and set(p) <= ids)]
            assert orphans.empty, f"{stage} round {r}: orphaned rows {orphans['id'].tolist()[:3]}"
        mix = graph.table("final_mix", where)
        allowed = set(graph.table("filtered_set", where + " and kept")["id"]) | human
        if r > 0:
            allowed |= set(graph.table("final_mix", "where round = 0")["id"])
        assert mix["parent_ids"].map(lambda p, a=allowed: set(p) <= a).all()


def test_round_one_rows_trace_back_to_human_seeds(graph: Graph, two_rounds) -> None:
    parents: dict[str, list[str]] = {}
    for name in (
        "human_seeds",
        "seed_set",
        "generated_instructions",
        "cot_traces",
        "verified_traces",
        "filtered_set",
        "final_mix",
    ):
        for rid, pids in graph.table(name)[["id", "parent_ids"]].itertuples(index=False):
            parents[rid] = list(pids)
    human = set(graph.table("human_seeds")["id"])

    def reaches_human(rid: str, depth: int = 0) -> bool:
        assert depth < 40, "cycle in lineage"
        return rid in human or any(reaches_human(p, depth + 1) for p in parents[rid])

    final = graph.table("final_mix", "where round = 1")
    assert len(final) > 0 and all(reaches_human(rid) for rid in final["id"])


def test_contract_columns_and_origins(graph: Graph, two_rounds) -> None:
    mix = graph.table("final_mix", "where experiment = 'acc'")
    assert mix["id"].is_unique
    assert set(mix["origin"]) <= {"human", "synthetic"}
    synthetic = mix[mix["origin"] == "synthetic"]
    assert synthetic["generator"].str.startswith("llamacpp:").all()
    assert synthetic["prompt_hash"].notna().all()
    run_ids = {r.run_id for r in two_rounds.values()}
    assert set(mix["run_id"]) == run_ids
    # accumulate carries every round-0 row into round 1, unchanged, each once, as its parent
    r0, r1 = mix[mix["round"] == 0], mix[mix["round"] == 1]
    carried = r1[r1["parent_ids"].map(lambda ps: bool(set(ps) & set(r0["id"])))]
    assert sorted(p for ps in carried["parent_ids"] for p in ps) == sorted(r0["id"])
    pairs = lambda df: sorted(zip(df["instruction"], df["response"], strict=True))  # noqa: E731
    assert pairs(carried) == pairs(r0) and (r1.drop(carried.index)["origin"] == "synthetic").all()


def test_cross_round_edge_is_recorded_in_metadata(graph: Graph, two_rounds) -> None:
    record = graph.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("seed_set"), asset_partitions=[partition_key("acc", 1)]), limit=1
    ).records[0]
    meta = record.asset_materialization.metadata
    assert meta["upstream"].value == "final_mix[acc|0]"
    assert meta["upstream_run_id"].value == two_rounds[0].run_id
    mix_meta = (
        graph.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("final_mix"), asset_partitions=[partition_key("acc", 0)]),
            limit=1,
        )
        .records[0]
        .asset_materialization.metadata
    )
    assert {"preview", "by_origin", "human_fraction", "dagster/row_count"} <= set(mix_meta)


def test_rematerializing_a_round_replaces_it_identically(graph: Graph, two_rounds) -> None:
    """Nothing duplicated on re-run, and a fixed config reproduces the same rows: with the response
    cache emptied first, so the local model generates every text again from its seeds."""
    before = {t: graph.table(t, "where experiment = 'acc' and round = 0") for t in ("cot_traces", "final_mix")}
    shutil.rmtree(graph.settings.llm_cache_dir)
    result = graph.materialize("pipeline", partition_key("acc", 0))
    assert result.success
    hits = {
        e.asset_key.path[-1]: e.materialization.metadata["cache_hits"].value
        for e in result.get_asset_materialization_events()
        if "cache_hits" in e.materialization.metadata
    }
    assert hits.get("generated_instructions") == 0 and hits.get("cot_traces") == 0, hits  # generated again
    for name, old in before.items():
        new = graph.table(name, "where experiment = 'acc' and round = 0")
        assert len(new) == len(old)
        assert sorted(new["id"]) == sorted(old["id"]), f"{name} changed on re-run"


def test_audit_of_a_round_two_row_reaches_human_seeds(graph: Graph, two_rounds) -> None:
    from synth_assets.provenance.audit import ancestry, reaches_human_seed

    row = graph.table("final_mix", "where round = 2 and origin = 'synthetic'").iloc[0]
    with DuckDBResource(database=str(graph.settings.warehouse)).get_connection() as conn:
        df = ancestry(conn, row["id"])
    assert reaches_human_seed(df)
    assert {"final_mix", "filtered_set", "verified_traces", "cot_traces", "seed_set", "human_seeds"} <= set(df["stage"])
    assert set(df.loc[df["stage"] == "final_mix", "round"]) == {0, 1, 2}  # crosses every round
    assert df.loc[df["stage"] != "human_seeds", "run_id"].notna().all()
    assert df.loc[df["stage"] == "verified_traces", "verdict"].notna().all()


def test_audit_of_an_unknown_id_is_a_clear_error(graph: Graph, two_rounds) -> None:
    from synth_assets.provenance.audit import UnknownRowError, ancestry

    with (
        DuckDBResource(database=str(graph.settings.warehouse)).get_connection() as conn,
        pytest.raises(UnknownRowError, match="no row with id 'fin-0000' in any stage table"),
    ):
        ancestry(conn, "fin-0000")


def test_sql_models_materialize_and_every_chain_is_unbroken(graph: Graph, two_rounds) -> None:
    result = graph.materialize("sql_models")
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "unbroken_chains" and check.passed
    summary = graph.table("lineage_summary", "where experiment = 'acc'")
    assert summary["round"].tolist() == [0, 1, 2]
    assert (summary["unbroken_pct"] == 100).all() and (summary["human_seed_ancestors"] > 0).all()
    funnel = graph.table("funnel_rollup", "where experiment = 'acc'")
    steps = [*STEPS_FUNNEL, "kept"]
    assert (funnel[steps].sum(axis=1) == funnel["entering"]).all()


def test_every_stage_check_passed_on_good_data(graph: Graph, two_rounds) -> None:
    for run in two_rounds.values():
        evaluations = run.get_asset_check_evaluations()
        assert {e.asset_key.to_user_string() for e in evaluations} == set(STAGES)
        failed = [(e.asset_key.to_user_string(), e.description) for e in evaluations if not e.passed]
        assert not failed


def test_replacing_an_upstream_round_breaks_chains_and_the_check_says_so(graph: Graph, two_rounds, tmp_path) -> None:
    """Delete a round-0 row that round 1 descends from (what re-materializing round 0 with new
    content does): lineage_summary drops below 100% and its check fails, naming the partition."""
    import shutil

    copy = tmp_path / "warehouse.duckdb"
    with DuckDBResource(database=str(graph.settings.warehouse)).get_connection() as conn:
        conn.execute("checkpoint")  # flush the write-ahead log into the file before copying it
    shutil.copy(graph.settings.warehouse, copy)
    with DuckDBResource(database=str(copy)).get_connection() as conn:
        [(victim,)] = conn.execute(
            "select unnest(parent_ids) from main.seed_set where experiment = 'acc' and round = 1 limit 1"
        ).fetchall()
        conn.execute("delete from main.final_mix where id = ?", [victim])
    resources = {**graph.resources, "warehouse": DuckDBResource(database=str(copy))}
    result = dg.materialize(
        [*graph.assets, *graph.checks],
        selection=dg.AssetSelection.groups("sql_models"),
        resources=resources,
        instance=graph.instance,
        raise_on_error=False,
    )
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and "broken chains" in check.description
    assert "acc" in check.metadata["broken_partitions"].value


def test_students_metrics_and_report_per_round(graph: Graph, two_rounds) -> None:
    import json

    from matplotlib import image

    for r in (0, 1, 2):
        assert graph.materialize_keys(["student_model", "collapse_metrics"], partition_key("acc", r)).success
        artifact = graph.settings.data_dir / "artifacts" / "student_model" / "acc" / str(r) / "model.json"
        saved = json.loads(artifact.read_text())
        mix = graph.table("final_mix", f"where experiment = 'acc' and round = {r}")
        assert saved["lineage"]["rows"] == len(mix) and saved["lineage"]["round"] == r
        assert saved["lineage"]["final_mix_run_ids"] == sorted(set(mix["run_id"]))
    metrics = graph.table("collapse_metrics", "where experiment = 'acc'").sort_values("round")
    assert metrics["round"].tolist() == [0, 1, 2]
    assert metrics["train_rows"].tolist() == [len(graph.table("final_mix", f"where round = {r}")) for r in (0, 1, 2)]
    # each value recomputed here from the tables: a student trained on that round's mix, measured
    # on the held-out rows, and the mix's own human share and bigram diversity
    heldout, human = training_texts(graph.table("heldout_human")), training_texts(graph.table("human_seeds"))
    vocab = build_vocab(human + heldout)
    for r, row in zip((0, 1, 2), metrics.itertuples(), strict=True):
        mix = graph.table("final_mix", f"where experiment = 'acc' and round = {r}")
        student = KneserNeyLM(vocab).fit(training_texts(mix))
        assert row.heldout_perplexity == pytest.approx(student.perplexity(heldout), rel=1e-9)
        assert row.human_fraction == pytest.approx((mix["origin"] == "human").mean())
        assert row.distinct_2 == pytest.approx(collapse_metrics.distinct_n(training_texts(mix), 2))
    assert metrics["human_fraction"].iloc[0] >= metrics["human_fraction"].iloc[2]  # accumulate adds no new humans

    result = graph.materialize_keys(["collapse_report"])
    assert result.success
    [mat] = result.get_asset_materialization_events()
    meta = mat.materialization.metadata
    assert meta["grid"].value.startswith("![collapse_grid](data:image/png;base64,")
    pixels = image.imread(graph.settings.data_dir / "reports" / "collapse" / "collapse_grid.png")
    assert (pixels[..., :3] < 0.95).any(axis=-1).mean() > 0.01


def test_training_files_and_rejection_metadata_of_a_real_round(graph: Graph, two_rounds) -> None:
    import datasets

    result = graph.materialize("exports", partition_key("acc", 0))
    assert result.success
    meta = {
        e.asset_key.to_user_string(): {
            k: v.value for k, v in e.step_materialization_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    files = meta["training_files"]
    mix = graph.table("final_mix", "where experiment = 'acc' and round = 0")
    pairs = graph.table("preference_pairs", "where experiment = 'acc' and round = 0")
    assert files["sft_rows"] == len(mix) and files["dpo_pairs"] == len(pairs)
    sft = datasets.load_dataset("parquet", data_files=files["sft_parquet"], split="train")
    assert sorted(sft["id"]) == sorted(mix["id"])
    traces = graph.table("cot_traces", "where experiment = 'acc' and round = 0")
    assert traces["attempt"].min() == 0 and traces["attempt"].max() <= 1  # max_attempts 2 by default
    [cot] = [
        e for e in two_rounds[0].get_asset_materialization_events() if e.asset_key.to_user_string() == "cot_traces"
    ]
    cot_meta = cot.step_materialization_data.materialization.metadata
    assert "pass_at_1" in cot_meta and "rejection_sampling" in cot_meta
