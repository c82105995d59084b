"""The resources of a deployment, from the settings: the one place a deployment's storage and
credentials are chosen. `local` (the default): a DuckDB file, a SQLite response cache and the
artifacts under `data/`. `shared`: a DuckLake whose catalog, like the response cache, lives in
the PostgreSQL at SYNTH_POSTGRES_URL (passed as a Dagster `EnvVar`: the UI shows its name, the
URL may hold a password), with artifacts and the lake's files under paths every host mounts."""

from __future__ import annotations

import dagster as dg

from synth_assets.config.settings import Settings
from synth_assets.llm.backends import KEY_VARIABLES
from synth_assets.orchestration.resources.generator import GeneratorResource
from synth_assets.orchestration.resources.io_manager import WarehouseIOManager
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.storage.artifacts import ArtifactIOManager
from synth_assets.storage.warehouse import WarehouseResource
from synth_assets.storage.warehouse_file import warehouse_fields


def _api_keys(settings: Settings) -> dict[str, dg.EnvVar]:
    """Only the keys the environment has: Dagster fails every run on an EnvVar that is unset."""
    return {name: var for name in KEY_VARIABLES if (var := settings.secret(name)) is not None}


def build_resources(settings: Settings) -> dict[str, object]:
    artifacts = str(settings.data_dir / "artifacts")
    warehouse = warehouse_fields(settings)
    cache = {"cache_url": settings.postgres_env()} if settings.shared else {"cache_dir": str(settings.llm_cache_dir)}
    return {
        "io_manager": WarehouseIOManager(schema="main", **warehouse),
        "warehouse": WarehouseResource(**warehouse),
        "generator": GeneratorResource(artifacts_dir=artifacts, api_keys=_api_keys(settings), **cache),
        "artifact_io_manager": ArtifactIOManager(base_dir=artifacts),
        "pipeline_config": PipelineConfig(
            experiments_file=str(settings.experiments_file), data_dir=str(settings.data_dir)
        ),
    }
