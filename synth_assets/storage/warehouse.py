"""Where the warehouse lives, and a connection to it: one DuckDB file (the local profile) or a
DuckLake (the shared profile: catalog in PostgreSQL, table data as Parquet under a path every
host mounts).

Every reader and writer goes through `WarehouseResource.get_connection`, so the SQL models,
checks, audits and reports run unchanged on either: in a lake the connection's default catalog
is the lake, so `main.<table>` means the same table in both. DuckDB's extensions come from the `duckdb-ext-*` wheels in
site-packages; nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

LAKE = "lake"
_ATTACH_TRIES = 5
# what two processes creating a new catalog's tables at once see; anything else is not retried
_RACE = re.compile(r"already exists|duplicate key|conflict|could not serialize", re.IGNORECASE)


class WarehouseError(RuntimeError):
    pass


@dataclass(frozen=True)
class Lake:
    catalog: str  # libpq URL or key=value string of the PostgreSQL catalog database (a secret)
    data_path: str  # where the Parquet files go: a directory every host mounts

    def ddl_path(self) -> str:
        return self.data_path.rstrip("/") + "/"


def extension_directory() -> str | None:
    """The `duckdb_ext` namespace package's extensions folder (wheel `duckdb-ext-ducklake`)."""
    spec = importlib.util.find_spec("duckdb_ext")
    locations = list(spec.submodule_search_locations or []) if spec else []
    found = [Path(p) / "extensions" for p in locations if (Path(p) / "extensions").is_dir()]
    return str(found[0]) if found else None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect_lake(lake: Lake, config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached and in use. Attaching is retried: the first
    processes to reach a new catalog race to create its tables in PostgreSQL."""
    extensions = extension_directory()
    if extensions is None:
        raise WarehouseError("the DuckLake extension is not installed (pip install duckdb-ext-ducklake)")
    Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    settings = {**(config or {}), "extension_directory": extensions, "autoinstall_known_extensions": False}
    for attempt in range(_ATTACH_TRIES):
        conn = duckdb.connect(":memory:", config=settings)
        try:
            conn.execute("LOAD ducklake; LOAD postgres;")
            conn.execute(
                f"ATTACH {_quoted('ducklake:postgres:' + lake.catalog)} AS {LAKE} "
                f"(DATA_PATH {_quoted(lake.ddl_path())})"
            )
            conn.execute(f"USE {LAKE}")
            return conn
        except duckdb.Error as exc:
            conn.close()
            if attempt + 1 == _ATTACH_TRIES or not _RACE.search(str(exc)):
                message = str(exc).replace(lake.catalog, "<catalog>").splitlines()[0]
                raise WarehouseError(f"cannot attach the DuckLake catalog: {message}") from None
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.2)
    raise AssertionError("unreachable")


_ATTACHED: dict[tuple[int, Lake], duckdb.DuckDBPyConnection] = {}
_ATTACHING = threading.Lock()


def attached(lake: Lake, config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """One attached lake per process, shared through cursors: attaching costs 0.2 s (extension
    load, catalog connection), and a round opens the warehouse for every input and output."""
    key = (os.getpid(), lake)
    with _ATTACHING:
        conn = _ATTACHED.get(key)
        if conn is None:
            conn = _ATTACHED[key] = connect_lake(lake, config)
        return conn


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource, plus a DuckLake when `lake_catalog` is set (then `database` is
    unused). The catalog URL comes as a Dagster `EnvVar`: it may hold a password."""

    lake_catalog: str | None = Field(default=None, description="PostgreSQL catalog of the DuckLake; unset: the file")
    lake_data_path: str | None = Field(default=None, description="where the lake's Parquet files go")

    @property
    def lake(self) -> Lake | None:
        catalog = self.lake_catalog
        if isinstance(catalog, dg.EnvVar):  # used directly, outside a run that would resolve it
            catalog = catalog.get_value()
        if not catalog:
            return None
        return Lake(catalog, self.lake_data_path or "data/lake")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        lake = self.lake
        if lake is None:
            with super().get_connection() as conn:
                yield conn
            return
        cursor = attached(lake, self.connection_config).cursor()
        try:
            cursor.execute(f"USE {LAKE}")
            yield cursor
        finally:
            cursor.close()
