"""The nightly schedule and the round-chaining sensor, evaluated with Dagster's test helpers on an
ephemeral instance where materializations are reported directly."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from synth_assets.config.settings import Settings
from synth_assets.orchestration.automation.planning import EXPERIMENT_TAG, REASON_TAG, ROUND_TAG
from synth_assets.orchestration.definitions import build_definitions
from synth_assets.seeds.fingerprint import fingerprint


@pytest.fixture
def setup(tiny_settings: Settings, tmp_path):
    defs = build_definitions(tiny_settings)
    resources = {"pipeline_config": defs.resources["pipeline_config"]}
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path))
    yield defs, resources, instance, tiny_settings
    instance.dispose()


def _mat(instance: dg.DagsterInstance, asset: str, partition: str | None = None, version: str | None = None) -> None:
    tags = {"dagster/data_version": version} if version else None
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, partition=partition, tags=tags))


def _evaluate_sensor(defs, resources, instance, cursor=None):
    """The context is closed after the tick: it opens an instance of its own from the ref, and
    left open it keeps Dagster's current defs-state storage pointing at that instance after it is
    garbage collected ("Attempted to resolve undefined DagsterInstance weakref" in a later test)."""
    sensor = defs.resolve_sensor_def("advance_rounds")
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources, definitions=defs) as ctx:
        result = sensor.evaluate_tick(ctx)
    return result.run_requests or [], result.cursor


def test_sensor_chains_rounds_and_a_second_evaluation_emits_nothing(setup) -> None:
    defs, resources, instance, _ = setup
    _mat(instance, "final_mix", "acc|0")
    requests, cursor = _evaluate_sensor(defs, resources, instance)
    assert [(r.partition_key, r.tags[EXPERIMENT_TAG], r.tags[ROUND_TAG]) for r in requests] == [("acc|1", "acc", "1")]
    assert requests[0].run_key.startswith("chain:acc|1:after:")
    again, cursor2 = _evaluate_sensor(defs, resources, instance, cursor)
    assert again == [] and cursor2 == cursor
    # the tiny config has 3 rounds: the last round chains nothing
    _mat(instance, "final_mix", "acc|2")
    requests, _ = _evaluate_sensor(defs, resources, instance, cursor)
    assert requests == []


def test_a_rematerialized_round_runs_the_next_round_again(setup) -> None:
    """Round 0 made again (a fix, a new generator): round 1 was built on the old mix, so it is
    requested again, under a run key of its own (a run key per materialization event)."""
    defs, resources, instance, _ = setup
    _mat(instance, "final_mix", "acc|0")
    [first], cursor = _evaluate_sensor(defs, resources, instance)
    _mat(instance, "final_mix", "acc|0")
    [again], cursor = _evaluate_sensor(defs, resources, instance, cursor)
    assert first.partition_key == again.partition_key == "acc|1" and first.run_key != again.run_key
    assert _evaluate_sensor(defs, resources, instance, cursor)[0] == []


def test_sensor_starts_round_zero_everywhere_after_a_human_data_refresh(setup) -> None:
    defs, resources, instance, _ = setup
    _mat(instance, "human_seeds", version="abc")
    requests, _ = _evaluate_sensor(defs, resources, instance)
    assert sorted(r.partition_key for r in requests) == ["acc|0", "rep|0"]
    assert {r.tags[REASON_TAG] for r in requests} == {"human-seeds-refreshed"}


def _evaluate_schedule(defs, resources, instance, when=datetime(2026, 11, 25, 2, tzinfo=UTC)):
    schedule = defs.resolve_schedule_def("nightly_advance")
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, resources=resources, repository_def=defs.get_repository_def()
    ) as ctx:  # closed after the tick, for the reason given in _evaluate_sensor
        return schedule.evaluate_tick(ctx)


def test_schedule_refreshes_human_data_when_the_seed_files_changed(setup) -> None:
    defs, resources, instance, settings = setup
    result = _evaluate_schedule(defs, resources, instance)  # never materialized: counts as changed
    [request] = result.run_requests
    assert {k.to_user_string() for k in request.asset_selection} == {"human_seeds", "heldout_human"}
    _mat(instance, "human_seeds", version=fingerprint(settings.seeds_dir, settings.heldout_dir))
    with (settings.seeds_dir / "math_problems.jsonl").open("a") as f:
        f.write('{"id": "new", "question": "q", "solution": "#### 1", "answer": "1"}\n')
    [request] = _evaluate_schedule(defs, resources, instance).run_requests
    assert request.tags[REASON_TAG] == "human-seeds-changed"


def test_schedule_advances_each_experiment_once_and_is_idempotent(setup) -> None:
    defs, resources, instance, settings = setup
    _mat(instance, "human_seeds", version=fingerprint(settings.seeds_dir, settings.heldout_dir))
    _mat(instance, "final_mix", "acc|0")
    first = _evaluate_schedule(defs, resources, instance).run_requests
    assert sorted(r.partition_key for r in first) == ["acc|1", "rep|0"]
    assert all(k.to_user_string() not in {"human_seeds", "heldout_human"} for r in first for k in r.asset_selection)
    second = _evaluate_schedule(defs, resources, instance).run_requests
    assert [r.run_key for r in second] == [r.run_key for r in first]  # same keys: Dagster launches once

    # a run already in flight for rep|0 is not requested again
    instance.add_run(
        DagsterRun(
            job_name="nightly_job",
            run_id="r1",
            status=dg.DagsterRunStatus.STARTED,
            tags={EXPERIMENT_TAG: "rep", ROUND_TAG: "0"},
        )
    )
    third = _evaluate_schedule(defs, resources, instance).run_requests
    assert [r.partition_key for r in third] == ["acc|1"]

    for key in ("acc|1", "acc|2", "rep|0", "rep|1", "rep|2"):
        _mat(instance, "final_mix", key)
    result = _evaluate_schedule(defs, resources, instance)
    assert not result.run_requests and "reached its configured number of rounds" in result.skip_message
