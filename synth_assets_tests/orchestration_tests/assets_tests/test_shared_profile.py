"""The shared profile end to end in one process: the real asset graph on a DuckLake (catalog in a
throwaway PostgreSQL, Parquet under a data path) with the response cache in the same PostgreSQL.
The checks, SQL models, lineage summary, audit, collapse report and CLI summaries run on it
unchanged."""

import copy

import pytest

from synth_assets.llm.cache import ResponseCache
from synth_assets.orchestration.runner import collapse_summary, round_summary
from synth_assets.provenance.audit import ancestry, reaches_human_seed
from synth_assets.storage.previous_round import partition_key
from synth_assets.storage.warehouse_file import open_configured
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph
from synth_assets_tests.support.postgres import throwaway_postgres
from synth_assets_tests.support.requirements import needs_postgres

pytestmark = [
    pytest.mark.slow,
    needs_postgres,
]
STUDENT = copy.deepcopy(TINY)  # the n-gram student writes: the pipeline's cost, not a model's
STUDENT["defaults"]["generator"] = {"backend": "student", "instruction_max_tokens": 48, "trace_max_tokens": 48}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    with throwaway_postgres() as url, pytest.MonkeyPatch.context() as env:
        env.setenv("SYNTH_POSTGRES_URL", url)  # what the Dagster EnvVars resolve in each process
        root = tmp_path_factory.mktemp("shared")
        graph = Graph(root, STUDENT, {"SYNTH_PROFILE": "shared", "SYNTH_POSTGRES_URL": url})
        assert graph.materialize("human_data").success
        for round_ in (0, 1):
            assert graph.materialize_round(partition_key("acc", round_)).success
        assert graph.materialize("sql_models").success
        assert graph.materialize_keys(["collapse_report"]).success
        yield graph


def test_a_round_on_the_lake_passes_every_check(shared: Graph) -> None:
    mix = shared.table("final_mix", "where experiment = 'acc' and round = 1")
    assert len(mix) > 0
    assert list((shared.settings.data_dir / "lake").rglob("*.parquet"))
    assert not shared.settings.warehouse.exists()  # no DuckDB file: the lake holds everything


def test_lineage_and_audit_run_unchanged_on_the_lake(shared: Graph) -> None:
    summary = shared.table("lineage_summary", "where experiment = 'acc'")
    assert summary["round"].tolist() == [0, 1] and (summary["unbroken_pct"] == 100).all()
    row = shared.table("final_mix", "where experiment = 'acc' and round = 1 and origin = 'synthetic'")
    with open_configured(shared.settings) as conn:
        assert reaches_human_seed(ancestry(conn, row["id"].iloc[0]))


def test_reports_and_cli_summaries_read_the_lake(shared: Graph) -> None:
    assert (shared.settings.data_dir / "reports" / "collapse" / "collapse_report.html").exists()
    assert round_summary(shared.settings)["round"].tolist() == [0, 1]
    assert len(collapse_summary(shared.settings)) == 2


def test_nothing_is_cached_on_local_disk(shared: Graph) -> None:
    """The student generates without a cache; the collapse metrics' vectors are cached, in
    PostgreSQL where every host finds them (the cache itself is checked in llm_tests)."""
    assert not shared.settings.llm_cache_dir.exists()
    assert ResponseCache(url=shared.settings.postgres_url.get_secret_value()).count() > 0
