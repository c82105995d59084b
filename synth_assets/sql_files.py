"""Read the set-based steps kept as plain SQL in `dbt_like_sql/`."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "dbt_like_sql"


def sql(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such SQL file")
    return path.read_text(encoding="utf-8")
