"""The jobs, by name: what the UI launches, the nightly schedule and the round chain request,
and what `synth run` executes in process. Named here, apart from the definitions, so the runner
and the tests can use the names without building the code location."""

from __future__ import annotations

import dagster as dg

from synth_assets.orchestration.assets import human_data
from synth_assets.orchestration.assets.sql_models import GROUP as SQL_GROUP

HUMAN_DATA_JOB = "human_data_job"
ROUND_JOB = "round_job"
NIGHTLY_JOB = "nightly_job"
SQL_JOB = "sql_models_job"
REPORT_JOB = "report_job"


def human_data_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        HUMAN_DATA_JOB,
        selection=dg.AssetSelection.groups(human_data.GROUP),
        description="Load and validate the human seed and held-out data.",
    )


def round_job(round_keys: list[dg.AssetKey]) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        ROUND_JOB,
        selection=dg.AssetSelection.assets(*round_keys),
        description="One round of one experiment: seed_set through final_mix, then its student and metrics.",
    )


def nightly_job(round_keys: list[dg.AssetKey]) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        NIGHTLY_JOB,
        selection=dg.AssetSelection.assets(*round_keys) | dg.AssetSelection.groups(human_data.GROUP),
        description="What the nightly schedule launches: a human data refresh or one round per experiment.",
    )


def sql_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        SQL_JOB, selection=dg.AssetSelection.groups(SQL_GROUP), description="Rebuild the SQL roll-ups and lineage."
    )


def report_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        REPORT_JOB,
        selection=dg.AssetSelection.groups(SQL_GROUP) | dg.AssetSelection.assets("collapse_report"),
        description="Roll-ups over all partitions: SQL models and the collapse report.",
    )
