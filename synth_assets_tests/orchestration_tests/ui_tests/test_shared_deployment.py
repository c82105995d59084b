"""The shared profile as a deployment: the real webserver and daemon on a Dagster instance in
PostgreSQL (the `dagster.yaml` `synth init` writes for SYNTH_PROFILE=shared), the warehouse a
DuckLake with its catalog in the same PostgreSQL. Four round runs are queued at once; the daemon
launches each in a run worker process of its own, two at a time, one per experiment at a time
(rounds of an experiment build on each other), and they share nothing but PostgreSQL and the
data path."""

import copy
import re
import shutil
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster_graphql import DagsterGraphQLClient

from synth_assets.config.instance import create_storage, ensure_instance_config
from synth_assets.config.settings import Settings
from synth_assets.storage.warehouse_file import open_configured
from synth_assets_tests.conftest import PROJECT_DATA, TINY
from synth_assets_tests.support.dagster_services import (
    LOCATION,
    partition_tags,
    run_messages,
    wait_for_run,
    webserver_and_daemon,
)
from synth_assets_tests.support.postgres import throwaway_postgres
from synth_assets_tests.support.requirements import needs_postgres

pytestmark = [
    pytest.mark.slow,
    needs_postgres,
]
STUDENT = copy.deepcopy(TINY)
STUDENT["defaults"]["generator"] = {"backend": "student", "instruction_max_tokens": 48, "trace_max_tokens": 48}


def _project(root: Path) -> Path:
    data = root / "data"
    shutil.copytree(PROJECT_DATA / "seeds", data / "seeds")
    shutil.copytree(PROJECT_DATA / "heldout", data / "heldout")
    (data / "experiments.yaml").write_text(yaml.safe_dump(STUDENT))
    return data


def _worker_pid(port: int, run_id: str) -> int:
    [pid] = {int(m) for msg in run_messages(port, run_id) for m in re.findall(r"in process \(pid: (\d+)\)", msg)}
    return pid


def _errors(port: int, run_id: str) -> list[str]:
    return [m for m in run_messages(port, run_id) if "error" in m.lower() or "fail" in m.lower()][-4:]


def test_queued_rounds_run_in_separate_workers_sharing_only_postgres_and_the_data_path(tmp_path: Path) -> None:
    data = _project(tmp_path)
    home = tmp_path / "dagster_home"
    with throwaway_postgres() as url:
        env = {"SYNTH_PROFILE": "shared", "SYNTH_POSTGRES_URL": url, "SYNTH_DATA_DIR": str(data)}
        settings = Settings.from_env({**env, "DAGSTER_HOME": str(home)})
        ensure_instance_config(home, cores=2, shared=True)
        with pytest.MonkeyPatch.context() as mp:  # as `synth init` does, where the URL is in the environment
            mp.setenv("SYNTH_POSTGRES_URL", url)
            create_storage(home)
        assert yaml.safe_load((home / "dagster.yaml").read_text())["storage"]["postgres"]
        with webserver_and_daemon(home, env, tmp_path) as port:
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            human = client.submit_job_execution("human_data_job", repository_location_name=LOCATION)
            assert wait_for_run(client, human) == dg.DagsterRunStatus.SUCCESS
            partitions = [("acc", 0), ("acc", 1), ("rep", 0), ("rep", 1)]  # round 1 queued before round 0 ends
            runs = {
                p: client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=partition_tags(*p))
                for p in partitions
            }
            statuses = {p: wait_for_run(client, run_id) for p, run_id in runs.items()}
            failed = {p: _errors(port, runs[p]) for p, s in statuses.items() if s != dg.DagsterRunStatus.SUCCESS}
            assert not failed, failed
            pids = {p: _worker_pid(port, run_id) for p, run_id in runs.items()}

        assert len(set(pids.values())) == 4  # one run worker process per run
        with psycopg2.connect(url) as conn, conn.cursor() as cur:  # the instance lives in PostgreSQL
            cur.execute("select count(*) from runs where status = 'SUCCESS'")
            assert cur.fetchone()[0] == 5
            cur.execute(
                "select distinct partition from event_logs "
                "where dagster_event_type = 'ASSET_MATERIALIZATION' and asset_key like '%final_mix%'"
            )
            assert sorted(r[0] for r in cur.fetchall()) == [f"{e}|{r}" for e, r in partitions]
        with open_configured(settings) as conn:  # and the rows in the lake (a replace round may mix none)
            rows = conn.execute("select distinct experiment, round from main.seed_set order by all").fetchall()
            assert {("acc", 0), ("acc", 1), ("rep", 0)} <= set(rows)
        assert not (data / "warehouse.duckdb").exists() and list((data / "lake").rglob("*.parquet"))
