"""The resources of a deployment, from the settings: the one place a deployment's storage and
credentials are chosen. `local` (the default): a DuckDB file, a SQLite response cache and the
artifacts under `data/`. `shared`: a DuckLake whose catalog, like the response cache, lives in
the PostgreSQL at SYNTH_POSTGRES_URL (passed as a Dagster `EnvVar`: the UI shows its name, the
URL may hold a password), with artifacts and the lake's files under paths every host mounts."""

from __future__ import annotations

import dagster as dg

from synth_assets.llm.backends import KEY_VARIABLES
from synth_assets.resources.generator import GeneratorResource
from synth_assets.resources.pipeline_config import PipelineConfig
from synth_assets.settings import Settings
from synth_assets.storage.artifacts import ArtifactIOManager
from synth_assets.storage.io_manager import WarehouseIOManager
from synth_assets.storage.warehouse import WarehouseResource


def _api_keys(settings: Settings) -> dict[str, dg.EnvVar]:
    """Only the keys the environment has: Dagster fails every run on an EnvVar that is unset."""
    return {name: var for name in KEY_VARIABLES if (var := settings.secret(name)) is not None}


def _warehouse(settings: Settings) -> dict[str, object]:
    if settings.shared:
        return {"database": ":memory:", "lake_catalog": settings.postgres_env(), "lake_data_path": settings.lake_path}
    return {"database": str(settings.warehouse)}


def build_resources(settings: Settings) -> dict[str, object]:
    artifacts = str(settings.data_dir / "artifacts")
    warehouse = _warehouse(settings)
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
