"""The code location: assembles assets, jobs and resources. No logic lives here."""

from __future__ import annotations

import warnings

import dagster as dg
from dagster_duckdb import DuckDBResource

from synth_assets.assets import human_data
from synth_assets.assets.checks import build_human_check, build_stage_check, lineage_unbroken
from synth_assets.assets.collapse import build_collapse_assets, collapse_report
from synth_assets.assets.exports import build_export_assets
from synth_assets.assets.partitions import build_partitions
from synth_assets.assets.pipeline import GROUP as PIPELINE_GROUP
from synth_assets.assets.pipeline import build_pipeline_assets
from synth_assets.assets.resources import PipelineConfig
from synth_assets.assets.sql_models import GROUP as SQL_GROUP
from synth_assets.assets.sql_models import build_sql_assets
from synth_assets.automation.nightly import build_nightly_schedule
from synth_assets.automation.round_chain import build_round_chain_sensor
from synth_assets.experiments import ExperimentsFile, load_experiments
from synth_assets.llm.resource import GeneratorResource
from synth_assets.settings import Settings
from synth_assets.storage.artifacts import ArtifactIOManager
from synth_assets.storage.io_manager import WarehouseIOManager

HUMAN_DATA_JOB = "human_data_job"
ROUND_JOB = "round_job"
NIGHTLY_JOB = "nightly_job"
SQL_JOB = "sql_models_job"
REPORT_JOB = "report_job"
# per-round assets outside the pipeline group
ROUND_EXTRAS = ("student_model", "collapse_metrics", "preference_pairs", "training_files")


def build_assets(experiments: ExperimentsFile) -> list[dg.AssetsDefinition]:
    assets = [
        human_data.human_seeds,
        human_data.heldout_human,
        *build_pipeline_assets(build_partitions(experiments), {e.generator.backend for e in experiments.experiments}),
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


def build_resources(settings: Settings) -> dict[str, object]:
    warehouse = str(settings.warehouse)
    return {
        "io_manager": WarehouseIOManager(database=warehouse, schema="main"),
        "warehouse": DuckDBResource(database=warehouse),
        "generator": GeneratorResource(
            artifacts_dir=str(settings.data_dir / "artifacts"),
            cache_dir=str(settings.llm_cache_dir),
            anthropic_api_key=settings.secret("ANTHROPIC_API_KEY"),
            openai_api_key=settings.secret("OPENAI_API_KEY"),
        ),
        "artifact_io_manager": ArtifactIOManager(base_dir=str(settings.data_dir / "artifacts")),
        "pipeline_config": PipelineConfig(
            experiments_file=str(settings.experiments_file), data_dir=str(settings.data_dir)
        ),
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    experiments = load_experiments(settings.experiments_file)
    assets = build_assets(experiments)
    pipeline = dg.AssetSelection.groups(PIPELINE_GROUP)
    human_job = dg.define_asset_job(
        HUMAN_DATA_JOB,
        selection=dg.AssetSelection.groups(human_data.GROUP),
        description="Load and validate the human seed and held-out data.",
    )
    round_selection = pipeline | dg.AssetSelection.assets(*ROUND_EXTRAS)
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
    round_keys = [
        key
        for a in assets
        for key in a.keys
        if a.group_names_by_key.get(key) == PIPELINE_GROUP or key.to_user_string() in ROUND_EXTRAS
    ]
    report_job = dg.define_asset_job(
        REPORT_JOB,
        selection=dg.AssetSelection.groups(SQL_GROUP) | dg.AssetSelection.assets("collapse_report"),
        description="Roll-ups over all partitions: SQL models and the collapse report.",
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=build_checks(assets, experiments),
        jobs=[human_job, round_job, nightly_job, sql_job, report_job],
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
