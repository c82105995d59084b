"""A stage is one declaration: added to the registry, it becomes an asset with its blocking check,
a lineage node, part of the round job; and a partition built under other code or config shows
as changed."""

import dagster as dg
import pytest
import yaml

from synth_assets.orchestration.definitions import round_asset_keys
from synth_assets.provenance.lineage import upstreams
from synth_assets.stages import registry, schemas
from synth_assets.stages.row_frames import frame
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec
from synth_assets.storage.previous_round import partition_key
from synth_assets.storage.warehouse_models import lineage_nodes_model
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph

pytestmark = pytest.mark.slow
CODE_VERSION_TAG = "dagster/code_version"


def _short_tasks(run: StageRun) -> StageResult:
    """A stage a newcomer might add: the pool's tasks of at most `mix_size` words."""
    pool = run["seed_set"]
    short = pool[pool["instruction"].str.split().str.len() <= run.experiment.sizes.mix_size]
    rows = run.scope.copy_tasks(short)
    return StageResult(frame(rows, schemas.SEED_SET), {"share_kept": round(len(short) / max(len(pool), 1), 3)})


SHORT_TASKS = StageSpec(
    name="short_tasks",
    description="Pool tasks short enough to read at a glance.",
    schema=schemas.SEED_SET,
    parents=(Parent("seed_set"),),
    compute=_short_tasks,
    config=lambda exp: exp.sizes.mix_size,
)


@pytest.fixture
def with_short_tasks(monkeypatch) -> None:
    monkeypatch.setattr(registry, "PIPELINE", (*registry.PIPELINE, SHORT_TASKS))


def _code_version(graph: Graph, key: str) -> str | None:
    [asset] = [a for a in graph.assets if a.key == dg.AssetKey(key)]
    return asset.code_versions_by_key[asset.key]


def _recorded_code_version(graph: Graph, key: str, partition: str) -> str | None:
    result = graph.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), asset_partitions=[partition]), limit=1
    )
    return (result.records[0].asset_materialization.tags or {}).get(CODE_VERSION_TAG)


def test_one_declaration_makes_an_asset_its_check_lineage_and_round_membership(tmp_path, with_short_tasks) -> None:
    graph = Graph(tmp_path)
    assert graph.materialize("human_data").success
    partition = partition_key("rep", 0)
    result = graph.materialize_keys(["seed_set", "short_tasks"], partition)
    assert result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey("short_tasks")]
    assert check.passed  # its parent ids resolve against seed_set through the derived lineage
    rows = graph.table("short_tasks")
    assert len(rows) and set(rows.columns) == set(schemas.column_names(schemas.SEED_SET))
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("short_tasks")]
    metadata = event.materialization.metadata
    assert metadata["share_kept"].value > 0 and metadata["config_hash"].value
    assert "from main.short_tasks" in lineage_nodes_model().sql and upstreams("short_tasks", 0) == SHORT_TASKS.parents
    assert dg.AssetKey("short_tasks") in round_asset_keys(graph.assets)


def test_a_partition_built_under_other_config_is_marked_changed(tmp_path, with_short_tasks) -> None:
    graph = Graph(tmp_path)
    assert graph.materialize("human_data").success
    partition = partition_key("rep", 0)
    assert graph.materialize_keys(["seed_set", "short_tasks"], partition).success
    recorded = _recorded_code_version(graph, "short_tasks", partition)
    assert recorded == _code_version(graph, "short_tasks")

    other_stage = yaml.safe_load(yaml.safe_dump(TINY))
    for exp in other_stage["experiments"]:
        exp.setdefault("filters", {})["rouge_threshold"] = 0.5  # read by filtered_set only
    graph.settings.experiments_file.write_text(yaml.safe_dump(other_stage))
    edited = graph.rebuilt()
    assert _code_version(edited, "short_tasks") == recorded  # untouched: its config did not change
    assert _code_version(edited, "filtered_set") != _code_version(graph, "filtered_set")

    this_stage = yaml.safe_load(yaml.safe_dump(other_stage))
    this_stage["experiments"][0].setdefault("sizes", {})["mix_size"] = 7
    graph.settings.experiments_file.write_text(yaml.safe_dump(this_stage))
    assert _code_version(graph.rebuilt(), "short_tasks") != recorded  # the UI shows the partition changed
