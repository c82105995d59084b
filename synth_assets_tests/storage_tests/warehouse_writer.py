"""A separate process that materializes partitions of a small table through the warehouse IO
manager, as a run worker on another host would: `python warehouse_writer.py <database|-> <lake
path|-> <version> <partition>...`, the catalog URL in SYNTH_POSTGRES_URL. With CRASH_AFTER_DELETE
set, the process dies (`os._exit`, as under SIGKILL) once the old slice is deleted, before the new
rows are written: without one transaction around both, the partition would be left empty."""

import os
import sys

import dagster as dg
import pandas as pd

from synth_assets.orchestration.resources import io_manager
from synth_assets.orchestration.resources.io_manager import WarehouseIOManager

ROWS = int(os.environ.get("WRITER_ROWS", "2000"))
PARTITIONS = dg.StaticPartitionsDefinition([str(i) for i in range(40)])
SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("part", "INTEGER"),
        dg.TableColumn("i", "INTEGER"),
        dg.TableColumn("version", "VARCHAR"),
    ]
)


def build(version: str) -> dg.AssetsDefinition:
    @dg.asset(
        name="slices",
        partitions_def=PARTITIONS,
        metadata={"partition_expr": "part", "dagster/column_schema": SCHEMA},
    )
    def slices(context: dg.AssetExecutionContext) -> pd.DataFrame:
        part = int(context.partition_key)
        return pd.DataFrame({"part": part, "i": range(ROWS), "version": version})

    return slices


def _crash_after_delete() -> None:
    def handle_output(self, context, table_slice, obj, connection):
        os._exit(9)  # DbIOManager has just deleted the slice

    io_manager.SchemaPandasTypeHandler.handle_output = handle_output


def main() -> None:
    database, lake_path, version, *partitions = sys.argv[1:]
    if os.environ.get("CRASH_AFTER_DELETE"):
        _crash_after_delete()
    lake = {"lake_catalog": dg.EnvVar("SYNTH_POSTGRES_URL"), "lake_data_path": lake_path} if lake_path != "-" else {}
    resources = {
        "io_manager": WarehouseIOManager(database=database if database != "-" else ":memory:", schema="main", **lake)
    }
    with dg.instance_for_test() as instance:
        for partition in partitions:
            result = dg.materialize([build(version)], partition_key=partition, resources=resources, instance=instance)
            assert result.success


if __name__ == "__main__":
    main()
