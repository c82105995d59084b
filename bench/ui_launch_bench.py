"""A round launched from the UI against the same round run in process, every model call cached.

A temp project (the default experiments, the project's human data) and a temp Dagster home with
the instance settings `synth init` writes; the real webserver and daemon on loopback. The human
data and round 0 of every experiment are materialized first (`synth run --rounds 1`), so every
model call below is a cache hit and what is measured is orchestration. Then the `pipeline` group
of one partition is materialized three ways:

  (a) a fresh Python process that imports the code location and executes it in process;
  (b) `dagster asset materialize --select group:pipeline --partition P`, as the README shows;
  (c) a launch through the webserver's GraphQL API, as the UI's Materialize button does, timed
      from the request to the run's success (queue, daemon, run worker included).

Judged by: (b)/(a) <= 1.5 and (c)/(a) <= 1.5. Also prints the wall time of a five-partition
backfill launched through GraphQL (round 0 of every default experiment).

    .venv/bin/python bench/ui_launch_bench.py [--partition replace|0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PIPELINE = ["seed_set", "generated_instructions", "cot_traces", "verified_traces", "filtered_set", "final_mix"]
IN_PROCESS = """
import sys
import dagster as dg
from synth_assets.orchestration.definitions import defs
job = defs().resolve_implicit_global_asset_job_def()
keys = [dg.AssetKey(k) for k in sys.argv[2:]]
result = job.execute_in_process(partition_key=sys.argv[1], instance=dg.DagsterInstance.get(), asset_selection=keys)
sys.exit(0 if result.success else 1)
"""
LAUNCH = """
mutation ($params: ExecutionParams!) { launchPipelineExecution(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on RunConfigValidationInvalid { errors { message } } } }
"""
BACKFILL = """
mutation ($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }
"""
RUNS = """
query ($filter: RunsFilter) { runsOrError(filter: $filter) { ... on Runs { results { runId status } } } }
"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    if "errors" in payload:
        raise RuntimeError(payload["errors"])
    return payload["data"]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return time.perf_counter() - start


@contextmanager
def _service(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_webserver(port: int, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("webserver did not come up:\n" + log.read_text()[-2000:])


def _wait_runs(port: int, run_ids: set[str] | None = None, tags: dict[str, str] | None = None, n: int = 1) -> None:
    flt = {"runIds": sorted(run_ids)} if run_ids else {"tags": [{"key": k, "value": v} for k, v in tags.items()]}
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        runs = _graphql(port, RUNS, {"filter": flt})["runsOrError"]["results"]
        if len(runs) >= n and all(r["status"] in TERMINAL for r in runs):
            failed = [r for r in runs if r["status"] != "SUCCESS"]
            if failed:
                raise SystemExit(f"runs did not succeed: {failed}")
            return
        time.sleep(0.25)
    raise SystemExit("runs did not finish within an hour")


def _launch(port: int, partition: str) -> float:
    experiment, round_ = partition.split("|")
    params = {
        "selector": {
            "repositoryLocationName": "synth_assets",
            "repositoryName": "__repository__",
            "pipelineName": "__ASSET_JOB",
            "assetSelection": [{"path": [k]} for k in PIPELINE],
        },
        "mode": "default",
        "executionMetadata": {
            "tags": [
                {"key": "dagster/partition", "value": partition},
                {"key": "dagster/partition/experiment", "value": experiment},
                {"key": "dagster/partition/round", "value": round_},
            ]
        },
    }
    start = time.perf_counter()
    out = _graphql(port, LAUNCH, {"params": params})["launchPipelineExecution"]
    if out["__typename"] != "LaunchRunSuccess":
        raise SystemExit(f"launch failed: {out}")
    _wait_runs(port, {out["run"]["runId"]})
    return time.perf_counter() - start


def _backfill(port: int, partitions: list[str]) -> float:
    params = {"partitionNames": partitions, "assetSelection": [{"path": [k]} for k in PIPELINE]}
    start = time.perf_counter()
    out = _graphql(port, BACKFILL, {"params": params})["launchPartitionBackfill"]
    if out["__typename"] != "LaunchBackfillSuccess":
        raise SystemExit(f"backfill failed: {out}")
    _wait_runs(port, tags={"dagster/backfill": out["backfillId"]}, n=len(partitions))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partition", default="replace|0")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from synth_assets.config.experiments import load_experiments
    from synth_assets.config.instance import create_storage, ensure_instance_config

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, ExitStack() as stack:
        data, home = Path(tmp) / "data", Path(tmp) / "home"
        for part in ("seeds", "heldout"):
            shutil.copytree(ROOT / "data" / part, data / part)
        shutil.copy(ROOT / "data" / "experiments.yaml", data / "experiments.yaml")
        ensure_instance_config(home)
        create_storage(home)
        env = {**os.environ, "SYNTH_DATA_DIR": str(data), "DAGSTER_HOME": str(home)}
        partitions = [f"{e.name}|0" for e in load_experiments(data / "experiments.yaml").experiments]

        print("warming up: human data and round 0 of every experiment (real model calls, cached)", flush=True)
        warm = _timed([str(BIN / "synth"), "run", "--rounds", "1", "--log-level", "WARNING"], env)
        print(f"  {warm:.0f} s")

        a = _timed([sys.executable, "-c", IN_PROCESS, args.partition, *PIPELINE], env)
        cli = [str(BIN / "dagster"), "asset", "materialize", "-m", "synth_assets.orchestration.definitions"]
        b = _timed([*cli, "--select", "group:pipeline", "--partition", args.partition], env)

        port = _free_port()
        workspace = ["-w", str(ROOT / "workspace.yaml")]
        stack.enter_context(
            _service(
                [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), *workspace],
                env,
                Path(tmp) / "webserver.log",
            )
        )
        stack.enter_context(_service([str(BIN / "dagster-daemon"), "run", *workspace], env, Path(tmp) / "daemon.log"))
        _wait_for_webserver(port, Path(tmp) / "webserver.log")
        c = _launch(port, args.partition)
        backfill = _backfill(port, partitions)

    print(f"partition {args.partition}, pipeline group, every model call cached")
    print(f"(a) fresh process, in-process execution   {a:7.1f} s")
    print(f"(b) dagster asset materialize (README)     {b:7.1f} s   (b)/(a) = {b / a:.2f}  (target <= 1.5)")
    print(f"(c) launched through GraphQL (the UI)      {c:7.1f} s   (c)/(a) = {c / a:.2f}  (target <= 1.5)")
    print(f"backfill of {len(partitions)} partitions through GraphQL: {backfill:.1f} s (was 400-425 s each)")
    passed = b / a <= 1.5 and c / a <= 1.5
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
