from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from synth_assets.orchestration.resources.io_manager import WarehouseIOManager, conform

SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("id", "VARCHAR"),
        dg.TableColumn("parent_ids", "VARCHAR[]"),
        dg.TableColumn("score", "DOUBLE"),
        dg.TableColumn("part", "VARCHAR"),
    ]
)
PARTS = dg.StaticPartitionsDefinition(["a", "b"])


@dg.asset(partitions_def=PARTS, metadata={"dagster/column_schema": SCHEMA, "partition_expr": "part"})
def things(context: dg.AssetExecutionContext) -> pd.DataFrame:
    if context.partition_key == "a":  # every column null or empty: the stock handler would infer wrong types
        return pd.DataFrame({"id": ["x"], "parent_ids": [[]], "score": [None], "part": ["a"]})
    return pd.DataFrame({"id": [], "parent_ids": [], "score": [], "part": []})


@dg.asset(partitions_def=PARTS)
def reader(things: pd.DataFrame) -> None:
    assert things.empty and list(things.columns) == ["id", "parent_ids", "score", "part"]


def test_declared_schema_creates_typed_tables_even_for_empty_partitions(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    io = WarehouseIOManager(database=db, schema="main")
    resources = {"io_manager": io}
    for key in ("b", "a", "a"):  # empty first, then a re-run of "a" must replace, not append
        assert dg.materialize([things], partition_key=key, resources=resources).success
    with duckdb.connect(db) as conn:
        types = dict(conn.execute("select column_name, data_type from information_schema.columns").fetchall())
        assert types == {"id": "VARCHAR", "parent_ids": "VARCHAR[]", "score": "DOUBLE", "part": "VARCHAR"}
        assert conn.execute("select count(*) from main.things").fetchone() == (1,)
    assert dg.materialize([things, reader], selection=[reader], partition_key="b", resources=resources).success


def test_conform_rejects_schema_drift() -> None:
    with pytest.raises(ValueError, match=r"missing \['score', 'part'\], unexpected \['extra'\]"):
        conform(pd.DataFrame({"id": [], "parent_ids": [], "extra": []}), SCHEMA)


def test_a_warehouse_from_an_older_version_gains_the_new_columns() -> None:
    import dagster as dg
    import duckdb

    from synth_assets.orchestration.resources.io_manager import add_missing_columns

    con = duckdb.connect()
    con.execute("create schema main2; create table main2.t (id VARCHAR, kept BOOLEAN)")
    con.execute("insert into main2.t values ('a', true)")
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn("id", "VARCHAR"),
            dg.TableColumn("kept", "BOOLEAN"),
            dg.TableColumn("drop_detail", "VARCHAR"),
        ]
    )
    assert add_missing_columns(con, "main2", "t", schema) == ["drop_detail"]
    assert add_missing_columns(con, "main2", "t", schema) == []
    assert con.execute("select id, drop_detail from main2.t").fetchall() == [("a", None)]


def test_a_write_conflict_is_retried_until_the_other_writer_commits(tmp_path: Path, monkeypatch) -> None:
    """Another writer holds the slice's rows in an open transaction (as a concurrent run on a
    lake does): the write conflicts and backs off; the other writer commits during that wait (so
    the order is fixed, not a race), and the retried write lands."""
    import time

    from synth_assets.orchestration.resources import io_manager
    from synth_assets.storage.warehouse import WarehouseResource

    db = str(tmp_path / "w.duckdb")
    resources = {"io_manager": WarehouseIOManager(database=db, schema="main")}
    assert dg.materialize([things], partition_key="a", resources=resources).success
    instance = dg.DagsterInstance.ephemeral()
    waits: list[float] = []
    with WarehouseResource(database=db).get_connection() as other:
        other.execute("begin transaction")
        other.execute("delete from main.things where part = 'a'")  # another run replacing the slice

        class BackOff:
            @staticmethod
            def sleep(seconds: float) -> None:
                if not waits:
                    other.execute("commit")
                waits.append(seconds)
                time.sleep(seconds)

        monkeypatch.setattr(io_manager, "time", BackOff)
        result = dg.materialize([things], partition_key="a", resources=resources, instance=instance)
    assert result.success and len(waits) == 1
    said = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(m.startswith("write conflict, retrying") for m in said), said
    with duckdb.connect(db) as conn:  # written once, after the other writer committed its delete
        assert conn.execute("select id, score from main.things").fetchall() == [("x", None)]
