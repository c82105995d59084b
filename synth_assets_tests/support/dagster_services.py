"""The real Dagster webserver and daemon as subprocesses on loopback, for end-to-end tests: the
processes a user's `dg dev` (or a deployment's pods) would run, on a given DAGSTER_HOME."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_graphql import DagsterGraphQLClient

from synth_assets_tests.support.paths import ROOT

WORKSPACE = ROOT / "workspace.yaml"
LOCATION = "synth_assets"
EVENTS_QUERY = """
query ($runId: ID!) { logsForRun(runId: $runId) { ... on EventConnection { events { __typename
  ... on MessageEvent { message } ... on ExecutionStepFailureEvent { error { message } } } } } }
"""
DONE = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def webserver_and_daemon(home: Path, env: dict[str, str], workdir: Path, wait_s: float = 180) -> Iterator[int]:
    """Yields the webserver's port once it answers; both processes are stopped afterwards, and
    with them whatever they started (code servers, run workers): each service leads a process
    group of its own, killed after the graceful stop. A code server that never received a
    heartbeat outlived a failed test by hours before this."""
    port = free_port()
    env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
    bin_dir = Path(sys.executable).parent
    log_path = workdir / "services.log"
    with log_path.open("w") as log:
        common = {"env": env, "stdout": log, "stderr": subprocess.STDOUT, "cwd": workdir, "start_new_session": True}
        web = subprocess.Popen(
            [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", str(WORKSPACE)], **common
        )
        daemon = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-w", str(WORKSPACE)], **common)
        try:
            _wait_until_up(port, wait_s, log_path, web)
            yield port
        finally:
            for service in (daemon, web):
                service.terminate()
                service.wait(timeout=60)
            for service in (daemon, web):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.pid, signal.SIGKILL)


def _wait_until_up(port: int, wait_s: float, log_path: Path, web: subprocess.Popen) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and web.poll() is None:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError("webserver did not come up: " + log_path.read_text()[-3000:])


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["data"]


def wait_for_run(client: DagsterGraphQLClient, run_id: str, seconds: float = 600) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in DONE:
            return status
        time.sleep(1)
    raise TimeoutError(f"run {run_id} still {status} after {seconds}s")


def run_messages(port: int, run_id: str) -> list[str]:
    events = graphql(port, EVENTS_QUERY, {"runId": run_id})["logsForRun"]["events"]
    return [f"{e.get('message') or ''} {(e.get('error') or {}).get('message') or ''}".strip() for e in events]


def partition_tags(experiment: str, round_: int) -> dict[str, str]:
    """The tags the UI puts on a run of one experiment x round partition."""
    return {
        "dagster/partition": f"{experiment}|{round_}",
        "dagster/partition/experiment": experiment,
        "dagster/partition/round": str(round_),
    }
