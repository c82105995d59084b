"""The SQL files in `dbt_like_sql/`: set-based steps, each file one model.

A model's dependencies come from the file itself (every `main.<table>` it reads), and a leading
`-- materialized: view|table` line says how it is stored, so adding a file adds an asset with
correct lineage and nothing else to edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_SHIPPED = Path(__file__).resolve().parents[1] / "dbt_like_sql"  # inside an installed wheel
_CHECKOUT = Path(__file__).resolve().parents[2] / "dbt_like_sql"  # the top-level folder of a checkout
SQL_DIR = _SHIPPED if _SHIPPED.is_dir() else _CHECKOUT
_REF = re.compile(r"\bmain\.([A-Za-z_][A-Za-z0-9_]*)")
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(view|table)\s*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class SqlModel:
    name: str
    sql: str
    deps: tuple[str, ...]
    materialized: str
    description: str
    path: Path


def _description(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        text = line[2:].strip()
        if not _MATERIALIZED.match(line):
            lines.append(text)
    return " ".join(lines)


def parse_model(path: Path) -> SqlModel:
    sql = path.read_text(encoding="utf-8")
    name = path.stem
    if not _NAME.match(name):
        raise ValueError(f"{path}: model file names must be lowercase identifiers (they become table names)")
    found = _MATERIALIZED.search(sql)
    deps = tuple(sorted({m for m in _REF.findall(_strip_comments(sql)) if m != name}))
    return SqlModel(name, sql, deps, found.group(1) if found else "table", _description(sql), path)


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def load_models(folder: Path = SQL_DIR) -> list[SqlModel]:
    """Top-level files only; `queries/` holds parameterised queries that are not models."""
    return [parse_model(p) for p in sorted(folder.glob("*.sql"))]


def sql(name: str, folder: Path = SQL_DIR) -> str:
    path = folder / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such SQL file")
    return path.read_text(encoding="utf-8")


def create_statement(model: SqlModel) -> str:
    return f"create or replace {model.materialized} main.{model.name} as\n{model.sql}"
