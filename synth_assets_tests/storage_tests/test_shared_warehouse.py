"""The warehouse beyond one machine: a DuckLake with its catalog in a real PostgreSQL (a
throwaway cluster) and its data under a shared path, written by several processes at once; and a
partition's slice replaced atomically on the DuckLake and on the DuckDB file alike."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from synth_assets.storage.warehouse import WarehouseResource
from synth_assets_tests.storage_tests import warehouse_writer
from synth_assets_tests.support.postgres import new_database, throwaway_postgres
from synth_assets_tests.support.requirements import needs_postgres

pytestmark = pytest.mark.slow  # PostgreSQL is marked per test: the DuckDB file's case needs none
WRITER = Path(warehouse_writer.__file__)


@pytest.fixture(scope="module")
def postgres() -> str:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres: str, request) -> str:
    """A database of its own per test: a DuckLake catalog is bound to one data path."""
    return new_database(postgres, "t_" + str(abs(hash(request.node.nodeid)))[:12])


def _write(url: str, target: tuple[str, str], version: str, partitions: list[int], crash: bool = False) -> int:
    env = {**os.environ, "SYNTH_POSTGRES_URL": url, **({"CRASH_AFTER_DELETE": "1"} if crash else {})}
    cmd = [sys.executable, str(WRITER), *target, version, *map(str, partitions)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600).returncode


def _slices(warehouse: WarehouseResource) -> dict[int, tuple[int, set[str]]]:
    with warehouse.get_connection() as conn:
        rows = conn.execute("select part, count(*), list(distinct version) from main.slices group by part").fetchall()
    return {part: (n, set(versions)) for part, n, versions in rows}


def _lake(url: str, tmp_path: Path) -> tuple[tuple[str, str], WarehouseResource]:
    path = str(tmp_path / "lake")
    return ("-", path), WarehouseResource(database=":memory:", lake_catalog=url, lake_data_path=path)


@needs_postgres
def test_six_processes_write_and_rewrite_thirty_partitions_of_one_lake(postgres_url: str, tmp_path: Path) -> None:
    target, warehouse = _lake(postgres_url, tmp_path)
    groups = [list(range(start, 30, 6)) for start in range(6)]
    for version in ("v1", "v2"):  # the second pass replaces every slice while the others write
        with ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda parts, v=version: _write(postgres_url, target, v, parts), groups))
        assert codes == [0] * 6
        slices = _slices(warehouse)
        assert sorted(slices) == list(range(30))
        assert all(n == warehouse_writer.ROWS and versions == {version} for n, versions in slices.values())
    assert list((tmp_path / "lake").rglob("*.parquet"))  # the rows live as Parquet under the shared path


@pytest.mark.parametrize("where", [pytest.param("lake", marks=needs_postgres), "file"])
def test_a_writer_killed_before_commit_leaves_the_old_slice_whole(request, tmp_path: Path, where) -> None:
    if where == "lake":
        url = request.getfixturevalue("postgres_url")
        target, warehouse = _lake(url, tmp_path)
    else:
        url, database = "", str(tmp_path / "w.duckdb")
        target, warehouse = (database, "-"), WarehouseResource(database=database)
    assert _write(url, target, "v1", [7]) == 0
    assert _write(url, target, "v2", [7], crash=True) == 9  # died between delete and insert
    assert _slices(warehouse) == {7: (warehouse_writer.ROWS, {"v1"})}
    assert _write(url, target, "v2", [7]) == 0  # the re-run replaces it, once
    assert _slices(warehouse) == {7: (warehouse_writer.ROWS, {"v2"})}


@needs_postgres
def test_synth_init_prepares_the_shared_instance_lake_and_cache(postgres_url: str, tmp_path: Path) -> None:
    """Once, before run workers race to create the catalog's tables; the URL never printed."""
    import psycopg2
    import yaml
    from typer.testing import CliRunner

    from synth_assets.cli import app

    env = {
        "SYNTH_PROFILE": "shared",
        "SYNTH_POSTGRES_URL": postgres_url,
        "SYNTH_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    result = CliRunner().invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert "DuckLake ready" in result.output and postgres_url not in result.output
    storage = yaml.safe_load((tmp_path / "home" / "dagster.yaml").read_text())["storage"]
    assert storage == {"postgres": {"postgres_url": {"env": "SYNTH_POSTGRES_URL"}}}
    with psycopg2.connect(postgres_url) as conn, conn.cursor() as cur:
        cur.execute("select table_name from information_schema.tables where table_schema = 'public'")
        tables = {r[0] for r in cur.fetchall()}
    assert {"synth_llm_responses", "synth_llm_batch_ledger"} <= tables
    assert any(t.startswith("ducklake_") for t in tables)
