"""DuckDB IO manager whose tables follow each asset's declared column schema.

The stock pandas handler creates a table from the first DataFrame it sees (so a column that is
all-null in round 0 gets the wrong type for round 1) and skips empty frames (so a round where
every trace failed leaves no table to read). Here the DDL comes from the asset's
`dagster/column_schema` metadata, the same schema the UI shows, and inserts go by column name.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd
from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb_pandas import DuckDBPandasTypeHandler

from synth_assets.schemas import column_names, ddl

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
    def handle_output(self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection) -> None:
        schema = (context.definition_metadata or {}).get(SCHEMA_KEY)
        if schema is None:
            super().handle_output(context, table_slice, obj, connection)
            return
        table = f"{table_slice.schema}.{table_slice.table}"
        rows = conform(obj, schema)
        connection.execute(f"create table if not exists {table} ({ddl(schema)})")
        added = add_missing_columns(connection, table_slice.schema, table_slice.table, schema)
        if added:
            context.log.info(f"{table}: added columns {', '.join(added)} (null in partitions written before)")
        connection.execute(f"insert into {table} by name select * from rows")
        context.add_output_metadata(
            {"dagster/partition_row_count" if context.has_partition_key else "dagster/row_count": len(rows)}
        )

    def load_input(self, context: dg.InputContext, table_slice: TableSlice, connection) -> pd.DataFrame:
        df = super().load_input(context, table_slice, connection)
        if "parent_ids" in df.columns:
            df["parent_ids"] = df["parent_ids"].map(lambda v: list(v) if v is not None else [])
        return df


class WarehouseIOManager(DuckDBIOManager):
    """Stage tables in one DuckDB file; partition slices replaced on re-materialization."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [SchemaPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame
