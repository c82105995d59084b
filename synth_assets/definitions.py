"""The code location: assembles assets, jobs and resources. No logic lives here."""

from __future__ import annotations

import warnings

import dagster as dg

from synth_assets.assets import human_data
from synth_assets.assets.audit_job import audit_job
from synth_assets.assets.checks import build_human_check, build_stage_check, lineage_unbroken
from synth_assets.assets.collapse import build_collapse_assets, collapse_report
from synth_assets.assets.exports import build_export_assets
from synth_assets.assets.partitions import build_partitions
from synth_assets.assets.sql_models import GROUP as SQL_GROUP
from synth_assets.assets.sql_models import build_sql_assets
from synth_assets.assets.stage_assets import GROUP as PIPELINE_GROUP
from synth_assets.assets.stage_assets import build_pipeline_assets
from synth_assets.automation.nightly import build_nightly_schedule
from synth_assets.automation.round_chain import build_round_chain_sensor
from synth_assets.experiments import ExperimentsFile, load_experiments
from synth_assets.resources.deployment import build_resources
from synth_assets.settings import Settings

HUMAN_DATA_JOB = "human_data_job"
ROUND_JOB = "round_job"
NIGHTLY_JOB = "nightly_job"
SQL_JOB = "sql_models_job"
REPORT_JOB = "report_job"


def build_assets(experiments: ExperimentsFile) -> list[dg.AssetsDefinition]:
    assets = [
        human_data.human_seeds,
        human_data.heldout_human,
        *build_pipeline_assets(build_partitions(experiments), experiments),
        *build_collapse_assets(build_partitions(experiments)),
        *build_export_assets(build_partitions(experiments)),
        collapse_report,
        *build_sql_assets(),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # code references: stable enough for a link in the UI
        return dg.with_source_code_references(assets)


def build_checks(assets: list[dg.AssetsDefinition], experiments: ExperimentsFile) -> list[dg.AssetChecksDefinition]:
    partitions = build_partitions(experiments)
    checks = []
    for asset in assets:
        group = asset.group_names_by_key.get(asset.key)
        if group == PIPELINE_GROUP:
            checks.append(build_stage_check(asset, partitions))
        elif group == human_data.GROUP:
            checks.append(build_human_check(asset))
        elif asset.key == dg.AssetKey("lineage_summary"):
            checks.append(lineage_unbroken)
    return checks


def round_asset_keys(assets: list[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Everything partitioned by experiment x round is part of a round: the pipeline stages and
    what is made per round after them (student, metrics, exports), so nothing lists them by name."""
    return [key for a in assets for key in a.keys if isinstance(a.partitions_def, dg.MultiPartitionsDefinition)]


def build_definitions(settings: Settings) -> dg.Definitions:
    experiments = load_experiments(settings.experiments_file)
    assets = build_assets(experiments)
    round_keys = round_asset_keys(assets)
    round_selection = dg.AssetSelection.assets(*round_keys)
    human_job = dg.define_asset_job(
        HUMAN_DATA_JOB,
        selection=dg.AssetSelection.groups(human_data.GROUP),
        description="Load and validate the human seed and held-out data.",
    )
    round_job = dg.define_asset_job(
        ROUND_JOB,
        selection=round_selection,
        description="One round of one experiment: seed_set through final_mix, then its student and metrics.",
    )
    sql_job = dg.define_asset_job(
        SQL_JOB, selection=dg.AssetSelection.groups(SQL_GROUP), description="Rebuild the SQL roll-ups and lineage."
    )
    nightly_job = dg.define_asset_job(
        NIGHTLY_JOB,
        selection=round_selection | dg.AssetSelection.groups(human_data.GROUP),
        description="What the nightly schedule launches: a human data refresh or one round per experiment.",
    )
    report_job = dg.define_asset_job(
        REPORT_JOB,
        selection=dg.AssetSelection.groups(SQL_GROUP) | dg.AssetSelection.assets("collapse_report"),
        description="Roll-ups over all partitions: SQL models and the collapse report.",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=build_checks(assets, experiments),
        jobs=[human_job, round_job, nightly_job, sql_job, report_job, audit_job],
        schedules=[build_nightly_schedule(nightly_job, round_keys)],
        sensors=[build_round_chain_sensor(round_job)],
        resources=build_resources(settings),
        # One process per run, not per step: the multiprocess default started ~20 processes a
        # round, each importing the code location, and a cached round took 125 s from the UI
        # against 4 s in process. Partitions still run in parallel as separate runs (the queue
        # in dagster.yaml bounds how many).
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
