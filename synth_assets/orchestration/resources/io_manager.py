"""The warehouse IO manager: dagster-duckdb's, with tables that follow each asset's declared
column schema, a DuckLake as well as a DuckDB file, and a partition's slice replaced atomically.

The stock pandas handler creates a table from the first DataFrame it sees (so a column that is
all-null in round 0 gets the wrong type for round 1) and skips empty frames (so a round where
every trace failed leaves no table to read). Here the DDL comes from the asset's
`dagster/column_schema` metadata, the same schema the UI shows, and inserts go by column name.

The stock client deletes the old slice and inserts the new one as two statements: a run killed
between them leaves the partition empty, and two hosts writing one lake interleave. Here both
happen in one transaction; a write conflict (another process committed to the same table first,
which DuckLake reports at commit) rolls back and is retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_pandas import DuckDBPandasTypeHandler
from pydantic import Field

from synth_assets.stages.schemas import column_names, ddl
from synth_assets.storage.warehouse import WarehouseResource

COMMIT_TRIES = 8

SCHEMA_KEY = "dagster/column_schema"


def conform(df: pd.DataFrame, schema: dg.TableSchema) -> pd.DataFrame:
    """Exactly the declared columns, in order; a missing or extra column is a bug, not data."""
    names = column_names(schema)
    missing = [c for c in names if c not in df.columns]
    extra = [c for c in df.columns if c not in names]
    if missing or extra:
        raise ValueError(f"output does not match its column schema: missing {missing}, unexpected {extra}")
    out = df[names].copy()
    if "parent_ids" in out.columns:
        out["parent_ids"] = out["parent_ids"].map(lambda v: [str(x) for x in v] if v is not None else [])
    return out


def add_missing_columns(connection, schema_name: str, table: str, schema: dg.TableSchema) -> list[str]:
    """A warehouse written by an older version gains the columns added since, as NULLs, instead
    of refusing every new partition."""
    existing = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema_name, table],
        ).fetchall()
    }
    added = []
    for column in schema.columns:
        if column.name not in existing:
            connection.execute(f'alter table {schema_name}.{table} add column "{column.name}" {column.type}')
            added.append(column.name)
    return added


class SchemaPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(
        self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> Mapping[str, Any] | None:
        schema = (context.definition_metadata or {}).get(SCHEMA_KEY)
        if schema is None:
            return super().handle_output(context, table_slice, obj, connection)
        table = f"{table_slice.schema}.{table_slice.table}"
        rows = conform(obj, schema)
        connection.execute(f"create table if not exists {table} ({ddl(schema)})")
        added = add_missing_columns(connection, table_slice.schema, table_slice.table, schema)
        if added:
            context.log.info(f"{table}: added columns {', '.join(added)} (null in partitions written before)")
        connection.execute(f"insert into {table} by name select * from rows")
        # returned, not added: DbIOManager adds it once the transaction has committed
        return {"dagster/partition_row_count" if context.has_partition_key else "dagster/row_count": len(rows)}

    def load_input(self, context: dg.InputContext, table_slice: TableSlice, connection) -> pd.DataFrame:
        df = super().load_input(context, table_slice, connection)
        if "parent_ids" in df.columns:
            df["parent_ids"] = df["parent_ids"].map(lambda v: list(v) if v is not None else [])
        return df


class TransactionalClient(DuckDbClient):
    """One transaction per read or write, on a DuckDB file or a DuckLake."""

    @staticmethod
    @contextmanager
    def connect(context, _) -> Iterator[duckdb.DuckDBPyConnection]:
        cfg = context.resource_config
        warehouse = WarehouseResource(
            database=cfg["database"],
            connection_config=cfg.get("connection_config") or {},
            lake_catalog=cfg.get("lake_catalog"),
            lake_data_path=cfg.get("lake_data_path"),
        )
        with warehouse.get_connection() as conn:
            conn.execute("begin transaction")
            try:
                yield conn
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")

    @staticmethod
    def delete_table_slice(context: dg.OutputContext, table_slice: TableSlice, connection) -> None:
        """Checked, not caught: a failed statement would abort the transaction it is part of."""
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ? "
            "and table_catalog = current_database()",
            [table_slice.schema, table_slice.table],
        ).fetchone()[0]
        if exists:
            DuckDbClient.delete_table_slice(context, table_slice, connection)

    @staticmethod
    def ensure_schema_exists(context: dg.OutputContext, table_slice: TableSlice, connection) -> None:
        pass  # `main` exists in a DuckDB file and in a lake; DDL outside it is not ours to make


class RetryingDbIOManager(DbIOManager):
    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        for attempt in range(COMMIT_TRIES):
            try:
                return super().handle_output(context, obj)
            except duckdb.TransactionException as exc:
                if attempt + 1 == COMMIT_TRIES:
                    raise
                context.log.info(f"write conflict, retrying ({str(exc).splitlines()[0][:120]})")
                time.sleep(min(5.0, 0.1 * 2**attempt) * (0.5 + random.random()))


class WarehouseIOManager(DuckDBIOManager):
    """Stage tables in one DuckDB file or one DuckLake; a partition's slice replaced atomically
    on re-materialization."""

    lake_catalog: str | None = Field(default=None, description="PostgreSQL catalog of the DuckLake; unset: the file")
    lake_data_path: str | None = Field(default=None, description="where the lake's Parquet files go")

    def create_io_manager(self, context) -> DbIOManager:
        return RetryingDbIOManager(
            db_client=TransactionalClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="WarehouseIOManager",
        )

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [SchemaPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame
