"""The code location: assembles assets, jobs and resources. No logic lives here."""

from __future__ import annotations

import warnings

import dagster as dg
from dagster_duckdb import DuckDBResource

from synth_assets.assets import human_data
from synth_assets.assets.partitions import build_partitions
from synth_assets.assets.pipeline import GROUP as PIPELINE_GROUP
from synth_assets.assets.pipeline import build_pipeline_assets
from synth_assets.assets.resources import PipelineConfig
from synth_assets.experiments import ExperimentsFile, load_experiments
from synth_assets.llm.resource import GeneratorResource
from synth_assets.settings import Settings
from synth_assets.storage.io_manager import WarehouseIOManager

HUMAN_DATA_JOB = "human_data_job"
ROUND_JOB = "round_job"


def build_assets(experiments: ExperimentsFile) -> list[dg.AssetsDefinition]:
    assets = [human_data.human_seeds, human_data.heldout_human, *build_pipeline_assets(build_partitions(experiments))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)  # code references: stable enough for a link in the UI
        return dg.with_source_code_references(assets)


def build_resources(settings: Settings) -> dict[str, object]:
    warehouse = str(settings.warehouse)
    return {
        "io_manager": WarehouseIOManager(database=warehouse, schema="main"),
        "warehouse": DuckDBResource(database=warehouse),
        "generator": GeneratorResource(),
        "pipeline_config": PipelineConfig(
            experiments_file=str(settings.experiments_file), data_dir=str(settings.data_dir)
        ),
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    experiments = load_experiments(settings.experiments_file)
    return dg.Definitions(
        assets=build_assets(experiments),
        jobs=[
            dg.define_asset_job(
                HUMAN_DATA_JOB,
                selection=dg.AssetSelection.groups(human_data.GROUP),
                description="Load and validate the human seed and held-out data.",
            ),
            dg.define_asset_job(
                ROUND_JOB,
                selection=dg.AssetSelection.groups(PIPELINE_GROUP),
                description="One round of one experiment: seed_set through final_mix.",
            ),
        ],
        resources=build_resources(settings),
    )


defs = build_definitions(Settings.from_env())
