"""Provenance audits: the ancestry of any row, across stages and rounds, back to human seeds."""

from __future__ import annotations

import duckdb
import pandas as pd

from synth_assets.lineage import lineage_nodes_model
from synth_assets.sql_files import create_statement, sql


class UnknownRowError(LookupError):
    pass


def ensure_lineage_view(conn: duckdb.DuckDBPyConnection) -> None:
    """The audit works on any warehouse, whether or not the lineage_nodes asset was materialized."""
    try:
        conn.execute(create_statement(lineage_nodes_model()))
    except duckdb.CatalogException as exc:
        raise UnknownRowError(f"the warehouse has no pipeline tables yet ({exc}); run `synth run` first") from None


def ancestry(conn: duckdb.DuckDBPyConnection, row_id: str) -> pd.DataFrame:
    ensure_lineage_view(conn)
    df = conn.execute(sql("queries/row_ancestry"), [row_id]).fetchdf()
    if df.empty or pd.isna(df.loc[0, "stage"]):
        close = conn.execute(
            "select id from main.lineage_nodes where id like ? limit 5", [f"%{row_id[-6:]}%"]
        ).fetchall()
        hint = f" Similar ids: {', '.join(r[0] for r in close)}." if close else ""
        raise UnknownRowError(f"no row with id {row_id!r} in any stage table.{hint}")
    return df


def reaches_human_seed(df: pd.DataFrame) -> bool:
    return bool((df["stage"] == "human_seeds").any()) and not df["stage"].isna().any()
