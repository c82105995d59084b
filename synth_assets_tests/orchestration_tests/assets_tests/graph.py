"""A temp project (real seed files, tiny sizes), its assets, checks and an instance, for tests
that run the real asset graph with dg.materialize."""

import copy
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import yaml

from synth_assets.config.settings import Settings
from synth_assets.orchestration.definitions import build_definitions, round_asset_keys
from synth_assets.orchestration.resources.deployment import build_resources
from synth_assets_tests.conftest import PROJECT_DATA, TINY


class Graph:
    def __init__(self, root: Path, config: dict | None = None, env: dict[str, str] | None = None) -> None:
        data = root / "data"
        shutil.copytree(PROJECT_DATA / "seeds", data / "seeds")
        shutil.copytree(PROJECT_DATA / "heldout", data / "heldout")
        (data / "experiments.yaml").write_text(yaml.safe_dump(config or TINY))
        self.settings = Settings.from_env({"SYNTH_DATA_DIR": str(data), **(env or {})})
        self._build()
        self.resources = build_resources(self.settings)
        self.instance = dg.DagsterInstance.ephemeral()

    def _build(self) -> None:
        defs = build_definitions(self.settings)
        self.assets = list(defs.assets or [])
        self.checks = list(defs.asset_checks or [])

    def rebuilt(self) -> "Graph":
        """The same project, instance and warehouse, with definitions loaded again (as the UI
        does after an edit to the experiments file)."""
        clone = copy.copy(self)
        clone._build()
        return clone

    def materialize(self, group: str, key: str | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [*self.assets, *self.checks],
            selection=dg.AssetSelection.groups(group),
            partition_key=key,
            resources=self.resources,
            instance=self.instance,
            raise_on_error=False,
        )

    def materialize_keys(self, keys: list[str], key: str | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [*self.assets, *self.checks],
            selection=dg.AssetSelection.assets(*keys),
            partition_key=key,
            resources=self.resources,
            instance=self.instance,
            raise_on_error=False,
        )

    def materialize_round(self, key: str) -> dg.ExecuteInProcessResult:
        """What `round_job` runs for one partition: the stages, then student, metrics, exports."""
        return self.materialize_keys([k.to_user_string() for k in round_asset_keys(self.assets)], key)

    def latest_metadata(self, asset: str, key: str) -> dict:
        """The metadata of the asset's latest materialization of one partition, as the UI shows it."""
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1
        ).records
        return records[0].asset_materialization.metadata

    def table(self, name: str, where: str = "") -> pd.DataFrame:
        with self.resources["warehouse"].get_connection() as conn:
            return conn.execute(f"select * from main.{name} {where}").fetchdf()
