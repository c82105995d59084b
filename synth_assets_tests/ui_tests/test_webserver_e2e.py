"""The real Dagster webserver and daemon on loopback, on the instance settings `synth init` writes
(queued runs): launch a partitioned materialization through the GraphQL API with the official
client, wait for it, read the asset lineage back, and terminate a generating run as the UI's
Terminate button does."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from synth_assets.instance import ensure_instance_config
from synth_assets.llm.cache import ResponseCache
from synth_assets.settings import Settings
from synth_assets_tests.conftest import use_slow_remote_generator
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

pytestmark = pytest.mark.slow
LOCATION = "synth_assets"
LINEAGE_QUERY = """
{ assetNodes { assetKey { path } dependencyKeys { path } groupName
               partitionDefinition { description } } }
"""
MATERIALIZATIONS_QUERY = """
query ($partition: String!) {
  assetOrError(assetKey: {path: ["final_mix"]}) {
    ... on Asset { assetMaterializations(partitions: [$partition]) { runId partition } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["data"]


EVENTS_QUERY = """
query ($runId: ID!) { logsForRun(runId: $runId) { ... on EventConnection { events { __typename
  ... on MessageEvent { message } ... on ExecutionStepFailureEvent { error { message } } } } } }
"""


@pytest.fixture
def webserver(tiny_settings: Settings, tmp_path: Path):
    home = tmp_path / "dagster_home"
    ensure_instance_config(home)  # what a new user gets: queued runs, the generation pool
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(tiny_settings.data_dir)}
    workspace = Path(__file__).resolve().parents[2] / "workspace.yaml"
    webserver = Path(sys.executable).with_name("dagster-webserver")
    daemon = Path(sys.executable).with_name("dagster-daemon")
    log = (tmp_path / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    daemon_proc = subprocess.Popen(
        [str(daemon), "run", "-w", str(workspace)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("webserver did not come up: " + (tmp_path / "webserver.log").read_text()[-2000:])
        yield port, home
    finally:
        for service in (daemon_proc, proc):
            service.terminate()
            service.wait(timeout=60)
        log.close()


def _wait(client: DagsterGraphQLClient, run_id: str, seconds: float = 600) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        time.sleep(1)
    raise TimeoutError(f"run {run_id} still {status} after {seconds}s")


def _messages(port: int, run_id: str) -> list[str]:
    events = _post(port, EVENTS_QUERY, {"runId": run_id})["logsForRun"]["events"]
    return [f"{e.get('message') or ''} {(e.get('error') or {}).get('message') or ''}".strip() for e in events]


def test_partitioned_materialization_through_graphql(webserver) -> None:
    port, _ = webserver
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    human = client.submit_job_execution("human_data_job", repository_location_name=LOCATION)
    assert _wait(client, human) == dg.DagsterRunStatus.SUCCESS

    tags = {"dagster/partition": "rep|0", "dagster/partition/experiment": "rep", "dagster/partition/round": "0"}
    run_id = client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=tags)
    assert _wait(client, run_id) == dg.DagsterRunStatus.SUCCESS
    # one process for the whole round, not one per step (which cost ~30x from the UI)
    assert any(m.startswith("Executing steps in process") for m in _messages(port, run_id))

    mats = _post(port, MATERIALIZATIONS_QUERY, {"partition": "rep|0"})["assetOrError"]["assetMaterializations"]
    assert [(m["runId"], m["partition"]) for m in mats] == [(run_id, "rep|0")]

    nodes = {"/".join(n["assetKey"]["path"]): n for n in _post(port, LINEAGE_QUERY)["assetNodes"]}
    deps = {k: {"/".join(d["path"]) for d in n["dependencyKeys"]} for k, n in nodes.items()}
    assert deps["seed_set"] == {"human_seeds"}
    assert deps["cot_traces"] == {"seed_set", "generated_instructions"}
    assert deps["final_mix"] == {"filtered_set", "human_seeds"}
    assert deps["lineage_summary"] == {"final_mix", "lineage_nodes"}  # derived from the SQL file
    assert nodes["final_mix"]["groupName"] == "pipeline"
    assert nodes["final_mix"]["partitionDefinition"] is not None


def test_terminating_a_generating_run_keeps_its_answers(webserver, tiny_settings: Settings) -> None:
    """The UI's Terminate sends the run a SIGINT: generation stops sending, keeps every answer
    in the cache and says so in the step's failure; the run ends within seconds."""
    port, _ = webserver
    with LoopbackLLMServer(latency_s=0.3) as server:
        use_slow_remote_generator(tiny_settings, server.url)
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        human = client.submit_job_execution("human_data_job", repository_location_name=LOCATION)
        assert _wait(client, human) == dg.DagsterRunStatus.SUCCESS
        tags = {"dagster/partition": "rep|0", "dagster/partition/experiment": "rep", "dagster/partition/round": "0"}
        run_id = client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=tags)
        deadline = time.monotonic() + 180
        while len(server.log.answered()) < 6:
            assert time.monotonic() < deadline, "the run never started generating"
            time.sleep(0.1)
        start = time.monotonic()
        client.terminate_run(run_id)
        status = _wait(client, run_id, seconds=60)
        elapsed = time.monotonic() - start
    assert status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE) and elapsed < 15
    [said] = [m for m in _messages(port, run_id) if "answers kept in the response cache" in m]
    kept = int(re.search(r"([\d,]+) answers kept", said).group(1).replace(",", ""))
    assert kept >= 6 and ResponseCache(tiny_settings.llm_cache_dir).count() == kept
