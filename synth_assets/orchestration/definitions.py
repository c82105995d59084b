"""The code location: one `Definitions`, merged from its parts (human data, the pipeline, the SQL
models, automation, resources). No logic lives here, and nothing is built at import: Dagster
calls `defs` when it loads the location, `synth run` calls `build_definitions` once."""

from __future__ import annotations

import warnings

import dagster as dg

from synth_assets.config.experiments import ExperimentsFile, load_experiments
from synth_assets.config.settings import Settings
from synth_assets.orchestration import jobs
from synth_assets.orchestration.assets import human_data
from synth_assets.orchestration.assets.collapse import build_collapse_assets, collapse_report
from synth_assets.orchestration.assets.exports import build_export_assets
from synth_assets.orchestration.assets.partitions import build_partitions
from synth_assets.orchestration.assets.sql_models import build_sql_assets
from synth_assets.orchestration.assets.stage_assets import GROUP as PIPELINE_GROUP
from synth_assets.orchestration.assets.stage_assets import build_pipeline_assets
from synth_assets.orchestration.audit_job import audit_job
from synth_assets.orchestration.automation.nightly import build_nightly_schedule
from synth_assets.orchestration.automation.round_chain import build_round_chain_sensor
from synth_assets.orchestration.checks import build_human_check, build_stage_check, lineage_unbroken
from synth_assets.orchestration.resources.deployment import build_resources


def _with_code_references(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # code references: stable enough for a link in the UI
        return list(dg.with_source_code_references(assets))


def round_asset_keys(assets: list[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """Everything partitioned by experiment x round is part of a round: the pipeline stages and
    what is made per round after them (student, metrics, exports), so nothing lists them by name."""
    return [key for a in assets for key in a.keys if isinstance(a.partitions_def, dg.MultiPartitionsDefinition)]


def human_data_defs() -> dg.Definitions:
    inputs = [
        human_data.human_seeds,
        human_data.heldout_human,
        human_data.personas,
        human_data.curriculum,
        human_data.constitution,
        human_data.code_snippets,
    ]
    assets = _with_code_references(inputs)
    return dg.Definitions(
        assets=assets, asset_checks=[build_human_check(a) for a in assets], jobs=[jobs.human_data_job()]
    )


def round_assets(experiments: ExperimentsFile, partitions: dg.MultiPartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The pipeline's stages and what each round makes after them (student, metrics, exports)."""
    return _with_code_references(
        [
            *build_pipeline_assets(partitions, experiments),
            *build_collapse_assets(partitions),
            *build_export_assets(partitions),
        ]
    )


def pipeline_defs(
    assets: list[dg.AssetsDefinition],
    partitions: dg.MultiPartitionsDefinition,
    round_job: dg.UnresolvedAssetJobDefinition,
) -> dg.Definitions:
    stage_checks = [
        build_stage_check(a, partitions) for a in assets if a.group_names_by_key.get(a.key) == PIPELINE_GROUP
    ]
    return dg.Definitions(assets=assets, asset_checks=stage_checks, jobs=[round_job, audit_job])


def sql_defs() -> dg.Definitions:
    """The SQL roll-ups and the collapse report: what reads every partition at once."""
    assets = _with_code_references([*build_sql_assets(), collapse_report])
    return dg.Definitions(assets=assets, asset_checks=[lineage_unbroken], jobs=[jobs.sql_job(), jobs.report_job()])


def automation_defs(
    round_keys: list[dg.AssetKey], partitions: dg.MultiPartitionsDefinition, round_job: dg.UnresolvedAssetJobDefinition
) -> dg.Definitions:
    nightly = jobs.nightly_job(round_keys)
    return dg.Definitions(
        jobs=[nightly],
        schedules=[build_nightly_schedule(nightly, round_keys)],
        sensors=[build_round_chain_sensor(round_job, partitions)],
    )


def build_definitions(settings: Settings) -> dg.Definitions:
    experiments = load_experiments(settings.experiments_file)
    partitions = build_partitions(experiments)  # once: every round asset, check and sensor shares it
    assets = round_assets(experiments, partitions)
    round_keys = round_asset_keys(assets)
    round_job = jobs.round_job(round_keys)
    return dg.Definitions.merge(
        human_data_defs(),
        pipeline_defs(assets, partitions, round_job),
        sql_defs(),
        automation_defs(round_keys, partitions, round_job),
        dg.Definitions(
            resources=build_resources(settings),
            # One process per run, not per step: the multiprocess default started ~20 processes a
            # round, each importing the code location, and a cached round took 125 s from the UI
            # against 4 s in process. Partitions still run in parallel as separate runs (the queue
            # in dagster.yaml bounds how many).
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
