"""The round-to-round edge: round r reads round r-1's final_mix through storage.

Dagster allows no cycle between assets (final_mix depends on seed_set), so this edge cannot be
declared. It is made honest instead: a missing previous round fails with the exact partition to
materialize, and the upstream materialization (run id, data version) is recorded on the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import duckdb
import pandas as pd


class MissingPreviousRound(dg.Failure):
    pass


@dataclass(frozen=True)
class UpstreamRef:
    partition: str
    run_id: str | None
    data_version: str | None


def partition_key(experiment: str, round_: int) -> str:
    return str(dg.MultiPartitionKey({"experiment": experiment, "round": str(round_)}))


def read_partition(
    connection: duckdb.DuckDBPyConnection, table: str, experiment: str, round_: int
) -> pd.DataFrame | None:
    """One experiment x round slice of a stage table (None if the table does not exist yet)."""
    try:
        df = connection.execute(
            f"select * from main.{table} where experiment = ? and round = ?", [experiment, round_]
        ).fetchdf()
    except duckdb.CatalogException:
        return None
    df["parent_ids"] = df["parent_ids"].map(list)
    return df


def latest_materialization(instance: dg.DagsterInstance, asset: str, partition: str) -> UpstreamRef:
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
    )
    if not result.records:
        return UpstreamRef(partition, None, None)
    record = result.records[0]
    tags = record.asset_materialization.tags or {} if record.asset_materialization else {}
    return UpstreamRef(partition, record.run_id, tags.get("dagster/data_version"))


def require_previous(
    connection: duckdb.DuckDBPyConnection, instance: dg.DagsterInstance, stage: str, experiment: str, round_: int
) -> tuple[pd.DataFrame, UpstreamRef]:
    """Round `round_ - 1` of `stage`, or a failure that names the partition to materialize."""
    previous = round_ - 1
    key = partition_key(experiment, previous)
    df = read_partition(connection, stage, experiment, previous)
    ref = latest_materialization(instance, stage, key)
    if df is None or (df.empty and ref.run_id is None):
        raise MissingPreviousRound(
            description=(
                f"round {round_} of experiment '{experiment}' reads {stage} of round {previous}, "
                f"which has not been materialized. Materialize partition '{key}' of {stage} "
                f"first, e.g. `dagster asset materialize -m synth_assets.orchestration.definitions "
                f"--select '*{stage}' --partition '{key}'`."
            ),
            metadata={"missing_partition": key},
        )
    return df, ref
