"""One typed settings object: the only place that reads the process environment (paths, and
which API keys exist; their values are read by Dagster as `EnvVar`s at run time).

Deployments differ by environment variables (SYNTH_*), never by edits to definitions.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import BaseModel

from synth_assets.llm.backends import KEY_VARIABLES

_PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


class Settings(BaseModel):
    data_dir: Path
    experiments_file: Path
    warehouse: Path
    dagster_home: Path

    secrets_present: frozenset[str] = frozenset()

    @property
    def llm_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "llm"

    def secret(self, name: str) -> dg.EnvVar | None:
        """An `EnvVar` for a key the environment has: Dagster resolves it at run time and shows
        only its name; a key that is absent stays None (Dagster would fail every run on it)."""
        return dg.EnvVar(name) if name in self.secrets_present else None

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
            secrets_present=frozenset(k for k in KEY_VARIABLES if env.get(k)),
        )
