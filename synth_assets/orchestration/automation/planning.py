"""Decisions the schedule and sensor make, as plain functions over what the instance knows."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from synth_assets.config.experiments import ExperimentsFile
from synth_assets.storage.previous_round import partition_key

EXPERIMENT_TAG = "synth/experiment"
ROUND_TAG = "synth/round"
REASON_TAG = "synth/reason"
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dataclass(frozen=True)
class RoundRequest:
    experiment: str
    round: int
    reason: str

    @property
    def partition(self) -> str:
        return partition_key(self.experiment, self.round)

    def tags(self) -> dict[str, str]:
        return {EXPERIMENT_TAG: self.experiment, ROUND_TAG: str(self.round), REASON_TAG: self.reason}


def materialized_rounds(instance: dg.DagsterInstance, experiment: str, max_rounds: int) -> set[int]:
    done = instance.get_materialized_partitions(dg.AssetKey("final_mix"))
    return {r for r in range(max_rounds) if partition_key(experiment, r) in done}


def next_round(done: set[int], rounds: int) -> int | None:
    """The first round not yet materialized, in order (a gap is filled before going further)."""
    for r in range(rounds):
        if r not in done:
            return r
    return None


def in_flight(instance: dg.DagsterInstance, experiment: str, round_: int) -> bool:
    runs = instance.get_run_records(
        filters=dg.RunsFilter(tags={EXPERIMENT_TAG: experiment, ROUND_TAG: str(round_)}, statuses=ACTIVE), limit=1
    )
    return bool(runs)


def nightly_plan(instance: dg.DagsterInstance, experiments: ExperimentsFile) -> list[RoundRequest]:
    plan = []
    for exp in experiments.experiments:
        r = next_round(materialized_rounds(instance, exp.name, experiments.max_rounds), exp.rounds)
        if r is not None and not in_flight(instance, exp.name, r):
            plan.append(RoundRequest(exp.name, r, "nightly-advance"))
    return plan


def latest_data_version(instance: dg.DagsterInstance, asset: str) -> str | None:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    return (records[0].asset_materialization.tags or {}).get("dagster/data_version")
