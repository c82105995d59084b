"""Write records as JSONL and Parquet, atomically: a run that dies leaves the previous files,
never half a file, and a re-run replaces them instead of appending.

Parquet is written by DuckDB from the JSONL (no pyarrow needed at run time), so both files hold
the same records with the same nested types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from synth_assets.core.files import replacing


def write_jsonl_and_parquet(records: Iterable[dict[str, Any]], stem: Path) -> dict[str, Path]:
    """`stem` without suffix; returns the paths written (none when there are no records, since
    an empty file has no schema for a reader to load)."""
    rows = list(records)
    jsonl, parquet = stem.with_suffix(".jsonl"), stem.with_suffix(".parquet")
    if not rows:
        for stale in (jsonl, parquet):
            stale.unlink(missing_ok=True)
        return {}
    with replacing(jsonl) as tmp_jsonl, replacing(parquet) as tmp_parquet:
        tmp_jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        with duckdb.connect() as con:
            # the target as a literal: DuckDB 1.4 binds a `to ?` parameter as the source instead
            target = "'" + str(tmp_parquet).replace("'", "''") + "'"
            con.execute(
                f"copy (select * from read_json(?, format = 'newline_delimited')) to {target} (format parquet)",
                [str(tmp_jsonl)],
            )
    return {"jsonl": jsonl, "parquet": parquet}
