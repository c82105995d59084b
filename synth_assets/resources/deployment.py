"""The resources of a deployment, from the settings: the one place a deployment's storage and
credentials are chosen (today every path is local; a shared profile plugs in here)."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from synth_assets.llm.backends import KEY_VARIABLES
from synth_assets.resources.generator import GeneratorResource
from synth_assets.resources.pipeline_config import PipelineConfig
from synth_assets.settings import Settings
from synth_assets.storage.artifacts import ArtifactIOManager
from synth_assets.storage.io_manager import WarehouseIOManager


def _api_keys(settings: Settings) -> dict[str, dg.EnvVar]:
    """Only the keys the environment has: Dagster fails every run on an EnvVar that is unset."""
    return {name: var for name in KEY_VARIABLES if (var := settings.secret(name)) is not None}


def build_resources(settings: Settings) -> dict[str, object]:
    warehouse = str(settings.warehouse)
    artifacts = str(settings.data_dir / "artifacts")
    return {
        "io_manager": WarehouseIOManager(database=warehouse, schema="main"),
        "warehouse": DuckDBResource(database=warehouse),
        "generator": GeneratorResource(
            artifacts_dir=artifacts, cache_dir=str(settings.llm_cache_dir), api_keys=_api_keys(settings)
        ),
        "artifact_io_manager": ArtifactIOManager(base_dir=artifacts),
        "pipeline_config": PipelineConfig(
            experiments_file=str(settings.experiments_file), data_dir=str(settings.data_dir)
        ),
    }
