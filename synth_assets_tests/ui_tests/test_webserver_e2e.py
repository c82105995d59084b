"""The real Dagster webserver on loopback: launch a partitioned materialization through its
GraphQL API with the official client, wait for it, and read the asset lineage back."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from synth_assets.settings import Settings

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


@pytest.fixture
def webserver(tiny_settings: Settings, tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    # no daemon here: launch runs directly instead of queueing them for one
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
    )
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "SYNTH_DATA_DIR": str(tiny_settings.data_dir)}
    workspace = Path(__file__).resolve().parents[2] / "workspace.yaml"
    webserver = Path(sys.executable).with_name("dagster-webserver")
    log = (tmp_path / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
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
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def _wait(client: DagsterGraphQLClient, run_id: str, seconds: float = 600) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        time.sleep(1)
    raise TimeoutError(f"run {run_id} still {status} after {seconds}s")


def test_partitioned_materialization_through_graphql(webserver) -> None:
    port, _ = webserver
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    human = client.submit_job_execution("human_data_job", repository_location_name=LOCATION)
    assert _wait(client, human) == dg.DagsterRunStatus.SUCCESS

    tags = {"dagster/partition": "rep|0", "dagster/partition/experiment": "rep", "dagster/partition/round": "0"}
    run_id = client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=tags)
    assert _wait(client, run_id) == dg.DagsterRunStatus.SUCCESS

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
