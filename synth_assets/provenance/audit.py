"""Provenance audits: the ancestry of any row, across stages and rounds, back to human seeds."""

from __future__ import annotations

import duckdb
import pandas as pd

from synth_assets.storage.sql_files import create_statement, sql
from synth_assets.storage.warehouse_models import lineage_nodes_model


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


def ancestry_markdown(df: pd.DataFrame, limit: int = 200) -> str:
    """The ancestry as a nested list a person reads in the Dagster UI: each row under the row it
    feeds, with its stage, round, origin, generator, verdict and run."""
    children: dict[object, list[dict]] = {}
    for row in df.sort_values("depth").to_dict("records"):
        children.setdefault(row["child_id"] if isinstance(row["child_id"], str) else None, []).append(row)
    lines: list[str] = []

    def walk(parent: object, depth: int) -> None:
        for row in children.get(parent, []):
            if len(lines) < limit:
                lines.append("  " * depth + "- " + _describe(row))
                walk(row["id"], depth + 1)

    walk(None, 0)
    more = f"\n\n({len(df) - len(lines)} more rows not shown)" if len(df) > len(lines) else ""
    return "\n".join(lines) + more


def _describe(row: dict) -> str:
    def val(key: str) -> str:
        v = row.get(key)
        return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)

    if not val("stage"):
        return f"**MISSING** `{row['id']}`: a parent id with no row, the chain is broken here"
    where = f"{val('experiment')} round {val('round')}" if val("experiment") else "human data"
    parts = [f"**{val('stage')}** `{row['id']}`", where, val("origin")]
    parts += [f"generator `{val('generator')}`" if val("generator") else ""]
    parts += [f"verdict {val('verdict')} ({val('verifier')})" if val("verdict") else ""]
    parts += [f"dropped: {val('drop_reason')}" if val("drop_reason") else "", f"run {val('run_id')[:8]}"]
    return ", ".join(p for p in parts if p)
