"""One typed settings object: the only place that reads the process environment (paths, and
which API keys exist; their values are read by Dagster as `EnvVar`s at run time).

Deployments differ by environment variables (SYNTH_*), never by edits to definitions.py. One of
them chooses the profile: `SYNTH_PROFILE=local` (the default: everything under `data/` on this
machine) or `shared` (Dagster's storage, the warehouse catalog and the response cache in the
PostgreSQL at `SYNTH_POSTGRES_URL`; warehouse data, students, reports and training files under
`SYNTH_DATA_DIR`, a path every host mounts; the lake's files under `SYNTH_LAKE_PATH`, by default
`$SYNTH_DATA_DIR/lake`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import BaseModel, SecretStr

from synth_assets.llm.backends import KEY_VARIABLES

_CHECKOUT = Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """A checkout's own `data/` (its experiments file and seeds); an installed wheel's users keep
    theirs in the working directory unless SYNTH_DATA_DIR says where."""
    return _CHECKOUT / "data" if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd() / "data"


POSTGRES_URL = "SYNTH_POSTGRES_URL"
Profile = Literal["local", "shared"]


class SettingsError(ValueError):
    pass


class Settings(BaseModel):
    data_dir: Path
    experiments_file: Path
    warehouse: Path
    dagster_home: Path
    profile: Profile = "local"
    lake_path: str = ""  # shared profile: the lake's data path, a directory every host mounts
    postgres_url: SecretStr | None = None  # shared profile; for the CLI's own connections

    secrets_present: frozenset[str] = frozenset()

    @property
    def shared(self) -> bool:
        return self.profile == "shared"

    def postgres_env(self) -> dg.EnvVar:
        """What resources get: the variable's name, resolved by Dagster in each process."""
        return dg.EnvVar(POSTGRES_URL)

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
        data_dir = Path(env.get("SYNTH_DATA_DIR") or default_data_dir())
        profile = env.get("SYNTH_PROFILE", "local")
        if profile not in ("local", "shared"):
            raise SettingsError(f"SYNTH_PROFILE={profile!r}: must be 'local' or 'shared'")
        url = env.get(POSTGRES_URL)
        if profile == "shared" and not url:
            raise SettingsError(f"SYNTH_PROFILE=shared needs {POSTGRES_URL} (a PostgreSQL URL every host reaches)")
        lake_path = env.get("SYNTH_LAKE_PATH", str(data_dir / "lake"))
        if "://" in lake_path:
            raise SettingsError(f"SYNTH_LAKE_PATH={lake_path!r}: object storage is not supported yet; use a directory")
        return cls(
            data_dir=data_dir,
            experiments_file=Path(env.get("SYNTH_EXPERIMENTS", data_dir / "experiments.yaml")),
            warehouse=Path(env.get("SYNTH_WAREHOUSE", data_dir / "warehouse.duckdb")),
            dagster_home=Path(env.get("DAGSTER_HOME", data_dir / "dagster_home")),
            profile=profile,  # type: ignore[arg-type]
            lake_path=lake_path,
            postgres_url=SecretStr(url) if url else None,
            secrets_present=frozenset(k for k in KEY_VARIABLES if env.get(k)),
        )
