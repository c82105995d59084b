"""Writing round partitions from several processes at once: the shared profile's DuckLake
(catalog in a throwaway PostgreSQL, Parquet under a directory) beside the local profile's DuckDB
file, which admits one writing process at a time (the others wait on its lock).

Each writer is its own process, as run workers on separate hosts are, and materializes its
partitions through the real warehouse IO manager with dg.materialize (so each slice is a delete
and an insert in one transaction). Sizes: 30 partitions of 10,000 and of 50,000 rows, by 6
processes. Judged by: every row present exactly once on both; the lake's wall time at most the
file's (ratio lake/file <= 1.0); from 10,000 to 50,000 rows a partition the lake's time grows
at most 5x (it is per row, not per writer waiting).

    .venv/bin/python bench/shared_warehouse_bench.py [--rows 10000 50000] [--processes 6]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth_assets.storage.warehouse import WarehouseResource  # noqa: E402
from synth_assets_tests.support.postgres import new_database, throwaway_postgres  # noqa: E402

WRITER = ROOT / "synth_assets_tests" / "storage_tests" / "warehouse_writer.py"
PARTITIONS = 30


def _run(target: tuple[str, str], url: str, rows: int, groups: list[list[int]]) -> float:
    env = {**os.environ, "SYNTH_POSTGRES_URL": url, "WRITER_ROWS": str(rows), "PYTHONPATH": str(ROOT)}

    def write(parts: list[int]) -> int:
        cmd = [sys.executable, str(WRITER), *target, "v1", *map(str, parts)]
        return subprocess.run(cmd, env=env, capture_output=True, timeout=3600).returncode

    start = time.monotonic()
    with ThreadPoolExecutor(len(groups)) as pool:
        codes = list(pool.map(write, groups))
    elapsed = time.monotonic() - start
    assert codes == [0] * len(groups), codes
    return elapsed


def _check(warehouse: WarehouseResource, rows: int) -> None:
    with warehouse.get_connection() as conn:
        counts = conn.execute("select part, count(*), count(distinct i) from main.slices group by part").fetchall()
    assert len(counts) == PARTITIONS and all(n == rows == distinct for _, n, distinct in counts), counts[:3]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--processes", type=int, default=6)
    args = parser.parse_args()
    groups = [list(range(start, PARTITIONS, args.processes)) for start in range(args.processes)]
    lake_times = {}
    with throwaway_postgres() as server, tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            url = new_database(server, f"bench_{rows}")
            lake_path, database = f"{tmp}/lake_{rows}", f"{tmp}/file_{rows}.duckdb"
            lake = _run(("-", lake_path), url, rows, groups)
            _check(WarehouseResource(database=":memory:", lake_catalog=url, lake_data_path=lake_path), rows)
            file = _run((database, "-"), url, rows, groups)
            _check(WarehouseResource(database=database), rows)
            lake_times[rows] = lake
            total = rows * PARTITIONS
            print(
                f"{args.processes} processes x {PARTITIONS // args.processes} partitions x {rows:,} rows "
                f"({total:,} rows): DuckLake {lake:.1f} s ({total / lake:,.0f} rows/s), "
                f"DuckDB file {file:.1f} s ({total / file:,.0f} rows/s); ratio lake/file {lake / file:.2f}",
                flush=True,
            )
    if len(args.rows) > 1:
        small, large = min(args.rows), max(args.rows)
        print(f"lake time growth {small:,} -> {large:,} rows a partition: {lake_times[large] / lake_times[small]:.2f}x")


if __name__ == "__main__":
    main()
