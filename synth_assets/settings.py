"""One typed settings object: the only place that reads the process environment for paths.

Deployments differ by environment variables (SYNTH_*), never by edits to definitions.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

_PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


class Settings(BaseModel):
    data_dir: Path
    experiments_file: Path
    warehouse: Path
    dagster_home: Path

    @property
    def seeds_dir(self) -> Path:
        return self.data_dir / "seeds"

    @property
    def heldout_dir(self) -> Path:
        return self.data_dir / "heldout"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ) if env is None else env
        data_dir = Path(env.get("SYNTH_DATA_DIR", _PROJECT_DATA))
        return cls(
            data_dir=data_dir,
            experiments_file=Path(env.get("SYNTH_EXPERIMENTS", data_dir / "experiments.yaml")),
            warehouse=Path(env.get("SYNTH_WAREHOUSE", data_dir / "warehouse.duckdb")),
            dagster_home=Path(env.get("DAGSTER_HOME", data_dir / "dagster_home")),
        )
