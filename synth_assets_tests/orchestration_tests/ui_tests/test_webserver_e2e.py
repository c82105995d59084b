"""The real Dagster webserver and daemon on loopback, on the instance settings `synth init` writes
(queued runs): launch a partitioned materialization through the GraphQL API with the official
client, wait for it, read the asset lineage back, and terminate a generating run as the UI's
Terminate button does."""

import re
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from synth_assets.config.instance import create_storage, ensure_instance_config
from synth_assets.config.settings import Settings
from synth_assets.llm.cache import ResponseCache
from synth_assets_tests.conftest import STOP_BOUND_S, use_slow_remote_generator
from synth_assets_tests.support.dagster_services import graphql, run_messages, wait_for_run, webserver_and_daemon
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


@pytest.fixture
def webserver(tiny_settings: Settings, tmp_path: Path):
    home = tmp_path / "dagster_home"
    ensure_instance_config(home)  # what `synth init` gives a new user: queued runs, the generation pool
    create_storage(home)
    with webserver_and_daemon(home, {"SYNTH_DATA_DIR": str(tiny_settings.data_dir)}, tmp_path) as port:
        yield port, home


def test_partitioned_materialization_through_graphql(webserver) -> None:
    port, _ = webserver
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    human = client.submit_job_execution("human_data_job", repository_location_name=LOCATION)
    assert wait_for_run(client, human) == dg.DagsterRunStatus.SUCCESS

    tags = {"dagster/partition": "rep|0", "dagster/partition/experiment": "rep", "dagster/partition/round": "0"}
    run_id = client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=tags)
    assert wait_for_run(client, run_id) == dg.DagsterRunStatus.SUCCESS
    # one process for the whole round, not one per step (which cost ~30x from the UI)
    assert any(m.startswith("Executing steps in process") for m in run_messages(port, run_id))

    mats = graphql(port, MATERIALIZATIONS_QUERY, {"partition": "rep|0"})["assetOrError"]["assetMaterializations"]
    assert [(m["runId"], m["partition"]) for m in mats] == [(run_id, "rep|0")]

    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(port, LINEAGE_QUERY)["assetNodes"]}
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
        assert wait_for_run(client, human) == dg.DagsterRunStatus.SUCCESS
        tags = {"dagster/partition": "rep|0", "dagster/partition/experiment": "rep", "dagster/partition/round": "0"}
        run_id = client.submit_job_execution("round_job", repository_location_name=LOCATION, tags=tags)
        deadline = time.monotonic() + 180
        while len(server.log.answered()) < 6:
            assert time.monotonic() < deadline, "the run never started generating"
            time.sleep(0.1)
        start = time.monotonic()
        client.terminate_run(run_id)
        status = wait_for_run(client, run_id, seconds=60)
        elapsed = time.monotonic() - start
    assert status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE) and elapsed < STOP_BOUND_S
    [said] = [m for m in run_messages(port, run_id) if "answers kept in the response cache" in m]
    kept = int(re.search(r"([\d,]+) answers kept", said).group(1).replace(",", ""))
    assert kept >= 6 and ResponseCache(tiny_settings.llm_cache_dir).count() == kept
